export { lakayHome, defaultRegistryUri, defaultArtifactRoot, sqliteUri } from "./home.js";
export { loadYamlConfig, parseWithSchema, readYamlMapping } from "./load-yaml.js";
export { checkFeatureStoreUri, featureStoreUri } from "./feature-store-uri.js";
