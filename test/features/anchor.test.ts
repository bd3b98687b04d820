import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generatePaysim, readFeatureCsv, readPaysim } from "../../src/data/index.js";
import { buildFeatures, FEATURE_NAMES } from "../../src/features/index.js";
import { PAYSIM_SAMPLE, REFERENCE_PIPELINE, spawnChildSync } from "../helpers/cli.js";

const SCRIPT = fileURLToPath(new URL("./anchor-features.py", import.meta.url));
const ANCHOR_DIR = dirname(REFERENCE_PIPELINE);

/** Runs the reference pipeline's build_features (pandas) and reads its matrix back. */
async function anchorFeatures(csv: string) {
  const out = join(mkdtempSync(join(tmpdir(), "lakay-anchor-")), "anchor.csv");
  const r = spawnChildSync("/usr/bin/python3", [SCRIPT, csv, out, ANCHOR_DIR]);
  if (r.status !== 0) throw new Error(`anchor failed: ${r.stderr}`);
  return readFeatureCsv(out);
}

const dir = mkdtempSync(join(tmpdir(), "lakay-anchor-gen-"));

/**
 * Every feature of every row within 1e-9 relative of the anchor. One allowance: the anchor sums
 * a velocity window as the difference of two entries of one running sum over the whole file, so
 * its error there is absolute, a few ulps of the file's total amount; ours sums the window itself.
 */
async function expectMatchesAnchor(csv: string): Promise<void> {
  const [{ tx }, anchor] = await Promise.all([readPaysim(csv), anchorFeatures(csv)]);
  const ours = buildFeatures(tx);
  const total = tx.amount.reduce((a, b) => a + b, 0);
  expect(anchor.names).toEqual([...FEATURE_NAMES]);
  expect(anchor.rows).toBe(ours.rows);
  for (let k = 0; k < FEATURE_NAMES.length; k++) {
    const a = anchor.columns[k];
    const o = ours.columns[k];
    const cumsumUlps = FEATURE_NAMES[k].startsWith("velocity_amount") ? 8 * 2 ** -52 * total : 0;
    for (let i = 0; i < ours.rows; i++) {
      if (a[i] === o[i]) continue;
      const diff = Math.abs(a[i] - o[i]);
      if (diff > Math.max(1e-9 * Math.max(Math.abs(a[i]), Math.abs(o[i])), cumsumUlps))
        expect.fail(`${FEATURE_NAMES[k]} row ${i}: anchor ${a[i]} ours ${o[i]}`);
    }
  }
}

describe("batch features match the pandas anchor (bench/reference_pipeline.py build_features)", () => {
  it("on the real PaySim sample, every row and feature", async () => {
    await expectMatchesAnchor(PAYSIM_SAMPLE);
  });

  it("on a generated file with repeat customers (z-scores and velocities non-trivial)", async () => {
    const file = join(dir, "gen.csv");
    await generatePaysim({ rows: 30000, seed: 11, customers: 2000, fraudRate: 0.01 }, file);
    await expectMatchesAnchor(file);
  });

  it("on a file whose rows are not in step order", async () => {
    const rows = readFileSync(PAYSIM_SAMPLE, "latin1").split("\r\n");
    const [header, ...data] = rows;
    // several customers with out-of-order steps: reverse the file and repeat a few names
    const shuffled = data.reverse().map((l, i) => (i % 3 === 0 ? l.replace(/,C\d+,/, ",C42,") : l));
    const file = join(dir, "reversed.csv");
    writeFileSync(file, [header, ...shuffled].join("\n"));
    await expectMatchesAnchor(file);
  });
});
