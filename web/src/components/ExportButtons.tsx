/** Download the selected strategy's report as PDF or CSV. */

// The API has no report-link mutation yet: the buttons say so rather than fail on a click.
const UNAVAILABLE = "Reports are not available yet: this server does not offer report downloads.";

export function ExportButtons() {
  return (
    <div className="exports" role="group" aria-label="Export report">
      {(["PDF", "CSV"] as const).map((format) => (
        <button key={format} type="button" className="button" disabled title={UNAVAILABLE} data-testid={`export-${format.toLowerCase()}`}>
          {format}
        </button>
      ))}
    </div>
  );
}
