import type { Command } from "commander";
import { BadInputError } from "../../errors/index.js";
import { parseStage, parseVersionNumber, type ModelVersion } from "../../registry/index.js";
import { addRegistryOptions } from "../registry-options.js";
import { table } from "../output.js";

/** Options every registry command has: where the registry is, and `--json`. */
export interface RegistryCliOptions {
  registryUri?: string;
  artifactRoot?: string;
  json?: boolean;
}

/** A version as `--json` prints it: snake_case, stable keys. */
export function versionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: v.version,
    stage: v.stage,
    aliases: v.aliases,
    run_id: v.runId,
    status: v.status,
    source: v.source,
    description: v.description,
    tags: v.tags,
    files: v.files,
    created_at: v.createdAt,
    updated_at: v.updatedAt,
  };
}

export function parseTags(list: string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const t of list ?? []) {
    const eq = t.indexOf("=");
    if (eq <= 0)
      throw new BadInputError(`invalid tag ${JSON.stringify(t)}: expected KEY=VALUE`, { field: "--tag" });
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return tags;
}

/** The registry options and `--json` on a command. */
export function jsonOption(cmd: Command): Command {
  return addRegistryOptions(cmd.option("--json", "print one JSON document"));
}

export function versionsTable(versions: ModelVersion[]): string {
  if (!versions.length) return "no versions";
  return table(
    ["VERSION", "STAGE", "ALIASES", "RUN", "CREATED"],
    versions.map((v) => [v.version, v.stage, v.aliases.join(",") || "-", v.runId ?? "-", v.createdAt]),
  );
}

export /** `3` → models:/name/3, `Production` → models:/name/Production, `@champion` → models:/name@champion. */
function versionSelectorUri(name: string, selector: string): string {
  if (selector.startsWith("@")) return `models:/${name}${selector}`;
  if (/^\d+$/.test(selector)) return `models:/${name}/${parseVersionNumber(selector)}`;
  return `models:/${name}/${parseStage(selector)}`;
}
