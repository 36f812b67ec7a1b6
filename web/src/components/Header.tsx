/** The page header: the product, live status and the selected benchmark's freshness. */
import { usePerformance } from "../store/react";
import type { LiveMode } from "../store/types";
import { FreshnessBadge } from "./FreshnessBadge";
import { useSelectedSeries } from "./useSelection";

const LIVE: Record<LiveMode, [string, string]> = {
  off: ["Offline", "Not following changes"],
  connecting: ["Connecting", "Opening the live connection"],
  live: ["Live", "New points arrive over a subscription"],
  polling: ["Polling", "This server has no live subscription: checking for new points every few seconds"],
};

export function Header() {
  const mode = usePerformance((s) => s.liveMode);
  const { entry } = useSelectedSeries();
  const [label, title] = LIVE[mode];
  return (
    <header className="topbar">
      <div className="brand"><span className="logo">pg</span> perfgraph <span className="brand-sub">Strategy performance</span></div>
      <div className="topbar-right">
        {entry?.benchmark && <FreshnessBadge symbol={entry.benchmark.symbol} />}
        <span className={`live ${mode}`} title={title} data-testid="live-mode"><i className="dot" />{label}</span>
      </div>
    </header>
  );
}
