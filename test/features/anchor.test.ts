import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readFeatureCsv, readPaysim } from "../../src/data/index.js";
import { buildFeatures, FEATURE_NAMES } from "../../src/features/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

const SCRIPT = fileURLToPath(new URL("./anchor-features.py", import.meta.url));
const ANCHOR_DIR = fileURLToPath(new URL("../../../shared/bench/", import.meta.url));

/** Runs the reference pipeline's own build_features (pandas) and reads its matrix back. */
async function anchorFeatures(csv: string) {
  const out = join(mkdtempSync(join(tmpdir(), "lakay-anchor-")), "anchor.csv");
  const r = spawnSync("/usr/bin/python3", [SCRIPT, csv, out, ANCHOR_DIR], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`anchor failed: ${r.stderr}`);
  return readFeatureCsv(out);
}

describe("batch features match the pandas anchor (ref_pipeline.build_features)", () => {
  it("on the real PaySim sample, every row and feature", async () => {
    const [{ tx }, anchor] = await Promise.all([readPaysim(PAYSIM_SAMPLE), anchorFeatures(PAYSIM_SAMPLE)]);
    const ours = buildFeatures(tx);
    expect(anchor.names).toEqual([...FEATURE_NAMES]);
    expect(anchor.rows).toBe(ours.rows);
    let worst = 0;
    for (let k = 0; k < FEATURE_NAMES.length; k++) {
      const a = anchor.columns[k];
      const o = ours.columns[k];
      for (let i = 0; i < ours.rows; i++) {
        if (a[i] === o[i]) continue;
        const rel = Math.abs(a[i] - o[i]) / Math.max(Math.abs(a[i]), Math.abs(o[i]));
        worst = Math.max(worst, rel);
        if (rel > 1e-9) expect.fail(`${FEATURE_NAMES[k]} row ${i}: anchor ${a[i]} ours ${o[i]} (rel ${rel})`);
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-9);
  });
});
