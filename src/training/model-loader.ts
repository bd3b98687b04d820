import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BadInputError, ValidationFailedError } from "../errors/index.js";
import { FEATURE_SET_VERSION } from "../features/index.js";
import { Booster, type CompiledPredictor } from "../gbdt/index.js";
import {
  openRegistry,
  verifyLocalFolder,
  type ArtifactFile,
  type Migration,
  type Registry,
} from "../registry/index.js";
import type { Histogram } from "./reference-profile.js";

/** The part of a reference.json feature histogram consumers read (the gate's synthetic vectors, drift). */
export type ReferenceHistogram = Pick<Histogram, "edges" | "proportions" | "min" | "max">;

/**
 * A model ready to score, after the checks every consumer needs (validation, backtests, batch
 * scoring, `lakay predict`, serving): artifact checksums verified, features.json's order equal to
 * the model's, the feature set the one this Lakay computes.
 */
export interface LoadedModel {
  booster: Booster;
  predictor: CompiledPredictor;
  /** The order the model reads its features in. */
  featureNames: string[];
  /** features.json's `feature_set_version`; null when the model has no features.json or it says none. */
  featureSetVersion: string | null;
  /** Per-feature training histograms from reference.json; null when the version has none. */
  reference: Record<string, ReferenceHistogram> | null;
  /** Artifact files whose SHA-256 was verified (registry checksums, or the folder's manifest.json). */
  verifiedFiles: string[];
  /** Registered name and version; null for a model loaded from a local path. */
  name: string | null;
  version: number | null;
}

/** Where `models:/` references are resolved. */
export interface ModelSourceOptions {
  registryUri?: string;
  artifactRoot?: string;
  env?: NodeJS.ProcessEnv;
  /** The other layers' schema steps, needed to open the registry (the composition root's `LAKAY_MIGRATIONS`). */
  migrations?: readonly Migration[];
}

/**
 * Loads `ref`: a registry URI (`models:/NAME/Production`, `models:/NAME/3`, `models:/NAME@alias`;
 * downloaded checksum-verified into the local cache), a model folder, or a model.json path (its
 * folder's features.json, reference.json and manifest.json are used when present).
 */
export async function loadModel(ref: string, opts: ModelSourceOptions = {}): Promise<LoadedModel> {
  if (ref.startsWith("models:/")) {
    const registry = await openRegistry({ ...opts, migrations: opts.migrations ?? [] });
    try {
      const { version, localDir } = await registry.resolveModelUri(ref);
      return await loadModelFolder(localDir, {
        registered: version.files,
        name: version.name,
        version: version.version,
      });
    } finally {
      await registry.close();
    }
  }
  return ref.endsWith(".json")
    ? loadModelFolder(path.dirname(ref), { modelFile: ref })
    : loadModelFolder(ref, {});
}

/**
 * Loads a registered version (the deploy gate's and serving's entry): downloads its artifacts into a
 * temporary folder (the registry verifies every SHA-256 and refuses on a mismatch, naming the file).
 */
export async function loadRegisteredVersion(
  registry: Registry,
  model: string,
  version: number,
): Promise<LoadedModel> {
  const dir = await mkdtemp(path.join(tmpdir(), "lakay-model-"));
  try {
    const files = await registry.downloadVersion(model, version, dir);
    return await loadModelFolder(dir, { registered: files, name: model, version });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface FolderOptions {
  /** model.json's path when it is not `<dir>/model.json`. */
  modelFile?: string;
  /** Registered checksums the registry has already verified the folder against. */
  registered?: ArtifactFile[];
  name?: string;
  version?: number;
}

async function loadModelFolder(dir: string, o: FolderOptions): Promise<LoadedModel> {
  const what = o.name !== undefined ? `model ${o.name} version ${o.version}` : `model ${o.modelFile ?? dir}`;
  const verifiedFiles = o.registered ? o.registered.map((f) => f.path) : await verifyManifest(dir, what);
  const modelFile = o.modelFile ?? findFile(dir, ["model.json", "model/model.json"]);
  if (!modelFile) throw new ValidationFailedError(`${what} has no model.json artifact`);
  const text = await readFile(modelFile, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new BadInputError(`cannot read model file (${err.code ?? err})`, { file: modelFile });
  });
  const booster = Booster.fromXgboostJson(text, modelFile);

  const featuresFile = findFile(dir, ["features.json", "model/features.json"]);
  const spec = featuresFile ? featureSpecOf(await readJson(featuresFile), featuresFile) : null;
  if (spec?.featureSetVersion != null && spec.featureSetVersion !== FEATURE_SET_VERSION) {
    throw new ValidationFailedError(
      `${what} was trained on feature set ${spec.featureSetVersion}; this Lakay builds feature set ${FEATURE_SET_VERSION}`,
    );
  }
  const featureNames = featureOrder(booster.featureNames, spec?.names ?? null, what);

  const referenceFile = findFile(dir, ["reference.json", "model/reference.json"]);
  const reference = referenceFile
    ? (((await readJson(referenceFile)) as { features?: Record<string, ReferenceHistogram> }).features ??
      null)
    : null;
  return {
    booster,
    predictor: booster.compile(),
    featureNames,
    featureSetVersion: spec?.featureSetVersion ?? null,
    reference,
    verifiedFiles,
    name: o.name ?? null,
    version: o.version ?? null,
  };
}

/**
 * The model's feature order. model.json's feature_names win; features.json must list the same names
 * in the same order, because scoring code builds vectors by features.json and the trees read by
 * position. A model without feature_names (XGBoost trained on a bare matrix: `f0`, `f1`, ...) takes
 * features.json's names when the counts agree.
 */
function featureOrder(modelNames: readonly string[], listed: string[] | null, what: string): string[] {
  if (listed === null) return [...modelNames];
  const unnamed = modelNames.every((n, i) => n === `f${i}`);
  if (unnamed && listed.length === modelNames.length) return listed;
  if (listed.length !== modelNames.length || listed.some((n, i) => n !== modelNames[i])) {
    throw new ValidationFailedError(
      `${what}: features.json lists ${listed.join(", ")} but model.json reads ${modelNames.join(", ")}; refusing a model whose feature order is in doubt`,
    );
  }
  return listed;
}

/** A local folder's manifest.json (as `lakay train --out` writes it), checked file by file. */
async function verifyManifest(dir: string, what: string): Promise<string[]> {
  const manifestFile = path.join(dir, "manifest.json");
  if (!existsSync(manifestFile)) return [];
  const files = (await readJson(manifestFile)) as { files?: ArtifactFile[] };
  if (!Array.isArray(files.files))
    throw new BadInputError("manifest.json has no `files` list", { file: manifestFile });
  const problem = await verifyLocalFolder(dir, files.files);
  if (problem) throw new ValidationFailedError(`${what}: ${problem}; refusing to load it`);
  return files.files.map((f) => f.path);
}

/** features.json as the training pipeline writes it, or a plain list of names. */
function featureSpecOf(
  doc: unknown,
  file: string,
): { names: string[] | null; featureSetVersion: string | null } {
  const d = (doc ?? {}) as {
    names?: unknown;
    features?: unknown;
    feature_names?: unknown;
    feature_set_version?: unknown;
  };
  const list = Array.isArray(doc) ? doc : [d.names, d.feature_names, d.features].find(Array.isArray);
  const names = Array.isArray(list)
    ? list.map((f: unknown) => (typeof f === "string" ? f : String((f as { name?: unknown })?.name)))
    : null;
  const version = Array.isArray(doc) ? undefined : d.feature_set_version;
  if (version !== undefined && version !== null && typeof version !== "string")
    throw new BadInputError("feature_set_version must be a string", { file, field: "feature_set_version" });
  return { names, featureSetVersion: version ?? null };
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new BadInputError(`cannot read file (${err.code ?? err})`, { file });
  });
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadInputError(`invalid JSON: ${(err as Error).message}`, { file });
  }
}

function findFile(dir: string, candidates: string[]): string | undefined {
  return candidates.map((c) => path.join(dir, c)).find((p) => existsSync(p));
}
