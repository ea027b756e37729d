import { useEffect, useState } from "preact/hooks";
import { api, GEOGRAPHIES } from "../api.js";

interface Customer {
  user_id: string;
  alias: string | null;
  allowed_model_region: string | null;
  blocked: boolean;
  spend: number;
  max_budget: number | null;
}

function RegionSelect(props: { id: string; value: string; onChange: (v: string) => void; label: string }) {
  return (
    <>
      <label for={props.id} class="sr-only">
        {props.label}
      </label>
      <select
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">any region (unrestricted)</option>
        {GEOGRAPHIES.map((g) => (
          <option value={g.code}>
            {g.code} — {g.name}
          </option>
        ))}
      </select>
    </>
  );
}

/** Customers (LiteLLM end users): list, search, create, change region, block, delete. */
export function Customers() {
  const [rows, setRows] = useState<Customer[]>([]);
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const [newId, setNewId] = useState("");
  const [newRegion, setNewRegion] = useState("eu");

  async function load() {
    try {
      setRows(await api<Customer[]>("GET", "/end_user/list?limit=10000"));
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }
  useEffect(() => {
    void load();
  }, []);

  async function act(what: string, fn: () => Promise<unknown>) {
    try {
      await fn();
      setStatus(what);
      setError(undefined);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  }

  const shown = rows.filter((c) =>
    `${c.user_id} ${c.alias ?? ""}`.toLowerCase().includes(query.toLowerCase()),
  );
  return (
    <section aria-labelledby="customers-h">
      <h2 id="customers-h">Customers</h2>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          const body = { user_id: newId.trim(), allowed_model_region: newRegion || null };
          void act(`Created ${body.user_id}`, () => api("POST", "/end_user/new", body)).then(() =>
            setNewId(""),
          );
        }}
      >
        <label for="new-customer-id">New customer id</label>
        <input
          id="new-customer-id"
          value={newId}
          onInput={(e) => setNewId((e.target as HTMLInputElement).value)}
          required
        />
        <RegionSelect
          id="new-customer-region"
          label="Region of the new customer"
          value={newRegion}
          onChange={setNewRegion}
        />
        <button type="submit">Create customer</button>
      </form>
      <div class="row">
        <label for="customer-search">Search</label>
        <input
          id="customer-search"
          type="search"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
        <span class="muted">
          {shown.length} of {rows.length}
        </span>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {status && (
        <p role="status" class="ok">
          {status}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Region</th>
            <th scope="col">Spend</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.user_id} data-customer={c.user_id}>
              <th scope="row">
                {c.user_id}
                {c.alias && <span class="muted"> ({c.alias})</span>}
              </th>
              <td>
                <RegionSelect
                  id={`region-${c.user_id}`}
                  label={`Region of ${c.user_id}`}
                  value={c.allowed_model_region ?? ""}
                  onChange={(v) =>
                    void act(`${c.user_id}: region ${v || "any"}`, () =>
                      api("POST", "/end_user/update", {
                        user_id: c.user_id,
                        allowed_model_region: v || null,
                      }),
                    )
                  }
                />
              </td>
              <td>${c.spend.toFixed(4)}</td>
              <td>
                {c.blocked ? <span class="badge bad">blocked</span> : <span class="badge good">active</span>}
              </td>
              <td class="actions">
                <button
                  type="button"
                  onClick={() =>
                    void act(`${c.user_id} ${c.blocked ? "unblocked" : "blocked"}`, () =>
                      api("POST", c.blocked ? "/customer/unblock" : "/customer/block", {
                        user_ids: [c.user_id],
                      }),
                    )
                  }
                >
                  {c.blocked ? "Unblock" : "Block"}
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    if (confirm(`Delete customer ${c.user_id}?`))
                      void act(`Deleted ${c.user_id}`, () =>
                        api("POST", "/end_user/delete", { user_ids: [c.user_id] }),
                      );
                  }}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
