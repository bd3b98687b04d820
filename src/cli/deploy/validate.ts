import type { Command } from "commander";
import { readPaysim } from "../../data/index.js";
import { validateModel, validationJson } from "../../deploy/index.js";
import { ValidationFailedError } from "../../errors/index.js";
import { buildFeatures } from "../../features/index.js";
import { withLakay } from "../../app/index.js";
import { defaultActor } from "../../registry/index.js";
import { emit } from "../output.js";
import { action } from "../run-command.js";
import {
  byOption,
  deployCommand,
  latencySlaOption,
  modelOption,
  versionOption,
  type DeployCliOptions,
} from "./options.js";
import { printValidation } from "./print.js";

/** `lakay validate`: the validation checks on a version. */
export function registerValidateCommand(program: Command): void {
  deployCommand(
    program,
    "validate",
    "run the validation gate on a model version: loads, finite scores, scores in [0, 1], P95 latency",
    "the report",
  )
    .addOption(modelOption())
    .addOption(versionOption())
    .addOption(latencySlaOption())
    .option(
      "--events <paysim.csv>",
      "also score these transactions (PaySim CSV) besides the 100 synthetic vectors",
    )
    .addOption(byOption("who runs the validation (default LAKAY_ACTOR or the OS user)", false))
    .addHelpText(
      "after",
      "\nExit code 1 when any check fails.\n\nExample:\n  lakay validate --model fraud-detector --version 3 --latency-sla-ms 50\n",
    )
    .action(
      action(
        async (
          opts: DeployCliOptions & {
            model: string;
            version: number;
            latencySlaMs?: number;
            events?: string;
            by?: string;
          },
        ) => {
          const callerVectors = opts.events ? await eventVectors(opts.events) : undefined;
          const result = await withLakay(opts, (reg) =>
            validateModel(reg, {
              model: opts.model,
              version: opts.version,
              actor: opts.by || defaultActor(),
              latencySlaMs: opts.latencySlaMs,
              callerVectors,
            }),
          );
          emit(opts, validationJson(result), () => printValidation(result));
          if (!result.passed) {
            const failed = result.report.steps.filter((s) => !s.passed).map((s) => `${s.name} (${s.detail})`);
            throw new ValidationFailedError(
              `model ${opts.model} version ${opts.version} failed validation: ${failed.join("; ")}`,
            );
          }
        },
      ),
    );
}

/** Reads a PaySim CSV of events to add to the validation set, as feature vectors. */
async function eventVectors(file: string): Promise<Float64Array[]> {
  const read = await readPaysim(file, { onBadRows: "fail" });
  const m = buildFeatures(read.tx);
  return Array.from({ length: m.rows }, (_, i) => Float64Array.from(m.columns, (c) => c[i]));
}
