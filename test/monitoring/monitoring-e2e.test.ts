import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPaysim, transactionAt } from "../../src/data/index.js";
import { SeededRandom } from "../../src/random/index.js";
import { countPredictions, labelHistory, listAlerts } from "../../src/monitoring/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import {
  buildServingRegistry,
  call,
  createToken,
  lakay,
  mapConcurrent,
  registryEnv,
  startServer,
  type RunningServer,
} from "../serving/serving-fixture.js";

/**
 * Issue #15's "done when" on loopback, SQLite and PostgreSQL: train, serve, 20,000 transactions like
 * the training data → drift stable; 5,000 with amounts × 5 → amount features critical, an alert
 * stored and a signed webhook received; labels imported → the A/B report has precision, recall and
 * FPR with intervals; the database cut for 10 s during traffic → log rows = 2xx answers.
 */
let work: string;
let dataset: string;
let live: { tx: Record<string, unknown>; isFraud: number }[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-monitor-e2e-"));
  dataset = path.join(work, "paysim.csv");
  lakay({}, "generate", "paysim", "--rows", "20000", "--seed", "42", "--out", dataset);
  const liveCsv = path.join(work, "live.csv");
  lakay({}, "generate", "paysim", "--rows", "27000", "--seed", "7", "--out", liveCsv);
  const read = await readPaysim(liveCsv, { onBadRows: "fail" });
  live = Array.from({ length: read.tx.rows }, (_, i) => {
    const { isFraud, isFlaggedFraud: _g, ...tx } = transactionAt(read.tx, i);
    return { tx: tx as unknown as Record<string, unknown>, isFraud: isFraud ?? 0 };
  });
  // The file is in time order: a window of 5,000 consecutive rows covers a few days only, which is
  // real day-of-week drift. Shuffled, every slice looks like the training data as a whole.
  const order = Uint32Array.from(live, (_, i) => i);
  new SeededRandom(15).shuffle(order);
  live = Array.from(order, (i) => live[i]);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A webhook receiver on loopback that checks every signature. */
function receiver() {
  const got: { event: string; body: { event: string; data: Record<string, unknown> }; signed: boolean }[] =
    [];
  const secret = "s3cret-for-the-webhook-test";
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d: Buffer) => (raw += d.toString()));
    req.on("end", () => {
      const ts = String(req.headers["x-lakay-timestamp"]);
      const expected = `sha256=${createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex")}`;
      got.push({
        event: String(req.headers["x-lakay-event"]),
        body: JSON.parse(raw) as never,
        signed: req.headers["x-lakay-signature"] === expected,
      });
      res.writeHead(204).end();
    });
  });
  return { got, secret, server };
}

/** A TCP proxy to PostgreSQL that can be cut (every connection dropped, new ones refused) and restored. */
function pgProxy(target: number) {
  const sockets = new Set<net.Socket>();
  let cut = false;
  const server = net.createServer((client) => {
    if (cut) return client.destroy();
    const upstream = net.connect(target, "127.0.0.1");
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  return {
    server,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      cut = false;
    },
  };
}

describe.each(BACKENDS)("monitoring end to end on %s", (backend) => {
  let home: TestRegistryHome;
  let env: NodeJS.ProcessEnv;
  let server: RunningServer | undefined;
  let proxy: ReturnType<typeof pgProxy> | undefined;
  const hook = receiver();
  let token: string;
  let config: string;

  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    env = registryEnv(home);
    buildServingRegistry(home, dataset, 2);
    token = createToken(env, "alice", "ml_engineer");
    await new Promise<void>((r) => hook.server.listen(0, "127.0.0.1", r));
    const port = (hook.server.address() as net.AddressInfo).port;
    const secretFile = path.join(home.dir, "hook.secret");
    writeFileSync(secretFile, hook.secret);
    lakay(
      env,
      "webhooks",
      "add",
      "--url",
      `http://127.0.0.1:${port}/hook`,
      "--events",
      "alert,routing",
      "--secret-file",
      secretFile,
      "--by",
      "alice",
    );
    config = path.join(home.dir, "serving.yaml");
    writeFileSync(
      config,
      `reload:\n  poll_seconds: 0.5\nmonitoring:\n  check_seconds: 1\n  drift:\n    window: 5000\n  prediction_log:\n    flush_ms: 200\n    spill_dir: ${JSON.stringify(path.join(home.dir, "spill"))}\n`,
    );
    if (backend === "postgresql") {
      proxy = pgProxy(5432);
      await new Promise<void>((r) => proxy!.server.listen(0, "127.0.0.1", r));
      const p = (proxy.server.address() as net.AddressInfo).port;
      env = { ...env, LAKAY_REGISTRY_URI: home.uri.replace("127.0.0.1:5432", `127.0.0.1:${p}`) };
    }
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    hook.server.close();
    proxy?.server.close();
    await home?.drop();
  });

  it("logs every answer, finds drift, alerts and signs the webhook, reports A/B with intervals, loses nothing while the database is down", async () => {
    server = await startServer(env, "--config", config);
    const api = `${server.url}/api/v1`;
    let ok = 0;
    const send = async (from: number, to: number, prefix: string, scale = 1) => {
      const answers = await mapConcurrent(live.slice(from, to), 16, ({ tx }, i) =>
        call(`${api}/fraud/score`, "POST", {
          ...tx,
          amount: (tx.amount as number) * scale,
          transaction_id: `${prefix}-${from + i}`,
        }),
      );
      for (const a of answers) if (a.status === 200) ok++;
      return answers;
    };

    // 20,000 like the training data: drift stable.
    await send(0, 20_000, "base");
    let m = (await call(`${api}/serving/monitoring`, "GET")).body;
    expect(m.drift.status).toBe("stable");
    expect(m.drift.features).toHaveLength(11);
    expect(m.score_shift).toHaveProperty("shift_sigma");
    expect(m.latency_sla.sla_ms).toEqual({ p95: 200, p99: 500 });

    // 5,000 with amounts × 5: the amount features go critical, an alert is stored, a webhook arrives.
    await send(22_000, 27_000, "x5", 5);
    m = (await call(`${api}/serving/monitoring`, "GET")).body;
    const amount = m.drift.features.find((f: { feature: string }) => f.feature === "amount");
    expect(amount.status).toBe("critical");
    expect(m.drift.status).toBe("critical");
    expect(
      m.alerts.some(
        (a: { kind: string; feature: string }) => a.kind === "feature_drift" && a.feature === "amount",
      ),
    ).toBe(true);
    // The experiment: 50/50 with version 2, so the A/B report has two sides.
    expect(
      (
        await call(
          `${api}/serving/routing`,
          "POST",
          { champion_pct: 50, challenger_pct: 50, reason: "A/B" },
          token,
        )
      ).status,
    ).toBe(200);
    await send(20_000, 22_000, "ab");

    const registry = await openTestRegistry(home);
    try {
      const alerts = await listAlerts(registry, "fraud-detector", { openOnly: true });
      expect(alerts.filter((a) => a.kind === "feature_drift" && a.feature === "amount")).toHaveLength(1);
      await expect
        .poll(() => hook.got.filter((g) => g.event === "alert").length, { timeout: 15_000 })
        .toBeGreaterThan(0);
      expect(hook.got.every((g) => g.signed)).toBe(true);
      await expect.poll(() => hook.got.some((g) => g.event === "routing"), { timeout: 15_000 }).toBe(true);

      // Labels: feedback import for the A/B traffic, one relabel, one unknown id.
      const labels = path.join(home.dir, "labels.csv");
      const rows = live.slice(20_000, 22_000).map((l, i) => `ab-${20_000 + i},${l.isFraud}`);
      writeFileSync(labels, `transaction_id,isFraud,comment\n${rows.join("\n")}\nnot-a-logged-id,1,x\n`);
      const imported = JSON.parse(
        lakay(env, "feedback", "import", labels, "--source", "investigation", "--by", "alice", "--json"),
      );
      expect(imported).toMatchObject({ received: 2001, known: 2000, unknown: 1 });
      const relabel = await call(
        `${api}/fraud/feedback`,
        "POST",
        { transaction_id: "ab-20000", is_fraud: true, source: "appeal" },
        token,
      );
      expect(relabel.status).toBe(200);
      expect(relabel.body.relabeled).toBe(1);
      expect((await labelHistory(registry, "ab-20000")).length).toBe(2);
      const ab = (await call(`${api}/serving/ab`, "GET")).body;
      for (const v of ["champion", "challenger"]) {
        expect(ab[v].labeled).toBeGreaterThan(500);
        expect(ab[v].false_positive_rate.ci95.lower).toBeLessThanOrEqual(ab[v].false_positive_rate.value);
        expect(ab[v]).toHaveProperty("precision.ci95");
        expect(ab[v]).toHaveProperty("recall.ci95");
      }
      expect(ab.difference.false_positive_rate).toHaveProperty("ci95");
      const routing = (await call(`${api}/serving/routing`, "GET")).body;
      expect(routing.metrics_summary.champion).toHaveProperty("p95_latency_ms");
      expect(routing.metrics_summary.champion).toHaveProperty("false_positive_rate.ci95");
      const cli = JSON.parse(lakay(env, "ab", "report", "--model", "fraud-detector", "--json"));
      expect(cli.champion.labeled).toBe(ab.champion.labeled);

      // The database stopped for 10 s during traffic: nothing lost.
      let lock: Database.Database | undefined;
      if (backend === "postgresql") proxy!.cut();
      else {
        lock = new Database(home.uri.replace(/^sqlite:\/\//, ""));
        lock.exec("BEGIN EXCLUSIVE");
      }
      const outage = send(27_000 - 5_000, 27_000, "outage"); // 5,000 more, new ids
      await new Promise((r) => setTimeout(r, 10_000));
      if (lock) {
        lock.exec("COMMIT");
        lock.close();
      } else proxy!.restore();
      await outage;
    } finally {
      await registry.close();
    }
    expect(await server.stop()).toBe(0); // SIGTERM flushes the queue
    server = undefined;
    const after = await openTestRegistry(home);
    try {
      expect(await countPredictions(after, "fraud-detector")).toBe(ok);
    } finally {
      await after.close();
    }
  }, 600_000);
});
