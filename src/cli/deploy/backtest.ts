import { Option, type Command } from "commander";
import { backtestJson, runBacktest } from "../../deploy/index.js";
import { ValidationFailedError } from "../../errors/index.js";
import { withLakay } from "../../app/index.js";
import { defaultActor, parseVersionNumber } from "../../registry/index.js";
import { emit } from "../output.js";
import { Progress } from "../progress.js";
import { action } from "../run-command.js";
import { byOption, deployCommand, modelOption, thresholdOption, type DeployCliOptions } from "./options.js";
import { printBacktest } from "./print.js";

/** `lakay backtest`: candidate vs the Production version on a labeled dataset. */
export function registerBacktestCommand(program: Command): void {
  deployCommand(
    program,
    "backtest",
    "score a labeled dataset with the Production version and a candidate, and apply the tolerance rules",
    "the report",
  )
    .addOption(modelOption())
    .addOption(
      new Option("--candidate <n>", "candidate version").argParser(parseVersionNumber).makeOptionMandatory(),
    )
    .requiredOption("--dataset <labeled.csv>", "labeled PaySim CSV (with isFraud)")
    .addOption(thresholdOption())
    .addOption(byOption("who runs the backtest (default LAKAY_ACTOR or the OS user)", false))
    .addHelpText(
      "after",
      "\nExit code 1 when the candidate fails a tolerance rule; 0 when it passes or there is no Production version.\n" +
        "A promotion needs a passing backtest against the current Production version on the candidate's exact files.\n\n" +
        "Example:\n  lakay backtest --model fraud-detector --candidate 4 --dataset last-30-days.csv\n",
    )
    .action(
      action(
        async (
          opts: DeployCliOptions & {
            model: string;
            candidate: number;
            dataset: string;
            threshold: number;
            by?: string;
          },
        ) => {
          let bar: Progress | undefined;
          const report = await withLakay(opts, (reg) =>
            runBacktest(reg, {
              model: opts.model,
              candidate: opts.candidate,
              dataset: opts.dataset,
              threshold: opts.threshold,
              actor: opts.by || defaultActor(),
              onProgress: (done, total) => {
                bar ??= new Progress("reading dataset", total, " bytes");
                bar.update(done);
              },
            }),
          ).finally(() => bar?.done());
          emit(opts, backtestJson(report), () => printBacktest(report));
          if (report.comparison.compared && !report.comparison.passed) {
            throw new ValidationFailedError(
              `model ${opts.model} version ${opts.candidate} fails the backtest against version ${report.currentVersion}: ${report.comparison.summary}`,
            );
          }
        },
      ),
    );
}
