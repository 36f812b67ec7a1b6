import { describe, expect, it } from "vitest";

import { createPerformanceStore } from "../src/store/performance";
import { scriptedApi } from "./scriptedApi";

describe("report links", () => {
  it("ask for the selected strategy, window and format, and return the signed link", async () => {
    const api = scriptedApi();
    api.on("CreateReportLink", () => ({
      createReportLink: { __typename: "ReportLink", url: "/reports/abc.def", filename: "s-1_vs_SPX_1Y.pdf", expiresAt: "2030-01-01T00:00:00Z" },
    }));
    const store = createPerformanceStore(api);
    const link = await store.getState().createReportLink("1", "ONE_YEAR", "DAY", "PDF");
    expect(link).toEqual({ url: "/reports/abc.def", filename: "s-1_vs_SPX_1Y.pdf" });
    expect(api.calls.at(-1)).toEqual({
      name: "CreateReportLink",
      variables: { input: { strategyId: "1", format: "PDF", window: { preset: "ONE_YEAR" }, interval: "DAY" } },
    });
    expect(store.getState().reports.PDF).toEqual({ status: "working" });
    store.getState().reportDone("PDF");
    expect(store.getState().reports.PDF).toEqual({ status: "idle" });
  });

  it("keep the API's reason when it refuses", async () => {
    const api = scriptedApi();
    api.on("CreateReportLink", () => ({
      createReportLink: { __typename: "ValidationError", message: "the window holds no points", field: "window" },
    }));
    const store = createPerformanceStore(api);
    expect(await store.getState().createReportLink("1", "MTD", "DAY", "CSV")).toBeNull();
    expect(store.getState().reports.CSV).toEqual({ status: "error", message: "the window holds no points" });
    expect(store.getState().reports.PDF).toEqual({ status: "idle" });
  });
});
