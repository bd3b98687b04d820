import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../helpers/cli.js";
import { PG_ADMIN_URI, createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
import {
  buildServingRegistry,
  call,
  createToken,
  lakay,
  registryEnv,
  startServer,
  type RunningServer,
} from "./serving-fixture.js";

const run = promisify(execFile);

/**
 * Issue #17, change propagation: two `lakay serve` replicas on one PostgreSQL registry. Polling is
 * set to 10 minutes, so a change reaches the other replica only through LISTEN/NOTIFY (or the
 * listener's reconnect). Changes made through replica A's API and by the CLI are watched on replica
 * B every ~20 ms; the delay is counted from the change's last audit entry (written inside the
 * committing transaction) to the first answer of B that shows it. Only a generous bound is
 * asserted (the machine is shared); the figures are printed for docs/BENCHMARKS.md.
 */
describe("two replicas on PostgreSQL see each other's changes through NOTIFY", () => {
  let home: TestRegistryHome;
  let env: NodeJS.ProcessEnv;
  let token: string;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  let db: pg.Client;
  const delays: Record<string, number> = {};

  beforeAll(async () => {
    home = await createTestRegistryHome("postgresql");
    env = registryEnv(home);
    const dataset = path.join(home.dir, "paysim.csv");
    lakay({}, "generate", "paysim", "--rows", "20000", "--seed", "42", "--out", dataset);
    buildServingRegistry(home, dataset, 2); // v1 Production, v2 Staging
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", dataset);
    lakay(env, "validate", "--model", "fraud-detector", "--version", "2");
    for (const [role, by] of [
      ["ml_engineer", "alice"],
      ["team_lead", "bob"],
      ["bsa_officer", "dave"],
    ])
      lakay(env, "approve", "--model", "fraud-detector", "--version", "2", "--role", role, "--by", by);
    token = createToken(env, "alice", "ml_engineer");
    const config = path.join(home.dir, "serving.yaml");
    writeFileSync(config, "reload:\n  poll_seconds: 600\n");
    [a, b] = await Promise.all([startServer(env, "--config", config), startServer(env, "--config", config)]);
    db = new pg.Client({ connectionString: home.uri });
    await db.connect();
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await db?.end();
    await home?.drop();
    if (Object.keys(delays).length)
      console.log(
        `replica change delays (ms, audit entry → other replica serving it): ${JSON.stringify(delays)}`,
      );
  });

  const lastSeq = async () => Number((await db.query("SELECT max(seq) AS s FROM audit_log")).rows[0].s);

  /**
   * Makes `change`, polls B's `endpoint` every ~20 ms until `shows` holds, and returns the delay from
   * the newest audit entry the change wrote to that answer.
   */
  async function propagation(
    name: string,
    change: () => Promise<unknown>,
    endpoint: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    shows: (body: any) => boolean,
  ): Promise<number> {
    const before = await lastSeq();
    expect(shows((await call(`${b!.url}/api/v1/serving/${endpoint}`, "GET")).body)).toBe(false);
    const changed = change();
    const seenAt = await shownBy(b!, endpoint, shows, 30_000);
    await changed;
    expect(seenAt, `${name}: replica B never showed it`).toBeGreaterThan(0);
    const written = await db.query("SELECT max(ts) AS ts FROM audit_log WHERE seq > $1", [before]);
    expect(written.rows[0].ts, `${name}: no audit entry`).not.toBeNull();
    const delay = seenAt - Date.parse(written.rows[0].ts as string);
    delays[name] = delay;
    expect(delay).toBeLessThan(10_000);
    return delay;
  }

  /**
   * Polls replica `r`'s `endpoint` every ~20 ms until `shows` holds: when it did (ms since the epoch),
   * or 0 if not within `ms`. Each replica reloads on its own, so the one that did not make a change
   * may show it a little after the other.
   */
  async function shownBy(
    r: RunningServer,
    endpoint: string,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    shows: (body: any) => boolean,
    ms: number,
  ): Promise<number> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const res = await call(`${r.url}/api/v1/serving/${endpoint}`, "GET");
      if (res.status === 200 && shows(res.body)) return Date.now();
      await new Promise((ok) => setTimeout(ok, 20));
    }
    return 0;
  }

  const postA = (endpoint: string, body: unknown) => async () => {
    const r = await call(`${a!.url}/api/v1/serving/${endpoint}`, "POST", body, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const cli =
    (...args: string[]) =>
    () =>
      run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });

  it("routing and the ML switch set through replica A's API are served by replica B", async () => {
    for (const r of [a!, b!])
      expect((await call(`${r.url}/api/v1/serving/monitoring`, "GET")).body.change_notify).toBe("listening");
    await propagation(
      "api routing 90/10",
      postA("routing", { champion_pct: 90, challenger_pct: 10, reason: "canary" }),
      "routing",
      (r) => r.challenger_pct === 10 && r.challenger_version === "2",
    );
    await propagation(
      "api routing 100/0",
      postA("routing", { champion_pct: 100, challenger_pct: 0, reason: "end canary" }),
      "routing",
      (r) => r.challenger_pct === 0,
    );
    await propagation(
      "api ML off",
      postA("ml", { enabled: false, reason: "drill" }),
      "monitoring",
      (m) => m.ml_enabled === false && m.mode === "rules_only",
    );
    await propagation(
      "api ML on",
      postA("ml", { enabled: true, reason: "drill over" }),
      "monitoring",
      (m) => m.ml_enabled === true,
    );
  }, 120_000);

  it("a promotion and a rollback made by the CLI are served by both replicas", async () => {
    await propagation(
      "cli promote v2",
      cli("promote", "--model", "fraud-detector", "--version", "2", "--by", "carol"),
      "monitoring",
      (m) => m.model?.version === 2,
    );
    // Replica A hears the same NOTIFY and reloads on its own: it serves v2 too, within the same bound.
    expect(
      await shownBy(a!, "monitoring", (m) => m.model?.version === 2, 10_000),
      "cli promote v2: replica A never showed it",
    ).toBeGreaterThan(0);
    await propagation(
      "cli rollback",
      cli("rollback", "--model", "fraud-detector", "--by", "carol", "--reason", "drill"),
      "monitoring",
      (m) => m.model?.version === 1,
    );
    const mon = (await call(`${b!.url}/api/v1/serving/monitoring`, "GET")).body;
    expect(mon.last_reload).toMatchObject({ trigger: "registry change", result: "ok" });
  }, 120_000);

  it("a dropped listener connection reconnects and catches up", async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URI });
    await admin.connect();
    const dbName = home.uri.replace(/^.*\//, "");
    const listeners = await admin.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
      [dbName],
    );
    await admin.end();
    expect(listeners.rowCount).toBe(2); // one listener per replica
    await propagation(
      "api ML off after the listeners were cut",
      postA("ml", { enabled: false, reason: "after reconnect" }),
      "monitoring",
      (m) => m.ml_enabled === false,
    );
    expect(b!.stderr()).toContain("registry change listener disconnected");
    const notifyState = async () =>
      (await call(`${b!.url}/api/v1/serving/monitoring`, "GET")).body.change_notify as string;
    const deadline = Date.now() + 10_000;
    let state = await notifyState();
    while (state !== "listening" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      state = await notifyState();
    }
    expect(state).toBe("listening");
  }, 60_000);
});
