import { LakayError } from "../errors/index.js";

/** Set by `--verbose` on the root program: show stack traces. */
export const cliState = { verbose: false };

/**
 * Wraps a command action: maps typed errors to one sentence on stderr and the right exit code.
 * Stack traces only with --verbose. Unexpected errors exit 1.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

export function reportError(err: unknown): never {
  if (err instanceof LakayError) {
    process.stderr.write(`lakay: ${err.message}\n`);
    if (cliState.verbose && err.stack) process.stderr.write(err.stack + "\n");
    process.exit(err.exitCode);
  }
  const e = err as Error;
  process.stderr.write(`lakay: unexpected error: ${e?.message ?? String(err)}\n`);
  if (cliState.verbose && e?.stack) process.stderr.write(e.stack + "\n");
  else process.stderr.write("lakay: run again with --verbose for the stack trace\n");
  process.exit(1);
}
