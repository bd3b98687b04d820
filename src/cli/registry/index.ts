import type { Command } from "commander";
import { registerAuditCommands } from "../audit.js";
import { registerAuditPurgeCommand } from "../audit-purge.js";
import { registerExperimentsCommands } from "./experiments.js";
import { registerModelChangeCommands } from "./models-change.js";
import { registerModelReadCommands } from "./models-read.js";
import { registerRunsCommands } from "./runs.js";

export { versionJson } from "./shared.js";

/**
 * `lakay models|runs|experiments|audit`: read and change the registry, one module per command group;
 * each only parses, calls the library and prints.
 */
export function registerRegistryCommands(program: Command): void {
  const models = program
    .command("models")
    .description("registered models: versions, stages, aliases, history, download, register");
  registerModelReadCommands(models);
  registerModelChangeCommands(models);
  registerRunsCommands(program);
  registerExperimentsCommands(program);
  registerAuditCommands(program);
  registerAuditPurgeCommand(program.commands.find((c) => c.name() === "audit")!);
}
