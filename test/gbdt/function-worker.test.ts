import vm from "node:vm";
import { Linter } from "eslint";
import { describe, expect, it } from "vitest";
import { TRAINING_WORKER } from "../../src/gbdt/block-executor.js";
import { WORKER_GLOBALS, workerProgramSource, type WorkerProgram } from "../../src/gbdt/function-worker.js";
import { trainBooster } from "../../src/gbdt/index.js";
import { SCORING_WORKER } from "../../src/gbdt/parallel-batch.js";
import { EXPLAIN_WORKER } from "../../src/gbdt/parallel-explain.js";
import { HASH_WORKER } from "../../src/registry/artifacts/file-sha256.js";
import { CV_WORKER } from "../../src/training/cv-workers.js";
import { CSV_FORMAT_WORKER } from "../../src/data/feature-csv-writer.js";

const PROGRAMS: WorkerProgram[] = [
  TRAINING_WORKER,
  SCORING_WORKER,
  EXPLAIN_WORKER,
  CV_WORKER,
  HASH_WORKER,
  CSV_FORMAT_WORKER,
];
const linter = new Linter();

/** The identifiers `source` uses without defining them, other than ECMAScript's and `allowed`. */
function freeIdentifiers(source: string, allowed: readonly string[]): string[] {
  const messages = linter.verify(source, {
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "commonjs",
      globals: Object.fromEntries(allowed.map((g) => [g, "readonly"])),
    },
    rules: { "no-undef": "error" },
  });
  const parseError = messages.find((m) => m.fatal);
  if (parseError) throw new Error(`does not parse on its own: ${parseError.message}`);
  return messages.map((m) => m.message.replace(/^'(.*)' is not defined\.$/, "$1"));
}

describe("functions shipped to workers as source", () => {
  it.each(PROGRAMS.map((p) => [p.name, p] as const))(
    "%s: each function is self-contained (its program's names and a few globals only)",
    (_, program) => {
      const ownNames = [...Object.keys(program.constants ?? {}), ...program.functions.map((f) => f.name)];
      for (const fn of program.functions) {
        const source = fn.toString();
        // On its own in a fresh context it is one function expression...
        expect(typeof vm.runInNewContext(`(${source})`), fn.name).toBe("function");
        // ...that names nothing outside its program.
        expect(freeIdentifiers(`(${source});`, [...WORKER_GLOBALS, ...ownNames]), fn.name).toEqual([]);
      }
      expect(freeIdentifiers(workerProgramSource(program), WORKER_GLOBALS)).toEqual([]);
    },
  );

  it("catches a function that reaches outside its program", () => {
    const LIMIT = 3;
    const leaky = (x: number) => Math.min(x, LIMIT);
    const program: WorkerProgram = { name: "leaky", functions: [leaky], main: "" };
    expect(freeIdentifiers(workerProgramSource(program), WORKER_GLOBALS)).toEqual(["LIMIT"]);
  });
});

describe("a training worker that dies mid-phase", () => {
  const n = 20_000;
  const columns = [0, 1, 2].map((f) => Float64Array.from({ length: n }, (_, i) => ((i * (f + 5)) % 97) / 97));
  const labels = Float32Array.from({ length: n }, (_, i) => (columns[0][i] + columns[1][i] > 1.2 ? 1 : 0));
  const data = { columns, labels, featureNames: ["a", "b", "c"] };
  const params = { n_estimators: 20, max_depth: 4 };

  it("fails the training with an error instead of hanging", { timeout: 60_000 }, async () => {
    for (const phase of [1, 5, 40]) {
      await expect(
        trainBooster(data, params, { nThreads: 2, faults: { workerExitsAtPhase: phase } }),
      ).rejects.toThrow(/training worker thread stopped in the middle of the training/);
    }
    // Nothing is left behind: the next training on two threads gives the one-thread model.
    const two = await trainBooster(data, params, { nThreads: 2 });
    const one = await trainBooster(data, params, { nThreads: 1 });
    expect(two.toXgboostJson()).toBe(one.toXgboostJson());
  });
});
