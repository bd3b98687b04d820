import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The files of a model version's artifact folder, by file name, exactly as they are written. */
export type ArtifactContents = Record<string, string>;

/** The artifact files every trained version carries (docs/architecture.md, "Model artifacts carry checksums"). */
export const ARTIFACT_FILES = [
  "model.json",
  "features.json",
  "reference.json",
  "metrics.json",
  "classification_report.txt",
  "ml_vs_rules_comparison.json",
  "bias_audit.json",
] as const;

/**
 * Writes the artifact files into `dir`. With `manifest`, also a `manifest.json` with the SHA-256 of
 * each file, so a folder written with `--out` can be checked on its own; the registry writes its own
 * manifest when the folder is uploaded, so the upload copy is written without one.
 */
export function writeArtifactFolder(
  dir: string,
  files: ArtifactContents,
  opts: { manifest?: boolean } = {},
): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  if (opts.manifest) {
    const entries = Object.keys(files)
      .sort()
      .map((name) => {
        const bytes = readFileSync(path.join(dir, name));
        return { path: name, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
      });
    writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ files: entries }, null, 2) + "\n");
  }
}
