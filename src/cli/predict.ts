import type { Command } from "commander";

// Placeholder until the command lands; replaced by its issue's work.
export function registerPredictCommand(_program: Command): void {}
