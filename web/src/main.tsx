import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";
import { createApi } from "./api/client";
import { startLive } from "./store/live";
import { createPerformanceStore } from "./store/performance";
import { StoreContext } from "./store/react";
import { tokenCss } from "./styles/tokens";
import "./styles/app.css";

const style = document.createElement("style");
style.textContent = tokenCss();
document.head.prepend(style);

const api = createApi();
const store = createPerformanceStore(api);

async function start(): Promise<void> {
  await store.getState().loadStrategies();
  const first = store.getState().order[0];
  if (first) void store.getState().select(first);
  startLive(api, store, { onMode: store.getState().setLiveMode });
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App />
    </StoreContext.Provider>
  </StrictMode>,
);
void start().catch((error) => console.error("perfgraph: could not start", error));
