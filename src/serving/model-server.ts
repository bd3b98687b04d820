import { loadRegisteredVersion, type VersionLoader } from "../deploy/index.js";
import { LakayError, NotFoundError } from "../errors/index.js";
import { versionDigest } from "../deploy/index.js";
import type { ModelVersion, Registry } from "../registry/index.js";
import { loadServedModel, type ServedModel } from "./served-model.js";

/** What is served right now. Replaced as a whole, never edited. */
export interface ServedModels {
  readonly champion: ServedModel | null;
  readonly challenger: ServedModel | null;
}

/** The versions the registry says should be served. */
export interface ResolvedVersions {
  champion: ModelVersion | null;
  challenger: ModelVersion | null;
}

export interface ReloadReport {
  at: string;
  trigger: string;
  result: "ok" | "failed";
  error: string | null;
  champion: { version: number; reloaded: boolean } | null;
  challenger: { version: number; reloaded: boolean } | null;
}

export interface ReloadOptions {
  trigger: string;
  /** Asked when the reload runs (not when it is queued): load the challenger too? */
  wantChallenger: () => boolean;
  /** Reload (and re-verify) versions that did not change. */
  force?: boolean;
}

/** A reload that could not complete; the models served before it still are. */
export class ReloadFailedError extends LakayError {
  constructor(
    message: string,
    readonly report: ReloadReport,
    options?: { cause?: unknown },
  ) {
    super(message, "RELOAD_FAILED", 1, 502, options);
  }
}

/**
 * The model server (seed §1 "ModelServer"): the champion — the model's Production version — and,
 * when routing gives it traffic, the challenger — the version with alias `challenger`, else the
 * newest Staging version. A reload resolves both, loads whatever changed fully aside, and swaps
 * them in with one assignment; if anything fails, nothing is swapped.
 */
export class ModelServer {
  private current: ServedModels = { champion: null, challenger: null };
  private chain: Promise<unknown> = Promise.resolve();
  lastReload: ReloadReport | null = null;

  constructor(
    private readonly registry: Registry,
    readonly modelName: string,
    private readonly loader: VersionLoader = loadRegisteredVersion,
  ) {}

  /** The models serving now; read it once per request and use that object throughout. */
  get models(): ServedModels {
    return this.current;
  }

  /** The champion and challenger versions the registry currently names (no download). */
  async resolve(): Promise<ResolvedVersions> {
    const champion = await this.registry.getLatestVersion(this.modelName, "Production");
    let challenger: ModelVersion | null = null;
    try {
      challenger = await this.registry.resolveVersion(`models:/${this.modelName}@challenger`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    if (!challenger || challenger.stage === "Archived")
      challenger = await this.registry.getLatestVersion(this.modelName, "Staging");
    if (challenger && champion && challenger.version === champion.version) challenger = null;
    return { champion, challenger };
  }

  /** True when the registry names other versions (or other artifacts) than those served. */
  differs(resolved: ResolvedVersions, wantChallenger: boolean): boolean {
    const same = (m: ServedModel | null, v: ModelVersion | null) =>
      m === null
        ? v === null
        : v !== null && m.version === v.version && m.artifactDigest === versionDigest(v.files);
    return (
      !same(this.current.champion, resolved.champion) ||
      !same(this.current.challenger, wantChallenger ? resolved.challenger : null)
    );
  }

  /**
   * Resolves and loads, then swaps. `force` reloads (and re-verifies) even unchanged versions;
   * otherwise an unchanged version keeps its loaded model. Reloads run one at a time.
   */
  reload(opts: ReloadOptions): Promise<ReloadReport> {
    const run = this.chain.then(() => this.reloadNow(opts));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(opts: ReloadOptions): Promise<ReloadReport> {
    const at = new Date().toISOString();
    const old = this.current;
    let reloadedChampion = false;
    let reloadedChallenger = false;
    let resolved: ResolvedVersions | undefined;
    try {
      resolved = await this.resolve();
      const keep = (m: ServedModel | null, v: ModelVersion) =>
        !opts.force && m !== null && m.version === v.version && m.artifactDigest === versionDigest(v.files);
      const build = async (m: ServedModel | null, v: ModelVersion | null, mark: () => void) => {
        if (!v) return null;
        if (keep(m, v)) return m;
        mark();
        return loadServedModel(this.registry, v, this.loader);
      };
      const champion = await build(old.champion, resolved.champion, () => (reloadedChampion = true));
      const challenger = opts.wantChallenger()
        ? await build(old.challenger, resolved.challenger, () => (reloadedChallenger = true))
        : null;
      this.current = { champion, challenger }; // the swap: one reference assignment
      this.lastReload = {
        at,
        trigger: opts.trigger,
        result: "ok",
        error: null,
        champion: champion && { version: champion.version, reloaded: reloadedChampion },
        challenger: challenger && { version: challenger.version, reloaded: reloadedChallenger },
      };
      return this.lastReload;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.lastReload = {
        at,
        trigger: opts.trigger,
        result: "failed",
        error: message,
        champion: resolved?.champion ? { version: resolved.champion.version, reloaded: false } : null,
        challenger: resolved?.challenger ? { version: resolved.challenger.version, reloaded: false } : null,
      };
      throw new ReloadFailedError(
        `reload failed, still serving ${describe(old)}: ${message}`,
        this.lastReload,
        { cause: err },
      );
    }
  }
}

function describe(m: ServedModels): string {
  if (!m.champion) return "rules only (no model loaded)";
  return (
    `${m.champion.name} version ${m.champion.version}` +
    (m.challenger ? ` (challenger version ${m.challenger.version})` : "")
  );
}
