import type { Command } from "commander";
import { archiveProduction, deploymentRecordJson, rollback } from "../../deploy/index.js";
import { withLakay } from "../../app/index.js";
import { parseVersionNumber } from "../../registry/index.js";
import { emit } from "../output.js";
import { action } from "../run-command.js";
import { byOption, deployCommand, latencySlaOption, modelOption, type DeployCliOptions } from "./options.js";
import { printingRefusal, printRecord } from "./print.js";

/** `lakay rollback` and `lakay archive`: the ways out of Production. */
export function registerRollbackCommands(program: Command): void {
  deployCommand(
    program,
    "rollback",
    "verify the previous Production version, restore it and archive the current one, atomically",
    "the deployment record",
  )
    .addOption(modelOption())
    .addOption(byOption("who rolls back"))
    .option("--reason <text>", "why (recorded)")
    .option(
      "--to <n>",
      "restore this Archived version (also when nothing is in Production, after `lakay archive`)",
      parseVersionNumber,
    )
    .addOption(latencySlaOption())
    .addHelpText(
      "after",
      "\nThe target is the version that was in Production before the current one (deployment history),\n" +
        "else the highest-numbered Archived version. No approvals needed: rollback is the emergency path.\n" +
        "The target's checksums and validation checks are verified before the swap; a tampered or failing\n" +
        "target is refused and recorded. `champion` follows the restored version.\n\n" +
        "Example:\n  lakay rollback --model fraud-detector --by oncall --reason 'FPR up 30% since 02:00'\n",
    )
    .action(
      action(
        async (
          opts: DeployCliOptions & {
            model: string;
            by: string;
            reason?: string;
            to?: number;
            latencySlaMs?: number;
          },
        ) => {
          const record = await withLakay(opts, (reg) =>
            printingRefusal(opts, () =>
              rollback(reg, {
                model: opts.model,
                by: opts.by,
                reason: opts.reason,
                to: opts.to,
                latencySlaMs: opts.latencySlaMs,
              }),
            ),
          );
          emit(opts, deploymentRecordJson(record), () => printRecord(record));
        },
      ),
    );

  deployCommand(
    program,
    "archive",
    "emergency stop: archive the Production version with nothing replacing it (serving falls back to rules)",
    "the deployment record",
  )
    .addOption(modelOption())
    .addOption(byOption("who takes the model out of service"))
    .requiredOption("--reason <text>", "why (recorded)")
    .addHelpText(
      "after",
      "\nUse when the live model misbehaves and there is no version worth rolling back to; restore later\n" +
        "with `lakay rollback --to N` or a promotion. `champion` is removed.\n\n" +
        "Example:\n  lakay archive --model fraud-detector --by oncall --reason 'NaN scores since 02:10, INC-1234'\n",
    )
    .action(
      action(async (opts: DeployCliOptions & { model: string; by: string; reason: string }) => {
        const record = await withLakay(opts, (reg) =>
          printingRefusal(opts, () =>
            archiveProduction(reg, { model: opts.model, by: opts.by, reason: opts.reason }),
          ),
        );
        emit(opts, deploymentRecordJson(record), () =>
          process.stdout.write(
            `Archived model ${record.model} version ${record.version}: no version in Production now, champion removed; deployment record ${record.id}, by ${record.triggeredBy}\n`,
          ),
        );
      }),
    );
}
