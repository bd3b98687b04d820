/** Offline reports: self-contained HTML files a reviewer opens without the server. */
export { driftReportHtml, type DriftReportInput } from "./drift-report-html.js";
