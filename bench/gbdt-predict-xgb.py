#!/usr/bin/python3
"""XGBoost side of bench/gbdt-predict.mjs: single-row `inplace_predict` latency (p50/p99) and
batch throughput on 1 and on N threads (best of --reps runs each), on the same model and rows;
writes its batch predictions.

usage: gbdt-predict-xgb.py MODEL FEATURES.csv PRED_OUT [--threads 2] [--single 20000] [--reps 3]
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import xgboost as xgb

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("features")
ap.add_argument("out")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--single", type=int, default=20000)
ap.add_argument("--reps", type=int, default=3)
a = ap.parse_args()

booster = xgb.Booster(model_file=a.model)
booster.set_param({"nthread": a.threads})
X = np.ascontiguousarray(pd.read_csv(a.features)[booster.feature_names].to_numpy(dtype=np.float32))
for i in range(200):
    booster.inplace_predict(X[i : i + 1])
lat = []
for i in range(a.single):
    r = X[i % len(X) : i % len(X) + 1]
    t0 = time.perf_counter_ns()
    booster.inplace_predict(r)
    lat.append(time.perf_counter_ns() - t0)
lat = np.array(lat) / 1000.0


def batch_rows_per_s(threads):
    """Best of --reps whole-batch predictions on `threads` threads."""
    booster.set_param({"nthread": threads})
    best = float("inf")
    for _ in range(a.reps):
        t0 = time.perf_counter()
        booster.inplace_predict(X)
        best = min(best, time.perf_counter() - t0)
    return round(len(X) / best)


one_thread = batch_rows_per_s(1)
n_threads = batch_rows_per_s(a.threads)
np.savetxt(a.out, booster.inplace_predict(X), fmt="%.9g")
print(json.dumps({
    "single_p50_us": round(float(np.percentile(lat, 50)), 2), "single_p99_us": round(float(np.percentile(lat, 99)), 2),
    "batch_rows_per_s_1_thread": one_thread, "batch_rows_per_s": n_threads, "rows": len(X), "threads": a.threads,
}))
