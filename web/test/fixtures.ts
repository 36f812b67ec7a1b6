/** Small hand-made answers of the API, in its wire format. */
import type { BenchmarkSeriesData, StrategyListItem, StrategySeriesData } from "../src/api/operations";
import type { PerformanceEvent } from "../src/store/types";

export const DAY = 86_400_000;
export const T0 = Date.UTC(2024, 0, 2);
export const iso = (t: number) => new Date(t).toISOString();

export function listItem(id: string, lastSeq: number, value = 110): StrategyListItem {
  return {
    id,
    slug: `s-${id}`,
    name: `Strategy ${id}`,
    lastSeq,
    benchmark: { symbol: "SPX", components: [] },
    latest: { timestamp: iso(T0 + 2 * DAY), value, return: 0.1, seq: lastSeq },
  };
}

/** Three daily NAVs 100, 110, 99 (cumulative returns from the level before: 100). */
export function seriesAnswer(lastSeq: number, navs = [100, 110, 99]): StrategySeriesData {
  const timestamps = navs.map((_, i) => iso(T0 + i * DAY));
  let peak = 1;
  const cumulative = navs.map((n) => n / 100 - 1);
  const drawdown = cumulative.map((c) => {
    peak = Math.max(peak, 1 + c);
    return (1 + c) / peak - 1;
  });
  return {
    strategy: {
      id: "1",
      lastSeq,
      performance: { columns: { timestamps, nav: navs, cumulativeReturn: cumulative, drawdown } },
      benchmark: {
        symbol: "SPX",
        name: "S&P 500",
        series: benchmarkAnswer().benchmark!.series, // 4000, 4040, 4080, 4100 from T0
      },
    },
  };
}

export function event(seq: number, day: number, nav: number, extra: Partial<PerformanceEvent> = {}): PerformanceEvent {
  return { strategyId: "1", seq, kind: "INSERT", point: { timestamp: T0 + day * DAY, nav, cashFlow: 0 }, ...extra };
}

/** A benchmark's series on its own: daily levels from T0, compounded from the first. */
export function benchmarkAnswer(levels = [4000, 4040, 4080, 4100], symbol = "SPX"): BenchmarkSeriesData {
  return {
    benchmark: {
      symbol,
      series: {
        columns: {
          timestamps: levels.map((_, i) => iso(T0 + i * DAY)),
          level: levels,
          cumulativeReturn: levels.map((l) => l / levels[0]! - 1),
        },
      },
    },
  };
}
