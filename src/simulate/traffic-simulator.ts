import { performance } from "node:perf_hooks";
import { transactionAt, type Transactions } from "../data/index.js";
import { BadInputError } from "../errors/index.js";

/** PaySim's numeric fields a drift can scale. */
/** A request the server has not answered in this long counts as an error instead of stalling the run. */
const REQUEST_TIMEOUT_MS = 10_000;

export const DRIFTABLE_FIELDS = [
  "amount",
  "oldbalanceOrg",
  "newbalanceOrig",
  "oldbalanceDest",
  "newbalanceDest",
] as const;
export type DriftableField = (typeof DRIFTABLE_FIELDS)[number];

/** `amount*5@50%`: from half-way through, every amount is multiplied by 5. */
export interface DriftSpec {
  field: DriftableField;
  factor: number;
  /** Fraction of the run (0-1) after which the drift applies. */
  from: number;
}

export function parseDrift(text: string): DriftSpec {
  const m = /^([A-Za-z]+)\*([0-9]*\.?[0-9]+)(?:@([0-9]*\.?[0-9]+)%)?$/.exec(text.trim());
  if (!m || !(DRIFTABLE_FIELDS as readonly string[]).includes(m[1]))
    throw new BadInputError(
      `expected FIELD*FACTOR[@PERCENT%] with FIELD one of ${DRIFTABLE_FIELDS.join(", ")}, e.g. amount*5@50% (got ${JSON.stringify(text)})`,
      { field: "--drift" },
    );
  const factor = Number(m[2]);
  const from = m[3] === undefined ? 0 : Number(m[3]) / 100;
  if (!(factor > 0) || from > 1)
    throw new BadInputError(`drift factor must be > 0 and the start at most 100% (got ${text})`, {
      field: "--drift",
    });
  return { field: m[1] as DriftableField, factor, from };
}

/** `60s`, `2m`, `500ms`, `1h` (a bare number is seconds). */
export function parseDuration(text: string, field: string): number {
  const m = /^([0-9]*\.?[0-9]+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new BadInputError(`expected a duration like 60s, 2m or 500ms (got ${JSON.stringify(text)})`, {
      field,
    });
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

export interface SimulationOptions {
  /** Base URL of `lakay serve`, e.g. http://127.0.0.1:8000. */
  url: string;
  tx: Transactions;
  /** Requests per second (scheduled, not a burst). */
  rate: number;
  durationMs: number;
  /** Send each scored transaction's `isFraud` as feedback this long after it was scored; null: no labels. */
  labelsAfterMs: number | null;
  drift: DriftSpec | null;
  /** Bearer token: needed for feedback (role with `feedback`), and for scoring under --require-token-for-reads. */
  token?: string;
  /** Requests in flight at most. */
  concurrency?: number;
  /** Prefix of the transaction ids (so runs do not collide in the idempotency cache or the log). */
  idPrefix: string;
  onProgress?: (s: SimulationProgress) => void;
}

export interface SimulationProgress {
  elapsedMs: number;
  sent: number;
  ok: number;
  errors: number;
  labelsSent: number;
  drifting: boolean;
}

export interface SimulationSummary {
  url: string;
  duration_s: number;
  target_rate: number;
  achieved_rate: number;
  sent: number;
  ok_2xx: number;
  errors: number;
  statuses: Record<string, number>;
  latency_ms: {
    p50: number | null;
    p90: number | null;
    p95: number | null;
    p99: number | null;
    max: number | null;
  };
  labels: { sent: number; accepted: number; errors: number; fraud: number } | null;
  drift: (DriftSpec & { started_at_request: number | null }) | null;
  first_error: string | null;
}

/**
 * Replays PaySim rows to `POST /api/v1/fraud/score` at a steady rate (cycling through the file), sends
 * each answered row's `isFraud` to `POST /api/v1/fraud/feedback` after a delay, and from a point on
 * scales one field (drift). Latency is measured at the client, request to answer.
 */
export async function simulateTraffic(opts: SimulationOptions): Promise<SimulationSummary> {
  const { tx } = opts;
  if (tx.rows === 0) throw new BadInputError("the dataset has no rows", { field: "--dataset" });
  if (opts.labelsAfterMs !== null && !tx.isFraud)
    throw new BadInputError("--labels-after needs an isFraud column in the dataset", {
      field: "--labels-after",
    });
  const base = opts.url.replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const concurrency = opts.concurrency ?? 64;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let inFlight = 0;
  let firstError: string | null = null;
  let driftStart: number | null = null;
  const pendingLabels: { due: number; id: string; fraud: boolean }[] = [];
  const labels = { sent: 0, accepted: 0, errors: 0, fraud: 0 };
  const start = performance.now();
  const driftAt = opts.drift ? start + opts.drift.from * opts.durationMs : Infinity;

  const rowOf = (i: number, drifting: boolean) => {
    const r = i % tx.rows;
    const record = transactionAt(tx, r);
    // The label reaches the server later, as feedback; never with the score request.
    delete record.isFraud;
    delete record.isFlaggedFraud;
    const body: Record<string, string | number> = { transaction_id: `${opts.idPrefix}-${i}`, ...record };
    if (drifting && opts.drift) body[opts.drift.field] = tx[opts.drift.field][r] * opts.drift.factor;
    return body;
  };

  const noteError = (what: string) => {
    errors++;
    firstError ??= what;
  };

  const scoreOne = async (i: number, drifting: boolean) => {
    const body = rowOf(i, drifting);
    const t0 = performance.now();
    try {
      const res = await fetch(`${base}/api/v1/fraud/score`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      latencies.push(performance.now() - t0);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.ok) {
        ok++;
        if (opts.labelsAfterMs !== null)
          pendingLabels.push({
            due: performance.now() + opts.labelsAfterMs,
            id: String(body.transaction_id),
            fraud: tx.isFraud![i % tx.rows] === 1,
          });
      } else noteError(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    } catch (err) {
      statuses.network = (statuses.network ?? 0) + 1;
      noteError(`request failed: ${(err as Error).message}`);
    }
  };

  const sendLabels = async (batch: { id: string; fraud: boolean }[]) => {
    labels.sent += batch.length;
    labels.fraud += batch.filter((b) => b.fraud).length;
    try {
      const res = await fetch(`${base}/api/v1/fraud/feedback`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          labels: batch.map((b) => ({ transaction_id: b.id, is_fraud: b.fraud, source: "simulator" })),
        }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      if (res.ok) labels.accepted += batch.length;
      else {
        labels.errors += batch.length;
        firstError ??= `feedback HTTP ${res.status}: ${text.slice(0, 200)}`;
      }
    } catch (err) {
      labels.errors += batch.length;
      firstError ??= `feedback failed: ${(err as Error).message}`;
    }
  };

  const flushDueLabels = async (now: number, all = false) => {
    const due: { id: string; fraud: boolean }[] = [];
    while (pendingLabels.length && (all || pendingLabels[0].due <= now)) due.push(pendingLabels.shift()!);
    for (let k = 0; k < due.length; k += 500) await sendLabels(due.slice(k, k + 500));
  };

  const tasks = new Set<Promise<void>>();
  const progress = () =>
    opts.onProgress?.({
      elapsedMs: performance.now() - start,
      sent,
      ok,
      errors,
      labelsSent: labels.sent,
      drifting: driftStart !== null,
    });
  let lastProgress = 0;
  let labelTask: Promise<void> | null = null;
  for (;;) {
    const now = performance.now();
    const elapsed = now - start;
    if (elapsed >= opts.durationMs) break;
    const target = Math.min(
      Math.floor((elapsed / 1000) * opts.rate) + 1,
      Math.ceil((opts.durationMs / 1000) * opts.rate),
    );
    const drifting = now >= driftAt;
    if (drifting && driftStart === null) driftStart = sent;
    while (sent < target && inFlight < concurrency) {
      const i = sent++;
      inFlight++;
      const t = scoreOne(i, drifting).finally(() => {
        inFlight--;
        tasks.delete(t);
      });
      tasks.add(t);
    }
    if (!labelTask && pendingLabels.length && pendingLabels[0].due <= now)
      labelTask = flushDueLabels(now).finally(() => (labelTask = null));
    if (now - lastProgress > 200) {
      lastProgress = now;
      progress();
    }
    await new Promise((r) => setTimeout(r, inFlight >= concurrency ? 1 : 5));
  }
  await Promise.all(tasks);
  const elapsedS = (performance.now() - start) / 1000;
  if (labelTask) await labelTask;
  // Labels still pending arrive after their delay, as an investigation's outcome would.
  if (pendingLabels.length) {
    const wait = pendingLabels[pendingLabels.length - 1].due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await flushDueLabels(performance.now(), true);
  }
  progress();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length
      ? round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)])
      : null;
  return {
    url: base,
    duration_s: round(elapsedS),
    target_rate: opts.rate,
    achieved_rate: round(sent / elapsedS),
    sent,
    ok_2xx: ok,
    errors,
    statuses,
    latency_ms: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), max: pct(100) },
    labels: opts.labelsAfterMs === null ? null : labels,
    drift: opts.drift ? { ...opts.drift, started_at_request: driftStart } : null,
    first_error: firstError,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
