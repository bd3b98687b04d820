/**
 * Where serving keeps its online feature state: in the process (the default) or in a Redis shared
 * by every replica, named `redis://HOST:PORT/DB` (docs/scaling.md).
 */

/** Checks a feature-store URI (`redis://HOST:PORT/DB`, password allowed); returns it unchanged. */
export function checkFeatureStoreUri(uri: string): string {
  let u: URL | undefined;
  try {
    u = new URL(uri);
  } catch {
    u = undefined;
  }
  const db = u?.pathname.replace(/^\//, "") ?? "";
  if (
    !u ||
    u.protocol !== "redis:" ||
    !u.hostname ||
    (u.port !== "" && !(Number(u.port) >= 1 && Number(u.port) <= 65535)) ||
    (db !== "" && !/^\d{1,2}$/.test(db)) ||
    u.search ||
    u.hash
  )
    throw new Error("expected redis://HOST:PORT/DB (for instance redis://127.0.0.1:6379/0)");
  return uri;
}

/**
 * The feature store to use: `--feature-store` > `LAKAY_FEATURE_STORE` > serving.yaml's
 * `feature_store.url`; null means in-process. The environment's value is checked like the flag's.
 */
export function featureStoreUri(
  flag: string | undefined,
  fromFile: string | null,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const chosen = flag ?? (env.LAKAY_FEATURE_STORE || undefined) ?? fromFile;
  return chosen ? checkFeatureStoreUri(chosen) : null;
}
