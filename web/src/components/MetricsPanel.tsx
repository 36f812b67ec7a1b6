/** Risk and return over the window: the strategy against its benchmark. */
import { useEffect } from "react";

import { formatNumber, formatPercent, tone } from "../styles/tokens";
import { usePerformance } from "../store/react";
import type { MetricsData } from "../store/widgets";
import { useSelectedSeries } from "./useSelection";

type Row = [label: string, value: (m: MetricsData) => number | null | undefined, kind: "pct" | "pct-toned" | "num"];

const ROWS: Row[] = [
  ["Strategy return", (m) => m.comparison?.strategyReturn, "pct-toned"],
  ["Benchmark return", (m) => m.comparison?.benchmarkReturn, "pct-toned"],
  ["Excess return", (m) => m.comparison?.excessReturn, "pct-toned"],
  ["CAGR", (m) => m.metrics.cagr, "pct-toned"],
  ["Volatility", (m) => m.metrics.volatility, "pct"],
  ["Sharpe", (m) => m.metrics.sharpe, "num"],
  ["Sortino", (m) => m.metrics.sortino, "num"],
  ["Max drawdown", (m) => m.metrics.maxDrawdown, "pct-toned"],
  ["Alpha", (m) => m.comparison?.alpha, "pct-toned"],
  ["Beta", (m) => m.comparison?.beta, "num"],
  ["Correlation", (m) => m.comparison?.correlation, "num"],
  ["Tracking error", (m) => m.comparison?.trackingError, "pct"],
  ["Information ratio", (m) => m.comparison?.informationRatio, "num"],
  ["Up capture", (m) => m.comparison?.upCapture, "num"],
  ["Down capture", (m) => m.comparison?.downCapture, "num"],
];

function Value({ value, kind }: { value: number | null | undefined; kind: Row[2] }) {
  if (kind === "num") return <span className="num">{formatNumber(value)}</span>;
  const cls = kind === "pct-toned" ? `pct ${tone(value)}` : "pct";
  return <span className={cls}>{formatPercent(value, { signed: kind === "pct-toned" })}</span>;
}

export function MetricsPanel() {
  const { id, window, entry } = useSelectedSeries();
  const key = id ? `${id}|${window}` : "";
  const remote = usePerformance((s) => s.metrics[key]);
  const load = usePerformance((s) => s.loadMetrics);
  const seq = entry?.status === "ready" ? entry.seq : null;
  useEffect(() => {
    // Metrics follow the data: a new point (a new sequence number) recomputes them.
    if (id && seq !== null && remote?.seq !== seq && remote?.status !== "unsupported") void load(id, window, seq);
  }, [id, window, seq, remote?.seq, remote?.status, load]);

  let body;
  if (!remote || remote.status === "loading") body = <p className="panel-note">Loading metrics…</p>;
  else if (remote.status === "unsupported") body = <p className="panel-note">This server does not compute metrics yet.</p>;
  else if (remote.status === "error") body = <p className="panel-note">Metrics could not be loaded.</p>;
  else {
    const m = remote.data;
    body = (
      <dl className="metrics" data-testid="metrics">
        {ROWS.map(([label, value, kind]) => (
          <div key={label} className="metric"><dt>{label}</dt><dd><Value value={value(m)} kind={kind} /></dd></div>
        ))}
      </dl>
    );
  }
  return (
    <section className="panel" aria-label="Metrics">
      <header className="panel-head"><h2>Metrics</h2></header>
      {body}
    </section>
  );
}
