import type { Command } from "commander";
import { deploymentHistory, deploymentRecordJson, type DeploymentRecord } from "../../deploy/index.js";
import { withLakay } from "../../app/index.js";
import { emit, table } from "../output.js";
import { action } from "../run-command.js";
import { deployCommand, limitOption, type DeployCliOptions } from "./options.js";

/** `lakay history`: the deployment records. */
export function registerHistoryCommand(program: Command): void {
  deployCommand(
    program,
    "history",
    "deployment records (promotions, rollbacks, archives, break-glass; refused attempts included), newest first",
    "the records as a JSON array",
  )
    .option("--model <name>", "only this model")
    .addOption(limitOption())
    .addHelpText("after", "\nExample:\n  lakay history --model fraud-detector --limit 20\n")
    .action(
      action(async (opts: DeployCliOptions & { model?: string; limit?: number }) => {
        const records = await withLakay(opts, (reg) =>
          deploymentHistory(reg, { model: opts.model, limit: opts.limit }),
        );
        emit(opts, records.map(deploymentRecordJson), () => {
          if (records.length === 0) return void process.stdout.write("no deployment records\n");
          process.stdout.write(
            table(
              [
                "id",
                "timestamp",
                "model",
                "action",
                "version",
                "previous",
                "by",
                "success",
                "reason / error",
              ],
              records.map((r) => [
                r.id,
                r.timestamp,
                r.model,
                actionLabel(r),
                r.version ?? "-",
                r.previousVersion ?? "-",
                r.triggeredBy,
                r.success ? "yes" : "NO",
                r.error ?? r.reason ?? "",
              ]),
            ) + "\n",
          );
        });
      }),
    );
}

/** Break-glass and overrides are loud: they name what was bypassed. */
function actionLabel(r: DeploymentRecord): string {
  if (r.action === "break_glass") return `BREAK-GLASS (${String(r.details.from)} -> ${String(r.details.to)})`;
  const o = r.details.overrides as { validation?: boolean; backtest?: boolean } | null | undefined;
  const skipped = [o?.validation && "validation", o?.backtest && "backtest"].filter(Boolean);
  return skipped.length ? `${r.action} OVERRIDE (skipped ${skipped.join("+")})` : r.action;
}
