import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readPaysim, transactionAt } from "../../src/data/index.js";
import { CLI, runCli } from "../helpers/cli.js";
import type { TestRegistryHome } from "../deploy/helpers.js";

/** The environment that points every `lakay` command (and `lakay serve`) at one test registry. */
export function registryEnv(home: TestRegistryHome): NodeJS.ProcessEnv {
  return {
    LAKAY_HOME: home.dir,
    LAKAY_REGISTRY_URI: home.uri,
    LAKAY_ARTIFACT_ROOT: home.artifactRoot,
    LAKAY_LOG_LEVEL: "info",
  };
}

/** Runs `lakay ...args`; throws with its stderr when it fails. */
export function lakay(env: NodeJS.ProcessEnv, ...args: string[]): string {
  const r = runCli(args, { env });
  if (r.status !== 0) throw new Error(`lakay ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Live traffic for a test: `lakay generate paysim --rows ROWS --seed SEED` into `work`, read back as
 * score-request bodies in file order, each with its label kept aside (never sent).
 */
export async function generateTraffic(
  work: string,
  rows: number,
  seed: number,
): Promise<{ tx: Record<string, unknown>; isFraud: number }[]> {
  const file = path.join(work, `live-${seed}.csv`);
  lakay({}, "generate", "paysim", "--rows", String(rows), "--seed", String(seed), "--out", file);
  const read = await readPaysim(file, { onBadRows: "fail" });
  return Array.from({ length: read.tx.rows }, (_, i) => {
    const { isFraud, isFlaggedFraud: _g, ...tx } = transactionAt(read.tx, i);
    return { tx: tx as unknown as Record<string, unknown>, isFraud: isFraud ?? 0 };
  });
}

/**
 * What the quickstart does, small: train `versions` versions of fraud-detector on `dataset`, then
 * take version 1 through the gate (validate, approvals, promote); versions 2.. stay in Staging.
 * Versions 1 and 2 share their hyperparameters (so 2 passes the backtest against 1 and can be
 * promoted); version 3 has more trees, a different model for the challenger.
 */
export function buildServingRegistry(home: TestRegistryHome, dataset: string, versions = 3): void {
  const env = registryEnv(home);
  for (let v = 1; v <= versions; v++) {
    const cfg = path.join(home.dir, `train-v${v}.yaml`);
    writeFileSync(
      cfg,
      `model_name: fraud-detector\nhyperparams:\n  n_estimators: ${v < 3 ? 10 : 16}\n  max_depth: 3\n`,
    );
    lakay(env, "train", "--dataset", dataset, "--config", cfg);
  }
  promoteThroughGate(env, 1);
}

/** validate → every policy role approves (three different people) → promote. */
export function promoteThroughGate(env: NodeJS.ProcessEnv, version: number): void {
  const v = String(version);
  lakay(env, "validate", "--model", "fraud-detector", "--version", v);
  for (const [role, by] of [
    ["ml_engineer", "alice"],
    ["team_lead", "bob"],
    ["bsa_officer", "dave"],
  ])
    lakay(env, "approve", "--model", "fraud-detector", "--version", v, "--role", role, "--by", by);
  lakay(env, "promote", "--model", "fraud-detector", "--version", v, "--by", "carol");
}

export function createToken(env: NodeJS.ProcessEnv, name: string, role: string): string {
  return (
    JSON.parse(lakay(env, "tokens", "create", "--name", name, "--role", role, "--json")) as { token: string }
  ).token;
}

/** A `lakay serve` child process on a free loopback port. */
export interface RunningServer {
  url: string;
  child: ChildProcess;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServer(env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunningServer> {
  // The server's log goes to a file, never to a pipe: while the test runs a CLI through spawnSync
  // its event loop cannot drain a pipe, a full pipe blocks the server's next log write, and a CLI
  // that talks to the server (lakay simulate) then waits for it forever.
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), "lakay-serve-log-")), "stderr.log");
  const logFd = openSync(logFile, "w");
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", logFd],
  });
  closeSync(logFd);
  const stderr = () => readFileSync(logFile, "utf8");
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  const started = Date.now();
  let url: string | undefined;
  while (url === undefined) {
    const m = /listening on (http:\/\/[^"\s]+)/.exec(stderr());
    if (m) url = m[1];
    else if (exitCode !== undefined)
      throw new Error(`lakay serve exited ${exitCode} before listening: ${stderr()}`);
    else if (Date.now() - started > 30_000) {
      child.kill("SIGKILL");
      throw new Error(`lakay serve did not start within 30 s: ${stderr()}`);
    } else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    child,
    stderr,
    stop: async (signal = "SIGTERM") => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      // A server that does not stop is a failure to report, not a reason to hang the test run.
      const stuck = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exited;
      clearTimeout(stuck);
      return code;
    },
  };
}

// JSON answers are checked field by field in the tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface HttpAnswer<T = any> {
  status: number;
  body: T;
}

/** One JSON request; the body is parsed whatever the status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* non-JSON answers (metrics, docs) stay text */
  }
  return { status: res.status, body: parsed as T };
}

/** Runs `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapConcurrent<I, O>(
  items: readonly I[],
  concurrency: number,
  fn: (item: I, i: number) => Promise<O>,
): Promise<O[]> {
  const out = new Array<O>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
