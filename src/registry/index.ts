/**
 * The model registry: experiments, runs, model versions, stages, aliases, history, artifacts with
 * SHA-256, and the hash-chained audit log. Open one with {@link openRegistry}; everything else is the
 * {@link Registry} interface.
 */
export type {
  Registry,
  RegistryTx,
  RegistryDialect,
  LayerDb,
  CreateRunInput,
  MetricInput,
  SearchRunsInput,
  CreateModelVersionInput,
  TransitionStageInput,
  SetAliasInput,
  DeleteAliasInput,
  ResolvedModel,
} from "./registry.js";
export * from "./types.js";
export { NULL_TAG, NUMBER_TAG, STRING_TAG, packedRowCount, type PackedRows } from "./sql/packed-rows.js";
export {
  openRegistry,
  withRegistry,
  sqlitePath,
  registryScheme,
  REGISTRY_SCHEMES,
  type OpenRegistryOptions,
  type RegistryLocation,
} from "./open-registry.js";
export {
  parseModelUri,
  parseStage,
  parseVersionNumber,
  checkModelName,
  checkAliasName,
  type ModelRef,
} from "./model-uri.js";
export { defaultActor } from "./actor.js";
export { canonicalJson } from "./audit/canonical-json.js";
export { auditEntryHash, GENESIS_HASH } from "./audit/audit-hash.js";
export { sha256File } from "./artifacts/file-sha256.js";
export { verifyLocalFolder } from "./artifacts/artifact-transfer.js";
export { openArtifactStore, ARTIFACT_SCHEMES } from "./artifacts/open-artifact-store.js";
export type { ArtifactStore } from "./artifacts/artifact-store.js";
export {
  CHANGE_CHANNEL,
  makeAppendOnly,
  protectYoungRows,
  withAutoId,
  schemaSteps,
  FLOAT,
  type Migration,
  type MigrationContext,
  type MigrationStep,
} from "./migrations/index.js";
