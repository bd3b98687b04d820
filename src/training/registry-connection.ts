import { LakayError, ServiceUnavailableError, maskUri } from "../errors/index.js";
import { openArtifactStore, openRegistry, type Migration, type Registry } from "../registry/index.js";

/**
 * Opens the registry and proves both the database and the artifact store answer, before any
 * training work is done: an unreachable registry must cost seconds, not a trained model.
 */
export async function connectRegistry(opts: {
  registryUri?: string;
  artifactRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** The other layers' schema steps (the composition root's `LAKAY_MIGRATIONS`). */
  migrations: readonly Migration[];
}): Promise<Registry> {
  const registryUri = opts.registryUri;
  let registry: Registry;
  try {
    registry = await openRegistry({
      registryUri,
      artifactRoot: opts.artifactRoot,
      env: opts.env,
      migrations: opts.migrations,
    });
  } catch (err) {
    if (err instanceof LakayError) throw err;
    const where = registryUri ? maskUri(registryUri) : "the default registry";
    throw new ServiceUnavailableError(
      `cannot reach ${where}: ${(err as Error).message}; nothing was trained`,
      {
        cause: err,
      },
    );
  }
  // The artifacts are uploaded last; an object store that does not answer must fail now, not then.
  try {
    await openArtifactStore(registry.artifactRoot, opts.env).list("lakay-reachability-probe");
  } catch (err) {
    await registry.close();
    const reason =
      err instanceof LakayError ? err.message : `artifact store ${registry.artifactRoot}: ${err}`;
    throw new ServiceUnavailableError(`${reason}; nothing was trained`, { cause: err });
  }
  return registry;
}
