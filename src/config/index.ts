export { lakayHome, defaultRegistryUri, defaultArtifactRoot } from "./home.js";
export { loadYamlConfig, parseWithSchema } from "./load-yaml.js";
