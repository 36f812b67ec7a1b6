/**
 * Keeps the store current: a graphql-transport-ws subscription to the listed strategies'
 * changes, or, against a server without subscriptions, a poll of the strategies' sequence
 * numbers. Either way a change the store cannot patch in becomes a resync of the series.
 * Beside it, on the same connection, a subscription to the ticks of the listed strategies'
 * benchmarks: a tick refreshes the benchmark's series (coalesced per benchmark).
 */
import type { Api } from "../api/client";
import { BenchmarkTicks, PerformanceUpdates, type PerformanceUpdateData } from "../api/operations";
import { tickSymbols } from "./benchmarks";
import type { PerformanceStore } from "./performance";
import type { LiveMode, PerformanceEvent } from "./types";

export interface LiveOptions {
  pollMs?: number;
  onMode?: (mode: LiveMode) => void;
}

export function toEvent(data: PerformanceUpdateData): PerformanceEvent {
  const e = data.performance;
  return {
    strategyId: String(e.strategyId),
    seq: e.seq,
    kind: e.kind,
    point: { timestamp: Date.parse(e.point.timestamp), nav: e.point.nav, cashFlow: e.point.cashFlow },
  };
}

/** Resync every loaded series whose strategy has moved past what the series holds. */
export async function resyncBehind(store: PerformanceStore): Promise<void> {
  await store.getState().loadStrategies();
  const { strategies, series, resync } = store.getState();
  await Promise.all(
    Object.values(series)
      .filter((e) => e.status === "ready" && (strategies[e.strategyId]?.lastSeq ?? 0) > e.seq)
      .map((e) => resync(e.key)),
  );
}

/** Refresh every benchmark series the store holds (after ticks may have been missed). */
export async function refreshBenchmarks(store: PerformanceStore): Promise<void> {
  const { benchmarkSeries, refreshBenchmark } = store.getState();
  const symbols = new Set(Object.values(benchmarkSeries).map((e) => e.symbol));
  await Promise.all([...symbols].map(refreshBenchmark));
}

/**
 * Follow the ticks of the listed strategies' benchmarks; a server without the subscription,
 * or one that ends it, is followed by refreshing the benchmark series every `pollMs`.
 */
function followBenchmarks(api: Api, store: PerformanceStore, pollMs: number): () => void {
  const symbols = tickSymbols(store.getState().strategies);
  if (!symbols.length) return () => undefined;
  let timer: ReturnType<typeof setInterval> | null = null;
  const poll = () => {
    timer ??= setInterval(() => void refreshBenchmarks(store), pollMs);
  };
  const unsubscribe = api.subscribe(BenchmarkTicks, { symbols }, {
    next: (data) => void store.getState().applyTick(data.benchmarkTicks.symbol),
    error: () => poll(),
    complete: () => poll(),
  });
  // Ticks committed while the socket was down were not delivered: refetch what is shown.
  const offConnected = api.onConnected((again) => {
    if (again) void refreshBenchmarks(store);
  });
  return () => {
    unsubscribe();
    offConnected();
    if (timer) clearInterval(timer);
  };
}

/** Start following changes; returns a function that stops. */
export function startLive(api: Api, store: PerformanceStore, options: LiveOptions = {}): () => void {
  const { pollMs = 3000, onMode = () => undefined } = options;
  let timer: ReturnType<typeof setInterval> | null = null;
  let unsubscribe: (() => void) | null = null;

  const poll = () => {
    onMode("polling");
    timer ??= setInterval(() => void resyncBehind(store).catch(() => undefined), pollMs);
  };
  const strategyIds = store.getState().order;
  onMode("connecting");
  unsubscribe = api.subscribe(PerformanceUpdates, { strategyIds }, {
    next: (data) => {
      onMode("live");
      store.getState().applyEvent(toEvent(data));
    },
    // A server without the subscription, or one that ends it: follow by polling instead.
    error: () => poll(),
    complete: () => poll(),
  });
  const offConnected = api.onConnected((again) => {
    if (timer === null) onMode("live");
    // Changes committed while the socket was down were not delivered: catch up from the API.
    if (again) void resyncBehind(store).catch(() => undefined);
  });
  const stopBenchmarks = followBenchmarks(api, store, pollMs);

  return () => {
    unsubscribe?.();
    offConnected();
    stopBenchmarks();
    if (timer) clearInterval(timer);
  };
}
