import type { Registry } from "../../src/registry/index.js";
export { openLakay } from "../../src/app/index.js";
export type { Registry } from "../../src/registry/index.js";

/**
 * Replays a model's history event by event: the most versions in Production after any single event,
 * and whether the replayed end state equals the live tables (history is complete).
 */
export async function replayCheck(
  reg: Registry,
  model: string,
): Promise<{ maxProductionAtAnyEvent: number; finalMatchesTables: boolean }> {
  const stages = new Map<number, string>();
  const aliases = new Map<string, number>();
  let maxProduction = 0;
  for (const e of await reg.history(model)) {
    if (e.kind === "stage" && e.version !== null) stages.set(e.version, e.to!);
    if (e.kind === "alias" && e.alias) {
      if (e.version === null) aliases.delete(e.alias);
      else aliases.set(e.alias, e.version);
    }
    maxProduction = Math.max(maxProduction, [...stages.values()].filter((s) => s === "Production").length);
  }
  const versions = await reg.listVersions(model);
  const finalMatchesTables = versions.every(
    (v) =>
      (stages.get(v.version) ?? "None") === v.stage && v.aliases.every((a) => aliases.get(a) === v.version),
  );
  return { maxProductionAtAnyEvent: maxProduction, finalMatchesTables };
}
