/**
 * Every GraphQL operation the dashboard sends: one per component need, asking for exactly
 * the fields that need uses, with the types of its data and variables. A test validates each
 * document against the server's `schema.graphql`.
 */
import type { Operation } from "./client";

export type WindowPreset =
  | "MTD"
  | "QTD"
  | "YTD"
  | "ONE_MONTH"
  | "THREE_MONTHS"
  | "SIX_MONTHS"
  | "ONE_YEAR"
  | "THREE_YEARS"
  | "FIVE_YEARS"
  | "TEN_YEARS"
  | "MAX";
export type Interval = "RAW" | "MINUTE" | "HOUR" | "DAY" | "WEEK" | "MONTH";

function op<D, V>(name: string, document: string): Operation<D, V> {
  return { name, document };
}

// --- the strategy list: names, the benchmark symbol and the newest point -------------------

export interface StrategyListItem {
  id: string;
  slug: string;
  name: string;
  lastSeq: number;
  /** `components`: a blend's; empty for a benchmark with levels of its own. */
  benchmark: { symbol: string; components: { symbol: string }[] } | null;
  latest: { timestamp: string; value: number; return: number | null; seq: number } | null;
}
export interface StrategyListData {
  strategies: {
    nodes: StrategyListItem[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
export const StrategyList = op<StrategyListData, { first: number; after: string | null }>(
  "StrategyList",
  `query StrategyList($first: Int!, $after: String) {
  strategies(first: $first, after: $after) {
    nodes {
      id slug name lastSeq
      benchmark { symbol components { symbol } }
      latest { timestamp value return seq }
    }
    pageInfo { hasNextPage endCursor }
  }
}`,
);

// --- the charts: the strategy's series and its benchmark's, as columns ---------------------

export interface PerformanceColumnsData {
  timestamps: string[];
  nav: (number | null)[];
  cumulativeReturn: (number | null)[];
  drawdown: (number | null)[];
}
export interface BenchmarkColumnsData {
  timestamps: string[];
  level: (number | null)[];
  cumulativeReturn: (number | null)[];
}
export interface StrategySeriesData {
  strategy: {
    id: string;
    lastSeq: number;
    performance: { columns: PerformanceColumnsData };
    benchmark: { symbol: string; name: string; series: { columns: BenchmarkColumnsData } } | null;
  } | null;
}
export interface SeriesVariables {
  id: string;
  window: { preset: WindowPreset };
  interval: Interval;
}
export const StrategySeries = op<StrategySeriesData, SeriesVariables>(
  "StrategySeries",
  `query StrategySeries($id: ID!, $window: WindowInput!, $interval: Interval!) {
  strategy(id: $id) {
    id lastSeq
    performance(window: $window, interval: $interval) {
      columns { timestamps nav cumulativeReturn drawdown }
    }
    benchmark {
      symbol name
      series(window: $window, interval: $interval) {
        columns { timestamps level cumulativeReturn }
      }
    }
  }
}`,
);

/** A benchmark's series alone, refetched when a tick says its levels moved. */
export interface BenchmarkSeriesData {
  benchmark: { symbol: string; series: { columns: BenchmarkColumnsData } } | null;
}
export const BenchmarkSeries = op<BenchmarkSeriesData, { symbol: string; window: { preset: WindowPreset }; interval: Interval }>(
  "BenchmarkSeries",
  `query BenchmarkSeries($symbol: String!, $window: WindowInput!, $interval: Interval!) {
  benchmark(symbol: $symbol) {
    symbol
    series(window: $window, interval: $interval) {
      columns { timestamps level cumulativeReturn }
    }
  }
}`,
);

// --- live: a point recorded through the API (used by the end-to-end test and tools) ---------

export interface RecordPerformanceData {
  recordPerformance:
    | { __typename: "PerformanceRecorded"; inserted: number; lastSeq: number }
    | { __typename: "ValidationError" | "NotFoundError"; message: string };
}
export const RecordPerformance = op<
  RecordPerformanceData,
  { strategyId: string; points: { timestamp: string; nav: number; cashFlow?: number }[] }
>(
  "RecordPerformance",
  `mutation RecordPerformance($strategyId: ID!, $points: [PerformancePointInput!]!) {
  recordPerformance(strategyId: $strategyId, points: $points) {
    __typename
    ... on PerformanceRecorded { inserted lastSeq }
    ... on ValidationError { message }
    ... on NotFoundError { message }
  }
}`,
);

// --- live: committed changes to the listed strategies --------------------------------------

export interface PerformanceUpdateData {
  performance: {
    strategyId: string;
    seq: number;
    kind: "INSERT" | "REVISION";
    point: { timestamp: string; nav: number; cashFlow: number };
  };
}
export const PerformanceUpdates = op<PerformanceUpdateData, { strategyIds: string[] }>(
  "PerformanceUpdates",
  `subscription PerformanceUpdates($strategyIds: [ID!]!) {
  performance(strategyIds: $strategyIds) {
    strategyId seq kind
    point { timestamp nav cashFlow }
  }
}`,
);

// --- live: committed levels of the listed benchmarks (a blend: of its components) ---------

export interface BenchmarkTickData {
  benchmarkTicks: { symbol: string };
}
export const BenchmarkTicks = op<BenchmarkTickData, { symbols: string[] }>(
  "BenchmarkTicks",
  `subscription BenchmarkTicks($symbols: [String!]!) {
  benchmarkTicks(symbols: $symbols) { symbol }
}`,
);

// --- the freshness badge: how current the benchmark's data is -------------------------------

export interface Freshness {
  asOf: string | null;
  receivedAt: string | null;
  latencySeconds: number | null;
  isStale: boolean;
  expectedNextAt: string | null;
}
export interface BenchmarkFreshnessData {
  benchmark: { symbol: string; name: string; freshness: Freshness } | null;
}
export const BenchmarkFreshness = op<BenchmarkFreshnessData, { symbol: string }>(
  "BenchmarkFreshness",
  `query BenchmarkFreshness($symbol: String!) {
  benchmark(symbol: $symbol) {
    symbol name
    freshness { asOf receivedAt latencySeconds isStale expectedNextAt }
  }
}`,
);

// --- the metrics panel: the strategy against its benchmark over the window ------------------

export interface SeriesMetrics {
  totalReturn: number | null;
  cagr: number | null;
  annualVolatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number | null;
  calmar: number | null;
  winRate: number | null;
}
export interface StrategyMetricsData {
  strategy: {
    id: string;
    metrics: SeriesMetrics & {
      periods: number;
      benchmark: { benchmark: { label: string }; metrics: SeriesMetrics } | null;
    };
    comparison: {
      periods: number;
      excessReturn: number | null;
      alpha: number | null;
      beta: number | null;
      correlation: number | null;
      trackingError: number | null;
      informationRatio: number | null;
      upCapture: number | null;
      downCapture: number | null;
    };
  } | null;
}
export const StrategyMetrics = op<StrategyMetricsData, { id: string; window: { preset: WindowPreset }; interval: Interval }>(
  "StrategyMetrics",
  `query StrategyMetrics($id: ID!, $window: WindowInput!, $interval: Interval!) {
  strategy(id: $id) {
    id
    metrics(window: $window, interval: $interval) {
      periods ...SeriesMetrics
      benchmark { benchmark { label } metrics { ...SeriesMetrics } }
    }
    comparison(window: $window, interval: $interval) {
      periods excessReturn alpha beta correlation trackingError informationRatio upCapture downCapture
    }
  }
}
fragment SeriesMetrics on Metrics {
  totalReturn cagr annualVolatility sharpe sortino maxDrawdown calmar winRate
}`,
);

// --- the export buttons: a signed, short-lived link to a CSV or PDF report -------------------

export type ReportFormat = "CSV" | "PDF";
export interface ReportLinkData {
  createReportLink:
    | { __typename: "ReportLink"; url: string; filename: string; expiresAt: string }
    | { __typename: "ValidationError"; message: string; field: string | null }
    | { __typename: "NotFoundError"; message: string };
}
export const CreateReportLink = op<
  ReportLinkData,
  { input: { strategyId: string; format: ReportFormat; window: { preset: WindowPreset }; interval: Interval } }
>(
  "CreateReportLink",
  `mutation CreateReportLink($input: ReportInput!) {
  createReportLink(input: $input) {
    __typename
    ... on ReportLink { url filename expiresAt }
    ... on ValidationError { message field }
    ... on NotFoundError { message }
  }
}`,
);
