import { Command, Option } from "commander";
import { CHANGE_KINDS, DEFAULT_LATENCY_SLA_MS } from "../../deploy/index.js";
import { parseVersionNumber } from "../../registry/index.js";
import { addRegistryOptions } from "../registry-options.js";
import { numberBetween, positiveNumber, wholeNumber } from "../option-values.js";

/** Options every deployment command has: where the registry is, and `--json`. */
export interface DeployCliOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

/** A deployment command with the registry options and `--json` (`what` says what it prints). */
export function deployCommand(program: Command, name: string, description: string, what: string): Command {
  return addRegistryOptions(program.command(name).description(description)).option(
    "--json",
    `print ${what} as JSON`,
  );
}

// Shared option builders: one wording and one parser per option across the deployment commands.

export const modelOption = () => new Option("--model <name>", "registered model name").makeOptionMandatory();

export const versionOption = (description = "model version") =>
  new Option("--version <n>", description).argParser(parseVersionNumber).makeOptionMandatory();

export const byOption = (description: string, required = true) => {
  const o = new Option("--by <who>", description);
  return required ? o.makeOptionMandatory() : o;
};

export const policyOption = () =>
  new Option(
    "--policy <file>",
    "approval policy YAML (default LAKAY_APPROVAL_POLICY, <LAKAY_HOME>/approval-policy.yaml, built-in)",
  );

/** The change kind a person approves or declares; `override` only where an approval is recorded. */
export const changeOption = (withOverride = false) =>
  new Option("--change <kind>", "the kind of change, as the approval policy names it")
    .choices(CHANGE_KINDS.filter((k) => withOverride || k !== "override"))
    .default("fraud_model_promotion");

export const latencySlaOption = () =>
  new Option(
    "--latency-sla-ms <ms>",
    `P95 single-prediction latency limit (default ${DEFAULT_LATENCY_SLA_MS})`,
  ).argParser(positiveNumber);

export const subjectDigestOption = () =>
  new Option(
    "--subject-sha256 <hex>",
    "for a threshold or weight change: SHA-256 of the proposed configuration",
  );

export const thresholdOption = () =>
  new Option("--threshold <t>", "decision threshold for precision, recall, F1, FPR")
    .argParser(numberBetween(0, 1, true))
    .default(0.5);

export const limitOption = () =>
  new Option("--limit <n>", "at most this many records").argParser(wholeNumber(1));
