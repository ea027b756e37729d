import { useState } from "preact/hooks";
import { api, setKey } from "../api.js";

/** Master-key login: the key is checked against an admin route, then held in memory only. */
export function Login({ onIn }: { onIn: () => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setKey(value.trim());
    try {
      await api("GET", "/meridian/overview");
      onIn();
    } catch (err) {
      setKey(undefined);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <h1>Meridian</h1>
      <p class="muted">Data residency you can prove. Sign in with the gateway's master key.</p>
      <form onSubmit={submit}>
        <label for="master-key">Master key</label>
        <input
          id="master-key"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
      <p class="muted small">
        The key stays in this tab's memory: reloading or closing the tab signs you out.
      </p>
    </main>
  );
}
