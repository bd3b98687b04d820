import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generatePaysim, readPaysim, type Transactions } from "../../src/data/index.js";
import { SeededRandom } from "../../src/random/index.js";
import { biasAudit, parseBiasAuditConfig, segmentRows, wilsonInterval } from "../../src/training/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { compareWithReference, reference } from "./bias-reference.js";

/**
 * Scores that treat segments differently on purpose, so flags appear: returning customers' fraud is
 * found less often, and first-time customers' honest transactions are held more often.
 */
function skewedScores(tx: Transactions, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const scores = new Float64Array(tx.rows);
  const firstSeen = new Set<number>();
  for (let i = 0; i < tx.rows; i++) {
    const fraud = tx.isFraud![i] === 1;
    const first = !firstSeen.has(tx.nameOrig[i]);
    firstSeen.add(tx.nameOrig[i]);
    let p = fraud ? 0.75 : 0.03;
    if (fraud && !first) p = 0.4;
    if (!fraud && first) p = 0.06;
    scores[i] = rng.float() < p ? 0.5 + rng.float() / 2 : (rng.float() / 2) * 0.999;
  }
  // A few rows exactly at the threshold: `score >= threshold` flags them.
  for (let i = 0; i < tx.rows; i += 997) scores[i] = 0.5;
  return scores;
}

describe("biasAudit: Wilson score interval", () => {
  it("matches published values and stays inside [0, 1]", () => {
    // Newcombe (1998), table I: 81/263 → 0.2553-0.3662; 0/10 → 0-0.2775; 10/10 → 0.7225-1.
    const [lo, hi] = wilsonInterval(81, 263)!;
    expect(lo).toBeCloseTo(0.2553, 4);
    expect(hi).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10)![0]).toBe(0);
    expect(wilsonInterval(0, 10)![1]).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10)![0]).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(10, 10)![1]).toBe(1);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe("biasAudit: every count and rate equal to an independent pandas computation", () => {
  it("on generated PaySim data with segments treated unequally (flags expected)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lakay-bias-"));
    const file = path.join(dir, "gen.csv");
    await generatePaysim({ rows: 40_000, seed: 7, fraudRate: 0.03, customers: 8_000, steps: 200 }, file);
    const { tx } = await readPaysim(file);
    const scores = skewedScores(tx, 11);
    const config = parseBiasAuditConfig({});
    const report = biasAudit({
      scores,
      labels: tx.isFraud!,
      threshold: 0.5,
      segmentations: segmentRows(tx, config),
      config,
    });
    compareWithReference(report, reference(file, scores, 0.5, config));
    // The skew is found: first-time customers' false positives, returning customers' missed fraud.
    const flagged = report.flags.map((f) => `${f.dimension}=${f.segment}:${f.metric}`);
    expect(flagged).toContain("customer_history=first_transaction:false_positive_rate");
    expect(flagged).toContain("customer_history=returning:recall");
    expect(flagged).not.toContain("customer_history=returning:false_positive_rate");
    // Too-small segments are reported, never flagged.
    const small = report.segments.filter((s) => s.status === "too_small");
    expect(small.length).toBeGreaterThan(0);
    for (const s of small)
      expect(report.flags.some((f) => f.dimension === s.dimension && f.segment === s.segment)).toBe(false);
  });

  it("on the real PaySim sample, with default and with small minimums and other band edges", async () => {
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const scores = skewedScores(tx, 3);
    for (const raw of [
      {},
      { min_positives: 5, min_rows: 50, amount_band_edges: [500, 5_000, 100_000, 1_000_000] },
    ]) {
      const config = parseBiasAuditConfig(raw);
      const report = biasAudit({
        scores,
        labels: tx.isFraud!,
        threshold: 0.5,
        segmentations: segmentRows(tx, config),
        config,
      });
      expect(report.overall.count).toBe(19_999);
      expect(report.overall.fraud).toBe(81);
      compareWithReference(report, reference(PAYSIM_SAMPLE, scores, 0.5, config));
    }
  });
});

describe("bias audit config", () => {
  it("has the documented defaults and refuses unknown keys and bad edges", () => {
    const c = parseBiasAuditConfig({});
    expect(c).toEqual({
      dimensions: ["type", "amount_band", "customer_history"],
      amount_band_edges: [1000, 3000, 10000, 50000],
      max_fpr_ratio: 1.25,
      min_recall_ratio: 0.8,
      min_positives: 30,
      min_rows: 300,
    });
    expect(() => parseBiasAuditConfig({ max_fpr: 2 })).toThrow(/max_fpr/);
    expect(() => parseBiasAuditConfig({ amount_band_edges: [10, 5] })).toThrow(
      /amount_band_edges: edges must rise/,
    );
    expect(() => parseBiasAuditConfig({ dimensions: ["country"] })).toThrow(/dimensions\.0/);
  });
});
