import path from "node:path";
import { fileURLToPath } from "node:url";
import { BadInputError } from "../../errors/index.js";
import type { ArtifactStore } from "./artifact-store.js";
import { FileArtifactStore } from "./file-artifact-store.js";
import { S3ArtifactStore } from "./s3-artifact-store.js";

type Factory = (uri: string, env: NodeJS.ProcessEnv) => ArtifactStore;

/** Scheme → artifact store. A bare path (no scheme) is a local folder. */
const FACTORIES: Record<string, Factory> = {
  file: (uri) => new FileArtifactStore(fileURLToPath(uri)),
  s3: (uri, env) => {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!m || !m[1]) throw new BadInputError(`artifact root ${uri}: expected s3://bucket[/prefix]`);
    return new S3ArtifactStore(m[1], m[2].replace(/\/+$/, ""), env);
  },
};

/** The artifact schemes Lakay understands, for messages. */
export const ARTIFACT_SCHEMES = Object.keys(FACTORIES);

/** Opens the artifact store for a root URI: a folder path, `file:///abs/path` or `s3://bucket/prefix`. */
export function openArtifactStore(uri: string, env: NodeJS.ProcessEnv = process.env): ArtifactStore {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
  if (!m) return new FileArtifactStore(path.resolve(uri));
  const factory = FACTORIES[m[1].toLowerCase()];
  if (!factory) {
    throw new BadInputError(
      `artifact root ${uri}: unknown scheme "${m[1]}" (known: ${ARTIFACT_SCHEMES.join(", ")}, or a folder path)`,
    );
  }
  return factory(uri, env);
}

/** Normalizes an artifact root to a URI (`file:///abs` for folders) so stored locations are unambiguous. */
export function artifactRootUri(uri: string, env: NodeJS.ProcessEnv = process.env): string {
  return openArtifactStore(uri, env).rootUri;
}
