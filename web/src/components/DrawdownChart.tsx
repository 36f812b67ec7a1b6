/** The strategy's drawdown from its running peak (underwater chart). */
import { formatPercent, tokens } from "../styles/tokens";
import { LineChart } from "./LineChart";
import { useSelectedSeries } from "./useSelection";

export function DrawdownChart() {
  const { entry } = useSelectedSeries();
  const columns = entry?.columns;
  if (!columns) return null;
  const worst = columns.drawdown.reduce((m, v) => (Number.isFinite(v) ? Math.min(m, v) : m), 0);
  const current = columns.drawdown[columns.drawdown.length - 1] ?? null;
  return (
    <section className="panel" aria-label="Drawdown">
      <header className="panel-head">
        <h2>Drawdown</h2>
        <div className="legend">
          <div className="legend-item"><span>Current</span><b className="pct loss">{formatPercent(current)}</b></div>
          <div className="legend-item"><span>Deepest in window</span><b className="pct loss">{formatPercent(worst)}</b></div>
        </div>
      </header>
      <LineChart
        testId="drawdown-chart"
        label="Drawdown from the running peak"
        height={150}
        baseline={0}
        format={(v) => formatPercent(v, { decimals: 0, signed: false })}
        lines={[{ id: "drawdown", label: "Drawdown", color: tokens.color.loss, area: true, width: 1.2,
          timestamps: columns.timestamps, values: columns.drawdown }]}
      />
    </section>
  );
}
