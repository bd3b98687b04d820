import { writeNumber } from "../data/index.js";
import type { ScoreResponse } from "../serving/index.js";

/**
 * The scoring routes' answers — the batch route's `{"results":[...]}` and the single-score route's
 * one answer — written as UTF-8 bytes straight into one Buffer: byte for byte what Fastify's schema
 * serializer (fast-json-stringify over `batchResponseSchema`, `scoreResponseSchema`) writes for the
 * same answers (test/api/answer-json.test.ts compares them).
 *
 * Why not the schema serializer: it builds the answer as a string of ~20,000 concatenated pieces
 * for 1,000 transactions, which Fastify then measures for Content-Length (`Buffer.byteLength`
 * flattens the whole rope first) and the socket encodes again; the three were ~1.2 µs of the
 * ~7.7 µs a batch transaction cost the serving thread (docs/BENCHMARKS.md). Here the constant
 * parts are encoded once (field names; each shared fired-rule list and model reference, once per
 * list), and only transaction ids and numbers are written per answer.
 *
 * Only plain answers: `write` and `writeOne` return null when an answer carries a field it does not write
 * (`features_degraded`, `features`, `explanation`) or a value the schema serializer would treat
 * specially (a NaN, which it refuses; a non-string where a string belongs...). The caller then
 * hands the objects to the schema serializer as before.
 */
export class AnswerJsonWriter {
  /** JSON of a fired-rule list, by list: the scorer shares one frozen list per set of fired rules. */
  private readonly firedJson = new WeakMap<readonly object[], Uint8Array>();
  /** JSON of a model reference (`{"name":...,"version":...}`), by reference: shared per served model. */
  private readonly modelJson = new WeakMap<object, Uint8Array>();
  /** `verdictJson`'s pieces, by risk tier and recommendation. */
  private readonly verdicts = new Map<string, Map<string, Uint8Array>>();
  /** `routedJson`'s pieces, by fired-rule list, then variant, model reference and mode. */
  private readonly routed = new WeakMap<
    readonly object[],
    { variant: string; model: object | null; mode: string; json: Uint8Array }[]
  >();
  /** Bytes the last answer took per transaction: the next Buffer's first size. */
  private bytesPerAnswer = 512;
  /** The answer being written; EMPTY between calls (the caller owns what `finish` returned). */
  private buf: Buffer = EMPTY;
  private pos = 0;

  /** `{"results":[...]}` for `results`, or null when one of them is not a plain answer (see above). */
  write(results: readonly ScoreResponse[]): Buffer | null {
    this.start(results.length * this.bytesPerAnswer + 64);
    this.put(RESULTS_OPEN);
    for (let i = 0; i < results.length; i++) {
      if (i > 0) this.byte(COMMA);
      if (!this.answer(results[i])) return this.abandon();
    }
    this.put(RESULTS_CLOSE);
    return this.finish(results.length);
  }

  /**
   * One answer's object, for the single-score route (`scoreResponseSchema`: the same fields in the
   * same order as a batch item), or null when it is not a plain answer.
   */
  writeOne(r: ScoreResponse): Buffer | null {
    this.start(this.bytesPerAnswer + 16);
    return this.answer(r) ? this.finish(1) : this.abandon();
  }

  private start(bytes: number): void {
    this.buf = Buffer.allocUnsafe(bytes);
    this.pos = 0;
  }

  private finish(answers: number): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.bytesPerAnswer = Math.max(64, Math.ceil((this.pos * 1.05) / Math.max(1, answers)));
    this.buf = EMPTY;
    return out;
  }

  private abandon(): null {
    this.buf = EMPTY;
    return null;
  }

  /** One answer's object, fields in the schema's order; false when it is not a plain answer. */
  private answer(r: ScoreResponse): boolean {
    if (r.features_degraded !== undefined || "features" in r || "explanation" in r) return false;
    const verdict = this.verdictJson(r.risk_tier, r.recommendation);
    const routed = this.routedJson(r.rules_triggered, r.variant, r.model, r.mode);
    if (verdict === null || routed === null) return false;
    this.put(TRANSACTION_ID);
    if (!this.string(r.transaction_id)) return false;
    this.put(SCORE);
    if (!this.number(r.score)) return false;
    this.put(verdict);
    if (r.ml_score === null) this.put(NULL);
    else if (!this.number(r.ml_score)) return false;
    this.put(RULE_SCORE);
    if (!this.number(r.rule_score)) return false;
    this.put(routed);
    if (!this.number(r.latency_ms)) return false;
    this.byte(CLOSE_BRACE);
    return true;
  }

  /** `,"risk_tier":…,"recommendation":…,"ml_score":`: a few tiers and recommendations, encoded once each. */
  private verdictJson(tier: unknown, recommendation: unknown): Uint8Array | null {
    if (typeof tier !== "string" || typeof recommendation !== "string") return null;
    let byRecommendation = this.verdicts.get(tier);
    let json = byRecommendation?.get(recommendation);
    if (json !== undefined) return json;
    json = Buffer.from(
      `,"risk_tier":${JSON.stringify(tier)},"recommendation":${JSON.stringify(recommendation)},"ml_score":`,
    );
    if (this.verdicts.size < CACHED_STRINGS) {
      if (!byRecommendation) this.verdicts.set(tier, (byRecommendation = new Map()));
      if (byRecommendation.size < CACHED_STRINGS) byRecommendation.set(recommendation, json);
    }
    return json;
  }

  /**
   * `,"rules_triggered":[…],"variant":…,"model":…,"mode":…,"latency_ms":`: the same few
   * combinations answer after answer (one per fired-rule list, variant and served model), encoded
   * once each when the list and the model reference cannot change.
   */
  private routedJson(
    list: readonly object[],
    variant: unknown,
    model: { name: string; version: number } | null,
    mode: unknown,
  ): Uint8Array | null {
    const seen = this.routed.get(list);
    if (seen)
      for (const c of seen) if (c.variant === variant && c.model === model && c.mode === mode) return c.json;
    if (typeof variant !== "string" || typeof mode !== "string") return null;
    const fired = this.firedListJson(list);
    const ref = model === null ? NULL : this.modelRefJson(model);
    if (fired === null || ref === null) return null;
    const json = Buffer.concat([
      RULES_TRIGGERED,
      fired,
      Buffer.from(`,"variant":${JSON.stringify(variant)},"model":`),
      ref,
      Buffer.from(`,"mode":${JSON.stringify(mode)},"latency_ms":`),
    ]);
    if (this.firedJson.get(list) === fired && (model === null || this.modelJson.get(model) === ref)) {
      if (seen) {
        if (seen.length < CACHED_STRINGS) seen.push({ variant, model, mode, json });
      } else this.routed.set(list, [{ variant, model, mode, json }]);
    }
    return json;
  }

  private firedListJson(list: readonly object[]): Uint8Array | null {
    const cached = this.firedJson.get(list);
    if (cached !== undefined) return cached;
    if (!Array.isArray(list)) return null;
    const items: string[] = [];
    for (const rule of list as readonly Record<string, unknown>[]) {
      const { id, category, weight, description } = rule;
      if (typeof id !== "string" || typeof category !== "string" || typeof description !== "string")
        return null;
      const w = numberJson(weight);
      if (w === null) return null;
      items.push(
        `{"id":${JSON.stringify(id)},"category":${JSON.stringify(category)},"weight":${w},"description":${JSON.stringify(description)}}`,
      );
    }
    const json = Buffer.from(`[${items.join(",")}]`);
    // Only a list nobody can change may be remembered by identity (the scorer's are frozen).
    if (Object.isFrozen(list) && list.every((rule) => Object.isFrozen(rule))) this.firedJson.set(list, json);
    return json;
  }

  private modelRefJson(ref: { name: string; version: number }): Uint8Array | null {
    const cached = this.modelJson.get(ref);
    if (cached !== undefined) return cached;
    if (typeof ref !== "object" || typeof ref.name !== "string" || !Number.isInteger(ref.version))
      return null;
    const json = Buffer.from(`{"name":${JSON.stringify(ref.name)},"version":${ref.version}}`);
    if (Object.isFrozen(ref)) this.modelJson.set(ref, json);
    return json;
  }

  /** A JSON string: ASCII without escapes byte by byte, anything else through JSON.stringify. */
  private string(s: unknown): boolean {
    if (typeof s !== "string") return false;
    const n = s.length;
    this.reserve(n + 2);
    const buf = this.buf;
    const at = this.pos;
    buf[at] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c >= 0x80) {
        // The schema serializer's escaping is JSON.stringify's (quotes, backslashes, control
        // characters, lone surrogates); non-ASCII goes out as UTF-8.
        const json = JSON.stringify(s);
        this.reserve(json.length * 3);
        this.pos += this.buf.write(json, this.pos, "utf8");
        return true;
      }
      buf[at + 1 + i] = c;
    }
    buf[at + n + 1] = QUOTE;
    this.pos = at + n + 2;
    return true;
  }

  /**
   * A JSON number as the schema serializer writes it (its decimal string, ±Infinity as null);
   * false for NaN or a non-number. The digits go straight into the buffer (`writeNumber`: exactly
   * `String(x)`'s characters), not through a string: in process, an answer with new 17-digit
   * numbers took 0.76-0.93 µs to write against 1.2-1.6 (docs/BENCHMARKS.md).
   */
  private number(x: unknown): boolean {
    if (typeof x !== "number" || x !== x) return false;
    if (x === Infinity || x === -Infinity) {
      this.put(NULL);
      return true;
    }
    this.reserve(MAX_NUMBER_BYTES);
    this.pos = writeNumber(this.buf, this.pos, x);
    return true;
  }

  private put(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

/** fast-json-stringify's `asNumber` for a number: its decimal string, ±Infinity as null; null for NaN or a non-number. */
function numberJson(x: unknown): string | null {
  if (typeof x !== "number" || x !== x) return null;
  return x === Infinity || x === -Infinity ? "null" : "" + x;
}

/** The longest number `String(x)` writes: "-0.0000012345678901234567" (fixed notation down to 1e-6). */
const MAX_NUMBER_BYTES = 25;
/** At most this many pieces per cache level (the scorer gives a handful; anything else is not remembered). */
const CACHED_STRINGS = 64;
const EMPTY = Buffer.alloc(0);
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const bytes = (s: string): Uint8Array => Buffer.from(s, "latin1");
const RESULTS_OPEN = bytes('{"results":[');
const RESULTS_CLOSE = bytes("]}");
const NULL = bytes("null");
const TRANSACTION_ID = bytes('{"transaction_id":');
const SCORE = bytes(',"score":');
const RULE_SCORE = bytes(',"rule_score":');
const RULES_TRIGGERED = bytes(',"rules_triggered":');
