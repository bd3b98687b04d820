import { readFileSync } from "node:fs";

let cached: string | undefined;

/** Lakay's version, from package.json (one level above src/ and dist/). */
export function lakayVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cached;
}
