/**
 * Design tokens: gain and loss colours and percentage typography, defined once.
 *
 * The values live here; `tokenCss()` turns them into CSS custom properties on `:root`
 * (injected at start-up), so stylesheets and SVG charts use `var(--pg-gain)` while code
 * that needs a value (a chart legend, a test) imports it from this module.
 */

export const tokens = {
  color: {
    gain: "#0f8a5f",
    gainSoft: "#e3f4ec",
    loss: "#c8372d",
    lossSoft: "#fbe7e5",
    flat: "#5b6472",
    strategy: "#2457c5",
    benchmark: "#8a94a6",
    relative: "#7a4fc4",
    ink: "#17202e",
    muted: "#5b6472",
    line: "#e2e6ec",
    surface: "#ffffff",
    canvas: "#f4f6f9",
    stale: "#b26a00",
    staleSoft: "#fff3df",
  },
  font: {
    ui: '"Inter", "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, sans-serif',
    // Figures line up in columns: tabular digits, and a face whose digits have equal width.
    numeric: '"Inter", "Segoe UI", system-ui, "DejaVu Sans", Arial, sans-serif',
    numericFeatures: "tabular-nums lining-nums",
  },
  percent: { decimals: 2, minus: "\u2212" },
} as const;

export type Tone = "gain" | "loss" | "flat";

/** The tone of a change: gains and losses are coloured, zero and unknown are not. */
export function tone(value: number | null | undefined): Tone {
  if (value == null || !Number.isFinite(value) || value === 0) return "flat";
  return value > 0 ? "gain" : "loss";
}

/** A decimal fraction as a percentage with a sign: 0.0123 -> "+1.23%", -0.5 -> "−50.00%". */
export function formatPercent(
  value: number | null | undefined,
  { decimals = tokens.percent.decimals as number, signed = true }: { decimals?: number; signed?: boolean } = {},
): string {
  if (value == null || !Number.isFinite(value)) return "—";
  const scaled = Math.abs(value * 100).toFixed(decimals);
  if (Number(scaled) === 0) return `${(0).toFixed(decimals)}%`;
  const sign = value < 0 ? tokens.percent.minus : signed ? "+" : "";
  return `${sign}${scaled}%`;
}

/** A ratio (Sharpe, beta) with a fixed number of decimals and a true minus sign. */
export function formatNumber(value: number | null | undefined, decimals = 2): string {
  if (value == null || !Number.isFinite(value)) return "—";
  const text = Math.abs(value).toFixed(decimals);
  return value < 0 && Number(text) !== 0 ? `${tokens.percent.minus}${text}` : text;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The tokens as CSS custom properties: `--pg-gain`, `--pg-font-numeric`, ... */
export function tokenCss(): string {
  const colours = Object.entries(tokens.color).map(([k, v]) => `--pg-${kebab(k)}: ${v};`);
  const fonts = [
    `--pg-font-ui: ${tokens.font.ui};`,
    `--pg-font-numeric: ${tokens.font.numeric};`,
    `--pg-numeric-features: ${tokens.font.numericFeatures};`,
  ];
  return `:root {\n  ${[...colours, ...fonts].join("\n  ")}\n}\n`;
}

export function toneColor(t: Tone): string {
  return t === "gain" ? tokens.color.gain : t === "loss" ? tokens.color.loss : tokens.color.flat;
}
