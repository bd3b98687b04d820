import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** What the offline drift report shows: `lakay monitor drift --json`'s document. */
export interface DriftReportInput {
  model: string;
  version: number;
  dataset: string;
  rows: number;
  status: string;
  thresholds: { warning: number; critical: number };
  features: { feature: string; psi: number | null; status: string; count?: number }[];
}

/** Text that is safe inside a <script> element (no `</script>`, no HTML comment openers). */
function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

function esc(v: unknown): string {
  return String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/**
 * The dashboard's drift page as ONE self-contained HTML file for a reviewer without the server:
 * Chart.js (from node_modules) and the data are inlined, nothing is fetched. The table beside the
 * chart carries every number, so the file also reads with scripts off.
 */
export function driftReportHtml(r: DriftReportInput, generatedAt = new Date().toISOString()): string {
  const chartJs = readFileSync(
    join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"),
    "utf8",
  );
  const rows = r.features
    .map(
      (f) =>
        `<tr><td>${esc(f.feature)}</td><td class="num">${f.psi === null ? "–" : f.psi.toFixed(4)}</td><td class="${esc(f.status)}">${esc(f.status)}</td></tr>`,
    )
    .join("\n");
  const render = `
const r = JSON.parse(document.getElementById("data").textContent);
const n = r.features.length;
const line = (label, y, color) => ({ type: "line", label, data: Array(n).fill(y), borderColor: color, borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, fill: false });
new Chart(document.getElementById("psi"), {
  type: "bar",
  data: {
    labels: r.features.map((f) => f.feature),
    datasets: [
      { label: "PSI", data: r.features.map((f) => f.psi), backgroundColor: r.features.map((f) => f.status === "critical" ? "#b91c1c" : f.status === "warning" ? "#d97706" : "#16a34a") },
      line("warning " + r.thresholds.warning, r.thresholds.warning, "#d97706"),
      line("critical " + r.thresholds.critical, r.thresholds.critical, "#b91c1c"),
    ],
  },
  options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, suggestedMax: 0.3 } } },
});`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8" />
<title>Drift: ${esc(r.model)} v${esc(r.version)} vs ${esc(r.dataset)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; max-width: 1100px; }
table { border-collapse: collapse; min-width: 420px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #d8dce3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.stable { color: #15803d; font-weight: 600; } .warning { color: #b45309; font-weight: 600; } .critical { color: #b91c1c; font-weight: 600; }
.chart { height: 320px; margin: 16px 0; }
</style>
</head>
<body>
<h1>Feature drift (PSI): <span class="${esc(r.status)}">${esc(r.status)}</span></h1>
<p>Model <b>${esc(r.model)}</b> version ${esc(r.version)} (its reference.json bins) against <code>${esc(r.dataset)}</code>,
${esc(r.rows)} rows. stable &lt; ${r.thresholds.warning} ≤ warning &lt; ${r.thresholds.critical} ≤ critical.
Generated ${esc(generatedAt)} by <code>lakay monitor drift --html</code>.</p>
<div class="chart"><canvas id="psi"></canvas></div>
<table><thead><tr><th>feature</th><th>PSI</th><th>status</th></tr></thead><tbody>
${rows}
</tbody></table>
<script id="data" type="application/json">${scriptSafe(JSON.stringify(r))}</script>
<script>${scriptSafe(chartJs)}</script>
<script>${scriptSafe(render)}</script>
</body>
</html>
`;
}
