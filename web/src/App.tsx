import { Header } from "./components/Header";
import { StrategyList } from "./components/StrategyList";
import { StrategyView } from "./components/StrategyView";

export function App() {
  return (
    <div className="app">
      <Header />
      <div className="layout">
        <aside className="sidebar"><StrategyList /></aside>
        <StrategyView />
      </div>
    </div>
  );
}
