/** Risk and return over the window: the strategy beside its benchmark, then relative figures. */
import { useEffect } from "react";

import type { SeriesMetrics } from "../api/operations";
import { formatNumber, formatPercent, tone } from "../styles/tokens";
import { usePerformance } from "../store/react";
import type { MetricsData } from "../store/widgets";
import { useSelectedSeries } from "./useSelection";

type Kind = "pct" | "pct-toned" | "num";

const SIDE_BY_SIDE: [string, keyof SeriesMetrics, Kind][] = [
  ["Total return", "totalReturn", "pct-toned"],
  ["CAGR", "cagr", "pct-toned"],
  ["Volatility (ann.)", "annualVolatility", "pct"],
  ["Sharpe", "sharpe", "num"],
  ["Sortino", "sortino", "num"],
  ["Max drawdown", "maxDrawdown", "pct-toned"],
  ["Calmar", "calmar", "num"],
  ["Win rate", "winRate", "pct"],
];

const RELATIVE: [string, keyof MetricsData["comparison"], Kind][] = [
  ["Excess return", "excessReturn", "pct-toned"],
  ["Alpha (ann.)", "alpha", "pct-toned"],
  ["Beta", "beta", "num"],
  ["Correlation", "correlation", "num"],
  ["Tracking error", "trackingError", "pct"],
  ["Information ratio", "informationRatio", "num"],
  ["Up capture", "upCapture", "num"],
  ["Down capture", "downCapture", "num"],
];

function Value({ value, kind }: { value: number | null | undefined; kind: Kind }) {
  if (kind === "num") return <span className="num">{formatNumber(value)}</span>;
  const cls = kind === "pct-toned" ? `pct ${tone(value)}` : "pct";
  return <span className={cls}>{formatPercent(value, { signed: kind === "pct-toned" })}</span>;
}

function Table({ m }: { m: MetricsData }) {
  const bench = m.metrics.benchmark;
  return (
    <table className="metrics" data-testid="metrics">
      <thead>
        <tr><th /><th>Strategy</th><th>{bench?.benchmark.label ?? "Benchmark"}</th></tr>
      </thead>
      <tbody>
        {SIDE_BY_SIDE.map(([label, field, kind]) => (
          <tr key={field}>
            <th scope="row">{label}</th>
            <td><Value value={m.metrics[field]} kind={kind} /></td>
            <td><Value value={bench?.metrics[field]} kind={kind} /></td>
          </tr>
        ))}
        <tr className="section"><th colSpan={3}>Against the benchmark</th></tr>
        {RELATIVE.map(([label, field, kind]) => (
          <tr key={field}>
            <th scope="row">{label}</th>
            <td colSpan={2}><Value value={m.comparison[field]} kind={kind} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MetricsPanel() {
  const { id, window, interval, entry, benchmarkVersion } = useSelectedSeries();
  const key = id ? `${id}|${window}` : "";
  const remote = usePerformance((s) => s.metrics[key]);
  const load = usePerformance((s) => s.loadMetrics);
  const seq = entry?.status === "ready" ? entry.seq : null;
  const behind = remote?.seq !== seq || remote?.benchmarkVersion !== benchmarkVersion;
  useEffect(() => {
    // Metrics follow the data: a new point (a new sequence number) or new benchmark levels
    // recompute them.
    if (id && seq !== null && behind && remote?.status !== "unsupported") {
      void load(id, window, interval, seq, benchmarkVersion);
    }
  }, [id, window, interval, seq, benchmarkVersion, behind, remote?.status, load]);

  let body;
  if (!remote || remote.status === "loading") body = <p className="panel-note">Loading metrics…</p>;
  else if (remote.status === "unsupported") body = <p className="panel-note">This server does not compute metrics yet.</p>;
  else if (remote.status === "error") body = <p className="panel-note">Metrics could not be loaded.</p>;
  else body = <Table m={remote.data} />;
  return (
    <section className="panel" aria-label="Metrics">
      <header className="panel-head"><h2>Metrics</h2><span className="subtle">{window.replace(/_/g, " ").toLowerCase()}</span></header>
      {body}
    </section>
  );
}
