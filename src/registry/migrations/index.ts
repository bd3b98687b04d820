import type { Migration } from "./migration.js";
import { initial } from "./0001-initial.js";
import { deployment } from "./0002-deployment.js";
import { gate } from "./0003-gate.js";
import { serving } from "./0004-serving.js";
import { monitoring } from "./0005-monitoring.js";
import { changeNotify } from "./0006-change-notify.js";
import { predictionRules } from "./0007-prediction-rules.js";

/**
 * Every schema step, in order. Forward-only: never edit or remove an entry that has shipped; add a
 * file `NNNN-what.ts` exporting a `Migration` with the next version and append it here
 * (see docs/registry.md, "Adding a migration").
 */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  deployment,
  gate,
  serving,
  monitoring,
  changeNotify,
  predictionRules,
];

export type { Migration, MigrationContext } from "./migration.js";
export { makeAppendOnly, protectYoungRows, withAutoId, FLOAT } from "./helpers.js";
export { CHANGE_CHANNEL } from "./0006-change-notify.js";
export { migrateToLatest, type MigrationStep } from "./migrator.js";
