import type { Registry } from "../registry/index.js";
import type { GateReader } from "./promotion-gate.js";

/**
 * Runs `fn` with the gate's read calls over the registry's read-only handle: `lakay gate`, history
 * and approval status read without taking the registry's write lock.
 */
export function withReader<T>(registry: Registry, fn: (reader: GateReader) => Promise<T>): Promise<T> {
  return registry.read((db) =>
    fn({
      db,
      getVersion: (name, version) => registry.getVersion(name, version),
      getLatestVersion: (name, stage) => registry.getLatestVersion(name, stage),
      getRun: (runId) => registry.getRun(runId),
    }),
  );
}
