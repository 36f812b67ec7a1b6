/** A small SVG time-series chart: lines or areas on a shared time axis, with a hover readout. */
import { useLayoutEffect, useRef, useState, type MouseEvent } from "react";

import { formatDate, formatTick, linearScale, nearest, timeScale } from "./chartScale";

export interface ChartLine {
  id: string;
  label: string;
  color: string;
  timestamps: number[];
  values: number[];
  width?: number;
  /** Fill between the line and the baseline (drawdowns). */
  area?: boolean;
}

interface Props {
  lines: ChartLine[];
  height: number;
  baseline?: number;
  format: (value: number) => string;
  label: string;
  testId?: string;
}

const PAD = { top: 10, right: 56, bottom: 22, left: 8 };

function useWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(640);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.max(entry!.contentRect.width, 200)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function path(xs: number[], ys: number[]): string {
  let d = "";
  for (let i = 0; i < xs.length; i += 1) d += `${i ? "L" : "M"}${xs[i]!.toFixed(1)},${ys[i]!.toFixed(1)}`;
  return d;
}

function extent(lines: ChartLine[], baseline?: number): [number, number, number, number] {
  let [t0, t1, v0, v1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const line of lines) {
    if (!line.timestamps.length) continue;
    t0 = Math.min(t0, line.timestamps[0]!);
    t1 = Math.max(t1, line.timestamps[line.timestamps.length - 1]!);
    for (const v of line.values) if (Number.isFinite(v)) [v0, v1] = [Math.min(v0, v), Math.max(v1, v)];
  }
  if (baseline !== undefined) [v0, v1] = [Math.min(v0, baseline), Math.max(v1, baseline)];
  return [t0, t1, v0, v1];
}

export function LineChart({ lines, height, baseline, format, label, testId }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hoverT, setHoverT] = useState<number | null>(null);
  const [t0, t1, v0, v1] = extent(lines, baseline);
  const empty = !Number.isFinite(t0);
  const x = timeScale(t0, t1, PAD.left, width - PAD.right);
  const y = linearScale(v0, v1, height - PAD.bottom, PAD.top, Math.max(2, Math.round(height / 60)));
  const years = (t1 - t0) / (365.25 * 86_400_000);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const ratio = (e.clientX - box.left - PAD.left) / (width - PAD.left - PAD.right);
    setHoverT(t0 + Math.min(Math.max(ratio, 0), 1) * (t1 - t0));
  };
  const readout = hoverT === null || empty ? null : lines.map((line) => {
    const i = nearest(line.timestamps, hoverT);
    return { line, t: line.timestamps[i], v: line.values[i] };
  });

  return (
    <div className="chart" ref={ref} data-testid={testId}>
      {empty ? (
        <div className="chart-empty" style={{ height }}>No data in this window</div>
      ) : (
        <svg width={width} height={height} role="img" aria-label={label} onMouseMove={onMove} onMouseLeave={() => setHoverT(null)}>
          {y.ticks.map((v) => (
            <g key={v} className="grid">
              <line x1={PAD.left} x2={width - PAD.right} y1={y(v)} y2={y(v)} className={v === baseline ? "baseline" : ""} />
              <text x={width - PAD.right + 6} y={y(v) + 4} className="tick num">{format(v)}</text>
            </g>
          ))}
          {x.ticks.map((t) => (
            <text key={t} x={x(t)} y={height - 6} className="tick" textAnchor="middle">{formatTick(t, years)}</text>
          ))}
          {lines.map((line) => {
            const xs = line.timestamps.map(x);
            const ys = line.values.map(y);
            const d = path(xs, ys);
            const last = line.timestamps[line.timestamps.length - 1];
            return (
              <g key={line.id}>
                {line.area && xs.length > 0 && (
                  <path d={`${d}L${xs[xs.length - 1]!.toFixed(1)},${y(baseline ?? 0)}L${xs[0]!.toFixed(1)},${y(baseline ?? 0)}Z`} fill={line.color} opacity={0.18} />
                )}
                <path d={d} fill="none" stroke={line.color} strokeWidth={line.width ?? 1.6} strokeLinejoin="round"
                  data-line={line.id} data-points={line.timestamps.length} data-last={last === undefined ? "" : new Date(last).toISOString()} />
              </g>
            );
          })}
          {readout && hoverT !== null && (
            <line className="crosshair" x1={x(readout[0]?.t ?? hoverT)} x2={x(readout[0]?.t ?? hoverT)} y1={PAD.top} y2={height - PAD.bottom} />
          )}
        </svg>
      )}
      {readout && (
        <div className="readout">
          <span className="readout-date">{readout[0]?.t !== undefined ? formatDate(readout[0].t) : ""}</span>
          {readout.map(({ line, v }) => (
            <span key={line.id}><i style={{ background: line.color }} />{line.label} <b className="num">{v === undefined ? "—" : format(v)}</b></span>
          ))}
        </div>
      )}
    </div>
  );
}
