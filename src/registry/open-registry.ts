import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultArtifactRoot, defaultRegistryUri, lakayHome } from "../config/index.js";
import { BadInputError, maskUri } from "../errors/index.js";
import { artifactRootUri } from "./artifacts/open-artifact-store.js";
import { REGISTRY_MIGRATIONS, migrateToLatest, type Migration } from "./migrations/index.js";
import type { Registry } from "./registry.js";
import type { SqlBackend } from "./sql/backend.js";
import { openPostgresBackend } from "./sql/postgres-backend.js";
import { SqlRegistry } from "./sql/sql-registry.js";
import { openSqliteBackend } from "./sql/sqlite-backend.js";

/** Where the registry is: its database, its artifact store, its local cache. */
export interface RegistryLocation {
  /** `sqlite:///rel/path.db`, `sqlite:////abs/path.db`, `postgresql://user:pass@host:port/db`. Default: `LAKAY_REGISTRY_URI`, then `sqlite:////<LAKAY_HOME>/lakay.db`. */
  registryUri?: string;
  /** A folder, `file:///abs/path` or `s3://bucket/prefix`. Default: `LAKAY_ARTIFACT_ROOT`, then `<LAKAY_HOME>/artifacts`. */
  artifactRoot?: string;
  /** Where `resolveModelUri` keeps verified local copies; default `<LAKAY_HOME>/cache/models`. */
  cacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface OpenRegistryOptions extends RegistryLocation {
  /**
   * The schema steps of the layers that keep tables in the registry database (deploy, serving,
   * monitoring), which the registry does not know; it adds its own. Assembled once, by the
   * composition root (src/app/open-lakay.ts); a missing layer is refused before the database is touched.
   */
  migrations: readonly Migration[];
}

type BackendFactory = (uri: string, masked: string) => Promise<SqlBackend>;

/** Scheme → backend. `pg` is imported only when a PostgreSQL URI is opened. */
const BACKENDS: Record<string, BackendFactory> = {
  sqlite: async (uri, masked) => openSqliteBackend(sqlitePath(uri), masked),
  postgresql: (uri, masked) => openPostgresBackend(uri, masked),
  postgres: (uri, masked) => openPostgresBackend(uri, masked),
};

/** The registry URI schemes Lakay understands. */
export const REGISTRY_SCHEMES = Object.keys(BACKENDS);

/**
 * Opens the registry a command or library caller asked for, applying pending schema migrations.
 * Precedence: explicit option > environment > default under LAKAY_HOME.
 */
export async function openRegistry(opts: OpenRegistryOptions): Promise<Registry> {
  const env = opts.env ?? process.env;
  const uri = opts.registryUri || defaultRegistryUri(env);
  const masked = maskUri(uri);
  const factory = BACKENDS[registryScheme(uri)];
  const root = artifactRootUri(opts.artifactRoot || defaultArtifactRoot(env), env);
  const backend = await factory(uri, masked);
  try {
    await migrateToLatest(backend, [...REGISTRY_MIGRATIONS, ...opts.migrations]);
  } catch (err) {
    await backend.close();
    throw err;
  }
  return new SqlRegistry(backend, root, opts.cacheDir ?? path.join(lakayHome(env), "cache", "models"));
}

/** The scheme of a registry URI, lower-cased; refuses one Lakay has no backend for, naming those it has. */
export function registryScheme(uri: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (!scheme || !BACKENDS[scheme]) {
    throw new BadInputError(
      `invalid registry URI ${JSON.stringify(maskUri(uri))}: expected ${REGISTRY_SCHEMES.map((s) => `${s}://`).join(", ")} (${scheme ? `unknown scheme "${scheme}"` : "no scheme"})`,
    );
  }
  return scheme;
}

/**
 * The file a `sqlite:` registry URI names, read as SQLAlchemy and MLflow read it:
 * `sqlite:///rel/path.db` → `rel/path.db` from the working folder, `sqlite:////abs/path.db` →
 * `/abs/path.db`, `sqlite:///:memory:` → in memory. `sqlite://rel/path.db` (two slashes) is
 * accepted as relative too.
 *
 * Lakay once read three slashes as absolute. So that an old `sqlite:///var/lakay/lakay.db` never
 * quietly opens a new, empty registry under the working folder, a three-slash path that does not
 * exist while its absolute reading does is refused, naming the four-slash form to write.
 */
export function sqlitePath(uri: string): string {
  const rest = uri.replace(/^sqlite:\/\//i, "");
  if (rest === ":memory:" || rest === "/:memory:") return ":memory:";
  if (!rest || rest === "/")
    throw new BadInputError(
      `registry URI ${uri} names no database file (expected sqlite:///path/to/lakay.db)`,
    );
  if (rest.startsWith("//")) return fileURLToPath(`file://${rest.slice(1)}`);
  if (!rest.startsWith("/")) return path.resolve(rest);
  const relative = path.resolve(decodeURIComponent(rest.slice(1)));
  const absolute = fileURLToPath(`file://${rest}`);
  if (!existsSync(relative) && existsSync(absolute))
    throw new BadInputError(
      `registry URI ${uri} names ${relative} (three slashes: relative to the working folder, as in SQLAlchemy and MLflow), which does not exist; for the existing ${absolute} write sqlite:///${absolute}`,
    );
  return relative;
}

/**
 * Opens the registry, runs `fn`, and always closes it: the shape of every CLI command that touches
 * the registry (a left-open SQLite handle or PostgreSQL pool would keep the process alive).
 */
export async function withRegistry<T>(
  opts: OpenRegistryOptions,
  fn: (reg: Registry) => Promise<T>,
): Promise<T> {
  const reg = await openRegistry(opts);
  try {
    return await fn(reg);
  } finally {
    await reg.close();
  }
}
