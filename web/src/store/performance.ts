/**
 * The performance store (Zustand): strategies and series normalised by id, and live events
 * applied by sequence number. An event one past the last applied is patched in; a duplicate
 * (seq at or below it) is ignored; a gap, a revision or a point the client cannot place
 * triggers a resync: the series is refetched and events that arrived meanwhile are replayed.
 */
import { createStore, type StoreApi } from "zustand/vanilla";

import type { Api } from "../api/client";
import {
  StrategyList,
  StrategySeries,
  type StrategyListData,
  type StrategyListItem,
  type WindowPreset,
} from "../api/operations";
import { benchmarkSlice, fetchOrder, putBenchmark, type BenchmarkState } from "./benchmarks";
import { applyPoint, benchmarkColumns, strategyColumns, trimToWindow } from "./series";
import {
  benchmarkKey,
  intervalFor,
  seriesKey,
  type PerformanceEvent,
  type SeriesEntry,
  type StrategySummary,
} from "./types";
import { summaryFrom, summaryWithEvent } from "./summaries";
import { reportSlice, type ReportState } from "./reports";
import { widgetSlice, type WidgetState } from "./widgets";

export interface PerformanceState extends WidgetState, ReportState, BenchmarkState {
  strategies: Record<string, StrategySummary>;
  order: string[];
  listStatus: "idle" | "loading" | "ready" | "error";
  series: Record<string, SeriesEntry>;
  selectedId: string | null;
  window: WindowPreset;
  /** Diagnostics: how many events were applied, ignored as duplicates, and resyncs started. */
  stats: { applied: number; duplicates: number; resyncs: number };

  loadStrategies(): Promise<void>;
  select(strategyId: string): Promise<void>;
  setWindow(window: WindowPreset): Promise<void>;
  loadSeries(strategyId: string, window: WindowPreset): Promise<void>;
  resync(key: string): Promise<void>;
  applyEvent(event: PerformanceEvent): void;
}

export type PerformanceStore = StoreApi<PerformanceState>;
type Set = StoreApi<PerformanceState>["setState"];
type Get = StoreApi<PerformanceState>["getState"];

const PAGE = 100;

export function createPerformanceStore(api: Api, initialWindow: WindowPreset = "ONE_YEAR") {
  return createStore<PerformanceState>()((set, get) => {
    let listInFlight: Promise<void> | null = null;
    let listStale = false;

    async function fetchList(): Promise<void> {
      const nodes: StrategyListItem[] = [];
      let after: string | null = null;
      do {
        const page: StrategyListData["strategies"] = (await api.request(StrategyList, { first: PAGE, after })).strategies;
        nodes.push(...page.nodes);
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      set({
        strategies: Object.fromEntries(nodes.map((n) => [n.id, summaryFrom(n)])),
        order: nodes.map((n) => n.id),
        listStatus: "ready",
      });
    }

    return {
      ...widgetSlice<PerformanceState>(api, set, get),
      ...reportSlice<PerformanceState>(api, set),
      ...benchmarkSlice<PerformanceState>(api, set, get),
      strategies: {},
      order: [],
      listStatus: "idle",
      series: {},
      selectedId: null,
      window: initialWindow,
      stats: { applied: 0, duplicates: 0, resyncs: 0 },

      async loadStrategies() {
        // Coalesce: a request made while one is in flight runs once more after it.
        if (listInFlight) {
          listStale = true;
          return listInFlight;
        }
        if (get().listStatus === "idle") set({ listStatus: "loading" });
        listInFlight = (async () => {
          do {
            listStale = false;
            try {
              await fetchList();
            } catch (error) {
              set({ listStatus: "error" });
              throw error;
            }
          } while (listStale);
        })().finally(() => {
          listInFlight = null;
        });
        return listInFlight;
      },

      async select(strategyId) {
        set({ selectedId: strategyId });
        await get().loadSeries(strategyId, get().window);
      },

      async setWindow(window) {
        set({ window });
        const id = get().selectedId;
        if (id) await get().loadSeries(id, window);
      },

      async loadSeries(strategyId, window) {
        const interval = intervalFor(window);
        const key = seriesKey(strategyId, window, interval);
        const existing = get().series[key];
        if (existing?.status === "error") return get().resync(key);
        if (existing) return;
        const entry: SeriesEntry = {
          key,
          strategyId,
          window,
          interval,
          status: "loading",
          seq: 0,
          columns: null,
          benchmark: null,
          pending: [],
          error: null,
        };
        set((s) => ({ series: { ...s.series, [key]: entry } }));
        await fetchSeries(api, set, get, key);
      },

      async resync(key) {
        const entry = get().series[key];
        if (!entry || entry.status === "loading" || entry.status === "resyncing") return;
        patch(set, key, { status: "resyncing" });
        set((s) => ({ stats: { ...s.stats, resyncs: s.stats.resyncs + 1 } }));
        await fetchSeries(api, set, get, key);
      },

      applyEvent(event) {
        const summary = get().strategies[event.strategyId];
        if (summary) {
          const next = summaryWithEvent(summary, event);
          if (next === "refetch") void get().loadStrategies().catch(() => undefined);
          else if (next !== summary) set((s) => ({ strategies: { ...s.strategies, [next.id]: next } }));
        }
        for (const entry of Object.values(get().series)) {
          if (entry.strategyId === event.strategyId) handleEvent(set, get, entry.key, event);
        }
      },
    };
  });
}

function patch(set: Set, key: string, changes: Partial<SeriesEntry>): void {
  set((s) => {
    const entry = s.series[key];
    return entry ? { series: { ...s.series, [key]: { ...entry, ...changes } } } : {};
  });
}

function count(set: Set, stat: "applied" | "duplicates"): void {
  set((s) => ({ stats: { ...s.stats, [stat]: s.stats[stat] + 1 } }));
}

/** One event against one series entry: apply, ignore, buffer, or resync. */
function handleEvent(set: Set, get: Get, key: string, event: PerformanceEvent): void {
  const entry = get().series[key];
  if (!entry) return;
  if (entry.status === "loading" || entry.status === "resyncing") {
    patch(set, key, { pending: [...entry.pending, event] });
    return;
  }
  if (event.seq <= entry.seq) return count(set, "duplicates");
  const patched =
    event.seq === entry.seq + 1 && event.kind === "INSERT" && entry.columns
      ? applyPoint(entry.columns, event.point, entry.interval)
      : null;
  // A trailing window ends at the newest point: it moves, and may drop the oldest points.
  const next = patched && trimToWindow(patched, entry.window, event.point.timestamp);
  if (next === null) {
    // A gap, a revision, or a point the client cannot place: the server knows; ask it.
    patch(set, key, { pending: [...entry.pending, event] });
    void get().resync(key);
    return;
  }
  patch(set, key, { columns: next, seq: event.seq });
  count(set, "applied");
}

async function fetchSeries(api: Api, set: Set, get: Get, key: string): Promise<void> {
  const entry = get().series[key]!;
  const { strategyId, window, interval } = entry;
  const fetched = fetchOrder();
  let data;
  try {
    data = await api.request(StrategySeries, { id: strategyId, window: { preset: window }, interval });
  } catch (error) {
    patch(set, key, { status: "error", error: String(error), pending: [] });
    return;
  }
  const strategy = data.strategy;
  if (!strategy) {
    patch(set, key, { status: "missing", pending: [] });
    return;
  }
  const bench = strategy.benchmark;
  if (bench) {
    const target = { key: benchmarkKey(bench.symbol, window, interval), symbol: bench.symbol, window, interval };
    putBenchmark(set, target, benchmarkColumns(bench.series.columns), fetched);
  }
  const pending = [...(get().series[key]?.pending ?? [])].sort((a, b) => a.seq - b.seq);
  patch(set, key, {
    status: "ready",
    seq: strategy.lastSeq,
    columns: strategyColumns(strategy.performance.columns),
    benchmark: bench ? { symbol: bench.symbol, name: bench.name } : null,
    pending: [],
    error: null,
  });
  for (const event of pending) handleEvent(set, get, key, event);
}
