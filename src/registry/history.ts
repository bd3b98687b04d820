import { isStage, type HistoryEvent, type ModelStateAt, type Stage } from "./types.js";

/**
 * Rebuilds a model's stage and alias map at instant `at` from its history, oldest first. Versions
 * created after `at` are left out; a version with no stage event before `at` was in `None`.
 */
export function replayHistory(
  model: string,
  at: string,
  versions: { version: number; createdAt: string }[],
  events: HistoryEvent[],
): ModelStateAt {
  const stages = new Map<number, Stage>();
  for (const v of versions) if (v.createdAt <= at) stages.set(v.version, "None");
  const aliases: Record<string, number> = {};
  for (const e of events) {
    if (e.timestamp > at) continue;
    if (e.kind === "stage" && e.version !== null && e.to && isStage(e.to)) stages.set(e.version, e.to);
    if (e.kind === "alias" && e.alias) {
      if (e.version === null) delete aliases[e.alias];
      else aliases[e.alias] = e.version;
    }
  }
  return {
    model,
    at,
    stages: [...stages.entries()].sort((a, b) => a[0] - b[0]).map(([version, stage]) => ({ version, stage })),
    aliases,
  };
}
