import { describe, expect, it } from "vitest";

import { applyPoint, bucketStart, rebasedComparison } from "../src/store/series";
import { DAY, T0 } from "./fixtures";

const s = { timestamps: [T0, T0 + DAY, T0 + 2 * DAY], nav: [100, 110, 99], cumulative: [0, 0.1, -0.01], drawdown: [0, 0, -0.1] };

describe("patching a series with a live point", () => {
  it("buckets by UTC day", () => {
    expect(bucketStart(T0 + 5 * 3_600_000, "DAY")).toBe(T0);
    expect(bucketStart(T0 + 5, "RAW")).toBe(T0 + 5);
    expect(bucketStart(T0, "WEEK")).toBeNull();
  });

  it("leaves weekly and monthly buckets, and late points, to a refetch", () => {
    const point = { timestamp: T0 + 9 * DAY, nav: 1, cashFlow: 0 };
    expect(applyPoint(s, point, "WEEK")).toBeNull();
    expect(applyPoint(s, { ...point, timestamp: T0 + DAY }, "DAY")).toBeNull();
    expect(applyPoint(s, { ...point, timestamp: T0 + 2 * DAY }, "RAW")).toBeNull();
  });

  it("does not change the series it was given", () => {
    const copy = structuredClone(s);
    applyPoint(s, { timestamp: T0 + 3 * DAY, nav: 120, cashFlow: 0 }, "DAY");
    expect(s).toEqual(copy);
  });
});

describe("rebased comparison", () => {
  const strategy = { ...s, timestamps: [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY], nav: [], cumulative: [0.1, 0.21, 0.1, 0.32], drawdown: [] };
  const benchmark = { timestamps: [T0 + DAY, T0 + 2 * DAY], level: [], cumulative: [0.5, 0.65] };

  it("rebases both to 100 at their first common timestamp", () => {
    const lines = rebasedComparison(strategy, benchmark);
    expect(lines.strategy.timestamps).toEqual([T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]);
    expect(lines.strategy.values.map((v) => +v.toFixed(10))).toEqual([100, 90.9090909091, 109.0909090909]);
    expect(lines.benchmark.values.map((v) => +v.toFixed(10))).toEqual([100, 110]);
  });

  it("draws the relative line only where both have a value", () => {
    const lines = rebasedComparison(strategy, benchmark);
    expect(lines.relative.timestamps).toEqual([T0 + DAY, T0 + 2 * DAY]);
    expect(lines.relative.values.map((v) => +v.toFixed(10))).toEqual([100, 82.6446280992]);
  });

  it("is empty when the two series share no timestamp", () => {
    const lines = rebasedComparison(strategy, { ...benchmark, timestamps: [T0 + 10 * DAY, T0 + 11 * DAY] });
    expect(lines.strategy.values).toEqual([]);
    expect(lines.relative.values).toEqual([]);
  });
});
