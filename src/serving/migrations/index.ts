import type { Migration } from "../../registry/index.js";
import { serving } from "./0004-serving.js";

/** Serving's parts of the registry database's schema history (typed in ../serving-tables.ts). */
export const SERVING_MIGRATIONS: readonly Migration[] = [serving];
