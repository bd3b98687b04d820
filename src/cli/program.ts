import type { Command } from "commander";
import { rootProgram } from "./root-program.js";
import { reportOptionValueErrors } from "./option-values.js";
import { registerDataCommands } from "./data.js";
import { registerGenerateCommands } from "./generate.js";
import { registerFeaturesCommands } from "./features.js";
import { registerGbdtCommands } from "./gbdt.js";
import { registerPredictCommand } from "./predict.js";
import { registerExplainCommand } from "./explain.js";
import { registerRegistryCommands } from "./registry.js";
import { registerTrainCommand } from "./train.js";
import { registerDeployCommands } from "./deploy.js";
import { registerServeCommand } from "./serve.js";
import { registerTokensCommands } from "./tokens.js";
import { registerBiasAuditCommand } from "./bias-audit.js";
import { registerFeedbackCommands } from "./feedback.js";
import { registerMonitorCommands } from "./monitor.js";
import { registerAbCommands } from "./ab.js";
import { registerWebhooksCommands } from "./webhooks.js";
import { registerSimulateCommand } from "./simulate.js";

/**
 * Builds the `lakay` program. Each command group lives in its own file and only parses, calls, prints;
 * a new group is one import and one register line here. (`main` starts the data commands with their
 * own group alone: see fast-start.ts.)
 */
export function buildProgram(): Command {
  const program = rootProgram();
  registerDataCommands(program);
  registerGenerateCommands(program);
  registerFeaturesCommands(program);
  registerGbdtCommands(program);
  registerPredictCommand(program);
  registerExplainCommand(program);
  registerRegistryCommands(program);
  registerTrainCommand(program);
  registerDeployCommands(program);
  registerServeCommand(program);
  registerTokensCommands(program);
  registerBiasAuditCommand(program);
  registerFeedbackCommands(program);
  registerMonitorCommands(program);
  registerAbCommands(program);
  registerWebhooksCommands(program);
  registerSimulateCommand(program);
  reportOptionValueErrors(program);
  return program;
}
