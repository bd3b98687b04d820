import type { Command } from "commander";
import { loggedModels, purgePredictions, PREDICTION_LOG_MIN_RETENTION_DAYS } from "../monitoring/index.js";
import { withLakay } from "../app/index.js";
import { defaultActor } from "../registry/index.js";
import { loadServingConfig, readServingState, servedExperimentContext } from "../serving/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { ageInDays } from "./option-values.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface PurgeOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
  olderThan?: number;
  model?: string;
  config?: string;
  dryRun?: boolean;
  by?: string;
}

/** `lakay monitor purge-predictions`: the prediction log's retention purge (audited). */
export function registerMonitorPurgeCommand(monitor: Command): void {
  addRegistryOptions(
    monitor
      .command("purge-predictions")
      .description("delete prediction-log rows past their retention; per-experiment aggregates are kept")
      .option(
        "--older-than <age>",
        `rows older than this go, e.g. 400d, 60w, 5y (default: serving.yaml's prediction_log.retention_years; at least ${PREDICTION_LOG_MIN_RETENTION_DAYS}d)`,
        ageInDays,
      )
      .option("--model <name>", "only this model's rows (default: every model's)")
      .option("--config <serving.yaml>", "retention, operating threshold and model as the server has them")
      .option("--dry-run", "count what would go; change nothing")
      .option("--by <who>", "who runs the purge (default LAKAY_ACTOR or the OS user)")
      .option("--json", "print one JSON document"),
  )
    .addHelpText(
      "after",
      `
The database refuses to delete prediction rows younger than ${PREDICTION_LOG_MIN_RETENTION_DAYS} days whatever the caller.
Before an ended experiment's rows go, its A/B results are stored in experiment_results (kept 5 years)
if they were not already; the running experiment's rows stay. The purge is an audit entry
(monitoring.predictions_purged). Labels keep their own 5-year retention.

Example:
  lakay monitor purge-predictions --older-than 5y --dry-run
  lakay monitor purge-predictions --config serving.yaml --by records-officer --json
`,
    )
    .action(
      action(async (opts: PurgeOptions) => {
        const config = loadServingConfig(opts.config);
        const olderThanDays = opts.olderThan ?? config.monitoring.prediction_log.retention_years * 365;
        const report = await withLakay(opts, async (reg) => {
          const models = opts.model ? [opts.model] : await loggedModels(reg);
          const running: string[] = [];
          for (const m of models) {
            const id = (await readServingState(reg, m)).routing?.experimentId;
            if (id) running.push(id);
          }
          const ctx = await servedExperimentContext(reg, { ...config, model: opts.model ?? config.model });
          return purgePredictions(reg, {
            olderThanDays,
            model: opts.model,
            dryRun: opts.dryRun,
            actor: opts.by || defaultActor(),
            keepExperiments: running,
            threshold: ctx.operatingThreshold,
          });
        });
        emit(opts, report, () => {
          const verb = report.dry_run ? "would delete" : "deleted";
          process.stdout.write(
            `${verb} ${report.rows} prediction rows older than ${report.cutoff} (${report.older_than_days} days)\n`,
          );
          if (report.by_model.length)
            process.stdout.write(
              table(
                ["model", "rows"],
                report.by_model.map((m) => [m.model, String(m.rows)]),
              ) + "\n",
            );
          if (report.experiments_aggregated.length)
            process.stdout.write(
              `results ${report.dry_run ? "to be stored" : "stored"} first for ended experiments: ${report.experiments_aggregated.join(", ")}\n`,
            );
          if (report.experiments_kept.length)
            process.stdout.write(`kept (running experiment): ${report.experiments_kept.join(", ")}\n`);
        });
      }),
    );
}
