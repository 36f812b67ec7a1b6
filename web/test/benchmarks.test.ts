import { afterEach, describe, expect, it, vi } from "vitest";

import type { StrategyListItem } from "../src/api/operations";
import { startLive } from "../src/store/live";
import { createPerformanceStore, type PerformanceStore } from "../src/store/performance";
import { rebasedComparison } from "../src/store/series";
import { seriesKey } from "../src/store/types";
import { DAY, T0, benchmarkAnswer, event, listItem, seriesAnswer } from "./fixtures";
import { deferred, scriptedApi, unsupported, type ScriptedApi } from "./scriptedApi";

const KEY = seriesKey("1", "ONE_YEAR", "DAY");
const SPX = "SPX|ONE_YEAR|DAY";
const LEVELS = [4000, 4040, 4080, 4100];

function list(api: ScriptedApi, items: StrategyListItem[]) {
  api.on("StrategyList", () => ({ strategies: { nodes: items, pageInfo: { hasNextPage: false, endCursor: null } } }));
}

async function following(items = [listItem("1", 10), listItem("2", 4)]) {
  const api = scriptedApi();
  list(api, items);
  api.on("StrategySeries", () => seriesAnswer(10));
  api.on("BenchmarkSeries", () => benchmarkAnswer(LEVELS));
  const store = createPerformanceStore(api);
  await store.getState().loadStrategies();
  await store.getState().select("1");
  const stop = startLive(api, store, { pollMs: 1000 });
  const tick = (symbol: string) => api.sink("BenchmarkTicks").next({ benchmarkTicks: { symbol } });
  return { api, store, stop, tick };
}

const levels = (store: PerformanceStore, key = SPX) => store.getState().benchmarkSeries[key]!.columns.level;
const refreshes = (api: ScriptedApi) => api.calls.filter((c) => c.name === "BenchmarkSeries");
const settled = () => new Promise((ok) => setTimeout(ok, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe("benchmark ticks", () => {
  it("subscribe once to the listed strategies' benchmarks, beside the performance subscription", async () => {
    const { api, stop } = await following([listItem("1", 10), listItem("2", 4), { ...listItem("3", 1), benchmark: null }]);
    expect(api.calls.filter((c) => c.name === "BenchmarkTicks")).toEqual([
      { name: "BenchmarkTicks", variables: { symbols: ["SPX"] } },
    ]);
    expect(api.calls.some((c) => c.name === "PerformanceUpdates")).toBe(true);
    stop();
  });

  it("move the comparison: the benchmark's series is refetched and the relative line extends", async () => {
    const { api, store, stop, tick } = await following();
    store.getState().applyEvent(event(11, 4, 108.9)); // the strategy is a day ahead of the benchmark
    const comparison = () => rebasedComparison(store.getState().series[KEY]!.columns!, store.getState().benchmarkSeries[SPX]!.columns);
    expect(comparison().relative.timestamps.at(-1)).toBe(T0 + 2 * DAY);
    const version = store.getState().benchmarkSeries[SPX]!.version;

    api.on("BenchmarkSeries", () => benchmarkAnswer([...LEVELS, 4141]));
    tick("SPX");
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4141]));
    expect(refreshes(api).map((c) => c.variables)).toEqual([
      { symbol: "SPX", window: { preset: "ONE_YEAR" }, interval: "DAY" },
    ]);
    expect(comparison().relative.timestamps.at(-1)).toBe(T0 + 4 * DAY);
    expect(comparison().benchmark.values.at(-1)! / 100 - 1).toBeCloseTo(4141 / 4000 - 1, 12);
    expect(store.getState().benchmarkSeries[SPX]!.version).toBe(version + 1);
    stop();
  });

  it("leave the series and its version alone when the refetch finds nothing new", async () => {
    const { api, store, stop, tick } = await following();
    const before = store.getState().benchmarkSeries[SPX]!;
    tick("SPX");
    await vi.waitFor(() => expect(refreshes(api)).toHaveLength(1));
    await settled();
    expect(store.getState().benchmarkSeries[SPX]!.columns).toBe(before.columns);
    expect(store.getState().benchmarkSeries[SPX]!.version).toBe(before.version);
    stop();
  });

  it("refresh the benchmark's freshness when it is shown, the previous state kept meanwhile", async () => {
    const { api, store, stop, tick } = await following();
    const freshness = (asOf: string) => ({
      benchmark: { symbol: "SPX", name: "S&P 500", freshness: { asOf, receivedAt: asOf, latencySeconds: 1, isStale: false, expectedNextAt: null } },
    });
    api.on("BenchmarkFreshness", () => freshness("2024-01-04T00:00:00Z"));
    await store.getState().loadFreshness("SPX");
    const next = deferred<unknown>();
    api.on("BenchmarkFreshness", () => next.promise);
    tick("SPX");
    await vi.waitFor(() => expect(api.calls.filter((c) => c.name === "BenchmarkFreshness")).toHaveLength(2));
    expect(store.getState().freshness.SPX).toMatchObject({ status: "ready", data: { asOf: "2024-01-04T00:00:00Z" } });
    next.resolve(freshness("2024-01-05T00:00:00Z"));
    await vi.waitFor(() => expect(store.getState().freshness.SPX).toMatchObject({ data: { asOf: "2024-01-05T00:00:00Z" } }));
    stop();
  });

  it("of a benchmark the store does not hold fetch nothing", async () => {
    const { api, stop, tick } = await following();
    tick("NDX");
    await settled();
    expect(refreshes(api)).toHaveLength(0);
    stop();
  });

  it("coalesce a burst: one refresh in flight, one trailing refresh after it", async () => {
    const { api, store, stop, tick } = await following();
    const answers = [deferred<unknown>(), deferred<unknown>(), deferred<unknown>()];
    api.on("BenchmarkSeries", () => answers[refreshes(api).length - 1]!.promise);
    for (let i = 0; i < 50; i += 1) tick("SPX");
    await settled();
    expect(refreshes(api)).toHaveLength(1);

    answers[0]!.resolve(benchmarkAnswer([...LEVELS, 4110]));
    await vi.waitFor(() => expect(refreshes(api)).toHaveLength(2));
    expect(levels(store)).toEqual([...LEVELS, 4110]); // shown while the trailing refresh runs
    for (let i = 0; i < 50; i += 1) tick("SPX");
    await settled();
    expect(refreshes(api)).toHaveLength(2);

    answers[1]!.resolve(benchmarkAnswer([...LEVELS, 4120]));
    await vi.waitFor(() => expect(refreshes(api)).toHaveLength(3));
    answers[2]!.resolve(benchmarkAnswer([...LEVELS, 4130]));
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4130]));
    await settled();
    expect(refreshes(api)).toHaveLength(3);
    stop();
  });

  it("catch up after a reconnect, when ticks may have been missed", async () => {
    const { api, store, stop } = await following();
    api.connect(false);
    await settled();
    expect(refreshes(api)).toHaveLength(0);
    api.on("BenchmarkSeries", () => benchmarkAnswer([...LEVELS, 4141]));
    api.connect(true);
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4141]));
    expect(refreshes(api)).toHaveLength(1);
    stop();
  });

  it("are replaced by a refresh every few seconds when the server has no such subscription", async () => {
    vi.useFakeTimers();
    const { api, store, stop } = await following();
    api.sink("BenchmarkTicks").error(unsupported("BenchmarkTicks", "benchmarkTicks"));
    api.on("BenchmarkSeries", () => benchmarkAnswer([...LEVELS, 4141]));
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4141]));
    stop();
    const after = refreshes(api).length;
    await vi.advanceTimersByTimeAsync(5000);
    expect(refreshes(api)).toHaveLength(after);
  });

  it("of a blend's components move the blend", async () => {
    const blend = { symbol: "BLEND_60_40", components: [{ symbol: "SPX" }, { symbol: "UST10Y_TR" }] };
    const api = scriptedApi();
    list(api, [{ ...listItem("1", 10), benchmark: blend }, listItem("2", 4)]);
    const answer = seriesAnswer(10);
    answer.strategy!.benchmark = { ...answer.strategy!.benchmark!, symbol: "BLEND_60_40", name: "60/40" };
    api.on("StrategySeries", () => answer);
    api.on("BenchmarkSeries", () => benchmarkAnswer([100, 101], "BLEND_60_40"));
    const store = createPerformanceStore(api);
    await store.getState().loadStrategies();
    await store.getState().select("1");
    const stop = startLive(api, store);
    expect(api.calls.find((c) => c.name === "BenchmarkTicks")?.variables).toEqual({ symbols: ["SPX", "UST10Y_TR"] });
    api.sink("BenchmarkTicks").next({ benchmarkTicks: { symbol: "UST10Y_TR" } });
    await vi.waitFor(() => expect(levels(store, "BLEND_60_40|ONE_YEAR|DAY")).toEqual([100, 101]));
    expect(refreshes(api).map((c) => (c.variables as { symbol: string }).symbol)).toEqual(["BLEND_60_40"]);
    stop();
  });
});

describe("benchmark answers in flight together", () => {
  it("a strategy series fetched before a tick does not put back the benchmark's older levels", async () => {
    const { api, store, stop, tick } = await following();
    const stale = deferred<unknown>();
    api.on("StrategySeries", () => stale.promise);
    const resync = store.getState().resync(KEY); // started before the tick
    api.on("BenchmarkSeries", () => benchmarkAnswer([...LEVELS, 4141]));
    tick("SPX");
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4141]));
    stale.resolve(seriesAnswer(10));
    await resync;
    expect(store.getState().series[KEY]!.status).toBe("ready");
    expect(levels(store)).toEqual([...LEVELS, 4141]);
    stop();
  });

  it("a tick during the strategy series' first fetch is not lost", async () => {
    const api = scriptedApi();
    list(api, [listItem("1", 10)]);
    const first = deferred<unknown>();
    api.on("StrategySeries", () => first.promise);
    api.on("BenchmarkSeries", () => benchmarkAnswer([...LEVELS, 4141]));
    const store = createPerformanceStore(api);
    await store.getState().loadStrategies();
    const selecting = store.getState().select("1");
    const stop = startLive(api, store);
    api.sink("BenchmarkTicks").next({ benchmarkTicks: { symbol: "SPX" } });
    await vi.waitFor(() => expect(refreshes(api)).toHaveLength(1));
    first.resolve(seriesAnswer(10)); // its benchmark levels predate the tick
    await selecting;
    await vi.waitFor(() => expect(levels(store)).toEqual([...LEVELS, 4141]));
    stop();
  });
});
