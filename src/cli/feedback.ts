import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { BadInputError } from "../errors/index.js";
import { log } from "../log/index.js";
import {
  checkAutoPromotion,
  recordLabels,
  WebhookDispatcher,
  type AutoPromotionOutcome,
  type OutcomeLabel,
} from "../monitoring/index.js";
import { withLakay } from "../app/index.js";
import { defaultActor, type Registry } from "../registry/index.js";
import { loadServingConfig, servedExperimentContext } from "../serving/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { emit } from "./output.js";
import { action } from "./run-command.js";

interface FeedbackOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  by?: string;
  source: string;
  model?: string;
  config?: string;
}

/** Reads `transaction_id,isFraud` (other columns ignored); a bad row names its line and field. */
export async function readLabelsCsv(file: string, source: string): Promise<OutcomeLabel[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read ${file}: ${(err as Error).message}`, { file });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split(",").map((h) => h.trim());
  const idCol = header.indexOf("transaction_id");
  const labelCol = header.indexOf("isFraud");
  if (idCol < 0 || labelCol < 0)
    throw new BadInputError(
      `${file}: the header must name transaction_id and isFraud (got ${header.join(",")})`,
      { file, line: 1 },
    );
  const labels: OutcomeLabel[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    const cells = lines[i].split(",");
    const id = cells[idCol]?.trim();
    const y = cells[labelCol]?.trim();
    if (!id)
      throw new BadInputError(`${file} line ${i + 1}: transaction_id is empty`, {
        file,
        line: i + 1,
        field: "transaction_id",
      });
    if (y !== "0" && y !== "1")
      throw new BadInputError(
        `${file} line ${i + 1}: isFraud must be 0 or 1 (got ${JSON.stringify(y ?? "")})`,
        {
          file,
          line: i + 1,
          field: "isFraud",
        },
      );
    labels.push({ transactionId: id, isFraud: y === "1", source, labeledAt: null });
  }
  if (!labels.length) throw new BadInputError(`${file}: no labels`, { file });
  return labels;
}

/** `lakay feedback import labels.csv`: investigation outcomes into the registry, joined to the prediction log. */
export function registerFeedbackCommands(program: Command): void {
  const feedback = program
    .command("feedback")
    .description("outcome labels (investigation results) for monitoring and A/B statistics");
  addRegistryOptions(
    feedback
      .command("import <labels.csv>")
      .description("store labels from a CSV with columns transaction_id,isFraud (others ignored)")
      .option("--source <source>", "where the labels come from (kept with each label)", "import")
      .option("--model <name>", "model named in the audit entry")
      .option("--by <who>", "who imports (default LAKAY_ACTOR or the OS user)")
      .option(
        "--config <serving.yaml>",
        "the server's configuration: with monitoring.auto_promotion.enabled, the running experiment's decision is re-checked",
      )
      .option("--json", "print the import report as JSON"),
  )
    .addHelpText(
      "after",
      `
A relabel (an id labeled before) adds a row: the latest label is in force, the earlier stays in
history. Labels for ids the prediction log does not hold are kept and counted as "unknown".
With --config and auto-promotion enabled there, the running experiment's always-valid test is
re-checked exactly as the feedback endpoint does (docs/monitoring.md, "Auto-promotion").

Example:
  lakay feedback import labels.csv --source investigation --json
`,
    )
    .action(
      action(async (file: string, opts: FeedbackOptions) => {
        const labels = await readLabelsCsv(file, opts.source);
        const config = opts.config ? loadServingConfig(opts.config) : null;
        if (config && opts.model) config.model = opts.model;
        const out = await withLakay(opts, async (reg) => {
          const report = await recordLabels(reg, labels, opts.by || defaultActor(), opts.model ?? null);
          const auto = config?.monitoring.auto_promotion.enabled
            ? await autoPromotionAfterLabels(reg, config)
            : null;
          return auto ? { ...report, auto_promotion: auto } : report;
        });
        emit(opts, out, () => {
          process.stdout.write(
            `Stored ${out.received} labels: ${out.known} joined to logged predictions, ${out.unknown} for unknown transaction ids (kept), ${out.relabeled} relabels\n`,
          );
          if ("auto_promotion" in out) process.stdout.write(autoPromotionLine(out.auto_promotion) + "\n");
        });
      }),
    );
}

/** The feedback endpoint's auto-promotion check, from the CLI: same function, same webhook. */
async function autoPromotionAfterLabels(
  registry: Registry,
  config: ReturnType<typeof loadServingConfig>,
): Promise<(AutoPromotionOutcome & { experiment_id: string }) | { experiment_id: null; reason: string }> {
  const ctx = await servedExperimentContext(registry, config);
  if (!ctx.experiment) return { experiment_id: null, reason: `no experiment is running for ${ctx.model}` };
  const outcome = await checkAutoPromotion(registry, {
    model: ctx.model,
    experimentId: ctx.experiment.id,
    challengerVersion: ctx.experiment.challengerVersion,
    config: config.monitoring.auto_promotion,
    threshold: ctx.operatingThreshold,
    logger: log(),
  });
  if (outcome.request) {
    // Delivered (with retries) before the command exits.
    const webhooks = new WebhookDispatcher({ registry, logger: log() });
    webhooks.emit("auto_promotion", { experiment_id: ctx.experiment.id, ...outcome });
    await webhooks.idle();
  }
  return { experiment_id: ctx.experiment.id, ...outcome };
}

function autoPromotionLine(
  a: (AutoPromotionOutcome & { experiment_id: string }) | { experiment_id: null; reason: string },
): string {
  if (!("decision" in a)) return `Auto-promotion: ${a.reason}`;
  if (a.already_decided) return `Auto-promotion: experiment ${a.experiment_id} already decided earlier`;
  if (!a.request) return `Auto-promotion: not yet (${a.decision.reason})`;
  const r = a.request;
  const bt = r.backtest
    ? `backtest ${r.backtest.id} on ${r.backtest.rows} labeled predictions ${r.backtest.passed ? "passed" : "failed"}`
    : `no backtest (${r.backtest_error})`;
  return r.promoted
    ? `Auto-promotion FIRED: ${bt}; version ${r.gate?.model_version} promoted through the gate`
    : r.gate
      ? `Auto-promotion FIRED: ${bt}; promotion requested, the gate still needs: ${r.gate.conditions
          .filter((c) => c.status === "fail")
          .map((c) => c.name)
          .join(", ")}`
      : `Auto-promotion FIRED: ${bt}; the promotion request failed: ${r.error}`;
}
