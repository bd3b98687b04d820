/* global URL, performance */
// Registry benchmarks (run `npm run build` first):
//   node bench/registry-bench.mjs            → resolve latency with 1,000 versions (SQLite, PostgreSQL)
//                                              and 100 concurrent stage transitions on PostgreSQL
// Anchor: the same lookup as one raw indexed SELECT through the same driver, in the same process,
// timed alternately call by call with the registry's resolution so both see the same machine load.
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const { openLakay } = await import(new URL("../dist/app/index.js", import.meta.url).href);
const PG_ADMIN = process.env.LAKAY_TEST_PG_URI ?? "postgresql://postgres@127.0.0.1:5432/postgres";

if (process.argv[2] === "--worker") {
  // One of the processes racing transitions: promote the given versions in order, archiving the current one.
  const job = JSON.parse(process.argv[3]);
  const reg = await openLakay({ registryUri: job.uri, artifactRoot: job.artifactRoot });
  const start = Date.now();
  for (const version of job.versions) {
    await reg.transitionStage({
      name: "bench",
      version,
      stage: "Production",
      archiveExisting: true,
      actor: `w${process.pid}`,
    });
  }
  process.stdout.write(JSON.stringify({ start, end: Date.now() }) + "\n");
  await reg.close();
  process.exit(0);
}

async function pgDatabase() {
  const name = `lakay_bench_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return {
    uri: PG_ADMIN.replace(/\/[^/]*$/, `/${name}`),
    async drop() {
      const d = new pg.Client({ connectionString: PG_ADMIN });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function time(n, fn) {
  for (let i = 0; i < 200; i++) await fn(); // warm-up
  const t = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { p50: quantile(t, 0.5), p99: quantile(t, 0.99) };
}

async function seed(reg, tmp, versions) {
  const exp = await reg.createExperiment("bench");
  const run = await reg.createRun({ experimentId: exp.id });
  const dir = path.join(tmp, "model");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "model.json"), JSON.stringify({ learner: { bench: true } }));
  await reg.logArtifacts(run.id, dir);
  const s = performance.now();
  for (let i = 0; i < versions; i++)
    await reg.createModelVersion({ name: "bench", runId: run.id, actor: "bench" });
  const perVersion = (performance.now() - s) / versions;
  await reg.transitionStage({ name: "bench", version: 500, stage: "Production", actor: "bench" });
  await reg.setAlias({ name: "bench", alias: "champion", version: 500, actor: "bench" });
  return perVersion;
}

async function timePair(n, fnA, fnB) {
  for (let i = 0; i < 200; i++) {
    await fnA();
    await fnB();
  }
  const a = [];
  const b = [];
  for (let i = 0; i < n; i++) {
    let s = performance.now();
    await fnA();
    a.push(performance.now() - s);
    s = performance.now();
    await fnB();
    b.push(performance.now() - s);
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  return [
    { p50: quantile(a, 0.5), p99: quantile(a, 0.99) },
    { p50: quantile(b, 0.5), p99: quantile(b, 0.99) },
  ];
}

const fmt = (x) => x.toFixed(3);
const lines = [];

for (const backend of ["sqlite", "postgresql"]) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-bench-"));
  const db =
    backend === "sqlite" ? { uri: `sqlite:///${tmp}/lakay.db`, drop: async () => {} } : await pgDatabase();
  const reg = await openLakay({
    registryUri: db.uri,
    artifactRoot: path.join(tmp, "artifacts"),
    cacheDir: path.join(tmp, "cache"),
  });
  const perVersion = await seed(reg, tmp, 1000);
  const raw = reg.backend.db;
  // Each series alternates call by call with the anchor, so both see the same machine load.
  const anchorQuery = () =>
    raw
      .selectFrom("model_versions")
      .selectAll()
      .where("name", "=", "bench")
      .where("stage", "=", "Production")
      .executeTakeFirst();
  const [stage, anchor] = await timePair(
    3000,
    () => reg.resolveVersion("models:/bench/Production"),
    anchorQuery,
  );
  const [alias] = await timePair(3000, () => reg.resolveVersion("models:/bench@champion"), anchorQuery);
  const [number] = await timePair(3000, () => reg.resolveVersion("models:/bench/3"), anchorQuery);
  const cached = await time(500, () => reg.resolveModelUri("models:/bench/Production"));
  lines.push(
    `| ${backend} | ${fmt(stage.p50)} | ${fmt(stage.p99)} | ${fmt(alias.p99)} | ${fmt(number.p99)} | ${fmt(anchor.p50)} / ${fmt(anchor.p99)} | ${(stage.p50 / anchor.p50).toFixed(1)}× | ${fmt(cached.p99)} | ${perVersion.toFixed(1)} |`,
  );
  await reg.close();
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
}

console.log(
  `Resolve with 1,000 versions registered (ms; 3,000 calls after 200 warm-up; load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}):\n`,
);
console.log(
  "| backend | models:/bench/Production p50 | p99 | @champion p99 | /3 p99 | raw indexed SELECT p50 / p99 | ratio p50 | resolveModelUri (cached, SHA-256 re-verified) p99 | createModelVersion ms |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const l of lines) console.log(l);

// 100 concurrent stage transitions on PostgreSQL from 4 processes (25 each), every one archiving the current Production.
{
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-bench-tx-"));
  const db = await pgDatabase();
  const reg = await openLakay({ registryUri: db.uri, artifactRoot: path.join(tmp, "artifacts") });
  const exp = await reg.createExperiment("bench");
  const run = await reg.createRun({ experimentId: exp.id });
  mkdirSync(path.join(tmp, "m"), { recursive: true });
  writeFileSync(path.join(tmp, "m", "model.json"), "{}");
  await reg.logArtifacts(run.id, path.join(tmp, "m"));
  for (let i = 0; i < 10; i++) await reg.createModelVersion({ name: "bench", runId: run.id });
  const processes = 4;
  const per = 25;
  const jobs = [];
  const start = performance.now();
  for (let p = 0; p < processes; p++) {
    // Consecutive versions differ, so each of the 100 calls is a real transition.
    const versions = Array.from({ length: per }, (_, i) => ((p * 3 + i * 7) % 10) + 1);
    const job = JSON.stringify({ uri: db.uri, artifactRoot: path.join(tmp, "artifacts"), versions });
    jobs.push(
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [new URL(import.meta.url).pathname, "--worker", job], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        c.stdout.on("data", (d) => (out += d));
        c.on("exit", (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exit ${code}`)),
        );
      }),
    );
  }
  const windows = await Promise.all(jobs);
  const wall = (performance.now() - start) / 1000;
  const busy = (Math.max(...windows.map((w) => w.end)) - Math.min(...windows.map((w) => w.start))) / 1000;
  const history = await reg.history("bench");
  const stages = new Map();
  let maxProd = 0;
  for (const e of history) {
    if (e.kind === "stage") stages.set(e.version, e.to);
    maxProd = Math.max(maxProd, [...stages.values()].filter((s) => s === "Production").length);
  }
  const requested = history.filter((e) => e.kind === "stage" && e.to === "Production").length;
  const live = (await reg.listVersions("bench")).filter((v) => v.stage === "Production").length;
  const audit = await reg.verifyAudit();
  console.log(
    `\n${processes} processes × ${per} concurrent promotion calls on PostgreSQL (load average ${os.loadavg()[0].toFixed(1)}): ` +
      `${processes * per} calls, ${requested} changed the Production version (the rest found their version already there), ` +
      `${wall.toFixed(2)} s including process start-up, ${busy.toFixed(2)} s from first to last call → ` +
      `${((processes * per) / busy).toFixed(0)} calls/s; ` +
      `most Production versions after any history event: ${maxProd}; now: ${live}; invariant violations: ${maxProd > 1 || live !== 1 ? "YES" : 0}; ` +
      `audit chain ${audit.ok ? "intact" : "BROKEN"} (${audit.checked} entries)`,
  );
  await reg.close();
  await db.drop();
  rmSync(tmp, { recursive: true, force: true });
}
