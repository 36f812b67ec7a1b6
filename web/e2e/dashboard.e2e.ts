/**
 * The dashboard in Debian's Chromium against a real perfgraph on the embedded servers:
 * the demo strategies are listed, a point recorded through the API reaches the chart
 * without a reload, so does a benchmark price, and the export controls are there.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { formatDate } from "../src/components/chartScale";
import { REPO_ROOT, startPerfgraph, type Perfgraph } from "./server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = join(REPO_ROOT, "web", "test-results");
const DEMO_SLUGS = [
  "us-momentum-mtum", "us-quality-qual", "us-size-size", "us-min-vol-usmv", "us-value-vlue",
  "stock-aapl", "stock-jpm", "stock-xom", "stock-ko", "stock-msft",
];

// What the server offers, from its committed SDL: the page must use each feature it has.
const SDL = readFileSync(join(REPO_ROOT, "schema.graphql"), "utf8");
const HAS = {
  subscriptions: /^type Subscription \{/m.test(SDL),
};

let server: Perfgraph;
let writeKey: string;
let lastRecorded = "";
let context: BrowserContext;
let page: Page;
let profile: string;

async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": writeKey },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const strategyLine = (p: Page) => p.locator('[data-testid="comparison-chart"] path[data-line="strategy"]');
const benchmarkLine = (p: Page) => p.locator('[data-testid="comparison-chart"] path[data-line="benchmark"]');
const relativeLine = (p: Page) => p.locator('[data-testid="relative-chart"] path[data-line="relative"]');
const percent = (v: number) => `${(v * 100).toFixed(2).replace("-", "\u2212")}%`;

beforeAll(async () => {
  // The page reads anonymously (development); recording a point takes a key that may write.
  server = await startPerfgraph((cli) => {
    cli(["migrate"]);
    cli(["accounts", "create", "e2e"]);
    writeKey = cli(["keys", "create", "--account", "e2e", "--name", "e2e", "--scope", "admin"]).trim();
  });
  profile = mkdtempSync(join(tmpdir(), "perfgraph-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
    viewport: { width: 1440, height: 960 },
  });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
});

describe("dashboard", () => {
  it("lists the demo strategies with their latest returns", async () => {
    await page.goto(server.url);
    const rows = page.getByTestId("strategy-row");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(DEMO_SLUGS.length);
    const slugs = await rows.evaluateAll((els) => els.map((e) => e.getAttribute("data-slug")));
    expect(slugs.sort()).toEqual([...DEMO_SLUGS].sort());
    const returns = await page.getByTestId("latest-return").allTextContents();
    for (const r of returns) expect(r).toMatch(/^([+\u2212]\d+\.\d{2}|0\.00)%$/);
    // The first strategy is selected and charted.
    await expect.poll(() => strategyLine(page).getAttribute("data-points"), { timeout: 30_000 }).not.toBeNull();
    expect(Number(await strategyLine(page).getAttribute("data-points"))).toBeGreaterThan(200);
  });

  it("shows a point recorded through the API without a reload", async () => {
    await page.getByTestId("strategy-row").filter({ hasText: "stock-msft" }).click();
    await expect.poll(() => page.getByTestId("strategy-title").textContent()).toContain("Microsoft");
    await expect.poll(() => strategyLine(page).getAttribute("data-last"), { timeout: 30_000 }).toMatch(/^20/);
    const before = Number(await strategyLine(page).getAttribute("data-points"));
    const last = Date.parse((await strategyLine(page).getAttribute("data-last"))!);
    await page.evaluate(() => ((window as unknown as { marker: string }).marker = "same page"));

    const { strategy } = await graphql<{ strategy: { id: string; latest: { value: number } } }>(
      'query { strategy(slug: "stock-msft") { id latest { value } } }', {},
    );
    const timestamp = new Date(last + 86_400_000).toISOString();
    lastRecorded = timestamp;
    const recorded = await graphql<{ recordPerformance: { __typename: string; lastSeq: number } }>(
      `mutation($id: ID!, $points: [PerformancePointInput!]!) {
        recordPerformance(strategyId: $id, points: $points) { __typename ... on PerformanceRecorded { lastSeq } }
      }`,
      { id: strategy.id, points: [{ timestamp, nav: strategy.latest.value * 1.05 }] },
    );
    expect(recorded.recordPerformance.__typename).toBe("PerformanceRecorded");

    await expect.poll(() => strategyLine(page).getAttribute("data-last"), { timeout: 30_000 }).toBe(timestamp);
    // A trailing window moves with the new point: the chart keeps its length or grows by one.
    expect(Number(await strategyLine(page).getAttribute("data-points"))).toBeGreaterThanOrEqual(before);
    const msftRow = page.getByTestId("strategy-row").filter({ hasText: "stock-msft" });
    await expect.poll(() => msftRow.getByTestId("latest-return").textContent()).toBe("+5.00%");
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same page");
    // Over a subscription where the server has one; otherwise by polling sequence numbers.
    expect(await page.getByTestId("live-mode").textContent()).toBe(HAS.subscriptions ? "Live" : "Polling");
  });

  it("moves the comparison when a benchmark price is recorded through the API", async () => {
    // The strategy's new point (above) is on a date the benchmark has not priced yet.
    const { benchmark } = await graphql<{ benchmark: { latest: { timestamp: string; value: number } } }>(
      'query { benchmark(symbol: "SPX") { latest { timestamp value } } }', {},
    );
    expect(Date.parse(benchmark.latest.timestamp)).toBeLessThan(Date.parse(lastRecorded));
    expect(await relativeLine(page).getAttribute("data-last")).not.toBe(lastRecorded);
    const legend = (id: string) => page.getByTestId(`legend-${id}`).locator("b");
    const benchmarkBefore = await legend("benchmark").textContent();

    const recorded = await graphql<{ recordBenchmarkPrices: { __typename: string; inserted?: number } }>(
      `mutation($prices: [BenchmarkPriceInput!]!) {
        recordBenchmarkPrices(symbol: "SPX", prices: $prices) {
          __typename ... on BenchmarkPricesRecorded { inserted }
        }
      }`,
      { prices: [{ timestamp: lastRecorded, level: benchmark.latest.value * 1.02 }] },
    );
    expect(recorded.recordBenchmarkPrices).toEqual({ __typename: "BenchmarkPricesRecorded", inserted: 1 });

    // The benchmark line reaches the new date, and the relative line with it (both priced now).
    await expect.poll(() => benchmarkLine(page).getAttribute("data-last"), { timeout: 30_000 }).toBe(lastRecorded);
    await expect.poll(() => relativeLine(page).getAttribute("data-last"), { timeout: 30_000 }).toBe(lastRecorded);
    expect(await legend("benchmark").textContent()).not.toBe(benchmarkBefore);
    const { strategy } = await graphql<{
      strategy: { comparison: { excessReturn: number; series: { relative: number[] } } };
    }>(
      `query { strategy(slug: "stock-msft") {
        comparison(window: {preset: ONE_YEAR}) { excessReturn series { relative } }
      } }`,
      {},
    );
    // The relative figures are the API's, the new price included: the legend and the metrics.
    expect(await legend("relative").textContent()).toContain(percent(strategy.comparison.series.relative.at(-1)! / 100 - 1));
    const excess = page.getByTestId("metrics").locator("tr", { hasText: "Excess return" }).locator("td").first();
    await expect.poll(() => excess.textContent(), { timeout: 15_000 }).toContain(percent(strategy.comparison.excessReturn));
    // The header's freshness badge dates the benchmark from the new price.
    const asOf = `as of ${formatDate(Date.parse(lastRecorded))}`;
    await expect.poll(() => page.getByTestId("freshness-badge").textContent(), { timeout: 15_000 }).toMatch(new RegExp(`${asOf}$`));
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same page");
  });

  it("shows the benchmark's freshness", async () => {
    const badge = page.getByTestId("freshness-badge");
    await expect.poll(() => badge.getAttribute("data-state")).not.toBeNull();
    const state = await badge.getAttribute("data-state");
    const { benchmark } = await graphql<{ benchmark: { freshness: { isStale: boolean; asOf: string } } }>(
      'query { benchmark(symbol: "SPX") { freshness { isStale asOf } } }', {},
    );
    expect(state).toBe(benchmark.freshness.isStale ? "stale" : "fresh");
    expect(await badge.textContent()).toMatch(/^SPX (fresh|stale) · as of \d{1,2} [A-Z][a-z]{2} \d{4}$/);
  });

  it("shows the metrics the API computes, the new point included", async () => {
    const { strategy } = await graphql<{
      strategy: { metrics: { totalReturn: number }; comparison: { series: { relative: number[] } } };
    }>(
      `query { strategy(slug: "stock-msft") {
        metrics(window: {preset: ONE_YEAR}) { totalReturn }
        comparison(window: {preset: ONE_YEAR}) { series { relative } }
      } }`,
      {},
    );
    const total = percent(strategy.metrics.totalReturn);
    const row = page.getByTestId("metrics").locator("tr", { hasText: "Total return" });
    await expect.poll(() => row.locator("td").first().textContent(), { timeout: 15_000 }).toContain(total);
    // The chart rebases as the API does: its lines end where the API's figures do.
    expect(await page.getByTestId("legend-strategy").locator("b").textContent()).toContain(total);
    const relative = strategy.comparison.series.relative.at(-1)! / 100 - 1;
    expect(await page.getByTestId("legend-relative").locator("b").textContent()).toContain(percent(relative));
  });

  it("downloads the report as a PDF and as CSV", async () => {
    for (const format of ["pdf", "csv"]) {
      const [download] = await Promise.all([
        page.waitForEvent("download", { timeout: 60_000 }),
        page.getByTestId(`export-${format}`).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(new RegExp(`^stock-msft_vs_SPX_.*\\.${format}$`));
      const file = join(profile, download.suggestedFilename());
      await download.saveAs(file);
      const content = readFileSync(file);
      if (format === "pdf") {
        expect(content.subarray(0, 5).toString("latin1")).toBe("%PDF-");
        expect(content.length).toBeGreaterThan(20_000);
      } else {
        // The CSV carries the recorded point: the series runs to the new date.
        expect(content.toString("utf8")).toContain(lastRecorded.slice(0, 10));
      }
    }
    expect(await page.getByRole("alert").count()).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
  });
});
