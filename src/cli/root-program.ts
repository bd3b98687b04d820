import { Command } from "commander";
import { lakayVersion } from "../version.js";
import { cliState } from "./run-command.js";

/** The `lakay` root command alone: description, root options and hooks, no command groups yet. */
export function rootProgram(): Command {
  return (
    new Command("lakay")
      .description("Lakay: the fraud-model lifecycle — train, register, gate, promote, serve and monitor")
      // Only `-V` here: commander lets the root claim its options anywhere on the line, and the
      // deployment commands take `--version N` (`lakay promote --version 3`). A leading
      // `lakay --version` is answered in main().
      .version(lakayVersion(), "-V", "output the version number (also --version)")
      .option("--verbose", "show debug logs and stack traces")
      .showHelpAfterError("(run with --help for usage)")
      .configureHelp({ showGlobalOptions: true })
      .hook("preAction", async (cmd) => {
        if (cmd.opts().verbose) {
          cliState.verbose = true;
          // Loaded only here: the logger (pino) is ~30 ms of start-up that the data commands never log to.
          (await import("../log/index.js")).setLogLevel("debug");
        }
      })
      .exitOverride()
  );
}
