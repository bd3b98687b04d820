import type { Command } from "commander";
import { withLakay } from "../../app/index.js";
import { emit, table } from "../output.js";
import { action } from "../run-command.js";
import { jsonOption, type RegistryCliOptions } from "./shared.js";

/** `lakay experiments list`. */
export function registerExperimentsCommands(program: Command): void {
  const experiments = program.command("experiments").description("experiments (groups of runs)");
  jsonOption(experiments.command("list").description("list experiments"))
    .addHelpText("after", "\nExample:\n  lakay experiments list --json")
    .action(
      action(async (opts: RegistryCliOptions) => {
        const list = await withLakay(opts, (reg) => reg.listExperiments());
        const value = list.map((e) => ({
          experiment_id: e.id,
          name: e.name,
          created_at: e.createdAt,
          tags: e.tags,
        }));
        emit(opts, value, () => {
          if (!list.length) return console.log("no experiments");
          console.log(
            table(
              ["ID", "NAME", "CREATED"],
              list.map((e) => [e.id, e.name, e.createdAt]),
            ),
          );
        });
      }),
    );
}
