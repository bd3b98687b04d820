import type { Migration } from "./migration.js";
import { initial } from "./0001-initial.js";
import { gate } from "./0003-gate.js";
import { changeNotify } from "./0006-change-notify.js";

/**
 * The registry's own schema steps (its parts of the shared history; see `Migration`). The other
 * layers' steps live with their tables (deploy/store, serving, monitoring/store) and reach
 * `openRegistry` through its `migrations` option, assembled by the composition root (src/app).
 * Forward-only: never edit, rename or renumber a step that has shipped (see docs/registry.md,
 * "Adding a migration").
 */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [initial, gate, changeNotify];

export type { Migration, MigrationContext } from "./migration.js";
export { makeAppendOnly, protectYoungRows, withAutoId, FLOAT } from "./helpers.js";
export { CHANGE_CHANNEL } from "./0006-change-notify.js";
export { migrateToLatest, schemaSteps, type MigrationStep } from "./migrator.js";
