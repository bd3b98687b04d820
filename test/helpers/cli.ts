import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built CLI. `npm test` builds first, so tests run exactly what users run. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** The real PaySim sample (19,999 rows, quirks intact): see test/fixtures/README.md. */
export const PAYSIM_SAMPLE = fileURLToPath(new URL("../fixtures/paysim-head-20k.csv", import.meta.url));

/**
 * Lakay's reference pipeline (pandas + scikit-learn + XGBoost): `build_features`, and with
 * `--save-model` a real XGBoost model to register as a bring-your-own model.
 */
export const REFERENCE_PIPELINE = fileURLToPath(
  new URL("../../bench/reference_pipeline.py", import.meta.url),
);

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * A child that hangs must fail its test, not block the worker forever: spawnSync holds the test's
 * event loop, so vitest's own timeouts cannot fire while it waits.
 */
export const CHILD_TIMEOUT_MS = 300_000;

/** spawnSync with the timeout every test child needs; a child killed by it reads as a failure. */
export function spawnChildSync(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const r = spawnSync(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: CHILD_TIMEOUT_MS,
    killSignal: "SIGKILL",
  });
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT";
  const note = timedOut ? `\n[test] ${command} ${args.join(" ")} killed after ${CHILD_TIMEOUT_MS} ms` : "";
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + note };
}

/** Runs `lakay ...args` in a child process and captures its output. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  return spawnChildSync(process.execPath, [CLI, ...args], { ...opts, env: { ...process.env, ...opts.env } });
}

/** `lakay gbdt train` on a feature CSV with the `isFraud` label, writing `out`; extra flags after. */
export function gbdtTrainCli(features: string, out: string, ...flags: string[]): CliResult {
  return runCli(["gbdt", "train", "--features", features, "--label", "isFraud", "--out", out, ...flags]);
}

/** Writes the header and the first `rows` rows of the real PaySim sample to `out` (a small labeled dataset). */
export function writePaysimSampleHead(out: string, rows: number): void {
  const lines = readFileSync(PAYSIM_SAMPLE, "utf8").split("\n");
  writeFileSync(out, lines.slice(0, rows + 1).join("\n") + "\n");
}

/**
 * Trains a small real XGBoost model on a raw PaySim CSV with the reference pipeline (Debian's python3-xgboost,
 * one thread) and saves it in XGBoost's JSON format, to register as a bring-your-own model.
 */
export function trainReferenceXgboost(
  dataset: string,
  out: string,
  opts: { trees: number; depth: number; cwd?: string },
): void {
  const r = spawnChildSync(
    "/usr/bin/python3",
    [
      REFERENCE_PIPELINE,
      dataset,
      ...["--trees", String(opts.trees), "--depth", String(opts.depth), "--threads", "1"],
      ...["--save-model", out],
    ],
    { cwd: opts.cwd },
  );
  if (r.status !== 0) throw new Error(`XGBoost training failed: ${r.stderr}`);
}
