import { Option, type Command } from "commander";
import { ValidationFailedError } from "../errors/index.js";
import { withLakay } from "../app/index.js";
import { defaultActor, parseVersionNumber } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import {
  auditVersionBias,
  BIAS_DIMENSIONS,
  loadBiasAuditConfig,
  parseBiasAuditConfig,
  type BiasDimension,
  type BiasReport,
  type SegmentRate,
} from "../training/index.js";
import { numberBetween, wholeNumber } from "./option-values.js";
import { emit, table } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface BiasAuditCliOptions {
  model: string;
  version: number;
  dataset: string;
  by?: BiasDimension[];
  config?: string;
  threshold?: number;
  record: boolean;
  failOnFlags?: boolean;
  threads?: number;
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

/** `--by type,amount_band`: known dimensions only, each once. */
export function dimensionList(value: string): BiasDimension[] {
  const names = value.split(",").map((s) => s.trim());
  for (const n of names) {
    if (!(BIAS_DIMENSIONS as readonly string[]).includes(n))
      throw new Error(
        `invalid dimension ${JSON.stringify(n)}: expected a comma-separated list of ${BIAS_DIMENSIONS.join(", ")}`,
      );
  }
  if (new Set(names).size !== names.length) throw new Error("expected each dimension at most once");
  return names as BiasDimension[];
}

/** `lakay bias-audit`: how a registered version treats each segment of customers. */
export function registerBiasAuditCommand(program: Command): void {
  const cmd = program
    .command("bias-audit")
    .description(
      "score a labeled dataset with a registered version and compare its recall and false-positive rate across customer segments",
    )
    .requiredOption("--model <name>", "registered model name")
    .addOption(
      new Option("--version <n>", "model version").argParser(parseVersionNumber).makeOptionMandatory(),
    )
    .requiredOption("--dataset <labeled.csv>", "labeled PaySim CSV (with isFraud)")
    .option(
      "--by <dimensions>",
      `comma-separated segmentations (default: ${BIAS_DIMENSIONS.join(",")})`,
      dimensionList,
    )
    .option(
      "--config <bias.yaml>",
      "bounds, minimum segment sizes and amount band edges (see docs/bias-audit.md)",
    )
    .option(
      "--threshold <t>",
      "decision threshold (default: the one the version was trained and evaluated at)",
      numberBetween(0, 1, true),
    )
    .option("--no-record", "only print the report: do not store it with the version nor audit it")
    .option("--fail-on-flags", "exit 1 when a segment is flagged")
    .option("--threads <n>", "threads for scoring (default: every core)", wholeNumber(1))
    .option("--json", "print the report as JSON");
  addRegistryOptions(cmd)
    .addHelpText(
      "after",
      `
A segment is flagged when its false-positive rate is over max_fpr_ratio (1.25) times the overall one
or its recall under min_recall_ratio (0.8) times the overall one; segments with fewer than 30 frauds
or 300 rows are reported as too small and never flagged. The report is stored with the version's run
under bias_audits/ and audited as model_version.bias_audit (actor: LAKAY_ACTOR or the OS user).

Example:
  lakay bias-audit --model fraud-detector --version 4 --dataset last-30-days.csv
  lakay bias-audit --model fraud-detector --version 4 --dataset q3.csv --by type,amount_band --json`,
    )
    .action(action(async (o: BiasAuditCliOptions) => biasAuditCommand(o)));
}

async function biasAuditCommand(o: BiasAuditCliOptions): Promise<void> {
  const base = o.config ? loadBiasAuditConfig(o.config) : parseBiasAuditConfig();
  const config = o.by ? { ...base, dimensions: o.by } : base;
  let bar: Progress | undefined;
  const report = await withLakay(o, (reg) =>
    auditVersionBias(reg, {
      model: o.model,
      version: o.version,
      dataset: o.dataset,
      threshold: o.threshold,
      config,
      actor: defaultActor(),
      record: o.record,
      threads: o.threads,
      onProgress: (done, total) => {
        bar ??= new Progress("reading dataset", total, " bytes");
        bar.update(done);
      },
    }),
  ).finally(() => bar?.done());
  emit(o, report, () => printBiasReport(report));
  if (o.failOnFlags && report.flags.length > 0)
    throw new ValidationFailedError(
      `model ${o.model} version ${o.version} has ${report.flags.length} bias flag(s): ${report.flags.map((f) => `${f.dimension}=${f.segment} ${f.metric}`).join(", ")}`,
    );
}

const pct = (r: SegmentRate | { value: number | null }) =>
  r.value === null ? "-" : `${(100 * r.value).toFixed(2)}%`;
const withRatio = (r: SegmentRate) => (r.ratio === null ? pct(r) : `${pct(r)} (${r.ratio.toFixed(2)}x)`);

/** The report for people: one row per segment, then the flags in words. */
export function printBiasReport(report: BiasReport & { artifact?: string | null }): void {
  const o = report.overall;
  const out = process.stdout;
  out.write(
    `bias audit of ${report.model}${report.version === null ? "" : ` version ${report.version}`} on ${report.dataset}\n` +
      `threshold ${report.threshold} (${report.threshold_source.replace("_", " ")}); ${o.count.toLocaleString("en-US")} rows, ` +
      `${o.fraud.toLocaleString("en-US")} fraud; overall recall ${pct(o.recall)}, false-positive rate ${pct(o.false_positive_rate)}\n\n`,
  );
  out.write(
    table(
      [
        "dimension",
        "segment",
        "rows",
        "fraud",
        "fraud rate",
        "flag rate",
        "precision",
        "recall",
        "FPR",
        "status",
      ],
      report.segments.map((s) => [
        s.dimension,
        s.segment,
        s.count,
        s.fraud,
        pct(s.fraud_rate),
        withRatio(s.flag_rate),
        withRatio(s.precision),
        withRatio(s.recall),
        withRatio(s.false_positive_rate),
        s.status.replace("_", " "),
      ]),
    ) + "\n\n",
  );
  const b = report.bounds;
  if (report.flags.length === 0)
    out.write(
      `no flags (bounds: FPR ratio <= ${b.max_fpr_ratio}, recall ratio >= ${b.min_recall_ratio}; judged from ${b.min_positives} frauds and ${b.min_rows} rows)\n`,
    );
  else {
    out.write(`${report.flags.length} flag(s):\n`);
    for (const f of report.flags) out.write(`  ${f.message}\n`);
  }
  if (report.artifact) out.write(`stored as ${report.artifact}\n`);
}
