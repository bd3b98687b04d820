import path from "node:path";

/**
 * Where Lakay keeps its embedded state. Precedence everywhere: flag > environment > default.
 * The default home is `./.lakay` relative to the working directory, like `.git`.
 */
export function lakayHome(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.LAKAY_HOME ?? ".lakay");
}

/** The registry URI: `--registry-uri` > `LAKAY_REGISTRY_URI` > `sqlite:///<home>/lakay.db`. */
export function defaultRegistryUri(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKAY_REGISTRY_URI ?? `sqlite://${path.join(lakayHome(env), "lakay.db")}`;
}

/** The artifact root: `--artifact-root` > `LAKAY_ARTIFACT_ROOT` > `<home>/artifacts`. */
export function defaultArtifactRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKAY_ARTIFACT_ROOT ?? path.join(lakayHome(env), "artifacts");
}
