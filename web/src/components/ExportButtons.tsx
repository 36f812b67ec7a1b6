/** Download the selected strategy's report, over the selected window, as PDF or CSV. */
import type { ReportFormat } from "../api/operations";
import { saveDownload } from "../api/download";
import { usePerformance } from "../store/react";
import { useSelectedSeries } from "./useSelection";

const FORMATS: [ReportFormat, string][] = [
  ["PDF", "A formatted report: metrics, charts, tables and methodology"],
  ["CSV", "The series and metrics as CSV"],
];

export function ExportButtons() {
  const { id, window, interval } = useSelectedSeries();
  const reports = usePerformance((s) => s.reports);
  const createLink = usePerformance((s) => s.createReportLink);
  const done = usePerformance((s) => s.reportDone);

  const download = async (format: ReportFormat) => {
    if (!id) return;
    const link = await createLink(id, window, interval, format);
    if (!link) return;
    try {
      await saveDownload(link.url, link.filename);
      done(format);
    } catch (error) {
      done(format, error instanceof Error ? error.message : String(error));
    }
  };

  const errors = FORMATS.map(([f]) => reports[f]).filter((r) => r.status === "error");
  return (
    <div className="exports" role="group" aria-label="Export report">
      {FORMATS.map(([format, title]) => {
        const state = reports[format];
        return (
          <button key={format} type="button" className="button" title={title} disabled={!id || state.status === "working"}
            onClick={() => void download(format)} data-testid={`export-${format.toLowerCase()}`}>
            {state.status === "working" ? `${format}…` : format}
          </button>
        );
      })}
      {errors.map((e, i) => (
        <span key={i} className="export-error" role="alert">{"message" in e ? e.message : ""}</span>
      ))}
    </div>
  );
}
