/* global URL, performance */
// Prediction-log write throughput on PostgreSQL (issue #17's capacity figures; `npm run build` first):
//   node bench/prediction-log-pg.mjs [--batches 60] [--pairs 3]
// Batches of 1,000 rows (the writer's default batch_size) through insertPredictions, the function
// every replica's writer calls, into a fresh database: one writer alone, then three writers (three
// registries, i.e. three replicas' pools) at once, alternating, `--pairs` times. Prints rows/s.
import { randomBytes } from "node:crypto";
import pg from "pg";

const { openLakay } = await import(new URL("../dist/app/index.js", import.meta.url).href);
const { insertPredictions } = await import(new URL("../dist/monitoring/index.js", import.meta.url).href);
const PG_ADMIN = process.env.LAKAY_TEST_PG_URI ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const BATCHES = arg("--batches", 60);
const PAIRS = arg("--pairs", 3);
const BATCH = 1000;

const name = `lakay_bench_plog_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: PG_ADMIN });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const uri = PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
let seq = 0;
const row = (writer) => ({
  ts: new Date().toISOString(),
  model: "fraud-detector",
  transaction_id: `w${writer}-${seq++}`,
  user_id: `C${seq % 5000}`,
  variant: "champion",
  model_version: 1,
  experiment_id: null,
  amount: 1234.5,
  amount_zscore: 0.3,
  hour_of_day: 13,
  day_of_week: 2,
  tx_type_encoded: 1,
  balance_delta_sender: -1234.5,
  balance_delta_receiver: 1234.5,
  velocity_count_1h: 2,
  velocity_count_24h: 5,
  velocity_amount_1h: 2000,
  velocity_amount_24h: 6000,
  ml_score: 0.02,
  rule_score: 0.1,
  score: 0.04,
  risk_tier: "low",
  latency_ms: 1.2,
});
const registries = [];
for (let i = 0; i < 3; i++)
  registries.push(await openLakay({ registryUri: uri, artifactRoot: "/tmp/lakay-bench-unused" }));

async function writers(n) {
  const start = performance.now();
  await Promise.all(
    registries.slice(0, n).map(async (reg, w) => {
      for (let b = 0; b < BATCHES; b++)
        await insertPredictions(
          reg,
          Array.from({ length: BATCH }, () => row(w)),
        );
    }),
  );
  return (n * BATCHES * BATCH) / ((performance.now() - start) / 1000);
}

await writers(1); // warm-up
const results = { one: [], three: [] };
for (let p = 0; p < PAIRS; p++) {
  results.one.push(await writers(1));
  results.three.push(await writers(3));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [k, xs] of Object.entries(results))
  console.log(
    `${k} writer(s): ${xs.map((x) => Math.round(x)).join(", ")} rows/s; median ${Math.round(median(xs))}`,
  );
for (const reg of registries) await reg.close();
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
await admin.end();
