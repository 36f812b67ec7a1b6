/**
 * Normalised series: columnar arrays (timestamps as epoch milliseconds), patched in place of
 * a refetch when a live point extends them, and aligned for the comparison chart.
 */
import type { BenchmarkColumnsData, Interval, PerformanceColumnsData, WindowPreset } from "../api/operations";

export interface StrategyColumns {
  timestamps: number[];
  nav: number[];
  /** Compounded time-weighted return since the level before the window's first point. */
  cumulative: number[];
  drawdown: number[];
}

export interface BenchmarkColumns {
  timestamps: number[];
  level: number[];
  cumulative: number[];
}

export interface LivePoint {
  timestamp: number;
  nav: number;
  cashFlow: number;
}

const DAY_MS = 86_400_000;

function numbers(column: (number | null)[]): number[] {
  return column.map((v) => (v == null ? Number.NaN : v));
}

export function strategyColumns(raw: PerformanceColumnsData): StrategyColumns {
  return {
    timestamps: raw.timestamps.map((t) => Date.parse(t)),
    nav: numbers(raw.nav),
    cumulative: numbers(raw.cumulativeReturn),
    drawdown: numbers(raw.drawdown),
  };
}

export function benchmarkColumns(raw: BenchmarkColumnsData): BenchmarkColumns {
  return {
    timestamps: raw.timestamps.map((t) => Date.parse(t)),
    level: numbers(raw.level),
    cumulative: numbers(raw.cumulativeReturn),
  };
}

/** The start of the bucket holding `ts`, or null where the client cannot tell (weeks, months). */
export function bucketStart(ts: number, interval: Interval): number | null {
  if (interval === "RAW") return ts;
  if (interval === "DAY") return Math.floor(ts / DAY_MS) * DAY_MS;
  return null;
}

function withPoint(s: StrategyColumns, at: number, bucket: number, p: LivePoint): StrategyColumns {
  // The bucket's return compounds from the previous bucket's NAV, net of the external flow.
  const prevNav = at > 0 ? s.nav[at - 1]! : Number.NaN;
  const prevWealth = at > 0 ? 1 + s.cumulative[at - 1]! : 1;
  const wealth = Number.isFinite(prevNav) ? prevWealth * ((p.nav - p.cashFlow) / prevNav) : 1;
  let peak = 1;
  for (let i = 0; i < at; i += 1) peak = Math.max(peak, 1 + s.cumulative[i]!);
  peak = Math.max(peak, wealth);
  return {
    timestamps: [...s.timestamps.slice(0, at), bucket],
    nav: [...s.nav.slice(0, at), p.nav],
    cumulative: [...s.cumulative.slice(0, at), wealth - 1],
    drawdown: [...s.drawdown.slice(0, at), wealth / peak - 1],
  };
}

/**
 * The series with a live point applied, or null when only a refetch can tell the result:
 * a point before the last bucket (a late row), or an interval whose buckets the client does
 * not compute. A point in the last bucket replaces it (each bucket keeps its last value).
 */
export function applyPoint(
  series: StrategyColumns,
  point: LivePoint,
  interval: Interval,
): StrategyColumns | null {
  const bucket = bucketStart(point.timestamp, interval);
  if (bucket === null) return null;
  const n = series.timestamps.length;
  const last = n > 0 ? series.timestamps[n - 1]! : Number.NEGATIVE_INFINITY;
  if (bucket > last) return withPoint(series, n, bucket, point);
  if (bucket === last && interval !== "RAW") return withPoint(series, n - 1, bucket, point);
  return null;
}

export interface Line {
  timestamps: number[];
  values: number[];
}

const TRAILING_MONTHS: Partial<Record<WindowPreset, number>> = {
  ONE_MONTH: 1, THREE_MONTHS: 3, SIX_MONTHS: 6, ONE_YEAR: 12, THREE_YEARS: 36, FIVE_YEARS: 60, TEN_YEARS: 120,
};

function monthsBack(t: number, months: number): number {
  // Calendar months, the day clamped to the month's length (as pandas' DateOffset does).
  const d = new Date(t);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - months, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return t - d.getTime() + Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d.getUTCDate(), last),
    d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** The first timestamp a preset window ending at `asOf` holds, as the API resolves it. */
export function windowStart(window: WindowPreset, asOf: number): { from: number; inclusive: boolean } | null {
  const months = TRAILING_MONTHS[window];
  if (months !== undefined) return { from: monthsBack(asOf, months), inclusive: false };
  if (window === "MAX") return null;
  const d = new Date(asOf);
  const back = window === "MTD" ? 0 : window === "QTD" ? d.getUTCMonth() % 3 : d.getUTCMonth();
  return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1), inclusive: true };
}

/**
 * The series after its trailing window moved to end at `asOf`: points now outside it are
 * dropped, and the compounded returns and drawdowns restart from the level before the new
 * first point, as the API computes them for that window.
 */
export function trimToWindow(s: StrategyColumns, window: WindowPreset, asOf: number): StrategyColumns {
  const start = windowStart(window, asOf);
  if (!start) return s;
  const k = s.timestamps.findIndex((t) => (start.inclusive ? t >= start.from : t > start.from));
  if (k <= 0) return s;
  const base = 1 + s.cumulative[k - 1]!;
  const cumulative = s.cumulative.slice(k).map((c) => (1 + c) / base - 1);
  let peak = 1;
  const drawdown = cumulative.map((c) => {
    peak = Math.max(peak, 1 + c);
    return (1 + c) / peak - 1;
  });
  return { timestamps: s.timestamps.slice(k), nav: s.nav.slice(k), cumulative, drawdown };
}

export interface ComparisonLines {
  strategy: Line;
  benchmark: Line;
  /** strategy / benchmark * 100 where both have a value: above 100 the strategy is ahead. */
  relative: Line;
}

function rebased(timestamps: number[], cumulative: number[], from: number, base: number): Line {
  const line: Line = { timestamps: [], values: [] };
  timestamps.forEach((t, i) => {
    const wealth = 1 + cumulative[i]!;
    if (t < from || !Number.isFinite(wealth)) return;
    line.timestamps.push(t);
    line.values.push((100 * wealth) / base);
  });
  return line;
}

/** The compounded index just before position `i` (1 at the window's start), for rebasing. */
function levelBefore(cumulative: number[], i: number): number {
  const before = i > 0 ? 1 + cumulative[i - 1]! : 1;
  return Number.isFinite(before) ? before : 1 + cumulative[i]!;
}

/**
 * Both series rebased to 100 at the level before their first common timestamp, as the API's
 * comparison does, so the last value of each line is its return over the aligned periods.
 * Each line keeps all its own points from there (a strategy point the benchmark has not
 * priced yet still shows); the relative line exists only where both have a value, never
 * from an invented one.
 */
export function rebasedComparison(s: StrategyColumns, b: BenchmarkColumns): ComparisonLines {
  const bIndex = new Map<number, number>();
  b.timestamps.forEach((t, j) => {
    if (Number.isFinite(b.cumulative[j]!)) bIndex.set(t, j);
  });
  const first = s.timestamps.findIndex((t, i) => bIndex.has(t) && Number.isFinite(s.cumulative[i]!));
  const empty = (): Line => ({ timestamps: [], values: [] });
  if (first < 0) return { strategy: empty(), benchmark: empty(), relative: empty() };
  const from = s.timestamps[first]!;
  const strategy = rebased(s.timestamps, s.cumulative, from, levelBefore(s.cumulative, first));
  const benchmark = rebased(b.timestamps, b.cumulative, from, levelBefore(b.cumulative, bIndex.get(from)!));
  const bValue = new Map(benchmark.timestamps.map((t, k) => [t, benchmark.values[k]!]));
  const relative = empty();
  strategy.timestamps.forEach((t, k) => {
    const bv = bValue.get(t);
    if (bv === undefined) return;
    relative.timestamps.push(t);
    relative.values.push((100 * strategy.values[k]!) / bv);
  });
  return { strategy, benchmark, relative };
}
