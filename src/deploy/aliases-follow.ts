import type { RegistryTx } from "../registry/index.js";

/**
 * Keeps the serving aliases true after a stage change, in the same transaction: `champion` names the
 * Production version (removed when nothing is in Production); `challenger` names a version under
 * evaluation, so it is removed once its version is no longer in Staging (promoted, archived, reset).
 */
export async function aliasesFollowStages(
  tx: RegistryTx,
  model: string,
  actor: string,
  reason: string,
): Promise<void> {
  const aliases = await tx.aliases(model);
  const production = await tx.getLatestVersion(model, "Production");
  if (production && aliases.champion !== production.version) {
    await tx.setAlias({ name: model, alias: "champion", version: production.version, actor, reason });
  } else if (!production && aliases.champion !== undefined) {
    await tx.deleteAlias({ name: model, alias: "champion", actor, reason });
  }
  if (aliases.challenger !== undefined) {
    const challenger = await tx.getVersion(model, aliases.challenger);
    if (challenger.stage !== "Staging") {
      await tx.deleteAlias({
        name: model,
        alias: "challenger",
        actor,
        reason: `${reason}; version ${challenger.version} left Staging (${challenger.stage})`,
      });
    }
  }
}
