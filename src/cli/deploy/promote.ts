import type { Command } from "commander";
import {
  checkPromotionGate,
  deploymentRecordJson,
  gateJson,
  loadApprovalPolicy,
  promoteToProduction,
} from "../../deploy/index.js";
import { ValidationFailedError } from "../../errors/index.js";
import { withLakay } from "../../app/index.js";
import { emit } from "../output.js";
import { action } from "../run-command.js";
import {
  byOption,
  changeOption,
  deployCommand,
  latencySlaOption,
  modelOption,
  policyOption,
  versionOption,
  type DeployCliOptions,
} from "./options.js";
import { printGate, printingRefusal, printRecord } from "./print.js";

interface GateCliOptions extends DeployCliOptions {
  model: string;
  version: number;
  change: string;
  policy?: string;
  skipValidation?: boolean;
  skipBacktest?: boolean;
  reason?: string;
}

const GATE_HELP =
  "\nThe gate, on the candidate's exact artifacts: stage Staging; a passing validation; a passing backtest\n" +
  "against the current Production version (not older than the policy's maximum, default 30 days; not needed\n" +
  "for a first deployment); approvals for every change kind, declared or detected (a different decision or\n" +
  "tier threshold adds scoring_threshold_change, different hybrid weights hybrid_weight_change).\n" +
  "--skip-validation / --skip-backtest need --reason and the policy's `override` approvals.\n";

/** `lakay promote` and `lakay gate`: the promotion and its checklist. */
export function registerPromoteCommands(program: Command): void {
  deployCommand(
    program,
    "promote",
    "move a Staging version to Production through the gate (archiving the current one, champion following), atomically",
    "the deployment record (with the gate checklist when refused)",
  )
    .addOption(modelOption())
    .addOption(versionOption())
    .addOption(byOption("who promotes (cannot be the only approver)"))
    .option(
      "--skip-validation",
      "skip the validation condition (needs --reason and override approvals; recorded)",
    )
    .option(
      "--skip-backtest",
      "skip the backtest condition (needs --reason and override approvals; recorded)",
    )
    .option("--reason <text>", "why (required with a --skip-* option)")
    .addOption(latencySlaOption())
    .addOption(changeOption())
    .addOption(policyOption())
    .addHelpText(
      "after",
      GATE_HELP +
        "A refused promotion prints the checklist, is recorded with success=false and exits 1.\n\n" +
        "Examples:\n  lakay gate --model fraud-detector --version 3\n" +
        "  lakay promote --model fraud-detector --version 3 --by alice\n" +
        "  lakay promote --model fraud-detector --version 3 --by alice --skip-backtest --reason 'INC-42 hotfix'\n",
    )
    .action(
      action(async (opts: GateCliOptions & { by: string; latencySlaMs?: number }) => {
        const policy = loadApprovalPolicy(opts.policy);
        const record = await withLakay(opts, (reg) =>
          printingRefusal(opts, () =>
            promoteToProduction(reg, {
              model: opts.model,
              version: opts.version,
              by: opts.by,
              skipValidation: opts.skipValidation,
              skipBacktest: opts.skipBacktest,
              reason: opts.reason,
              latencySlaMs: opts.latencySlaMs,
              changeKind: opts.change,
              policy,
            }),
          ),
        );
        emit(opts, deploymentRecordJson(record), () => printRecord(record));
      }),
    );

  deployCommand(
    program,
    "gate",
    "the checklist before a promotion: each condition with pass/fail and what is missing (records nothing)",
    "the checklist",
  )
    .addOption(modelOption())
    .addOption(versionOption())
    .option("--promoter <who>", "check as if this person were promoting (they cannot be the only approver)")
    .option("--skip-validation", "check as if promoting with --skip-validation")
    .option("--skip-backtest", "check as if promoting with --skip-backtest")
    .option("--reason <text>", "the reason a --skip-* option would give")
    .addOption(changeOption())
    .addOption(policyOption())
    .addHelpText(
      "after",
      GATE_HELP +
        "Exit code 1 when a condition fails.\n\nExample:\n  lakay gate --model fraud-detector --version 3 --json\n",
    )
    .action(
      action(async (opts: GateCliOptions & { promoter?: string }) => {
        const policy = loadApprovalPolicy(opts.policy);
        const gate = await withLakay(opts, (reg) =>
          checkPromotionGate(reg, {
            model: opts.model,
            version: opts.version,
            promoter: opts.promoter,
            changeKind: opts.change,
            overrides: {
              skipValidation: opts.skipValidation,
              skipBacktest: opts.skipBacktest,
              reason: opts.reason,
            },
            policy,
          }),
        );
        emit(opts, gateJson(gate), () => printGate(gate));
        if (!gate.passed) {
          const failing = gate.conditions.filter((c) => c.status === "fail").map((c) => c.name);
          throw new ValidationFailedError(
            `model ${opts.model} version ${opts.version} is not ready to promote: ${failing.join(", ")}`,
          );
        }
      }),
    );
}
