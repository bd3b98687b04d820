import type { Registry } from "../registry/index.js";
import type { DeploymentRecord } from "./deployment-record.js";
import { listDeploymentRecords } from "./store/deploy-store.js";

/** Deployment records (promotions, rollbacks, archives, break-glass; refused ones included), newest first. */
export async function deploymentHistory(
  registry: Registry,
  opts: { model?: string; limit?: number } = {},
): Promise<DeploymentRecord[]> {
  if (opts.model !== undefined) await registry.getRegisteredModel(opts.model);
  // A read: no write lock, so history answers while a promotion is in flight.
  return registry.read((db) => listDeploymentRecords(db, opts));
}
