import { spawnChildSync } from "../helpers/cli.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Debian's Python, which has xgboost 1.7, scikit-learn and pandas (not the pyenv one on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("./fixtures/xgb_helper.py", import.meta.url));

/** Runs the real-XGBoost helper; throws with its stderr when it fails. */
export function xgbHelper(args: string[]): string {
  const r = spawnChildSync(SYSTEM_PYTHON, [HELPER, ...args]);
  if (r.status !== 0) throw new Error(`xgb_helper ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Probabilities XGBoost itself predicts for a features CSV. */
export function xgboostPredict(model: string, features: string, out: string): Float64Array {
  xgbHelper(["predict", model, features, out]);
  return Float64Array.from(readFileSync(out, "utf8").trim().split("\n").map(Number));
}

/** XGBoost's `pred_contribs` for a features CSV: row-major, each row the features then the bias. */
export function xgboostContribs(model: string, features: string, out: string): Float32Array {
  xgbHelper(["contribs", model, features, out]);
  return readFloat32File(out);
}

/** XGBoost's margins (`output_margin=True`) for a features CSV. */
export function xgboostMargins(model: string, features: string, out: string): Float32Array {
  xgbHelper(["margin", model, features, out]);
  return readFloat32File(out);
}

/** A raw little-endian float32 file (copied: a Buffer's offset need not be 4-aligned). */
function readFloat32File(file: string): Float32Array {
  return new Float32Array(Uint8Array.from(readFileSync(file)).buffer);
}

/** Largest |a[i] - b[i]|; a NaN on either side makes it NaN (so a `toBeLessThan` fails). */
export function worstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}
