/** The selected strategy's series entry and its benchmark's columns (stable references). */
import { benchmarkKey, intervalFor, seriesKey } from "../store/types";
import { usePerformance } from "../store/react";

export function useSelectedSeries() {
  const id = usePerformance((s) => s.selectedId);
  const window = usePerformance((s) => s.window);
  const interval = intervalFor(window);
  const entry = usePerformance((s) => (id ? s.series[seriesKey(id, window, interval)] : undefined));
  const symbol = entry?.benchmark?.symbol;
  const benchmark = usePerformance((s) =>
    symbol ? s.benchmarkSeries[benchmarkKey(symbol, window, interval)] : undefined,
  );
  return { id, window, interval, entry, benchmark };
}
