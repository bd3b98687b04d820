import type { Command } from "commander";
import { experimentReport, type AbReport } from "../monitoring/index.js";
import { latestExperiment } from "../serving/index.js";
import { withLakay } from "../app/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { NotFoundError } from "../errors/index.js";
import { numberBetween } from "./option-values.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface AbOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  model: string;
  experiment?: string;
  threshold: number;
}

const pct = (x: number | null) => (x === null ? "-" : `${(100 * x).toFixed(2)} %`);
const ci = (c: { lower: number; upper: number } | null) => (c ? `[${pct(c.lower)}, ${pct(c.upper)}]` : "-");

function print(model: string, experimentId: string, r: AbReport): string {
  const rows = (["champion", "challenger"] as const).map((v) => {
    const s = r[v];
    return [
      v,
      String(s.count),
      s.mean_score === null ? "-" : s.mean_score.toFixed(4),
      s.p95_latency_ms === null ? "-" : s.p95_latency_ms.toFixed(2),
      String(s.labeled),
      `${pct(s.precision.value)} ${ci(s.precision.ci95)}`,
      `${pct(s.recall.value)} ${ci(s.recall.ci95)}`,
      `${pct(s.false_positive_rate.value)} ${ci(s.false_positive_rate.ci95)}`,
    ];
  });
  const d = r.difference;
  rows.push([
    "difference",
    "",
    "",
    "",
    "",
    `${pct(d.precision.value)} ${ci(d.precision.ci95)}`,
    `${pct(d.recall.value)} ${ci(d.recall.ci95)}`,
    `${pct(d.false_positive_rate.value)} ${ci(d.false_positive_rate.ci95)}`,
  ]);
  return (
    `${model}, experiment ${experimentId}, flagged at score ≥ ${r.operating_threshold} (95 % intervals)\n` +
    table(
      ["variant", "count", "mean score", "p95 ms", "labeled", "precision", "recall", "false-positive rate"],
      rows,
    )
  );
}

/** `lakay ab report`: the A/B statistics of an experiment from the prediction log and labels (seed §5.3). */
export function registerAbCommands(program: Command): void {
  const ab = program
    .command("ab")
    .description("champion/challenger experiments: statistics from the prediction log");
  addRegistryOptions(
    ab
      .command("report")
      .description("per-variant count, mean score, p95 latency, precision/recall/FPR with 95 % intervals")
      .requiredOption("--model <name>", "registered model")
      .option("--experiment <id>", "experiment id (default: the latest)")
      .option("--threshold <score>", "operating threshold: flagged when score ≥ it", numberBetween(0, 1), 0.6)
      .option("--json", "print JSON"),
  )
    .addHelpText("after", "\nExample:\n  lakay ab report --model fraud-detector --json\n")
    .action(
      action(async (opts: AbOptions) => {
        const out = await withLakay(opts, async (reg) => {
          const id = opts.experiment ?? (await latestExperiment(reg, opts.model))?.id;
          if (!id)
            throw new NotFoundError(
              `no experiment for ${opts.model}: set a split with POST /api/v1/serving/routing`,
            );
          return {
            id,
            report: await experimentReport(reg, { model: opts.model, experimentId: id }, opts.threshold),
          };
        });
        emit(opts, { model: opts.model, experiment_id: out.id, ...out.report }, () =>
          process.stdout.write(print(opts.model, out.id, out.report) + "\n"),
        );
      }),
    );
}
