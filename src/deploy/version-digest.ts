import { createHash } from "node:crypto";

/**
 * One SHA-256 over a version's artifact checksums (sorted by path). Approvals and validation results
 * are tied to it: if the files behind a version ever differ, earlier sign-offs no longer count.
 */
export function versionDigest(files: readonly { path: string; sha256: string }[]): string {
  const lines = [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => `${f.path}\t${f.sha256}`);
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}
