import {
  deploymentRecordJson,
  deploymentRecordOf,
  flagsSideBySide,
  gateJson,
  gateReportOf,
  type BacktestBias,
  type BacktestReport,
  type DeploymentRecord,
  type GateReport,
  type StoredValidation,
} from "../../deploy/index.js";
import { emit, table } from "../output.js";
import type { DeployCliOptions } from "./options.js";

/** How the deployment commands print their results for people; `--json` prints the JSON shapes. */

export function printValidation(v: StoredValidation): void {
  const d = v.report.details;
  const ms = (x: number | null) => (x === null ? "-" : x.toFixed(3));
  process.stdout.write(
    `Validation of model ${v.model} version ${v.version}: ${v.passed ? "PASSED" : "FAILED"}\n\n` +
      table(
        ["check", "result", "detail"],
        v.report.steps.map((s) => [s.name, s.passed ? "pass" : "FAIL", s.detail]),
      ) +
      `\n\ntested ${d.n_tested} vectors (${d.n_synthetic} synthetic from ${d.vector_source}, ${d.n_caller} given); ` +
      `valid scores ${(d.valid_score_share * 100).toFixed(1)}%; mean score ${d.mean_score === null ? "-" : d.mean_score.toFixed(4)}\n` +
      `latency p50 ${ms(d.latency_p50_ms)} ms, p95 ${ms(d.latency_p95_ms)} ms, p99 ${ms(d.latency_p99_ms)} ms (SLA ${d.latency_sla_ms} ms)\n`,
  );
}

export function printBacktest(r: BacktestReport): void {
  const f = (x: number | null) => (x === null ? "-" : x.toFixed(4));
  const head =
    r.currentVersion === null
      ? `Backtest of model ${r.model}: candidate version ${r.candidateVersion}, no Production version to compare against`
      : `Backtest of model ${r.model}: candidate version ${r.candidateVersion} vs Production version ${r.currentVersion}`;
  const window = r.dataset.window
    ? `, steps ${r.dataset.window.start_step}-${r.dataset.window.end_step}`
    : "";
  process.stdout.write(
    `${head}\ndataset ${r.dataset.path} (${r.dataset.rows} rows, ${r.dataset.frauds} fraud${window}, sha256 ${r.dataset.sha256.slice(0, 12)}), threshold ${r.threshold}\n\n` +
      table(
        ["metric", "current", "candidate", "requirement", "result"],
        r.comparison.rows.map((row) => [
          row.label,
          f(row.current),
          f(row.candidate),
          row.requirement,
          row.passed === null ? "-" : row.passed ? "pass" : "FAIL",
        ]),
      ) +
      `\n\n${r.comparison.compared ? (r.comparison.passed ? "PASSED" : "FAILED") : "NOT COMPARED"}: ${r.comparison.summary}\n` +
      biasSideBySide(r.bias) +
      (r.artifact ? `report stored as artifact ${r.artifact}\n` : ""),
  );
}

/** The bias flags of both versions, segment by segment (ratio to overall; docs/bias-audit.md). */
function biasSideBySide(b: BacktestBias): string {
  const rows = flagsSideBySide(b);
  if (rows.length === 0) return "\nbias audit: no segment flagged in either version\n";
  return (
    "\nbias audit (ratio to overall):\n" +
    table(
      ["segment:metric", "current", "candidate"],
      rows.map((row) => [row.flag, row.current, row.candidate]),
    ) +
    "\n" +
    (b.newFlags.length
      ? `new in the candidate: ${b.newFlags.join(", ")}\n`
      : "no flag new in the candidate\n")
  );
}

export function printRecord(r: DeploymentRecord): void {
  const what =
    r.action === "rollback"
      ? `Rolled back model ${r.model} to version ${r.version} (version ${r.previousVersion} archived; target verified)`
      : `Promoted model ${r.model} version ${r.version} to Production` +
        (r.previousVersion === null
          ? " (no previous Production version)"
          : ` (version ${r.previousVersion} archived)`);
  const overrides = r.details.overrides as { validation?: boolean; backtest?: boolean } | null | undefined;
  const skipped = [overrides?.validation && "validation", overrides?.backtest && "backtest"].filter(Boolean);
  process.stdout.write(
    `${what}; champion -> version ${r.version}; deployment record ${r.id}, by ${r.triggeredBy}\n` +
      (skipped.length ? `OVERRIDE: ${skipped.join(" and ")} skipped (${r.reason})\n` : ""),
  );
}

const MARK: Record<string, string> = { pass: "pass", fail: "FAIL", skipped: "SKIPPED", not_required: "-" };

/** The gate checklist: one row per condition; the same table `lakay promote` prints when it refuses. */
export function printGate(g: GateReport, out: NodeJS.WritableStream = process.stdout): void {
  const head =
    `Gate for model ${g.model} version ${g.version} (${g.stage}, artifacts ${g.artifactDigest.slice(0, 12)}): ` +
    `${g.passed ? "READY to promote" : "NOT ready"}\n` +
    `Production: ${g.production ? `version ${g.production.version}` : "none"}; change kinds: ${g.changeKinds.join(", ")}` +
    (g.detectedChanges.length ? ` (detected: ${g.detectedChanges.map((d) => d.detail).join("; ")})` : "") +
    "\n\n";
  const rows = g.conditions.map((c) => [c.name, MARK[c.status], c.detail]);
  const warnings = g.warnings.map((w) => `\n${w}`).join("");
  out.write(
    head +
      table(["condition", "result", "detail / what is missing"], rows) +
      "\n" +
      warnings +
      (warnings ? "\n" : ""),
  );
}

/**
 * A refused operation carries its stored record (and, for a promotion, the gate checklist): `--json`
 * prints them on stdout, the text form prints the checklist on stderr before the one-line error.
 */
export async function printingRefusal<T>(opts: DeployCliOptions, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const record = deploymentRecordOf(err);
    const gate = gateReportOf(err);
    if (record && opts.json)
      emit(opts, { ...deploymentRecordJson(record), gate: gate ? gateJson(gate) : undefined }, () => {});
    else if (gate) printGate(gate, process.stderr);
    throw err;
  }
}
