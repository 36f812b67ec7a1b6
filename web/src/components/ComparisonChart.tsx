/** The strategy against its benchmark, both rebased to 100, with the relative line below. */
import { useMemo } from "react";

import { formatNumber, formatPercent, tokens, tone } from "../styles/tokens";
import { rebasedComparison, type Line } from "../store/series";
import { LineChart } from "./LineChart";
import { useSelectedSeries } from "./useSelection";

function change(line: Line): number | null {
  const last = line.values[line.values.length - 1];
  return last === undefined ? null : last / 100 - 1;
}

function Stat({ id, label, value, color }: { id: string; label: string; value: number | null; color: string }) {
  return (
    <div className="legend-item" data-testid={`legend-${id}`}>
      <i style={{ background: color }} />
      <span>{label}</span>
      <b className={`pct ${tone(value)}`}>{formatPercent(value)}</b>
    </div>
  );
}

export function ComparisonChart() {
  const { entry, benchmark } = useSelectedSeries();
  const lines = useMemo(
    () => (entry?.columns && benchmark ? rebasedComparison(entry.columns, benchmark) : null),
    [entry?.columns, benchmark],
  );
  if (!entry || entry.status === "loading") return <div className="panel-note tall">Loading series…</div>;
  if (entry.status === "error") return <div className="panel-note tall">The series could not be loaded.</div>;
  if (!lines || !entry.benchmark) return <div className="panel-note tall">This strategy has no benchmark.</div>;
  const { strategy, benchmark: bench, relative } = lines;
  const excess = change(relative);
  return (
    <section className="panel" aria-label="Strategy against benchmark">
      <header className="panel-head">
        <h2>Growth of 100 against {entry.benchmark.name}</h2>
        <div className="legend">
          <Stat id="strategy" label="Strategy" value={change(strategy)} color={tokens.color.strategy} />
          <Stat id="benchmark" label={entry.benchmark.symbol} value={change(bench)} color={tokens.color.benchmark} />
          <Stat id="relative" label="Relative" value={excess} color={tokens.color.relative} />
        </div>
      </header>
      <LineChart
        testId="comparison-chart"
        label="Strategy and benchmark rebased to 100"
        height={260}
        baseline={100}
        format={(v) => formatNumber(v, 0)}
        lines={[
          { id: "benchmark", label: entry.benchmark.symbol, color: tokens.color.benchmark, ...timeValues(bench) },
          { id: "strategy", label: "Strategy", color: tokens.color.strategy, width: 2, ...timeValues(strategy) },
        ]}
      />
      <div className="chart-caption">Relative line: strategy ÷ {entry.benchmark.symbol} × 100; rising when the strategy leads</div>
      <LineChart
        testId="relative-chart"
        label="Relative line: strategy over benchmark, 100 at the start"
        height={110}
        baseline={100}
        format={(v) => formatNumber(v, 0)}
        lines={[{ id: "relative", label: "Relative", color: tokens.color.relative, ...timeValues(relative) }]}
      />
    </section>
  );
}

function timeValues(line: Line) {
  return { timestamps: line.timestamps, values: line.values };
}
