import { afterEach, describe, expect, it, vi } from "vitest";

import { startLive } from "../src/store/live";
import { createPerformanceStore } from "../src/store/performance";
import { seriesKey, type LiveMode } from "../src/store/types";
import { DAY, T0, iso, listItem, seriesAnswer } from "./fixtures";
import { scriptedApi, unsupported } from "./scriptedApi";

const KEY = seriesKey("1", "ONE_YEAR", "DAY");

async function setup(lastSeq = 10) {
  const api = scriptedApi();
  let listSeq = lastSeq;
  api.on("StrategyList", () => ({
    strategies: { nodes: [listItem("1", listSeq), listItem("2", 4)], pageInfo: { hasNextPage: false, endCursor: null } },
  }));
  api.on("StrategySeries", () => seriesAnswer(lastSeq));
  const store = createPerformanceStore(api);
  await store.getState().loadStrategies();
  await store.getState().select("1");
  const modes: LiveMode[] = [];
  const stop = startLive(api, store, { pollMs: 1000, onMode: (m) => modes.push(m) });
  return { api, store, modes, stop, setListSeq: (s: number) => (listSeq = s) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("following changes", () => {
  it("subscribes to the listed strategies and applies what arrives", async () => {
    const { api, store, modes, stop } = await setup();
    expect(api.calls.find((c) => c.name === "PerformanceUpdates")).toEqual({ name: "PerformanceUpdates", variables: { strategyIds: ["1", "2"] } });
    api.sink("PerformanceUpdates").next({
      performance: { strategyId: "1", seq: 11, kind: "INSERT", point: { timestamp: iso(T0 + 3 * DAY), nav: 108.9, cashFlow: 0 } },
    });
    expect(store.getState().series[KEY]!.columns!.nav.at(-1)).toBe(108.9);
    expect(modes).toEqual(["connecting", "live"]);
    stop();
  });

  it("falls back to polling sequence numbers when the server has no subscription", async () => {
    vi.useFakeTimers();
    const { api, store, modes, stop, setListSeq } = await setup();
    api.sink("PerformanceUpdates").error(unsupported("PerformanceUpdates", "performance"));
    expect(modes.at(-1)).toBe("polling");
    api.on("StrategySeries", () => seriesAnswer(11, [100, 110, 99, 108.9]));
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.getState().series[KEY]!.seq).toBe(10); // nothing new yet: no refetch
    setListSeq(11);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(store.getState().series[KEY]!.seq).toBe(11));
    expect(store.getState().series[KEY]!.columns!.nav).toEqual([100, 110, 99, 108.9]);
    expect(api.calls.filter((c) => c.name === "StrategySeries")).toHaveLength(2);
    stop();
  });

  it("catches up after a reconnect, when events may have been missed", async () => {
    const { api, store, stop, setListSeq } = await setup();
    api.connect(false);
    setListSeq(12);
    api.on("StrategySeries", () => seriesAnswer(12, [100, 110, 99, 108.9, 110]));
    api.connect(true);
    await vi.waitFor(() => expect(store.getState().series[KEY]!.seq).toBe(12));
    expect(store.getState().stats.resyncs).toBe(1);
    stop();
  });
});
