import { describe, expect, it } from "vitest";

import { applyPoint, bucketStart, rebasedComparison, trimToWindow, windowStart } from "../src/store/series";
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

  it("rebases both to 100 at the level before their first common timestamp", () => {
    const lines = rebasedComparison(strategy, benchmark);
    // Strategy: first common point is its second; the level before it is 1.1 -> 1.21 / 1.1.
    expect(lines.strategy.timestamps).toEqual([T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]);
    expect(lines.strategy.values.map((v) => +v.toFixed(10))).toEqual([110, 100, 120]);
    // Benchmark: its first point is the common one; the level before its window is 1.
    expect(lines.benchmark.values.map((v) => +v.toFixed(10))).toEqual([150, 165]);
  });

  it("ends each line at its compounded return over the aligned periods", () => {
    const s2 = { ...strategy, timestamps: [T0, T0 + DAY], cumulative: [0.02, -0.0404] };
    const b2 = { timestamps: [T0, T0 + DAY], level: [], cumulative: [0.01, 0.0201] };
    const lines = rebasedComparison(s2, b2);
    expect(lines.strategy.values.at(-1)! / 100 - 1).toBeCloseTo(-0.0404, 12);
    expect(lines.benchmark.values.at(-1)! / 100 - 1).toBeCloseTo(0.0201, 12);
  });

  it("draws the relative line only where both have a value", () => {
    const lines = rebasedComparison(strategy, benchmark);
    expect(lines.relative.timestamps).toEqual([T0 + DAY, T0 + 2 * DAY]);
    expect(lines.relative.values.map((v) => +v.toFixed(10))).toEqual([73.3333333333, 60.6060606061]);
  });

  it("is empty when the two series share no timestamp", () => {
    const lines = rebasedComparison(strategy, { ...benchmark, timestamps: [T0 + 10 * DAY, T0 + 11 * DAY] });
    expect(lines.strategy.values).toEqual([]);
    expect(lines.relative.values).toEqual([]);
  });
});

describe("trailing windows after a live point", () => {
  it("resolve as the API does: calendar months back, exclusive; to-date windows inclusive", () => {
    expect(windowStart("ONE_YEAR", Date.UTC(2022, 11, 29))).toEqual({ from: Date.UTC(2021, 11, 29), inclusive: false });
    expect(windowStart("ONE_MONTH", Date.UTC(2023, 2, 31, 15))).toEqual({ from: Date.UTC(2023, 1, 28, 15), inclusive: false });
    expect(windowStart("QTD", Date.UTC(2023, 4, 17))).toEqual({ from: Date.UTC(2023, 3, 1), inclusive: true });
    expect(windowStart("YTD", Date.UTC(2023, 4, 17))).toEqual({ from: Date.UTC(2023, 0, 1), inclusive: true });
    expect(windowStart("MAX", Date.UTC(2023, 4, 17))).toBeNull();
  });

  it("drop the points that fell out and compound from the level before the new first one", () => {
    const start = Date.UTC(2022, 0, 3);
    const series = {
      timestamps: [start, start + DAY, start + 2 * DAY],
      nav: [100, 110, 99],
      cumulative: [0, 0.1, -0.01],
      drawdown: [0, 0, -0.1],
    };
    const trimmed = trimToWindow(series, "ONE_MONTH", Date.UTC(2022, 1, 4)); // from 4 Jan, exclusive
    expect(trimmed.timestamps).toEqual([start + 2 * DAY]);
    expect(trimmed.cumulative[0]).toBeCloseTo(0.99 / 1.1 - 1, 12);
    expect(trimmed.drawdown[0]).toBeCloseTo(0.99 / 1.1 - 1, 12);
    expect(trimToWindow(series, "MAX", Date.UTC(2030, 0, 1))).toBe(series);
  });
});
