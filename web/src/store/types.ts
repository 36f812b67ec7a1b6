import type { Interval, WindowPreset } from "../api/operations";
import type { LivePoint, StrategyColumns } from "./series";

/** A committed change to a strategy's series, as the live subscription delivers it. */
export interface PerformanceEvent {
  strategyId: string;
  /** Per-strategy sequence number: consecutive, so a jump is a gap. */
  seq: number;
  kind: "INSERT" | "REVISION";
  point: LivePoint;
}

export interface StrategySummary {
  id: string;
  slug: string;
  name: string;
  benchmarkSymbol: string | null;
  /** Whose ticks move the benchmark: itself, or a blend's components (blends have none). */
  benchmarkSources: string[];
  lastSeq: number;
  latest: { timestamp: number; value: number; return: number | null; seq: number } | null;
}

export type SeriesStatus = "loading" | "ready" | "resyncing" | "missing" | "error";

export interface SeriesEntry {
  key: string;
  strategyId: string;
  window: WindowPreset;
  interval: Interval;
  status: SeriesStatus;
  /** Sequence number of the last change the columns include. */
  seq: number;
  columns: StrategyColumns | null;
  benchmark: { symbol: string; name: string } | null;
  /** Events that arrived while a fetch was in flight, applied after it by sequence number. */
  pending: PerformanceEvent[];
  error: string | null;
}

/** Something fetched for one component; `unsupported` when the server lacks the feature. */
export type Remote<T> =
  | { status: "loading" }
  | { status: "ready"; data: T }
  | { status: "unsupported"; message: string }
  | { status: "error"; message: string };

export type LiveMode = "off" | "connecting" | "live" | "polling";

export function seriesKey(strategyId: string, window: WindowPreset, interval: Interval): string {
  return `${strategyId}|${window}|${interval}`;
}

export function benchmarkKey(symbol: string, window: WindowPreset, interval: Interval): string {
  return `${symbol}|${window}|${interval}`;
}

/** Long windows are drawn from weekly buckets: a chart has no use for 8,000 daily points. */
export function intervalFor(window: WindowPreset): Interval {
  return window === "TEN_YEARS" || window === "MAX" ? "WEEK" : "DAY";
}
