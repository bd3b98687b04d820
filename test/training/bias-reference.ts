import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { spawnChildSync } from "../helpers/cli.js";
import type { BiasAuditConfig, BiasAuditResult } from "../../src/training/index.js";

/** The bias audit computed independently (pandas + SciPy), and a comparison of every number. */
const REFERENCE = fileURLToPath(new URL("./bias-audit-reference.py", import.meta.url));

interface Reference {
  overall: Record<string, unknown>;
  segments: Record<string, unknown>[];
  flags: { dimension: string; segment: string; metric: string; ratio: number }[];
}

/** Runs the pandas/SciPy reference on the same rows and scores. */
export function reference(
  dataset: string,
  scores: Float64Array,
  threshold: number,
  config: BiasAuditConfig,
  /** Audit only these rows (a test split), in this order; `scores` then has one per row here. */
  rows?: ArrayLike<number>,
): Reference {
  const dir = mkdtempSync(path.join(tmpdir(), "lakay-bias-ref-"));
  const scoresFile = path.join(dir, "scores.csv");
  // 17 significant digits: the reference must see exactly the doubles Lakay counted.
  writeFileSync(scoresFile, "score\n" + Array.from(scores, (s) => s.toPrecision(17)).join("\n") + "\n");
  const configFile = path.join(dir, "config.json");
  writeFileSync(configFile, JSON.stringify({ ...config, threshold }));
  const extra: string[] = [];
  if (rows) {
    extra.push(path.join(dir, "rows.txt"));
    writeFileSync(extra[0], Array.from(rows).join("\n") + "\n");
  }
  const r = spawnChildSync("/usr/bin/python3", [REFERENCE, dataset, scoresFile, configFile, ...extra]);
  if (r.status !== 0) throw new Error(`reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Reference;
}

/** Every count equal, every rate, interval and ratio equal to 1e-9 relative, nulls where nulls. */
export function expectSame(actual: unknown, expected: unknown, where: string): void {
  if (expected === null || actual === null) {
    expect(actual, where).toBe(expected);
  } else if (typeof expected === "number") {
    expect(typeof actual, where).toBe("number");
    if (Number.isInteger(expected) && Number.isInteger(actual)) expect(actual, where).toBe(expected);
    else
      expect(Math.abs((actual as number) - expected), where).toBeLessThanOrEqual(
        1e-9 * Math.max(1, Math.abs(expected)),
      );
  } else if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, where).toBe(expected.length);
    expected.forEach((e, i) => expectSame((actual as unknown[])[i], e, `${where}[${i}]`));
  } else if (typeof expected === "object") {
    for (const [k, v] of Object.entries(expected))
      expectSame((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    expect(actual, where).toBe(expected);
  }
}

export function compareWithReference(report: BiasAuditResult, ref: Reference): void {
  expectSame(report.overall, ref.overall, "overall");
  expect(report.segments.map((s) => `${s.dimension}=${s.segment}`)).toEqual(
    ref.segments.map((s) => `${String(s.dimension)}=${String(s.segment)}`),
  );
  ref.segments.forEach((s, i) =>
    expectSame(report.segments[i], s, `${String(s.dimension)}=${String(s.segment)}`),
  );
  expect(report.flags.map((f) => [f.dimension, f.segment, f.metric])).toEqual(
    ref.flags.map((f) => [f.dimension, f.segment, f.metric]),
  );
  ref.flags.forEach((f, i) => expectSame(report.flags[i].ratio, f.ratio, `flag ${i}`));
}
