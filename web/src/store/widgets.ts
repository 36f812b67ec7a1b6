/**
 * The store's widget slice: data each panel fetches for itself (benchmark freshness,
 * metrics), held as `Remote` values so a panel can say "loading", "failed" or "this server
 * does not offer that" rather than show nothing.
 */
import type { StoreApi } from "zustand/vanilla";

import { GraphQLRequestError, type Api } from "../api/client";
import {
  BenchmarkFreshness,
  StrategyMetrics,
  type Freshness,
  type Interval,
  type StrategyMetricsData,
  type WindowPreset,
} from "../api/operations";
import { coalesced } from "./coalesce";
import type { LiveMode, Remote } from "./types";

export interface BadgeFreshness extends Freshness {
  name: string;
}

export type MetricsData = NonNullable<StrategyMetricsData["strategy"]>;
export interface MetricsVersion {
  seq?: number;
  benchmarkVersion?: number;
}

export interface WidgetState {
  freshness: Record<string, Remote<BadgeFreshness>>;
  /**
   * By `strategyId|window`, tagged with the data they were asked for: refetched when the
   * strategy's sequence number or its benchmark's version moves.
   */
  metrics: Record<string, Remote<MetricsData> & MetricsVersion>;
  /** Coalesced per strategy and window: one fetch in flight, one trailing with the newest tag. */
  loadMetrics(
    strategyId: string,
    window: WindowPreset,
    interval: Interval,
    seq: number,
    benchmarkVersion?: number,
  ): Promise<void>;
  liveMode: LiveMode;
  loadFreshness(symbol: string): Promise<void>;
  setLiveMode(mode: LiveMode): void;
}

export function failure(error: unknown): Remote<never> {
  if (error instanceof GraphQLRequestError && error.unsupported) {
    return { status: "unsupported", message: error.message };
  }
  return { status: "error", message: error instanceof Error ? error.message : String(error) };
}

async function fetchFreshness(api: Api, symbol: string): Promise<BadgeFreshness | null> {
  const b = (await api.request(BenchmarkFreshness, { symbol })).benchmark;
  return b ? { ...b.freshness, name: b.name } : null;
}

export function widgetSlice<S extends WidgetState>(
  api: Api,
  set: StoreApi<S>["setState"],
  get: StoreApi<S>["getState"],
): WidgetState {
  const setFreshness = (symbol: string, value: Remote<BadgeFreshness>) =>
    set((s) => ({ freshness: { ...s.freshness, [symbol]: value } }) as Partial<S>);
  const setMetrics = (key: string, value: Remote<MetricsData> & MetricsVersion) =>
    set((s) => ({ metrics: { ...s.metrics, [key]: value } }) as Partial<S>);
  const metricsWanted = new Map<string, { strategyId: string; window: WindowPreset; interval: Interval }>();
  const fetchMetrics = coalesced<string>(async (key) => {
    const { strategyId, window, interval } = metricsWanted.get(key)!;
    // An answer keeps the newest tag asked for: a trailing fetch is already on its way.
    const tag = (): MetricsVersion => {
      const m = get().metrics[key];
      return { seq: m?.seq, benchmarkVersion: m?.benchmarkVersion };
    };
    try {
      const variables = { id: strategyId, window: { preset: window }, interval };
      const strategy = (await api.request(StrategyMetrics, variables)).strategy;
      setMetrics(key, strategy ? { status: "ready", data: strategy, ...tag() } : { status: "error", message: "not found", ...tag() });
    } catch (error) {
      setMetrics(key, { ...failure(error), ...tag() });
    }
  });
  return {
    freshness: {},
    metrics: {},
    async loadMetrics(strategyId, window, interval, seq, benchmarkVersion = 0) {
      const key = `${strategyId}|${window}`;
      metricsWanted.set(key, { strategyId, window, interval });
      // Keep showing the previous figures while the new ones are computed.
      const current = get().metrics[key];
      const version = { seq, benchmarkVersion };
      setMetrics(key, current?.status === "ready" ? { ...current, ...version } : { status: "loading", ...version });
      await fetchMetrics(key);
    },
    liveMode: "off",
    async loadFreshness(symbol) {
      // Keep showing the previous state while it is checked again.
      if (get().freshness[symbol]?.status !== "ready") setFreshness(symbol, { status: "loading" });
      try {
        const data = await fetchFreshness(api, symbol);
        setFreshness(symbol, data ? { status: "ready", data } : { status: "error", message: `unknown benchmark ${symbol}` });
      } catch (error) {
        setFreshness(symbol, failure(error));
      }
    },
    setLiveMode(mode) {
      set({ liveMode: mode } as Partial<S>);
    },
  };
}
