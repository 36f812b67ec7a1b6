/**
 * The store's report slice: asking the API for a signed link to a strategy's report. The
 * download itself (a fetch with the page's credentials, saved as a file) is the page's job.
 */
import type { StoreApi } from "zustand/vanilla";

import type { Api } from "../api/client";
import { CreateReportLink, type Interval, type ReportFormat, type WindowPreset } from "../api/operations";
import { failure } from "./widgets";

export interface ReportLink {
  url: string;
  filename: string;
}

export type ReportStatus = { status: "idle" | "working" } | { status: "error"; message: string };

export interface ReportState {
  reports: Record<ReportFormat, ReportStatus>;
  /** The link, or null when the API refused (the reason is in `reports[format]`). */
  createReportLink(
    strategyId: string,
    window: WindowPreset,
    interval: Interval,
    format: ReportFormat,
  ): Promise<ReportLink | null>;
  reportDone(format: ReportFormat, error?: string): void;
}

export function reportSlice<S extends ReportState>(api: Api, set: StoreApi<S>["setState"]): ReportState {
  const setStatus = (format: ReportFormat, status: ReportStatus) =>
    set((s) => ({ reports: { ...s.reports, [format]: status } }) as Partial<S>);
  return {
    reports: { CSV: { status: "idle" }, PDF: { status: "idle" } },
    async createReportLink(strategyId, window, interval, format) {
      setStatus(format, { status: "working" });
      try {
        const input = { strategyId, format, window: { preset: window }, interval };
        const result = (await api.request(CreateReportLink, { input })).createReportLink;
        if (result.__typename === "ReportLink") return { url: result.url, filename: result.filename };
        setStatus(format, { status: "error", message: result.message });
      } catch (error) {
        const f = failure(error);
        setStatus(format, { status: "error", message: "message" in f ? f.message : String(error) });
      }
      return null;
    },
    reportDone(format, error) {
      setStatus(format, error ? { status: "error", message: error } : { status: "idle" });
    },
  };
}
