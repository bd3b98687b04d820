import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { BadInputError, ValidationFailedError } from "../../errors/index.js";
import type { ArtifactFile } from "../types.js";
import { checkArtifactKey, joinKey, type ArtifactStore } from "./artifact-store.js";
import { sha256File } from "./file-sha256.js";

/** Every regular file under `dir`, as `/`-separated paths relative to it, sorted. */
export async function listLocalFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(path.relative(dir, full).split(path.sep).join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

/** A local file about to be uploaded: where it is and what it will be recorded as. */
export interface PlannedUpload {
  local: string;
  file: ArtifactFile;
}

/**
 * Lists every file of `localDir` with the key it gets under `prefix` and its SHA-256, computed before
 * anything is uploaded (so conflicts are found before the store is touched).
 */
export async function planUpload(localDir: string, prefix = ""): Promise<PlannedUpload[]> {
  let info;
  try {
    info = await stat(localDir);
  } catch {
    throw new BadInputError(`artifact folder ${localDir} does not exist`);
  }
  if (!info.isDirectory()) throw new BadInputError(`${localDir} is not a folder`);
  const out: PlannedUpload[] = [];
  for (const rel of await listLocalFiles(localDir)) {
    const local = path.join(localDir, ...rel.split("/"));
    const key = checkArtifactKey(joinKey(prefix, rel));
    const [sha256, st] = await Promise.all([sha256File(local), stat(local)]);
    out.push({ local, file: { path: key, sha256, size: st.size } });
  }
  return out;
}

/** Uploads planned files one by one; each put is atomic in its store. */
export async function uploadPlanned(store: ArtifactStore, planned: PlannedUpload[]): Promise<void> {
  for (const p of planned) await store.put(p.file.path, p.local);
}

/**
 * Downloads `files` (paths relative to the store root) into `outDir`, verifying each SHA-256. Writes to
 * a temporary sibling folder and renames it into place, so `outDir` appears complete and verified or
 * not at all. A mismatch throws `ValidationFailedError` naming the file.
 */
export async function downloadVerified(
  store: ArtifactStore,
  files: ArtifactFile[],
  outDir: string,
  what: string,
): Promise<void> {
  const target = path.resolve(outDir);
  await mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    for (const f of files) {
      const local = path.join(tmp, ...checkArtifactKey(f.path).split("/"));
      await mkdir(path.dirname(local), { recursive: true });
      await store.get(f.path, local);
      const actual = await sha256File(local);
      if (actual !== f.sha256) {
        throw new ValidationFailedError(
          `${what}: artifact ${f.path} fails its checksum (SHA-256 ${actual}, registered ${f.sha256}); refusing to load it`,
        );
      }
    }
    await mkdir(tmp, { recursive: true });
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Checks a local copy against registered checksums; returns the first problem or null. */
export async function verifyLocalFolder(dir: string, files: ArtifactFile[]): Promise<string | null> {
  for (const f of files) {
    const local = path.join(dir, ...f.path.split("/"));
    let actual: string;
    try {
      actual = await sha256File(local);
    } catch {
      return `artifact ${f.path} is missing`;
    }
    if (actual !== f.sha256)
      return `artifact ${f.path} fails its checksum (SHA-256 ${actual}, registered ${f.sha256})`;
  }
  return null;
}
