// Each layer's migrations from their own module, not the layer's index: `lakay train` and the other
// data commands open the registry, and the indexes would load the server, Redis and metrics
// clients with them (~0.2 s of CPU at every start).
import { DEPLOY_MIGRATIONS } from "../deploy/store/migrations/index.js";
import { MONITORING_MIGRATIONS } from "../monitoring/store/migrations/index.js";
import {
  openRegistry,
  withRegistry,
  type Migration,
  type Registry,
  type RegistryLocation,
} from "../registry/index.js";
import { SERVING_MIGRATIONS } from "../serving/migrations/index.js";

/**
 * The composition root: the one place that knows every layer keeping tables in the registry
 * database. Each layer owns its tables (migrations and Kysely row types in its own folder); the
 * registry knows only its own and takes the others' through `openRegistry({ migrations })`. The
 * steps keep the numbers and names they shipped with (databases have recorded them), whichever
 * layer now holds them: 1 initial (registry), 2 deployment (deploy), 3 gate (registry + deploy),
 * 4 serving, 5 monitoring, 6 change-notify (registry), 7 prediction-rules (monitoring).
 */
export const LAKAY_MIGRATIONS: readonly Migration[] = [
  ...DEPLOY_MIGRATIONS,
  ...SERVING_MIGRATIONS,
  ...MONITORING_MIGRATIONS,
];

/** Opens the registry with every layer's tables migrated: what the CLI, `lakay serve` and tests open. */
export function openLakay(where: RegistryLocation = {}): Promise<Registry> {
  return openRegistry({ ...where, migrations: LAKAY_MIGRATIONS });
}

/** {@link openLakay}, runs `fn`, and always closes the registry (the shape of every CLI command). */
export function withLakay<T>(where: RegistryLocation, fn: (reg: Registry) => Promise<T>): Promise<T> {
  return withRegistry({ ...where, migrations: LAKAY_MIGRATIONS }, fn);
}
