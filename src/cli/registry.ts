/** The registry command group; its commands live in `cli/registry/`, one module per group. */
export { registerRegistryCommands, versionJson } from "./registry/index.js";
