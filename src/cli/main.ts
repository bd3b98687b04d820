#!/usr/bin/env node
import { CommanderError } from "commander";
import { lakayVersion } from "../version.js";
import { buildProgram } from "./program.js";
import { cliState, reportError } from "./run-command.js";

async function main(): Promise<void> {
  if (process.argv[2] === "--version") {
    process.stdout.write(`${lakayVersion()}\n`);
    return;
  }
  // The root's preAction hook sets this too, but only once parsing is over: a bad option value
  // fails before it, and its stack trace is what --verbose is for.
  if (process.argv.includes("--verbose")) cliState.verbose = true;
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are exit code 0; any usage error is 2.
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    // An option's value parser failed (see reportOptionValueErrors): one sentence, exit 2.
    reportError(err);
  }
}

await main();
