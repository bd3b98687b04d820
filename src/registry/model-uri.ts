import { BadInputError } from "../errors/index.js";
import { STAGES, type Stage } from "./types.js";

/** What a `models:/` URI points at. */
export type ModelRef =
  | { name: string; kind: "version"; version: number }
  | { name: string; kind: "stage"; stage: Stage }
  | { name: string; kind: "alias"; alias: string }
  | { name: string; kind: "latest" };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ALIAS = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Model names: letters, digits, `.`, `_`, `-`; they appear in URIs and folder names. */
export function checkModelName(name: string): string {
  if (!NAME.test(name) || name.length > 200) {
    throw new BadInputError(
      `invalid model name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-"`,
    );
  }
  return name;
}

/** Alias names start with a letter or `_` so they can never be confused with a version number. */
export function checkAliasName(alias: string): string {
  if (!ALIAS.test(alias) || alias.length > 100) {
    throw new BadInputError(
      `invalid alias ${JSON.stringify(alias)}: start with a letter, then letters, digits, "_" or "-"`,
    );
  }
  return alias;
}

/** Accepts a stage name in any case (`production`) and returns its canonical spelling. */
export function parseStage(value: string): Stage {
  const found = STAGES.find((s) => s.toLowerCase() === value.trim().toLowerCase());
  if (!found) throw new BadInputError(`unknown stage ${JSON.stringify(value)} (known: ${STAGES.join(", ")})`);
  return found;
}

/** Parses a version number argument: a positive integer. */
export function parseVersionNumber(value: string | number): number {
  const n = typeof value === "number" ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw new BadInputError(`invalid version ${JSON.stringify(value)}: expected a positive integer`);
  return n;
}

/**
 * Parses `models:/name/Production`, `models:/name/3`, `models:/name/latest` and `models:/name@alias`.
 */
export function parseModelUri(uri: string): ModelRef {
  const m = /^models:\/(.+)$/.exec(uri.trim());
  if (!m)
    throw new BadInputError(
      `invalid model URI ${JSON.stringify(uri)}: expected models:/NAME/STAGE, models:/NAME/VERSION or models:/NAME@ALIAS`,
    );
  const rest = m[1].replace(/^\/+/, "");
  const at = rest.indexOf("@");
  if (at >= 0) {
    return {
      name: checkModelName(rest.slice(0, at)),
      kind: "alias",
      alias: checkAliasName(rest.slice(at + 1)),
    };
  }
  const parts = rest.split("/");
  if (parts.length !== 2 || !parts[1]) {
    throw new BadInputError(
      `invalid model URI ${JSON.stringify(uri)}: expected models:/NAME/STAGE, models:/NAME/VERSION or models:/NAME@ALIAS`,
    );
  }
  const name = checkModelName(parts[0]);
  const sel = parts[1];
  if (/^\d+$/.test(sel)) return { name, kind: "version", version: parseVersionNumber(sel) };
  if (sel.toLowerCase() === "latest") return { name, kind: "latest" };
  return { name, kind: "stage", stage: parseStage(sel) };
}
