import { readFileSync } from "node:fs";
import { parse, YAMLParseError } from "yaml";
import type { z } from "zod";
import { BadInputError } from "../errors/index.js";

/**
 * Reads a YAML file and validates it against a zod schema. Schemas should be `.strict()` so unknown
 * keys are errors. The error names the file, the key path and what was expected.
 */
export function loadYamlConfig<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return parseWithSchema(readYamlFile(file), schema, file);
}

/**
 * Reads a YAML file that must hold a mapping (a config whose keys another layer validates, such as
 * the engine's booster parameters); returns a fresh copy the caller may change.
 */
export function readYamlMapping(file: string): Record<string, unknown> {
  const raw = readYamlFile(file);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new BadInputError("expected a mapping of names to values", { file });
  return { ...(raw as Record<string, unknown>) };
}

/** The parsed YAML of `file` (`{}` when empty); unreadable files and bad YAML name the file and line. */
function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read config file (${(err as NodeJS.ErrnoException).code ?? err})`, {
      file,
    });
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      throw new BadInputError(`invalid YAML: ${err.message.split("\n")[0]}`, {
        file,
        line: pos?.line,
        column: pos?.col,
      });
    }
    throw err;
  }
  return raw;
}

/** Validates an already-parsed value; issues are reported as `key.path: message`. */
export function parseWithSchema<S extends z.ZodType>(raw: unknown, schema: S, source: string): z.infer<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue.path.length ? issue.path.join(".") : "(top level)";
  throw new BadInputError(`${key}: ${issue.message}`, { file: source, field: key });
}
