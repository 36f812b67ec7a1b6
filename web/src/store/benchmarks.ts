/**
 * The store's benchmark slice: benchmark series by `symbol|window|interval`, refreshed when
 * a tick says the benchmark's levels moved. A tick only names what changed; the series is
 * refetched (the window and its compounded returns are the server's to resolve), one
 * refresh in flight per benchmark and one trailing after it however many ticks arrive (its
 * freshness, when shown, is refetched with it).
 * Answers are ordered by when their fetch started, so a slow answer (a strategy's series,
 * which carries its benchmark's) never replaces a newer one.
 */
import type { StoreApi } from "zustand/vanilla";

import type { Api } from "../api/client";
import { BenchmarkSeries, type Interval, type WindowPreset } from "../api/operations";
import { coalesced } from "./coalesce";
import { benchmarkColumns, type BenchmarkColumns } from "./series";
import { benchmarkKey, type SeriesEntry, type StrategySummary } from "./types";
import type { WidgetState } from "./widgets";

export interface BenchmarkTarget {
  key: string;
  symbol: string;
  window: WindowPreset;
  interval: Interval;
}

export interface BenchmarkEntry extends BenchmarkTarget {
  columns: BenchmarkColumns;
  /** Goes up when the columns change: what is computed from the benchmark refetches. */
  version: number;
  /** When the fetch the columns came from started (see `fetchOrder`). */
  fetched: number;
  /** The last refresh failed; the columns are the last ones fetched. */
  error: string | null;
}

export interface BenchmarkState {
  benchmarkSeries: Record<string, BenchmarkEntry>;
  /** A level of `symbol` was committed: refresh what it moves (itself, blends of it). */
  applyTick(symbol: string): Promise<void>;
  /** Refetch the shown series of a benchmark, and its freshness if shown; coalesced per benchmark. */
  refreshBenchmark(symbol: string): Promise<void>;
}

interface Host extends BenchmarkState, Pick<WidgetState, "freshness" | "loadFreshness"> {
  series: Record<string, SeriesEntry>;
  strategies: Record<string, StrategySummary>;
}

let fetches = 0;

/** Taken as a fetch starts: the later of two overlapping fetches saw the newer data. */
export function fetchOrder(): number {
  fetches += 1;
  return fetches;
}

/** The symbols whose ticks move the listed strategies' benchmarks (a blend: its components). */
export function tickSymbols(strategies: Record<string, StrategySummary>): string[] {
  return [...new Set(Object.values(strategies).flatMap((s) => s.benchmarkSources))].sort();
}

/** The benchmarks a tick of `symbol` moves: itself, and every listed blend holding it. */
export function movedBy(strategies: Record<string, StrategySummary>, symbol: string): string[] {
  const blends = Object.values(strategies)
    .filter((s) => s.benchmarkSymbol !== null && s.benchmarkSources.includes(symbol))
    .map((s) => s.benchmarkSymbol!);
  return [...new Set([symbol, ...blends])];
}

/**
 * The series of `symbol` the dashboard holds or is loading: fetched ones, and those of
 * strategy series still in flight (a tick during their fetch may not be in their answer).
 */
export function shownSeries(state: Host, symbol: string): BenchmarkTarget[] {
  const targets = new Map<string, BenchmarkTarget>();
  for (const e of Object.values(state.benchmarkSeries)) {
    if (e.symbol === symbol) targets.set(e.key, { key: e.key, symbol, window: e.window, interval: e.interval });
  }
  for (const e of Object.values(state.series)) {
    const benchmark = e.benchmark?.symbol ?? state.strategies[e.strategyId]?.benchmarkSymbol;
    if (benchmark !== symbol || e.status === "error" || e.status === "missing") continue;
    const key = benchmarkKey(symbol, e.window, e.interval);
    targets.set(key, { key, symbol, window: e.window, interval: e.interval });
  }
  return [...targets.values()];
}

function sameColumn(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

function sameColumns(a: BenchmarkColumns, b: BenchmarkColumns): boolean {
  return sameColumn(a.timestamps, b.timestamps) && sameColumn(a.level, b.level) && sameColumn(a.cumulative, b.cumulative);
}

/**
 * The entry after an answer: null when a fetch that started later has already answered;
 * the same columns (and version) when nothing changed, so nothing redraws or refetches.
 */
export function withAnswer(
  current: BenchmarkEntry | undefined,
  target: BenchmarkTarget,
  columns: BenchmarkColumns,
  fetched: number,
): BenchmarkEntry | null {
  if (current && current.fetched > fetched) return null;
  if (current && sameColumns(current.columns, columns)) return { ...current, fetched, error: null };
  return { ...target, columns, version: (current?.version ?? 0) + 1, fetched, error: null };
}

export function putBenchmark<S extends BenchmarkState>(
  set: StoreApi<S>["setState"],
  target: BenchmarkTarget,
  columns: BenchmarkColumns,
  fetched: number,
): void {
  set((s) => {
    const next = withAnswer(s.benchmarkSeries[target.key], target, columns, fetched);
    return (next ? { benchmarkSeries: { ...s.benchmarkSeries, [target.key]: next } } : {}) as Partial<S>;
  });
}

export function benchmarkSlice<S extends Host>(
  api: Api,
  set: StoreApi<S>["setState"],
  get: StoreApi<S>["getState"],
): BenchmarkState {
  const failed = (key: string, error: unknown) =>
    set((s) => {
      const entry = s.benchmarkSeries[key];
      return (entry ? { benchmarkSeries: { ...s.benchmarkSeries, [key]: { ...entry, error: String(error) } } } : {}) as Partial<S>;
    });

  async function fetchBenchmark(target: BenchmarkTarget): Promise<void> {
    const fetched = fetchOrder();
    const variables = { symbol: target.symbol, window: { preset: target.window }, interval: target.interval };
    try {
      const benchmark = (await api.request(BenchmarkSeries, variables)).benchmark;
      if (benchmark) putBenchmark(set, target, benchmarkColumns(benchmark.series.columns), fetched);
      else failed(target.key, `unknown benchmark ${target.symbol}`);
    } catch (error) {
      failed(target.key, error);
    }
  }

  const refresh = coalesced<string>(async (symbol) => {
    const state = get();
    const freshness = state.freshness[symbol] ? [state.loadFreshness(symbol)] : [];
    await Promise.all([...shownSeries(state, symbol).map(fetchBenchmark), ...freshness]);
  });

  return {
    benchmarkSeries: {},
    async applyTick(symbol) {
      await Promise.all(movedBy(get().strategies, symbol).map(refresh));
    },
    refreshBenchmark: refresh,
  };
}
