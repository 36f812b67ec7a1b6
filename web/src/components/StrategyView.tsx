/** The selected strategy: window, exports, comparison, metrics and drawdowns. */
import type { WindowPreset } from "../api/operations";
import { usePerformance } from "../store/react";
import { ComparisonChart } from "./ComparisonChart";
import { DrawdownChart } from "./DrawdownChart";
import { ExportButtons } from "./ExportButtons";
import { MetricsPanel } from "./MetricsPanel";

const WINDOWS: [WindowPreset, string][] = [
  ["YTD", "YTD"],
  ["ONE_YEAR", "1Y"],
  ["THREE_YEARS", "3Y"],
  ["FIVE_YEARS", "5Y"],
  ["TEN_YEARS", "10Y"],
  ["MAX", "Max"],
];

function WindowPicker() {
  const window = usePerformance((s) => s.window);
  const setWindow = usePerformance((s) => s.setWindow);
  return (
    <div className="segmented" role="group" aria-label="Window">
      {WINDOWS.map(([preset, label]) => (
        <button key={preset} type="button" aria-pressed={preset === window} onClick={() => void setWindow(preset)}>
          {label}
        </button>
      ))}
    </div>
  );
}

export function StrategyView() {
  const id = usePerformance((s) => s.selectedId);
  const strategy = usePerformance((s) => (id ? s.strategies[id] : undefined));
  if (!strategy) return <p className="panel-note tall">Choose a strategy.</p>;
  return (
    <main className="content">
      <div className="content-head">
        <div>
          <h1 data-testid="strategy-title">{strategy.name}</h1>
          <p className="subtle">{strategy.slug}{strategy.benchmarkSymbol ? ` · against ${strategy.benchmarkSymbol}` : ""}</p>
        </div>
        <div className="toolbar"><WindowPicker /><ExportButtons /></div>
      </div>
      <ComparisonChart />
      <div className="row">
        <MetricsPanel />
        <DrawdownChart />
      </div>
    </main>
  );
}
