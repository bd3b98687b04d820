import path from "node:path";

/**
 * Where Lakay keeps its embedded state. Precedence everywhere: flag > environment > default.
 * The default home is `./.lakay` relative to the working directory, like `.git`.
 */
export function lakayHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LAKAY_HOME ?? ".lakay");
}

/** The registry URI: `--registry-uri` > `LAKAY_REGISTRY_URI` > `<home>/lakay.db`, embedded. */
export function defaultRegistryUri(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKAY_REGISTRY_URI ?? sqliteUri(path.join(lakayHome(env), "lakay.db"));
}

/**
 * The `sqlite:` URI of a database file, absolute as SQLAlchemy and MLflow write it:
 * `sqlite:////abs/path.db` (three slashes, then the path's own).
 */
export function sqliteUri(file: string): string {
  return `sqlite:///${path.resolve(file)}`;
}

/** The artifact root: `--artifact-root` > `LAKAY_ARTIFACT_ROOT` > `<home>/artifacts`. */
export function defaultArtifactRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKAY_ARTIFACT_ROOT ?? path.join(lakayHome(env), "artifacts");
}
