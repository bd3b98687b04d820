/** The deployment command group; its commands live in `cli/deploy/`, one module per group. */
export { registerDeployCommands } from "./deploy/index.js";
