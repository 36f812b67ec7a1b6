/** The strategies with their newest daily return, gains and losses in their colours. */
import { formatPercent, tone } from "../styles/tokens";
import { usePerformance } from "../store/react";
import { formatDate } from "./chartScale";

export function StrategyList() {
  const order = usePerformance((s) => s.order);
  const strategies = usePerformance((s) => s.strategies);
  const selectedId = usePerformance((s) => s.selectedId);
  const status = usePerformance((s) => s.listStatus);
  const select = usePerformance((s) => s.select);

  if (status === "error") return <p className="panel-note">The strategies could not be loaded.</p>;
  if (status !== "ready") return <p className="panel-note">Loading strategies…</p>;
  return (
    <nav className="strategy-list" aria-label="Strategies">
      <div className="strategy-list-head"><span>Strategy</span><span>Last day</span></div>
      <ul>
        {order.map((id) => {
          const s = strategies[id]!;
          const r = s.latest?.return ?? null;
          return (
            <li key={id}>
              <button type="button" className={id === selectedId ? "strategy selected" : "strategy"}
                onClick={() => void select(id)} data-testid="strategy-row" data-slug={s.slug}>
                <span className="strategy-name">{s.name}</span>
                <span className={`pct ${tone(r)}`} data-testid="latest-return">{formatPercent(r)}</span>
                <span className="strategy-meta">{s.slug}</span>
                <span className="strategy-meta num">{s.latest ? formatDate(s.latest.timestamp) : "no data"}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
