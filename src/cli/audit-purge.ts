import type { Command } from "commander";
import { withLakay } from "../app/index.js";
import { defaultActor } from "../registry/index.js";
import { addRegistryOptions } from "./registry-options.js";
import { isoDate } from "./option-values.js";
import { emit } from "./output.js";
import { action } from "./run-command.js";

/** `lakay audit purge`: the retention purge, leaving a checkpoint `audit verify` starts from. */
export function registerAuditPurgeCommand(audit: Command): void {
  addRegistryOptions(
    audit
      .command("purge")
      .description(
        "remove audit entries older than --before and than the 5-year retention period, keeping a checkpoint",
      ),
  )
    .requiredOption(
      "--before <date>",
      "ISO-8601 date: entries before it (and older than 5 years) go",
      isoDate,
    )
    .option("--by <who>", "who runs the purge (default LAKAY_ACTOR or the OS user)")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      "\nThe database refuses to delete an entry younger than 5 years whatever the caller. The last removed\n" +
        "entry's sequence number and hash are kept as a checkpoint, and `lakay audit verify` checks the rest\n" +
        "of the chain from it. The purge itself is an audit entry (audit.purge).\n\n" +
        "Example:\n  lakay audit purge --before 2021-01-01 --by records-officer\n",
    )
    .action(
      action(
        async (opts: {
          before: string;
          by?: string;
          json?: boolean;
          registryUri?: string;
          artifactRoot?: string;
        }) => {
          const result = await withLakay(opts, (reg) =>
            reg.purgeAudit({ before: opts.before, actor: opts.by || defaultActor() }),
          );
          emit(opts, result, () =>
            console.log(
              result.checkpoint
                ? `purged ${result.purged} audit entries through entry ${result.checkpoint.seq}; checkpoint hash ${result.checkpoint.hash}`
                : "nothing to purge: no audit entry is older than both --before and the 5-year retention period",
            ),
          );
        },
      ),
    );
}
