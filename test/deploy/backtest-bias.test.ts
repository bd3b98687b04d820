import { describe, expect, it } from "vitest";
import { readPaysim } from "../../src/data/index.js";
import {
  backtestBias,
  backtestBiasRecord,
  candidateFlagsOf,
  flagsSideBySide,
} from "../../src/deploy/backtest-bias.js";
import { biasAudit, parseBiasAuditConfig, segmentRows } from "../../src/training/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

describe("backtestBias: both versions' bias reports side by side", () => {
  it("audits both on the same segments, names the flags only the candidate has, and round-trips through the stored record", async () => {
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const labels = tx.isFraud!;
    // Production: a perfect ranker. Candidate: also holds every honest CASH_OUT (a flag Production lacks).
    const current = Float64Array.from(labels, (l) => (l ? 0.9 : 0.1));
    const candidate = Float64Array.from(current, (s, i) => (tx.type[i] === 1 && !labels[i] ? 0.7 : s));
    const config = parseBiasAuditConfig({ min_positives: 5, min_rows: 100 });
    const b = backtestBias({
      tx,
      labels,
      threshold: 0.5,
      candidateScores: candidate,
      currentScores: current,
      config,
    });

    // Each side is exactly the stand-alone audit of its scores.
    const alone = biasAudit({
      scores: candidate,
      labels,
      threshold: 0.5,
      segmentations: segmentRows(tx, config),
      config,
    });
    expect(b.candidate).toEqual(alone);
    expect(b.current!.flags).toEqual([]);
    expect(b.newFlags).toContain("type=CASH_OUT:false_positive_rate");
    expect(b.newFlags).toEqual(b.candidate.flags.map((f) => `${f.dimension}=${f.segment}:${f.metric}`));

    const rows = flagsSideBySide(b);
    const cashOut = rows.find((r) => r.flag === "type=CASH_OUT:false_positive_rate")!;
    expect(cashOut.candidate).toMatch(/^\d+\.\d\dx FLAG$/);
    expect(cashOut.current).toBe("-"); // Production's FPR is 0 overall: no ratio

    const stored = JSON.parse(JSON.stringify({ bias: backtestBiasRecord(b) })) as unknown;
    expect(candidateFlagsOf(stored)).toHaveLength(b.candidate.flags.length);
    expect(candidateFlagsOf({ comparison: {} })).toBeNull();

    const noProduction = backtestBias({
      tx,
      labels,
      threshold: 0.5,
      candidateScores: candidate,
      currentScores: null,
      config,
    });
    expect(noProduction.current).toBeNull();
    expect(noProduction.newFlags).toEqual(b.newFlags);
  });
});
