import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import {
  buildServingRegistry,
  createToken,
  lakay,
  registryEnv,
  startServer,
  type RunningServer,
} from "./serving-fixture.js";

/**
 * A few thousand malformed requests to every route of a real `lakay serve`: each must be a 4xx in
 * the one error shape, the server must stay up, and nothing may be recorded (no prediction, no
 * customer history, no audit entry, no change of split, switch or config).
 */
let work: string;
let home: TestRegistryHome;
let server: RunningServer;
let token: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-serve-fuzz-"));
  const dataset = path.join(work, "paysim.csv");
  lakay({}, "generate", "paysim", "--rows", "5000", "--seed", "11", "--out", dataset);
  home = await createTestRegistryHome("sqlite");
  buildServingRegistry(home, dataset, 2);
  token = createToken(registryEnv(home), "alice", "ml_engineer");
  server = await startServer(registryEnv(home));
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await home?.drop();
  rmSync(work, { recursive: true, force: true });
});

/** Seeded, so a failure replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TX = {
  transaction_id: "fuzz",
  step: 1,
  type: "TRANSFER",
  amount: 181,
  nameOrig: "C1",
  oldbalanceOrg: 181,
  newbalanceOrig: 0,
  nameDest: "C2",
  oldbalanceDest: 0,
  newbalanceDest: 0,
};
const FEATURES = {
  amount: 1,
  amount_zscore: 0,
  hour_of_day: 1,
  day_of_week: 0,
  tx_type_encoded: 4,
  balance_delta_sender: 1,
  balance_delta_receiver: 0,
  velocity_count_1h: 0,
  velocity_count_24h: 0,
  velocity_amount_1h: 0,
  velocity_amount_24h: 0,
};

const JUNK: unknown[] = [
  null,
  true,
  "x",
  "",
  -1,
  1.5,
  "__1e400__", // written into the body as the bare number 1e400 (JSON.parse makes it Infinity)
  "__-1e400__",
  [],
  [1, 2],
  {},
  { a: { b: { c: [] } } },
  "\u0000\ud800",
  "9".repeat(5000),
  "CASH-IN",
  "transfer",
];

interface Case {
  method: string;
  route: string;
  auth: boolean;
  body: string | undefined;
  contentType?: string;
}

/** One malformed variant of `base` (an object body) for `route`. */
/** Bare out-of-range numbers cannot be built with JSON.stringify: markers are swapped in. */
function mutate(
  r: () => number,
  base: Record<string, unknown>,
  extraRules: Record<string, unknown>[],
): string {
  return mutateRaw(r, base, extraRules).replace(/"__(-?1e400)__"/g, "$1");
}

function mutateRaw(
  r: () => number,
  base: Record<string, unknown>,
  extraRules: Record<string, unknown>[],
): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const keys = Object.keys(base);
  const copy: Record<string, unknown> = structuredClone(base);
  switch (Math.floor(r() * 9)) {
    case 0:
      delete copy[pick(keys)];
      // A body whose only fields are optional is not malformed without one: add an unknown one too.
      copy[`unknown_${Math.floor(r() * 1000)}`] = 1;
      break;
    case 1: {
      let k = pick(keys);
      let v = pick(JUNK);
      // Junk that happens to be valid for the field (a string for a string) is swapped for a type error.
      if (typeof v === typeof base[k] && !(Array.isArray(v) || v === null)) v = [v];
      if (k === "reason" && typeof v === "string" && v) k = pick(keys.filter((x) => x !== "reason")) ?? k;
      copy[k] = v;
      break;
    }
    case 2:
      copy[`extra_${Math.floor(r() * 1000)}`] = pick(JUNK);
      break;
    case 3:
      return pick(["{", '{"a":', "[", "nul", "{'a':1}", '{"a":1}}', "\u0000", '{"__proto__":{"x":1}}']);
    case 4:
      return JSON.stringify(pick([[base], "body", 42, null, true]));
    case 5:
      return JSON.stringify({ ...copy, ...pick(extraRules) });
    case 6: {
      // Nested garbage inside an object-valued field, or the whole body nested.
      return JSON.stringify({ wrapper: copy });
    }
    case 7:
      copy.__proto__extra = { polluted: true };
      return JSON.stringify(copy).replace('"__proto__extra"', '"__proto__"');
    default:
      return JSON.stringify({ ...copy, [pick(keys)]: { nested: pick(JUNK) } });
  }
  return JSON.stringify(copy);
}

function cases(): Case[] {
  const r = rng(20261206);
  const out: Case[] = [];
  const add = (
    method: string,
    route: string,
    auth: boolean,
    base: Record<string, unknown>,
    rules: Record<string, unknown>[],
    n: number,
  ) => {
    for (let i = 0; i < n; i++) out.push({ method, route, auth, body: mutate(r, base, rules) });
    // Wrong media types, empty bodies and one body just over 1 MiB.
    out.push({ method, route, auth, body: JSON.stringify(base), contentType: "text/plain" });
    out.push({ method, route, auth, body: "", contentType: "application/json" });
    out.push({ method, route, auth, body: JSON.stringify({ ...base, pad: "x".repeat(1024 * 1024) }) });
    if (auth) out.push({ method, route, auth: false, body: JSON.stringify(base) }); // no token: 401
  };
  add(
    "POST",
    "/api/v1/fraud/score",
    false,
    TX,
    [
      { step: -1 },
      { step: 1.5 },
      { amount: -5 },
      { timestamp: "2026-01-01T00:00:00Z" },
      { step: undefined, timestamp: "not a date" },
      { step: undefined, timestamp: "1900-01-01T00:00:00Z" },
      { step: undefined },
      { type: "WIRE" },
      { transaction_id: "" },
      { nameOrig: "" },
    ],
    800,
  );
  add(
    "POST",
    "/api/v1/fraud/score/batch",
    false,
    { transactions: [TX, { ...TX, transaction_id: "fuzz-2" }] },
    [
      { transactions: [] },
      { transactions: Array.from({ length: 1001 }, (_, i) => ({ ...TX, transaction_id: `b${i}` })) },
      { transactions: [TX, { ...TX, amount: "1" }] },
      { transactions: [TX, { ...TX, amount: 5 }] },
      { transactions: [{ ...TX, step: undefined }] },
    ],
    500,
  );
  add(
    "POST",
    "/api/v1/serving/predict",
    false,
    { features: FEATURES },
    [
      { features: { ...FEATURES, amount: "1" } },
      { features: { ...FEATURES, bogus: 1 } },
      { features: { amount: 1 } },
      { features: [] },
    ],
    300,
  );
  add(
    "POST",
    "/api/v1/serving/routing",
    true,
    { champion_pct: 90, challenger_pct: 10, reason: "fuzz" },
    [
      { champion_pct: 90, challenger_pct: 20 },
      { champion_pct: 101, challenger_pct: -1 },
      { shadow: "yes" },
      { reason: "" },
    ],
    400,
  );
  add(
    "POST",
    "/api/v1/serving/ml",
    true,
    { enabled: false, reason: "fuzz" },
    [{ enabled: "false" }, { enabled: 0 }, { reason: "" }],
    300,
  );
  add(
    "PUT",
    "/api/v1/serving/config",
    true,
    { risk_tiers: { critical: 0.85 }, reason: "fuzz" },
    [
      { hybrid: { rule_weight: 0.5 } },
      { hybrid: { strategy: "median" } },
      { risk_tiers: { medium: 0.9 } },
      { recommendations: { low: "ignore" } },
      { risk_tiers: { critical: 2 } },
    ],
    300,
  );
  add("POST", "/api/v1/serving/reload", true, { reason: "fuzz" }, [{ reason: "" }, { reason: 5 }], 200);
  return out;
}

describe("malformed requests to every route", () => {
  it("are all 4xx in the one error shape, the server stays up, and nothing is recorded", async () => {
    const api = `${server.url}/api/v1`;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const json = async (url: string): Promise<any> => (await fetch(url)).json();
    const registry = await openTestRegistry(home);
    const auditBefore = (await registry.listAudit()).length;
    const monBefore = await json(`${api}/serving/monitoring`);
    const routingBefore = await json(`${api}/serving/routing`);
    const configBefore = await json(`${api}/serving/config`);

    const all = cases();
    expect(all.length).toBeGreaterThan(2500);
    const unexpected: string[] = [];
    for (const c of all) {
      const headers: Record<string, string> = {};
      if (c.body !== undefined) headers["content-type"] = c.contentType ?? "application/json";
      if (c.auth) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${server.url}${c.route}`, { method: c.method, headers, body: c.body });
      const text = await res.text();
      let shapeOk: boolean;
      try {
        const b = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
        shapeOk =
          typeof b.error?.code === "string" &&
          typeof b.error?.message === "string" &&
          (b.error.field === null || typeof b.error.field === "string");
      } catch {
        shapeOk = false;
      }
      if (res.status < 400 || res.status >= 500 || !shapeOk)
        unexpected.push(
          `${c.method} ${c.route} ${String(c.body).slice(0, 200)} -> ${res.status} ${text.slice(0, 200)}`,
        );
    }
    expect(unexpected).toEqual([]);

    // Unknown routes and methods: 404 in the same shape.
    for (const [m, u] of [
      ["GET", "/nope"],
      ["DELETE", "/api/v1/serving/routing"],
      ["GET", "/api/v1/fraud/score"],
    ]) {
      const res = await fetch(`${server.url}${u}`, { method: m });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const monAfter = await json(`${api}/serving/monitoring`);
    expect(monAfter.predictions).toEqual(monBefore.predictions);
    expect(monAfter.online_features).toEqual(monBefore.online_features);
    expect(monAfter.last_reload).toEqual(monBefore.last_reload);
    expect(monAfter.requests.errors - monBefore.requests.errors).toBe(all.length);
    expect(await json(`${api}/serving/routing`)).toEqual(routingBefore);
    expect(await json(`${api}/serving/config`)).toEqual(configBefore);
    expect((await registry.listAudit()).length).toBe(auditBefore);
    await registry.close();
  }, 300_000);
});
