import type { LakayError } from "../errors/index.js";
import type { DeploymentRecord } from "./deployment-record.js";

/**
 * Attaches the stored (failed) deployment record to the typed error a refused promotion or rollback
 * throws, so callers (CLI --json, the API) can show it. The error's class and code stay those of
 * the reason (approval missing, validation failed, conflict).
 */
export function withDeploymentRecord<E extends LakayError>(
  err: E,
  record: DeploymentRecord,
): E & { deployment: DeploymentRecord } {
  return Object.assign(err, { deployment: record });
}

/** The deployment record carried by a refused operation's error, if any. */
export function deploymentRecordOf(err: unknown): DeploymentRecord | undefined {
  return (err as { deployment?: DeploymentRecord } | null)?.deployment;
}
