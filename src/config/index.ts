export { lakayHome, defaultRegistryUri, defaultArtifactRoot, sqliteUri } from "./home.js";
export { loadYamlConfig, parseWithSchema } from "./load-yaml.js";
