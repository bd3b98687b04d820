import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { NotFoundError } from "../../errors/index.js";
import { checkArtifactKey, type ArtifactStore } from "./artifact-store.js";

/**
 * Artifacts in a local (or network-mounted) folder. A put copies to a hidden temporary name beside the
 * target and renames it into place, so a reader never sees a half-written file.
 */
export class FileArtifactStore implements ArtifactStore {
  readonly rootUri: string;

  constructor(private readonly root: string) {
    this.root = path.resolve(root);
    this.rootUri = pathToFileURL(this.root).href;
  }

  async put(key: string, localFile: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(
      path.dirname(target),
      `.${path.basename(target)}.tmp-${randomBytes(6).toString("hex")}`,
    );
    try {
      await copyFile(localFile, tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string, localFile: string): Promise<void> {
    try {
      await copyFile(this.pathOf(key), localFile);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new NotFoundError(`artifact ${key} not found under ${this.rootUri}`, { cause: err });
      }
      throw err;
    }
  }

  async list(prefix = ""): Promise<string[]> {
    const base = prefix ? this.pathOf(prefix) : this.root;
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.isFile() && !/^\..*\.tmp-[0-9a-f]+$/.test(e.name)) {
          out.push(path.relative(this.root, full).split(path.sep).join("/"));
        }
      }
    };
    await walk(base);
    return out.sort();
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...checkArtifactKey(key).split("/"));
  }
}
