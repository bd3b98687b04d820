/**
 * The composition root: assembles the layers (today, the registry database's schema: every layer's
 * migrations, in order). Entry points (the CLI, `lakay serve`, tests, benchmarks) open the registry
 * here; no library folder imports `app`.
 */
export { LAKAY_MIGRATIONS, openLakay, withLakay } from "./open-lakay.js";
