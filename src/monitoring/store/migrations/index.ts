import type { Migration } from "../../../registry/index.js";
import { monitoring } from "./0005-monitoring.js";
import { predictionRules } from "./0007-prediction-rules.js";

/** Monitoring's parts of the registry database's schema history (typed in ../monitoring-tables.ts). */
export const MONITORING_MIGRATIONS: readonly Migration[] = [monitoring, predictionRules];
