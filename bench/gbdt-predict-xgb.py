#!/usr/bin/python3
"""XGBoost side of bench/gbdt-predict.mjs, as a long-lived process so the two sides can alternate
run by run within one benchmark: reads one JSON command a line on stdin, answers one JSON line.

  {"cmd": "load", "model": M, "features": F.csv}    load a model and the rows (float32, model order)
  {"cmd": "single", "n": 20000}                      single-row `inplace_predict` latency p50/p99 (µs)
  {"cmd": "batch", "threads": 2}                     seconds of one whole-batch `inplace_predict`
  {"cmd": "predict", "out": P.txt}                   batch probabilities, one a line
  {"cmd": "quit"}

usage: gbdt-predict-xgb.py   (driven by bench/gbdt-predict.mjs)
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

booster = None
X = None


def answer(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    c = json.loads(line)
    if c["cmd"] == "load":
        booster = xgb.Booster(model_file=c["model"])
        # round_trip: the exact float parse (Lakay's reader is exact; pandas' default can be an ulp off).
        df = pd.read_csv(c["features"], float_precision="round_trip")
        X = np.ascontiguousarray(df[booster.feature_names].to_numpy(dtype=np.float32))
        booster.set_param({"nthread": 1})
        for i in range(200):
            booster.inplace_predict(X[i : i + 1])
        booster.inplace_predict(X[:20000])
        answer({"rows": len(X), "version": xgb.__version__})
    elif c["cmd"] == "single":
        booster.set_param({"nthread": 1})
        lat = np.empty(c["n"])
        for i in range(c["n"]):
            r = X[i % len(X) : i % len(X) + 1]
            t0 = time.perf_counter_ns()
            booster.inplace_predict(r)
            lat[i] = time.perf_counter_ns() - t0
        lat /= 1000.0
        answer({"p50_us": float(np.percentile(lat, 50)), "p99_us": float(np.percentile(lat, 99))})
    elif c["cmd"] == "batch":
        booster.set_param({"nthread": c["threads"]})
        t0 = time.perf_counter()
        booster.inplace_predict(X)
        answer({"seconds": time.perf_counter() - t0})
    elif c["cmd"] == "predict":
        booster.set_param({"nthread": 1})
        np.savetxt(c["out"], booster.inplace_predict(X), fmt="%.9g")
        answer({"out": c["out"]})
    elif c["cmd"] == "quit":
        break
