import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built CLI. `npm test` builds first, so tests run exactly what users run. */
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/** Absolute path of the real PaySim sample shipped in ../shared/data. */
export const PAYSIM_SAMPLE = fileURLToPath(
  new URL("../../../shared/data/paysim-head-20k.csv", import.meta.url),
);

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `lakay ...args` in a child process and captures its output. */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `lakay gbdt train` on a feature CSV with the `isFraud` label, writing `out`; extra flags after. */
export function gbdtTrainCli(features: string, out: string, ...flags: string[]): CliResult {
  return runCli(["gbdt", "train", "--features", features, "--label", "isFraud", "--out", out, ...flags]);
}
