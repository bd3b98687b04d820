import type { Command } from "commander";

// Placeholder until the command group lands; replaced by its issue's work.
export function registerRegistryCommands(_program: Command): void {}
