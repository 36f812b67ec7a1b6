import { describe, expect, it } from "vitest";

import { createPerformanceStore, type PerformanceStore } from "../src/store/performance";
import { seriesKey } from "../src/store/types";
import { DAY, T0, event, iso, listItem, seriesAnswer } from "./fixtures";
import { deferred, scriptedApi, type ScriptedApi } from "./scriptedApi";

const KEY = seriesKey("1", "ONE_YEAR", "DAY");

async function loaded(lastSeq = 10): Promise<{ api: ScriptedApi; store: PerformanceStore }> {
  const api = scriptedApi();
  api.on("StrategyList", () => ({
    strategies: { nodes: [listItem("1", lastSeq, 99)], pageInfo: { hasNextPage: false, endCursor: null } },
  }));
  api.on("StrategySeries", () => seriesAnswer(lastSeq));
  const store = createPerformanceStore(api);
  await store.getState().loadStrategies();
  await store.getState().select("1");
  return { api, store };
}

const entry = (store: PerformanceStore) => store.getState().series[KEY]!;
const seriesFetches = (api: ScriptedApi) => api.calls.filter((c) => c.name === "StrategySeries").length;

describe("normalisation", () => {
  it("keeps strategies by id in the server's order, across pages", async () => {
    const api = scriptedApi();
    api.on("StrategyList", ({ after }: { after: string | null }) =>
      after === null
        ? { strategies: { nodes: [listItem("7", 3), listItem("2", 5)], pageInfo: { hasNextPage: true, endCursor: "c1" } } }
        : { strategies: { nodes: [listItem("4", 1)], pageInfo: { hasNextPage: false, endCursor: null } } },
    );
    const store = createPerformanceStore(api);
    await store.getState().loadStrategies();
    const { order, strategies } = store.getState();
    expect(order).toEqual(["7", "2", "4"]);
    expect(strategies["2"]).toEqual({
      id: "2",
      slug: "s-2",
      name: "Strategy 2",
      benchmarkSymbol: "SPX",
      benchmarkSources: ["SPX"],
      lastSeq: 5,
      latest: { timestamp: T0 + 2 * DAY, value: 110, return: 0.1, seq: 5 },
    });
  });

  it("stores series as columns with epoch timestamps, and the benchmark's by symbol", async () => {
    const { api, store } = await loaded();
    expect(api.calls.find((c) => c.name === "StrategySeries")?.variables).toEqual({
      id: "1",
      window: { preset: "ONE_YEAR" },
      interval: "DAY",
    });
    const e = entry(store);
    expect(e.status).toBe("ready");
    expect(e.seq).toBe(10);
    expect(e.columns!.timestamps).toEqual([T0, T0 + DAY, T0 + 2 * DAY]);
    expect(e.columns!.nav).toEqual([100, 110, 99]);
    expect(e.benchmark).toEqual({ symbol: "SPX", name: "S&P 500" });
    expect(store.getState().benchmarkSeries["SPX|ONE_YEAR|DAY"]!.columns.level).toEqual([4000, 4040, 4080, 4100]);
  });

  it("turns undefined values (null on the wire) into NaN", async () => {
    const api = scriptedApi();
    const answer = seriesAnswer(1);
    answer.strategy!.performance.columns.cumulativeReturn[0] = null;
    api.on("StrategySeries", () => answer);
    const store = createPerformanceStore(api);
    await store.getState().loadSeries("1", "ONE_YEAR");
    expect(entry(store).columns!.cumulative[0]).toBeNaN();
  });
});

describe("live events by sequence number", () => {
  it("applies consecutive events in order, extending the columns", async () => {
    const { api, store } = await loaded(10);
    store.getState().applyEvent(event(11, 3, 108.9)); // +10% on 99
    store.getState().applyEvent(event(12, 4, 121)); // a new peak
    const c = entry(store).columns!;
    expect(c.timestamps.slice(3)).toEqual([T0 + 3 * DAY, T0 + 4 * DAY]);
    expect(c.nav.slice(3)).toEqual([108.9, 121]);
    expect(c.cumulative[3]).toBeCloseTo(0.089, 12);
    expect(c.drawdown[3]).toBeCloseTo(108.9 / 110 - 1, 12);
    expect(c.cumulative[4]).toBeCloseTo(0.21, 12);
    expect(c.drawdown[4]).toBe(0);
    expect(entry(store).seq).toBe(12);
    expect(store.getState().stats.applied).toBe(2);
    expect(seriesFetches(api)).toBe(1);
  });

  it("nets external cash flows out of the return", async () => {
    const { store } = await loaded(10);
    // 99 -> 150 with a 50 subscription: (150 - 50) / 99 - 1 = +1.0101%
    store.getState().applyEvent(event(11, 3, 150, { point: { timestamp: T0 + 3 * DAY, nav: 150, cashFlow: 50 } }));
    expect(entry(store).columns!.cumulative[3]).toBeCloseTo(0.99 * (100 / 99) - 1, 12);
  });

  it("replaces the last bucket when a point falls inside it", async () => {
    const { store } = await loaded(10);
    store.getState().applyEvent(event(11, 2.5, 104.5)); // later the same day as the last point
    const c = entry(store).columns!;
    expect(c.timestamps).toEqual([T0, T0 + DAY, T0 + 2 * DAY]);
    expect(c.nav[2]).toBe(104.5);
    expect(c.cumulative[2]).toBeCloseTo(0.045, 12);
  });

  it("ignores duplicates: an event at or below the last applied sequence number", async () => {
    const { api, store } = await loaded(10);
    store.getState().applyEvent(event(11, 3, 108.9));
    const before = entry(store).columns;
    store.getState().applyEvent(event(11, 3, 108.9));
    store.getState().applyEvent(event(9, 1, 1));
    expect(entry(store).columns).toBe(before);
    expect(store.getState().stats.duplicates).toBe(2);
    expect(seriesFetches(api)).toBe(1);
  });

  it("resyncs on a gap, then goes on from the refetched sequence number", async () => {
    const { api, store } = await loaded(10);
    api.on("StrategySeries", () => seriesAnswer(13, [100, 110, 99, 105, 107]));
    store.getState().applyEvent(event(13, 4, 107)); // 11 and 12 never arrived
    await expect.poll(() => entry(store).status).toBe("ready");
    expect(seriesFetches(api)).toBe(2);
    expect(store.getState().stats.resyncs).toBe(1);
    expect(entry(store).seq).toBe(13);
    expect(entry(store).columns!.nav).toEqual([100, 110, 99, 105, 107]);
    store.getState().applyEvent(event(12, 3, 105)); // late copy of a missed event: already in
    store.getState().applyEvent(event(14, 5, 114.49));
    expect(entry(store).seq).toBe(14);
    expect(entry(store).columns!.nav).toEqual([100, 110, 99, 105, 107, 114.49]);
    expect(seriesFetches(api)).toBe(2);
  });

  it("resyncs when the next event arrives before the one it follows", async () => {
    const { api, store } = await loaded(10);
    api.on("StrategySeries", () => seriesAnswer(12, [100, 110, 99, 105, 107]));
    store.getState().applyEvent(event(12, 4, 107));
    store.getState().applyEvent(event(11, 3, 105));
    await expect.poll(() => entry(store).status).toBe("ready");
    expect(entry(store).columns!.nav).toEqual([100, 110, 99, 105, 107]);
    expect(entry(store).seq).toBe(12);
    expect(seriesFetches(api)).toBe(2);
  });

  it("buffers events that arrive during a fetch and applies them in sequence order", async () => {
    const api = scriptedApi();
    const answer = deferred<unknown>();
    api.on("StrategySeries", () => answer.promise);
    const store = createPerformanceStore(api);
    const loading = store.getState().loadSeries("1", "ONE_YEAR");
    store.getState().applyEvent(event(12, 4, 121));
    store.getState().applyEvent(event(10, 2, 99)); // already in the answer
    store.getState().applyEvent(event(11, 3, 108.9));
    expect(entry(store).status).toBe("loading");
    answer.resolve(seriesAnswer(10));
    await loading;
    expect(entry(store).status).toBe("ready");
    expect(entry(store).columns!.nav).toEqual([100, 110, 99, 108.9, 121]);
    expect(entry(store).seq).toBe(12);
    expect(seriesFetches(api)).toBe(1);
  });

  it("resyncs on a revision or a late point, which only the server can place", async () => {
    const { api, store } = await loaded(10);
    api.on("StrategySeries", () => seriesAnswer(11, [100, 111, 99.9]));
    store.getState().applyEvent(event(11, 1, 111, { kind: "REVISION" }));
    await expect.poll(() => entry(store).status).toBe("ready");
    expect(entry(store).columns!.nav).toEqual([100, 111, 99.9]);
    api.on("StrategySeries", () => seriesAnswer(12, [95, 100, 111, 99.9]));
    store.getState().applyEvent(event(12, -1, 95)); // before the first point
    await expect.poll(() => entry(store).seq).toBe(12);
    expect(entry(store).columns!.nav).toEqual([95, 100, 111, 99.9]);
    expect(seriesFetches(api)).toBe(3);
  });

  it("applies an event to every loaded window of its strategy", async () => {
    const { store } = await loaded(10);
    await store.getState().setWindow("THREE_YEARS");
    store.getState().applyEvent(event(11, 3, 108.9));
    const windows = Object.values(store.getState().series).map((e) => [e.window, e.seq, e.columns!.nav.length]);
    expect(windows).toEqual([["ONE_YEAR", 11, 4], ["THREE_YEARS", 11, 4]]);
  });
});

describe("the strategy list under live events", () => {
  it("moves the latest point and its return on the next sequence number", async () => {
    const { store } = await loaded(10);
    store.getState().applyEvent(event(11, 3, 108.9));
    const latest = store.getState().strategies["1"]!.latest!;
    expect(latest.timestamp).toBe(T0 + 3 * DAY);
    expect(latest.return).toBeCloseTo(0.1, 12);
    expect(store.getState().strategies["1"]!.lastSeq).toBe(11);
  });

  it("refetches the list after a gap", async () => {
    const { api, store } = await loaded(10);
    api.on("StrategySeries", () => seriesAnswer(14));
    api.on("StrategyList", () => ({
      strategies: { nodes: [{ ...listItem("1", 14), latest: { timestamp: iso(T0 + 9 * DAY), value: 1, return: -0.5, seq: 14 } }], pageInfo: { hasNextPage: false, endCursor: null } },
    }));
    store.getState().applyEvent(event(14, 9, 1));
    await expect.poll(() => store.getState().strategies["1"]!.lastSeq).toBe(14);
    expect(store.getState().strategies["1"]!.latest!.return).toBe(-0.5);
  });
});

describe("failures", () => {
  it("keeps an error, and fetches again when the series is asked for again", async () => {
    const api = scriptedApi();
    api.on("StrategySeries", () => {
      throw new Error("network down");
    });
    const store = createPerformanceStore(api);
    await store.getState().loadSeries("1", "ONE_YEAR");
    expect(entry(store).status).toBe("error");
    expect(entry(store).error).toContain("network down");
    api.on("StrategySeries", () => seriesAnswer(10));
    await store.getState().loadSeries("1", "ONE_YEAR");
    expect(entry(store).status).toBe("ready");
    expect(entry(store).seq).toBe(10);
  });
});
