import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPaysim, transactionAt, type Transactions } from "../../src/data/index.js";
import { createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
import { CLI } from "../helpers/cli.js";
import { withEnv } from "../registry/backends.js";
import { buildServingRegistry, call, createToken, lakay, registryEnv } from "../serving/serving-fixture.js";
import { freePort, startNginx, startRedis, startS3, type Service } from "./services.js";

const run = promisify(execFile);

/** Seconds of load (kept modest: the machine has 2 shared cores). */
const LOAD_SECONDS = 24;
/** Concurrent clients, each pausing between requests: ~150-250 scores/s in all. */
const CLIENTS = 6;
const PAUSE_MS = 25;

/** One `lakay serve` replica on a fixed port (nginx names it), in its own folder (spill file). */
class Replica {
  child: ChildProcess | null = null;
  stderr = "";
  /** Every start's stderr, kept across restarts. */
  stderrAll = "";
  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly args: string[],
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, "serve", "--port", String(this.port), ...this.args], {
      cwd: this.dir,
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    this.stderr = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`replica did not start: ${this.stderr}`)), 60_000);
      child.stderr!.on("data", (d: Buffer) => {
        this.stderr += d.toString();
        this.stderrAll += d.toString();
        if (this.stderr.includes("listening on")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`replica exited ${code} before listening: ${this.stderr}`));
      });
    });
  }

  /** `kill -9` (no shutdown: queued prediction records die with it). */
  async kill9(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM, SIGKILL after 10 s; waits for the exit. */
  async stop(): Promise<void> {
    const t = setTimeout(() => this.child?.kill("SIGKILL"), 10_000);
    await this.signal("SIGTERM");
    clearTimeout(t);
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(sig);
    await exited;
  }
}

/**
 * Issue #17's fleet, all on loopback and all started here: PostgreSQL (registry, prediction log),
 * s3rver (artifacts), Debian's redis-server (online features, answers), three `lakay serve`
 * replicas and Debian's nginx before them, retrying a failed score on the next replica. During
 * ~24 s of load through nginx: two split changes, a promotion, a rollback, an ML switch off and on,
 * and one replica killed with SIGKILL and restarted. The client must see no failure; afterwards the
 * prediction log holds exactly the transaction ids answered 2xx, and every replica serves the same
 * champion and split. The figures are printed for docs/scaling.md.
 */
describe("a fleet of three replicas behind nginx, sharing PostgreSQL, S3 and Redis", () => {
  let dir: string;
  let home: TestRegistryHome;
  let s3: Awaited<ReturnType<typeof startS3>> | undefined;
  let restoreEnv: (() => void) | undefined;
  let redis: Service | undefined;
  let nginx: (Service & { url: string }) | undefined;
  const replicas: Replica[] = [];
  let env: NodeJS.ProcessEnv;
  let token: string;
  let tx: Transactions;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lakay-fleet-"));
    home = await createTestRegistryHome("postgresql");
    s3 = await startS3(path.join(dir, "s3"));
    restoreEnv = withEnv(s3.env); // every lakay child inherits the S3 endpoint and keys
    const onS3 = { ...home, artifactRoot: s3.uri };
    env = registryEnv(onS3);
    const dataset = path.join(home.dir, "paysim.csv");
    lakay({}, "generate", "paysim", "--rows", "20000", "--seed", "42", "--out", dataset);
    tx = (await readPaysim(dataset)).tx;
    buildServingRegistry(onS3, dataset, 2); // v1 Production, v2 Staging (the challenger)
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", dataset);
    lakay(env, "validate", "--model", "fraud-detector", "--version", "2");
    for (const [role, by] of [
      ["ml_engineer", "alice"],
      ["team_lead", "bob"],
      ["bsa_officer", "dave"],
    ])
      lakay(env, "approve", "--model", "fraud-detector", "--version", "2", "--role", role, "--by", by);
    token = createToken(env, "alice", "ml_engineer");

    redis = await startRedis(path.join(dir, "redis"));
    const config = path.join(dir, "serving.yaml");
    writeFileSync(
      config,
      [
        "feature_store:",
        `  url: redis://127.0.0.1:${redis.port}/0`,
        "monitoring:",
        "  prediction_log:",
        "    flush_ms: 500",
        "",
      ].join("\n"),
    );
    const ports = [await freePort(), await freePort(), await freePort()];
    ports.forEach((port, i) =>
      replicas.push(new Replica(port, path.join(dir, `replica-${i}`), env, ["--config", config])),
    );
    await Promise.all(replicas.map((r) => r.start()));
    nginx = await startNginx(
      path.join(dir, "nginx"),
      ports.map((p) => `127.0.0.1:${p}`),
    );
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await nginx?.stop();
    await redis?.stop();
    await s3?.stop();
    restoreEnv?.();
    await home?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const requestOf = (n: number) => {
    const record = transactionAt(tx, n % tx.rows);
    delete record.isFraud;
    delete record.isFlaggedFraud;
    return { transaction_id: `load-${n}`, ...record };
  };

  it("answers every request through changes and a kill -9, logs each answer once, converges", async () => {
    const admin = replicas[0]; // never killed: the operator's calls go to it directly
    const post = async (endpoint: string, body: unknown) => {
      const r = await call(`${admin.url}/api/v1/serving/${endpoint}`, "POST", body, token);
      expect(r.status, `${endpoint}: ${JSON.stringify(r.body)}`).toBe(200);
    };
    const cli = (...args: string[]) =>
      run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });

    const answered = new Set<string>();
    const failures: string[] = [];
    let sent = 0;
    let degraded = 0;
    let loading = true;
    let next = 0;
    const client = async () => {
      while (loading) {
        const req = requestOf(next++);
        sent++;
        try {
          const r = await call(`${nginx!.url}/api/v1/fraud/score`, "POST", req);
          if (r.status >= 200 && r.status < 300) {
            answered.add(req.transaction_id);
            if (r.body.features_degraded) degraded++;
          } else failures.push(`${req.transaction_id}: ${r.status} ${JSON.stringify(r.body)}`);
        } catch (err) {
          failures.push(`${req.transaction_id}: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    };
    const at = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));
    const t0 = Date.now();
    const events: string[] = [];
    const note = (what: string) => events.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
    const operator = async () => {
      await at(1.5);
      await post("routing", { champion_pct: 90, challenger_pct: 10, reason: "canary" });
      note("split 90/10");
      await at(2);
      await post("routing", { champion_pct: 100, challenger_pct: 0, reason: "end canary" });
      note("split 100/0");
      await at(1.5);
      await cli("promote", "--model", "fraud-detector", "--version", "2", "--by", "carol");
      note("promoted v2");
      await at(1.5);
      await replicas[2].kill9();
      note("replica 2 kill -9");
      await at(1.5);
      await cli("rollback", "--model", "fraud-detector", "--by", "carol", "--reason", "drill");
      note("rolled back");
      await at(1);
      await replicas[2].start();
      note("replica 2 restarted");
      await at(2);
      await post("ml", { enabled: false, reason: "drill" });
      note("ML off");
      await at(2);
      await post("ml", { enabled: true, reason: "drill over" });
      note("ML on");
    };
    const clients = Array.from({ length: CLIENTS }, client);
    try {
      await operator();
      const left = LOAD_SECONDS * 1000 - (Date.now() - t0);
      if (left > 0) await at(left / 1000);
    } finally {
      loading = false;
      await Promise.all(clients);
    }
    const loadSeconds = (Date.now() - t0) / 1000;

    expect(failures.slice(0, 5)).toEqual([]);
    expect(answered.size).toBe(sent);

    // Every replica converges on the same champion, split and switch.
    const views = async () =>
      Promise.all(
        replicas.map(async (r) => {
          const routing = (await call(`${r.url}/api/v1/serving/routing`, "GET")).body;
          const mon = (await call(`${r.url}/api/v1/serving/monitoring`, "GET")).body;
          return {
            champion: routing.champion_version,
            champion_pct: routing.champion_pct,
            challenger_pct: routing.challenger_pct,
            ml: mon.ml_enabled,
          };
        }),
      );
    const want = { champion: "1", champion_pct: 100, challenger_pct: 0, ml: true };
    let seen = await views();
    for (let deadline = Date.now() + 10_000; Date.now() < deadline; seen = await views())
      if (seen.every((v) => JSON.stringify(v) === JSON.stringify(want))) break;
    expect(seen).toEqual([want, want, want]);

    // The prediction log: one row per transaction id answered 2xx, none missing, none extra. The
    // killed replica's unwritten records are written by the others' sweep (a few seconds later).
    const db = new pg.Client({ connectionString: home.uri });
    await db.connect();
    let logged = new Set<string>();
    try {
      const deadline = Date.now() + 40_000;
      do {
        const rows = await db.query(
          "SELECT transaction_id FROM prediction_log WHERE model = 'fraud-detector'",
        );
        logged = new Set(rows.rows.map((r: { transaction_id: string }) => r.transaction_id));
        if (logged.size === answered.size) break;
        await new Promise((r) => setTimeout(r, 500));
      } while (Date.now() < deadline);
      const rowCount = Number((await db.query("SELECT count(*) AS n FROM prediction_log")).rows[0].n);
      expect(rowCount).toBe(logged.size);
    } finally {
      await db.end();
    }
    const missing = [...answered].filter((id) => !logged.has(id));
    const extra = [...logged].filter((id) => !answered.has(id));
    expect({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }).toEqual({ missing: [], extra: [] });
    expect(logged.size).toBe(answered.size);

    // Each replica's monitoring shows the fleet's traffic (the shared log), not only its own.
    await new Promise((r) => setTimeout(r, 5_500)); // past the fleet figures' 5 s cache
    const fleet = await Promise.all(
      replicas.map(async (r) => (await call(`${r.url}/api/v1/serving/monitoring`, "GET")).body.fleet),
    );
    for (const f of fleet) {
      expect(f.predictions).toBe(logged.size);
      expect(f.variants.reduce((n: number, v: { count: number }) => n + v.count, 0)).toBe(logged.size);
    }

    // Redis commands per score, summed over the replicas (the killed one's counts died with it).
    const stores = await Promise.all(
      replicas.map(async (r) => (await call(`${r.url}/api/v1/serving/monitoring`, "GET")).body.feature_store),
    );
    const scored = stores.reduce((n, s) => n + s.scores.scored, 0);
    const commands = stores.reduce(
      (n, s) => n + s.redis_commands.mget + s.redis_commands.commit + s.redis_commands.outbox,
      0,
    );
    // Records the killed replica answered but never wrote, written by another replica's sweep.
    const swept = replicas
      .flatMap((r) => r.stderrAll.split("\n"))
      .filter((l) => l.includes("wrote records another replica had not"))
      .reduce((n, l) => n + Number(/"records":(\d+)/.exec(l)?.[1] ?? 0), 0);
    console.log(
      `fleet: ${swept} records swept after the kill; ${sent} requests in ${loadSeconds.toFixed(1)} s through nginx (${(sent / loadSeconds).toFixed(0)}/s), ` +
        `${failures.length} failed, ${answered.size} ids answered 2xx, ${logged.size} prediction-log rows, ` +
        `${degraded} degraded; Redis commands per score ${(commands / Math.max(scored, 1)).toFixed(2)} ` +
        `(${JSON.stringify(stores.map((s) => s.redis_commands))}, ${scored} scored); events: ${events.join(", ")}`,
    );
    expect(degraded).toBe(0);
  }, 300_000);
});
