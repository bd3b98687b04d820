import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { once } from "node:events";
import { createGzip } from "node:zlib";
import { BadInputError } from "../errors/index.js";
import { writeAscii, writeCents, writeUint } from "./csv-bytes.js";
import { AMOUNT_PROFILE, hourWeights, MAX_AMOUNT, typeWeights, type PaysimDrift } from "./paysim-profile.js";
import { TX_TYPES, type TxType } from "./paysim-schema.js";
import { SeededRandom } from "../random/index.js";

/** The public log's fraud share: 8,213 of 6,362,620 rows. */
export const PAYSIM_FRAUD_RATE = 8213 / 6362620;

export interface GeneratePaysimOptions {
  rows: number;
  seed: number;
  /** Share of rows that are fraud (both rows of each takeover count). Default: the public log's 0.129 %. */
  fraudRate?: number;
  /** Hourly steps the rows spread over, starting at step 1. Default 744 (31 days, as PaySim). */
  steps?: number;
  /** Size of the customer pool; fewer customers means more repeat activity. Default rows / 4. */
  customers?: number;
  drift?: PaysimDrift;
  onProgress?: (rowsWritten: number, rows: number) => void;
}

export interface GenerateSummary {
  file: string;
  rows: number;
  fraud: number;
  flaggedFraud: number;
  typeCounts: Record<TxType, number>;
  steps: { min: number; max: number };
  seed: number;
  fraudRate: number;
  customers: number;
  bytes: number;
}

const HEADER = Buffer.from(
  "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n",
);
const TYPE_BYTES = TX_TYPES.map((t) => Buffer.from(t));
const FLUSH = 4 << 20;
const CASH_IN = 0;
const CASH_OUT = 1;
const PAYMENT = 3;
const TRANSFER = 4;
const FLAG_THRESHOLD_CENTS = 200_000 * 100;

/**
 * Writes a synthetic PaySim-format CSV (`.gz` if the name ends so), streaming: memory holds the
 * account balances and one 4 MB buffer, whatever the row count. Deterministic for a seed.
 *
 * What makes it PaySim-like (docs/data.md has the details): the public type mix and per-type
 * amount scale; an hour-of-day profile over hourly steps; a pool of repeat customers with a
 * heavy-tailed activity, so velocity features mean something; merchants (`M...`) without
 * balances; balances that add up on every normal row (money is kept in whole cents, income
 * outside the log tops an account up before it would go negative); and the dataset's fraud:
 * an account takeover TRANSFER that drains the victim into a fresh mule account, followed in the
 * same step by the mule's CASH_OUT, with `isFlaggedFraud` on takeover transfers over 200,000.
 */
export async function generatePaysim(opts: GeneratePaysimOptions, outFile: string): Promise<GenerateSummary> {
  const rows = opts.rows;
  if (!Number.isInteger(rows) || rows < 1)
    throw new BadInputError(`rows must be a whole number >= 1 (got ${rows})`, { field: "rows" });
  if (!Number.isInteger(opts.seed))
    throw new BadInputError(`seed must be a whole number (got ${opts.seed})`, { field: "seed" });
  const fraudRate = opts.fraudRate ?? PAYSIM_FRAUD_RATE;
  if (!(fraudRate >= 0 && fraudRate <= 0.5))
    throw new BadInputError(`fraud rate must be in [0, 0.5] (got ${fraudRate})`, { field: "fraud-rate" });
  const steps = opts.steps ?? 744;
  if (!Number.isInteger(steps) || steps < 1)
    throw new BadInputError(`steps must be a whole number >= 1 (got ${steps})`, { field: "steps" });
  const customers = opts.customers ?? Math.max(10, Math.round(rows / 4));
  if (!Number.isInteger(customers) || customers < 2)
    throw new BadInputError(`customers must be a whole number >= 2 (got ${customers})`, {
      field: "customers",
    });
  const scale = opts.drift?.amountScale ?? 1;
  if (!(scale > 0))
    throw new BadInputError(`amount scale must be > 0 (got ${scale})`, { field: "amount-scale" });
  const typeCum = cumulative(typeWeights(opts.drift));
  // Fraud ignores the clock (takeovers run at night as much as by day, as in the public log),
  // so normal rows follow the hour profile and fraud pairs are spread evenly over the steps.
  const pairs = Math.min(Math.floor(rows / 2), Math.round((rows * fraudRate) / 2));
  const normalPerStep = rowsPerStep(rows - 2 * pairs, steps, hourWeights(opts.drift));
  const pairsPerStep = rowsPerStep(pairs, steps, new Array<number>(24).fill(1));

  const rng = new SeededRandom(opts.seed);
  const salt = rng.uint32();
  const agents = Math.max(5, Math.round(customers / 100));
  const merchants = Math.max(10, Math.round(rows / 8));
  const balance = new Float64Array(customers + agents); // cents; customers first, then cash agents
  for (let i = 0; i < customers; i++) balance[i] = lognormalCents(rng, 60_000, 1.2);
  for (let i = customers; i < balance.length; i++) balance[i] = lognormalCents(rng, 20_000_000, 0.5);
  let nextMule = customers + agents;
  const maxCents = Math.round(MAX_AMOUNT * scale * 100);
  const medians = TX_TYPES.map((t) => AMOUNT_PROFILE[t].median * scale * 100);
  const sigmas = TX_TYPES.map((t) => AMOUNT_PROFILE[t].sigma);

  const sink = await openSink(outFile);
  const buf = Buffer.allocUnsafe(FLUSH + 4096);
  let pos = writeAscii(buf, 0, HEADER);
  const typeCounts = new Float64Array(TX_TYPES.length);
  let fraud = 0;
  let flagged = 0;
  let written = 0;
  let minStep = Infinity;
  let maxStep = -Infinity;

  const row = (
    step: number,
    type: number,
    cents: number,
    orig: number,
    oldO: number,
    newO: number,
    destLetter: number,
    dest: number,
    oldD: number,
    newD: number,
    isFraud: number,
    isFlagged: number,
  ) => {
    pos = writeUint(buf, pos, step);
    buf[pos++] = 44;
    pos = writeAscii(buf, pos, TYPE_BYTES[type]);
    buf[pos++] = 44;
    pos = writeCents(buf, pos, cents);
    buf[pos++] = 44;
    pos = writeName(buf, pos, 67, orig, salt);
    buf[pos++] = 44;
    pos = writeCents(buf, pos, oldO);
    buf[pos++] = 44;
    pos = writeCents(buf, pos, newO);
    buf[pos++] = 44;
    pos = writeName(buf, pos, destLetter, dest, destLetter === 77 ? salt ^ 0x5bd1e995 : salt);
    buf[pos++] = 44;
    pos = writeCents(buf, pos, oldD);
    buf[pos++] = 44;
    pos = writeCents(buf, pos, newD);
    buf[pos++] = 44;
    buf[pos++] = 48 + isFraud;
    buf[pos++] = 44;
    buf[pos++] = 48 + isFlagged;
    buf[pos++] = 10;
    typeCounts[type]++;
    fraud += isFraud;
    flagged += isFlagged;
    written++;
    if (step < minStep) minStep = step;
    if (step > maxStep) maxStep = step;
  };

  /** Income outside the log: tops an account up so a debit never drives it negative. */
  const ensureFunds = (account: number, cents: number) => {
    if (balance[account] < cents)
      balance[account] += cents - balance[account] + lognormalCents(rng, 20_000, 1);
  };

  try {
    for (let step = 1; step <= steps; step++) {
      let normalLeft = normalPerStep[step - 1];
      let pairsLeft = pairsPerStep[step - 1];
      while (normalLeft + pairsLeft > 0) {
        if (pairsLeft > 0 && rng.float() * (normalLeft + pairsLeft) < pairsLeft) {
          // Account takeover: drain the victim into a fresh mule, which cashes out at once.
          // Takeovers go for funded accounts: the richest of a few random customers.
          let victim = rng.int(customers);
          for (let tries = 0; tries < 7; tries++) {
            const other = rng.int(customers);
            if (balance[other] > balance[victim]) victim = other;
          }
          ensureFunds(victim, 100_000);
          const cents = Math.min(balance[victim], maxCents);
          const mule = nextMule++;
          const oldV = balance[victim];
          balance[victim] = oldV - cents;
          const isFlagged = cents > FLAG_THRESHOLD_CENTS ? 1 : 0;
          // As in the public log, the mule's balance is not recorded on the takeover row (0 -> 0):
          // the one place where a row's balances do not add up, and a known tell of PaySim fraud.
          row(step, TRANSFER, cents, victim, oldV, oldV - cents, 67, mule, 0, 0, 1, isFlagged);
          const agent = customers + rng.int(agents);
          const oldA = balance[agent];
          balance[agent] = oldA + cents;
          row(step, CASH_OUT, cents, mule, cents, 0, 67, agent, oldA, oldA + cents, 1, 0);
          pairsLeft--;
        } else {
          const type = pick(typeCum, rng.float());
          const cents = Math.max(
            1,
            Math.min(maxCents, Math.round(medians[type] * Math.exp(sigmas[type] * rng.normal()))),
          );
          const orig = Math.floor(customers * Math.pow(rng.float(), 1.5));
          if (type === CASH_IN) {
            const agent = customers + rng.int(agents);
            ensureFunds(agent, cents);
            const oldO = balance[orig];
            const oldA = balance[agent];
            balance[orig] = oldO + cents;
            balance[agent] = oldA - cents;
            row(step, type, cents, orig, oldO, oldO + cents, 67, agent, oldA, oldA - cents, 0, 0);
          } else {
            ensureFunds(orig, cents);
            const oldO = balance[orig];
            balance[orig] = oldO - cents;
            if (type === PAYMENT) {
              const merchant = Math.floor(merchants * Math.pow(rng.float(), 1.3));
              row(step, type, cents, orig, oldO, oldO - cents, 77, merchant, 0, 0, 0, 0);
            } else {
              let dest: number;
              if (type === TRANSFER) {
                dest = rng.int(customers - 1);
                if (dest >= orig) dest++;
              } else dest = customers + rng.int(agents); // CASH_OUT and DEBIT go through an agent / bank
              const oldD = balance[dest];
              balance[dest] = oldD + cents;
              row(step, type, cents, orig, oldO, oldO - cents, 67, dest, oldD, oldD + cents, 0, 0);
            }
          }
          normalLeft--;
        }
        if (pos >= FLUSH) {
          await sink.write(buf.subarray(0, pos));
          pos = 0;
          opts.onProgress?.(written, rows);
        }
      }
    }
    if (pos > 0) await sink.write(buf.subarray(0, pos));
    const bytes = await sink.close();
    opts.onProgress?.(written, rows);
    const counts = Object.fromEntries(TX_TYPES.map((t, i) => [t, typeCounts[i]])) as Record<TxType, number>;
    return {
      file: outFile,
      rows: written,
      fraud,
      flaggedFraud: flagged,
      typeCounts: counts,
      steps: { min: minStep, max: maxStep },
      seed: opts.seed,
      fraudRate,
      customers,
      bytes,
    };
  } catch (err) {
    await sink.abort();
    throw err;
  }
}

function lognormalCents(rng: SeededRandom, median: number, sigma: number): number {
  return Math.round(median * 100 * Math.exp(sigma * rng.normal()));
}

function cumulative(w: number[]): Float64Array {
  const c = new Float64Array(w.length);
  let s = 0;
  w.forEach((x, i) => (c[i] = s += x));
  c[w.length - 1] = 1;
  return c;
}

function pick(cum: Float64Array, u: number): number {
  let i = 0;
  while (u >= cum[i] && i < cum.length - 1) i++;
  return i;
}

/** Rows per step, proportional to the hour profile, rounded so they add up to `rows` exactly. */
function rowsPerStep(rows: number, steps: number, hours: number[]): Int32Array {
  const w = Array.from({ length: steps }, (_, i) => hours[(i + 1) % 24]);
  const total = w.reduce((a, b) => a + b, 0);
  const out = new Int32Array(steps);
  let cum = 0;
  let prev = 0;
  for (let i = 0; i < steps; i++) {
    cum += w[i];
    const upTo = i === steps - 1 ? rows : Math.round((rows * cum) / total);
    out[i] = upTo - prev;
    prev = upTo;
  }
  return out;
}

/** `C` or `M` and ten digits, a bijective scramble of the account id so names look random but never collide. */
function writeName(buf: Buffer, pos: number, letter: number, id: number, salt: number): number {
  let x = (id ^ salt) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  x = (x ^ (x >>> 16)) >>> 0;
  buf[pos++] = letter;
  return writeUint(buf, pos, 1_000_000_000 + x);
}

interface Sink {
  write(chunk: Buffer): Promise<void>;
  close(): Promise<number>;
  abort(): Promise<void>;
}

/** Writes to a temporary name and renames at the end, so a half-written file never has the final name. */
async function openSink(outFile: string): Promise<Sink> {
  const tmp = `${outFile}.tmp-${process.pid}`;
  let bytes = 0;
  if (outFile.endsWith(".gz")) {
    const gz = createGzip();
    const ws = createWriteStream(tmp);
    const done = new Promise<void>((resolve, reject) => {
      ws.on("finish", resolve);
      ws.on("error", reject);
      gz.on("error", reject);
    });
    done.catch(() => {});
    gz.pipe(ws);
    return {
      async write(chunk) {
        bytes += chunk.length;
        if (!gz.write(Buffer.from(chunk))) await once(gz, "drain");
      },
      async close() {
        gz.end();
        await done;
        await rename(tmp, outFile);
        return bytes;
      },
      async abort() {
        gz.destroy();
        ws.destroy();
        await rm(tmp, { force: true });
      },
    };
  }
  let fh;
  try {
    fh = await open(tmp, "w");
  } catch (err) {
    throw new BadInputError(`cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      file: outFile,
    });
  }
  const handle = fh;
  return {
    async write(chunk) {
      bytes += chunk.length;
      await handle.write(chunk);
    },
    async close() {
      await handle.close();
      await rename(tmp, outFile);
      return bytes;
    },
    async abort() {
      await handle.close().catch(() => {});
      await rm(tmp, { force: true });
    },
  };
}
