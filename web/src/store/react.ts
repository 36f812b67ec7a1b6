/** React access to the store: one store per app, provided through context. */
import { createContext, useContext } from "react";
import { useStore } from "zustand";

import type { PerformanceState, PerformanceStore } from "./performance";

export const StoreContext = createContext<PerformanceStore | null>(null);

export function usePerformance<T>(selector: (state: PerformanceState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error("usePerformance outside <StoreContext.Provider>");
  return useStore(store, selector);
}

export function usePerformanceStore(): PerformanceStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error("usePerformanceStore outside <StoreContext.Provider>");
  return store;
}
