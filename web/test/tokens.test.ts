import { describe, expect, it } from "vitest";

import { formatNumber, formatPercent, tokenCss, tokens, tone } from "../src/styles/tokens";

describe("percentages", () => {
  it("carry a sign, a true minus and a fixed number of decimals", () => {
    expect(formatPercent(0.0123)).toBe("+1.23%");
    expect(formatPercent(-0.5)).toBe("\u221250.00%");
    expect(formatPercent(0.1, { signed: false })).toBe("10.00%");
    expect(formatPercent(-0.12345, { decimals: 1 })).toBe("\u221212.3%");
  });

  it("show no sign for a value that rounds to zero, and a dash for no value", () => {
    expect(formatPercent(-0.00001)).toBe("0.00%");
    expect(formatPercent(null)).toBe("—");
    expect(formatPercent(Number.NaN)).toBe("—");
    expect(formatNumber(-0.001)).toBe("0.00");
    expect(formatNumber(-1.234)).toBe("\u22121.23");
  });
});

describe("tokens", () => {
  it("colour gains and losses, and leave zero and unknown neutral", () => {
    expect([tone(0.01), tone(-0.01), tone(0), tone(null)]).toEqual(["gain", "loss", "flat", "flat"]);
  });

  it("become CSS custom properties", () => {
    const css = tokenCss();
    expect(css).toContain(`--pg-gain: ${tokens.color.gain};`);
    expect(css).toContain(`--pg-loss-soft: ${tokens.color.lossSoft};`);
    expect(css).toContain("--pg-numeric-features: tabular-nums lining-nums;");
  });
});
