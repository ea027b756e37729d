import { render } from "preact";
import { useState } from "preact/hooks";
import { loggedIn, setKey } from "./api.js";
import "./styles.css";
import { Customers } from "./views/customers.js";
import { Deployments } from "./views/deployments.js";
import { Explain } from "./views/explain.js";
import { Keys } from "./views/keys.js";
import { Login } from "./views/login.js";
import { Residency } from "./views/residency.js";
import { Traffic } from "./views/traffic.js";

const VIEWS = {
  traffic: { title: "Traffic", view: Traffic },
  deployments: { title: "Deployments", view: Deployments },
  customers: { title: "Customers", view: Customers },
  keys: { title: "Keys and teams", view: Keys },
  residency: { title: "Residency report", view: Residency },
  explain: { title: "Where would this go?", view: Explain },
} as const;
type ViewName = keyof typeof VIEWS;

function App() {
  const [inside, setInside] = useState(loggedIn());
  const [view, setView] = useState<ViewName>(
    (Object.keys(VIEWS) as ViewName[]).find((v) => location.hash === `#${v}`) ?? "traffic",
  );
  if (!inside) return <Login onIn={() => setInside(true)} />;
  const View = VIEWS[view].view;
  return (
    <>
      <header>
        <span class="brand">Meridian</span>
        <nav aria-label="Views">
          {(Object.keys(VIEWS) as ViewName[]).map((v) => (
            <a href={`#${v}`} aria-current={v === view ? "page" : undefined} onClick={() => setView(v)}>
              {VIEWS[v].title}
            </a>
          ))}
        </nav>
        <button
          type="button"
          class="link"
          onClick={() => {
            setKey(undefined);
            setInside(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main>
        <View />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
