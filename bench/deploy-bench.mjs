// Manual benchmark, not a test (run once, deliberately; `npm run build` first):
//   node test/deploy/deploy-bench.mjs MODEL_A.json MODEL_B.json
// Two XGBoost-format models (e.g. from bench/reference_pipeline.py --save-model) are registered on
// a fresh SQLite file and a fresh PostgreSQL database; then 10 rounds of validate, promote (validation
// skipped, to time the transaction alone) and rollback, reporting medians. Belongs in bench/ (see report).
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import path from "node:path";
import pg from "pg";
import { openLakay } from "../dist/app/index.js";
import { promoteToProduction, recordApproval, rollback, validateModel } from "../dist/deploy/index.js";

const [modelA, modelB] = process.argv.slice(2);
if (!modelA || !modelB) throw new Error("usage: node test/deploy/deploy-bench.mjs MODEL_A.json MODEL_B.json");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bench(uri, artifactRoot) {
  const reg = await openLakay({ registryUri: uri, artifactRoot, env: {} });
  const exp = await reg.createExperiment("bench");
  for (const file of [modelA, modelB]) {
    const run = await reg.createRun({ experimentId: exp.id });
    const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-bench-"));
    copyFileSync(file, path.join(dir, "model.json"));
    await reg.logArtifacts(run.id, dir);
    rmSync(dir, { recursive: true, force: true });
    const v = await reg.createModelVersion({ name: "fraud", runId: run.id });
    await recordApproval(reg, { model: "fraud", version: v.version, role: "ml_engineer", by: "a" });
    await recordApproval(reg, { model: "fraud", version: v.version, role: "team_lead", by: "b" });
  }
  await promoteToProduction(reg, { model: "fraud", version: 1, by: "a" });
  const times = { validate: [], promote: [], rollback: [] };
  const timed = async (key, fn) => {
    const t = performance.now();
    await fn();
    times[key].push(performance.now() - t);
  };
  for (let i = 0; i < 10; i++) {
    await timed("validate", () => validateModel(reg, { model: "fraud", version: 2, actor: "a" }));
    await timed("promote", () =>
      promoteToProduction(reg, {
        model: "fraud",
        version: 2,
        by: "a",
        skipValidation: true,
        reason: "bench",
      }),
    );
    await timed("rollback", () => rollback(reg, { model: "fraud", by: "a" }));
  }
  const ok = (await reg.verifyAudit()).ok;
  await reg.close();
  return Object.entries(times)
    .map(([k, xs]) => `${k} median ${median(xs).toFixed(1)} ms`)
    .concat(`audit intact ${ok}`)
    .join(", ");
}

const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-bench-db-"));
console.log("sqlite:     ", await bench(`sqlite:///${dir}/lakay.db`, `${dir}/artifacts`));
const admin = new pg.Client({ connectionString: "postgresql://postgres@127.0.0.1:5432/postgres" });
await admin.connect();
const name = `lakay_bench_deploy_${Date.now()}`;
await admin.query(`CREATE DATABASE ${name}`);
try {
  console.log(
    "postgresql: ",
    await bench(`postgresql://postgres@127.0.0.1:5432/${name}`, `${dir}/artifacts-pg`),
  );
} finally {
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
