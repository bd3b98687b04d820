import type { Command } from "commander";
import { registerApprovalCommands } from "./approvals.js";
import { registerBacktestCommand } from "./backtest.js";
import { registerHistoryCommand } from "./history.js";
import { registerPromoteCommands } from "./promote.js";
import { registerRollbackCommands } from "./rollback.js";
import { registerValidateCommand } from "./validate.js";

/**
 * `lakay validate|backtest|approve|approvals|gate|promote|rollback|archive|history`: the deployment
 * pipeline. One module per command group; each only parses, calls `deploy/` and prints.
 */
export function registerDeployCommands(program: Command): void {
  registerValidateCommand(program);
  registerBacktestCommand(program);
  registerApprovalCommands(program);
  registerPromoteCommands(program);
  registerRollbackCommands(program);
  registerHistoryCommand(program);
}
