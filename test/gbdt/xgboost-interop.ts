import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Debian's Python, which has xgboost 1.7, scikit-learn and pandas (not the pyenv one on PATH). */
export const SYSTEM_PYTHON = "/usr/bin/python3";
const HELPER = fileURLToPath(new URL("./fixtures/xgb_helper.py", import.meta.url));

/** Runs the real-XGBoost helper; throws with its stderr when it fails. */
export function xgbHelper(args: string[]): string {
  const r = spawnSync(SYSTEM_PYTHON, [HELPER, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`xgb_helper ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Probabilities XGBoost itself predicts for a features CSV. */
export function xgboostPredict(model: string, features: string, out: string): Float64Array {
  xgbHelper(["predict", model, features, out]);
  return Float64Array.from(readFileSync(out, "utf8").trim().split("\n").map(Number));
}
