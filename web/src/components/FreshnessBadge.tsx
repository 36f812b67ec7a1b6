/** How current a benchmark's data is, judged by the server on the exchange's calendar. */
import { useEffect } from "react";

import { usePerformance } from "../store/react";
import { formatDate } from "./chartScale";

function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

export function FreshnessBadge({ symbol }: { symbol: string }) {
  const remote = usePerformance((s) => s.freshness[symbol]);
  const load = usePerformance((s) => s.loadFreshness);
  useEffect(() => {
    void load(symbol);
  }, [symbol, load]);

  if (!remote || remote.status === "loading") return <span className="badge">{symbol} …</span>;
  if (remote.status !== "ready") {
    return <span className="badge" title={remote.message} data-testid="freshness-badge">{symbol} freshness unknown</span>;
  }
  const f = remote.data;
  const asOf = f.asOf ? formatDate(Date.parse(f.asOf)) : "no data";
  const state = f.isStale ? "stale" : "fresh";
  const title = [
    `${f.name}: data as of ${asOf}`,
    f.latencySeconds != null ? `latency ${age(f.latencySeconds)}` : null,
    f.expectedNextAt ? `next expected ${new Date(f.expectedNextAt).toUTCString()}` : null,
  ].filter(Boolean).join(" · ");
  return (
    <span className={`badge ${state}`} title={title} data-testid="freshness-badge" data-state={state}>
      <i className="dot" />
      {symbol} {state} · as of <span className="num">{asOf}</span>
    </span>
  );
}
