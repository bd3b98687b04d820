import { readdirSync, statSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { StoreName, TestArtifactRoot } from "./backends.js";

/**
 * Overwrites one stored artifact (of `size` bytes as uploaded) with other bytes, bypassing the
 * registry (a tampered or rotted file).
 */
export async function corruptArtifact(
  store: StoreName,
  art: TestArtifactRoot,
  source: string,
  file: string,
  size: number,
): Promise<void> {
  if (store === "file") {
    writeFileSync(path.join(fileURLToPath(source), file), '{"tampered":true}');
    return;
  }
  // s3rver keeps each object as `<dir>/<bucket>/<key>._S3rver_object`.
  const key = source.replace(/^s3:\/\/[^/]+\//, "") + "/" + file;
  const target = findFile(art.dataDir, (p) => p.endsWith(`${key}._S3rver_object`));
  if (!target) throw new Error(`object ${key} not found under ${art.dataDir}`);
  // s3rver answers a PUT before its file write has finished (it waits for its hashing stream,
  // not for the file), so under load its write could land after ours and undo the tampering
  // (seen once in a full CI run). Wait until the stored object is whole first.
  const deadline = Date.now() + 10_000;
  while (statSync(target).size !== size) {
    if (Date.now() > deadline) throw new Error(`object ${key} never reached its ${size} bytes`);
    await sleep(10);
  }
  writeFileSync(target, '{"tampered":true}');
}

function findFile(dir: string, match: (p: string) => boolean): string | undefined {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) {
      const found = findFile(full, match);
      if (found) return found;
    } else if (match(full.split(path.sep).join("/"))) return full;
  }
  return undefined;
}
