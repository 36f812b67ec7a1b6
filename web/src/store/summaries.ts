/** The strategy list's entries, kept current by live events between list fetches. */
import type { StrategyListItem } from "../api/operations";
import type { PerformanceEvent, StrategySummary } from "./types";

function sourcesOf(benchmark: StrategyListItem["benchmark"]): string[] {
  if (!benchmark) return [];
  return benchmark.components.length ? benchmark.components.map((c) => c.symbol) : [benchmark.symbol];
}

export function summaryFrom(item: StrategyListItem): StrategySummary {
  return {
    id: item.id,
    slug: item.slug,
    name: item.name,
    benchmarkSymbol: item.benchmark?.symbol ?? null,
    benchmarkSources: sourcesOf(item.benchmark),
    lastSeq: item.lastSeq,
    latest: item.latest
      ? { ...item.latest, timestamp: Date.parse(item.latest.timestamp) }
      : null,
  };
}

/**
 * The summary after an event: unchanged for a duplicate, updated for the next sequence
 * number, or "refetch" when only the server can tell (a gap, a revision of the newest point).
 */
export function summaryWithEvent(
  s: StrategySummary,
  e: PerformanceEvent,
): StrategySummary | "refetch" {
  if (e.seq <= s.lastSeq) return s;
  if (e.seq !== s.lastSeq + 1) return "refetch";
  const latest = s.latest;
  if (latest && e.point.timestamp < latest.timestamp) return { ...s, lastSeq: e.seq };
  if (!latest || e.point.timestamp > latest.timestamp) {
    const ret = latest ? (e.point.nav - e.point.cashFlow) / latest.value - 1 : null;
    const next = { timestamp: e.point.timestamp, value: e.point.nav, return: ret, seq: e.seq };
    return { ...s, lastSeq: e.seq, latest: next };
  }
  return "refetch";
}
