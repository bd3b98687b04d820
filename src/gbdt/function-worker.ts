import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker's program built from functions' own source (`Function.prototype.toString`), so a worker
 * runs the very code the main thread runs and a block gives the same bytes on any thread. The text
 * is a CommonJS script run with `eval: true`, which works the same from the compiled `dist/` and
 * from the TypeScript sources under the test runner (a worker file would exist only in `dist/`).
 *
 * A shipped function must be self-contained: it may use its parameters, the globals of
 * `WORKER_GLOBALS`, and the other functions and constants of its program, nothing else (an import
 * would be undefined in the worker). test/gbdt/function-worker.test.ts checks every program.
 */
export interface WorkerProgram {
  /** Names the workers in errors ("training", "scoring", ...). */
  readonly name: string;
  /** Bound under their own names, in this order. */
  readonly functions: readonly ((...args: never[]) => unknown)[];
  /** Bound as `const NAME = value`, before the functions (a table of numbers as an array). */
  readonly constants?: Readonly<Record<string, number | string | boolean | readonly number[]>>;
  /** The script's own statements, after the bindings (`require` is available). */
  readonly main: string;
}

/**
 * Globals a shipped function or a program's main may use besides the ECMAScript built-ins
 * (`WebAssembly` is V8's, in every thread: the training's histogram kernel).
 */
export const WORKER_GLOBALS = ["require", "process", "performance", "console", "WebAssembly"] as const;

/** The script text of a program. */
export function workerProgramSource(p: WorkerProgram): string {
  return [
    ...Object.entries(p.constants ?? {}).map(([k, v]) => `const ${k} = ${JSON.stringify(v)};`),
    ...p.functions.map((f) => `const ${f.name} = ${f.toString()};`),
    p.main,
  ].join("\n");
}

/**
 * A started worker of a program, watched: `lost` rejects as soon as the worker fails or exits
 * without being asked to (a crash, `process.exit`, out of memory), so whoever awaits the worker
 * can race its work against `lost` instead of waiting forever for a message that cannot come.
 */
export class ProgramWorker {
  readonly worker: Worker;
  readonly lost: Promise<never>;
  /** Set once the worker has stopped while not asked to. */
  lostReason: string | null = null;
  private closing = false;

  constructor(program: WorkerProgram, options: Omit<WorkerOptions, "eval"> = {}) {
    this.worker = new Worker(workerProgramSource(program), { ...options, eval: true });
    this.lost = new Promise<never>((_, reject) => {
      const fail = (why: string, cause?: unknown) => {
        if (this.closing || this.lostReason !== null) return;
        this.lostReason = why;
        reject(new Error(`${program.name} worker ${why}`, { cause }));
      };
      this.worker.once("error", (err) => fail(`failed: ${err?.stack ?? err}`, err));
      this.worker.once("exit", (code) => fail(`stopped unexpectedly (exit code ${code})`));
    });
    this.lost.catch(() => undefined); // observed through `run` or by the owner
  }

  /** `work`, or the worker's loss if that comes first. */
  run<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.lost]);
  }

  /** The next message the worker posts (or its loss). */
  nextMessage<T = unknown>(accept: (m: unknown) => boolean = () => true): Promise<T> {
    return this.run(
      new Promise<T>((resolve) => {
        const on = (m: unknown) => {
          if (!accept(m)) return;
          this.worker.off("message", on);
          resolve(m as T);
        };
        this.worker.on("message", on);
      }),
    );
  }

  /** From now on an exit is expected (the owner asked the worker to quit). */
  closingDown(): void {
    this.closing = true;
  }

  async terminate(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }
}
