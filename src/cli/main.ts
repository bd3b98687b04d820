#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { lakayVersion } from "../version.js";
import { setLogLevel } from "../log/index.js";
import { cliState } from "./run-command.js";
import { registerDataCommands } from "./data.js";
import { registerGenerateCommands } from "./generate.js";
import { registerFeaturesCommands } from "./features.js";
import { registerGbdtCommands } from "./gbdt.js";
import { registerPredictCommand } from "./predict.js";
import { registerRegistryCommands } from "./registry.js";

/** Builds the `lakay` program. Each command group lives in its own file and only parses, calls, prints. */
export function buildProgram(): Command {
  const program = new Command("lakay")
    .description("Lakay: the fraud-model lifecycle — train, register, gate, promote, serve and monitor")
    .version(lakayVersion(), "-V, --version")
    .option("--verbose", "show debug logs and stack traces")
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .hook("preAction", (cmd) => {
      if (cmd.opts().verbose) {
        cliState.verbose = true;
        setLogLevel("debug");
      }
    })
    .exitOverride();

  registerDataCommands(program);
  registerGenerateCommands(program);
  registerFeaturesCommands(program);
  registerGbdtCommands(program);
  registerPredictCommand(program);
  registerRegistryCommands(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are exit code 0; any usage error is 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    throw err;
  }
}

await main();
