import type { Command } from "commander";

type Register = (program: Command) => void;

/**
 * Command groups that `lakay` can start with alone, by the first word of the command line. Every
 * group's modules and theirs (the registry's SQL layer, the server, the deploy store) cost about
 * 0.3-0.8 s of CPU to load, a sixth of a 1M-row `features build`; the data commands load only
 * their own. Each entry must register exactly that one top-level command: test/cli/fast-start.test.ts
 * checks that it gives the same commands, options and help as the full program.
 */
export const FAST_START: Readonly<Record<string, () => Promise<Register>>> = {
  train: async () => (await import("./train.js")).registerTrainCommand,
  features: async () => (await import("./features.js")).registerFeaturesCommands,
  generate: async () => (await import("./generate.js")).registerGenerateCommands,
  data: async () => (await import("./data.js")).registerDataCommands,
  gbdt: async () => (await import("./gbdt.js")).registerGbdtCommands,
  predict: async () => (await import("./predict.js")).registerPredictCommand,
  explain: async () => (await import("./explain.js")).registerExplainCommand,
};

/** The group loader for a command line's first word, if it has one. */
export function fastStartGroup(word: string | undefined): (() => Promise<Register>) | undefined {
  return word !== undefined && Object.hasOwn(FAST_START, word) ? FAST_START[word] : undefined;
}
