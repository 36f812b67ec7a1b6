import { describe, expect, it, vi } from "vitest";

import { createPerformanceStore } from "../src/store/performance";
import { deferred, scriptedApi, unsupported } from "./scriptedApi";

const FRESH = { asOf: "2024-01-05T21:00:00Z", receivedAt: "2024-01-05T21:00:02Z", latencySeconds: 2, isStale: false, expectedNextAt: "2024-01-08T21:00:00Z" };

describe("benchmark freshness", () => {
  it("comes from the feed's freshness when the server reports it", async () => {
    const api = scriptedApi();
    api.on("BenchmarkFreshness", () => ({ benchmark: { symbol: "SPX", name: "S&P 500", freshness: FRESH } }));
    const store = createPerformanceStore(api);
    await store.getState().loadFreshness("SPX");
    expect(store.getState().freshness.SPX).toEqual({ status: "ready", data: { ...FRESH, name: "S&P 500" } });
  });

  it("reports other failures as errors, not as a missing feature", async () => {
    const api = scriptedApi();
    api.on("BenchmarkFreshness", () => {
      throw new Error("network down");
    });
    const store = createPerformanceStore(api);
    await store.getState().loadFreshness("SPX");
    expect(store.getState().freshness.SPX).toEqual({ status: "error", message: "network down" });
  });
});

describe("metrics", () => {
  const answer = (totalReturn: number) => ({
    strategy: { id: "1", metrics: { totalReturn, benchmark: null }, comparison: { periods: 3 } },
  });

  it("are refetched for a new sequence number, the old figures shown meanwhile", async () => {
    const api = scriptedApi();
    api.on("StrategyMetrics", () => answer(0.1));
    const store = createPerformanceStore(api);
    await store.getState().loadMetrics("1", "ONE_YEAR", "DAY", 10);
    let release!: () => void;
    api.on("StrategyMetrics", () => new Promise((ok) => (release = () => ok(answer(0.2)))));
    const loading = store.getState().loadMetrics("1", "ONE_YEAR", "DAY", 11);
    expect(store.getState().metrics["1|ONE_YEAR"]).toMatchObject({ status: "ready", seq: 11, data: answer(0.1).strategy });
    release();
    await loading;
    expect(store.getState().metrics["1|ONE_YEAR"]).toMatchObject({ status: "ready", seq: 11, data: answer(0.2).strategy });
    expect(api.calls.at(-1)).toEqual({ name: "StrategyMetrics", variables: { id: "1", window: { preset: "ONE_YEAR" }, interval: "DAY" } });
  });

  it("follow the benchmark's version, and a burst costs one fetch in flight and one after it", async () => {
    const api = scriptedApi();
    const answers = [deferred<unknown>(), deferred<unknown>()];
    const fetches = () => api.calls.filter((c) => c.name === "StrategyMetrics").length;
    api.on("StrategyMetrics", () => answers[fetches() - 1]!.promise);
    const store = createPerformanceStore(api);
    const loads = [1, 2, 3, 4].map((v) => store.getState().loadMetrics("1", "ONE_YEAR", "DAY", 10, v));
    expect(fetches()).toBe(1);
    expect(store.getState().metrics["1|ONE_YEAR"]).toEqual({ status: "loading", seq: 10, benchmarkVersion: 4 });
    answers[0]!.resolve(answer(0.1));
    await vi.waitFor(() => expect(fetches()).toBe(2));
    // The first answer is shown, tagged with the newest version: the trailing fetch is on its way.
    expect(store.getState().metrics["1|ONE_YEAR"]).toMatchObject({ status: "ready", benchmarkVersion: 4, data: answer(0.1).strategy });
    answers[1]!.resolve(answer(0.2));
    await Promise.all(loads);
    expect(fetches()).toBe(2);
    expect(store.getState().metrics["1|ONE_YEAR"]).toMatchObject({ status: "ready", seq: 10, benchmarkVersion: 4, data: answer(0.2).strategy });
  });

  it("are marked unsupported on a server without them", async () => {
    const api = scriptedApi();
    api.on("StrategyMetrics", () => {
      throw unsupported("StrategyMetrics", "metrics");
    });
    const store = createPerformanceStore(api);
    await store.getState().loadMetrics("1", "ONE_YEAR", "DAY", 10);
    expect(store.getState().metrics["1|ONE_YEAR"]?.status).toBe("unsupported");
  });
});
