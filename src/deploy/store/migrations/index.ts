import type { Migration } from "../../../registry/index.js";
import { deployment } from "./0002-deployment.js";
import { gateBacktests } from "./0003-gate.js";

/** Deploy's parts of the registry database's schema history (typed in ../deploy-tables.ts). */
export const DEPLOY_MIGRATIONS: readonly Migration[] = [deployment, gateBacktests];
