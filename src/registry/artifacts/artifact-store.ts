/**
 * The few primitives an artifact backend implements. Keys are `/`-separated paths relative to the
 * store's root; recursion, checksums and path-safety checks live once in `artifact-transfer.ts`.
 */
export interface ArtifactStore {
  /** The root as a URI (`file:///abs/path` or `s3://bucket/prefix`). */
  readonly rootUri: string;
  /** Uploads one local file under `key`. Atomic: readers see the whole file or nothing. */
  put(key: string, localFile: string): Promise<void>;
  /** Downloads `key` to `localFile`; `NotFoundError` if it does not exist. */
  get(key: string, localFile: string): Promise<void>;
  /** Every key under `prefix` (recursively), relative to the root. */
  list(prefix?: string): Promise<string[]>;
}

/** Refuses keys that could escape the root (`..`, absolute paths, backslashes, empty segments). */
export function checkArtifactKey(key: string): string {
  const parts = key.split("/");
  if (
    !key ||
    key.startsWith("/") ||
    key.includes("\\") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new Error(`unsafe artifact path: ${JSON.stringify(key)}`);
  }
  return key;
}

/** Joins key segments with `/`, ignoring empty ones. */
export function joinKey(...parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/^\/+|\/+$/g, ""))
    .filter(Boolean)
    .join("/");
}
