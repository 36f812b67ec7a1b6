/** Scales and ticks for the hand-written SVG charts. */

export interface Scale {
  (value: number): number;
  ticks: number[];
}

/** A linear scale with "nice" tick values (1, 2, 2.5, 5 x 10^k steps). */
export function linearScale(min: number, max: number, from: number, to: number, count = 5): Scale {
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (min === max) [min, max] = [min - 1, max + 1];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const scale = ((v: number) => from + ((v - lo) / (hi - lo)) * (to - from)) as Scale;
  scale.ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) scale.ticks.push(Number(v.toPrecision(12)));
  return scale;
}

/** A time scale over epoch milliseconds with ticks on month or year boundaries. */
export function timeScale(start: number, end: number, from: number, to: number): Scale {
  const span = Math.max(end - start, 1);
  const scale = ((t: number) => from + ((t - start) / span) * (to - from)) as Scale;
  const years = span / (365.25 * 86_400_000);
  const monthStep = years > 12 ? 60 : years > 6 ? 24 : years > 2.5 ? 12 : years > 1.2 ? 6 : years > 0.4 ? 2 : 1;
  const first = new Date(start);
  let y = first.getUTCFullYear();
  let m = first.getUTCMonth() + 1;
  const ticks: number[] = [];
  for (;;) {
    if (m > 11) [y, m] = [y + Math.floor(m / 12), m % 12];
    const t = Date.UTC(y, m, 1);
    if (t > end) break;
    if ((y * 12 + m) % monthStep === 0) ticks.push(t);
    m += 1;
  }
  scale.ticks = ticks;
  return scale;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function formatTick(t: number, spanYears: number): string {
  const d = new Date(t);
  if (spanYears > 2.5 || d.getUTCMonth() === 0) return String(d.getUTCFullYear());
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCFullYear()).slice(2)}`;
}

export function formatDate(t: number): string {
  const d = new Date(t);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** Index of the timestamp nearest to `t` in a sorted array. */
export function nearest(timestamps: number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (timestamps[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(timestamps[lo - 1]! - t) < Math.abs(timestamps[lo]! - t)) return lo - 1;
  return lo;
}
