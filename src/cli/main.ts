#!/usr/bin/env node
import { CommanderError, type Command } from "commander";
import { lakayVersion } from "../version.js";
import { fastStartGroup } from "./fast-start.js";
import { reportOptionValueErrors } from "./option-values.js";
import { rootProgram } from "./root-program.js";
import { cliState, reportError } from "./run-command.js";

/** The whole program, or for a data command only its own group (loading every group costs seconds of CPU). */
async function loadProgram(): Promise<Command> {
  const group = fastStartGroup(process.argv[2]);
  if (!group) return (await import("./program.js")).buildProgram();
  const program = rootProgram();
  (await group())(program);
  reportOptionValueErrors(program);
  return program;
}

async function main(): Promise<void> {
  if (process.argv[2] === "--version") {
    process.stdout.write(`${lakayVersion()}\n`);
    return;
  }
  // The root's preAction hook sets this too, but only once parsing is over: a bad option value
  // fails before it, and its stack trace is what --verbose is for.
  if (process.argv.includes("--verbose")) cliState.verbose = true;
  const program = await loadProgram();
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
