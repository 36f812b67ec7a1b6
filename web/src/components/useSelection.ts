/** The selected strategy's series entry and its benchmark's columns (stable references). */
import { benchmarkKey, intervalFor, seriesKey } from "../store/types";
import { usePerformance } from "../store/react";

export function useSelectedSeries() {
  const id = usePerformance((s) => s.selectedId);
  const window = usePerformance((s) => s.window);
  const interval = intervalFor(window);
  const entry = usePerformance((s) => (id ? s.series[seriesKey(id, window, interval)] : undefined));
  const symbol = entry?.benchmark?.symbol;
  const bKey = symbol ? benchmarkKey(symbol, window, interval) : "";
  const benchmark = usePerformance((s) => s.benchmarkSeries[bKey]?.columns);
  /** Goes up when the benchmark's levels change (0 without a benchmark). */
  const benchmarkVersion = usePerformance((s) => s.benchmarkSeries[bKey]?.version ?? 0);
  return { id, window, interval, entry, benchmark, benchmarkVersion };
}
