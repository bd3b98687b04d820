#!/usr/bin/python3
"""XGBoost side of bench/gbdt-explain.mjs (Debian's python3-xgboost 1.7).

usage:
  gbdt-explain-xgb.py train FEATURES.csv LABEL MODEL_OUT [--trees 200] [--depth 8]
      hist, binary:logistic, scale_pos_weight = negatives / positives; saves the JSON model
  gbdt-explain-xgb.py batch MODEL FEATURES.csv --threads N [--out CONTRIBS.f32]
      one timed `predict(pred_contribs=True)` over every row on N threads; prints {"seconds": s}
  gbdt-explain-xgb.py single MODEL FEATURES.csv [--n 2000]
      one-row `pred_contribs` latency (DMatrix built per call, as a server would); p50/p99 in µs
Data are loaded before any clock starts; only the prediction call is timed.
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import xgboost as xgb

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["train", "batch", "single"])
ap.add_argument("args", nargs="+")
ap.add_argument("--trees", type=int, default=200)
ap.add_argument("--depth", type=int, default=8)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--n", type=int, default=2000)
ap.add_argument("--out")
a = ap.parse_args()


def features(booster: xgb.Booster, path: str) -> np.ndarray:
    df = pd.read_csv(path, float_precision="round_trip")
    return np.ascontiguousarray(df[booster.feature_names].to_numpy(dtype=np.float32))


if a.cmd == "train":
    path, label, out = a.args
    df = pd.read_csv(path, float_precision="round_trip")
    y = df.pop(label).to_numpy()
    d = xgb.DMatrix(df.to_numpy(dtype=np.float32), label=y, feature_names=list(df.columns), missing=np.nan)
    params = {
        "objective": "binary:logistic", "tree_method": "hist", "max_depth": a.depth, "eta": 0.1,
        "subsample": 0.8, "colsample_bytree": 0.8, "scale_pos_weight": float((y == 0).sum() / max(1, y.sum())),
        "nthread": a.threads, "seed": 1,
    }
    xgb.train(params, d, num_boost_round=a.trees).save_model(out)
    print(json.dumps({"model": out}))
elif a.cmd == "batch":
    booster = xgb.Booster(model_file=a.args[0])
    booster.set_param({"nthread": a.threads})
    X = features(booster, a.args[1])
    d = xgb.DMatrix(X, feature_names=booster.feature_names, missing=np.nan, nthread=a.threads)
    warm = xgb.DMatrix(X[:200], feature_names=booster.feature_names, missing=np.nan)
    booster.predict(warm, pred_contribs=True)
    t0 = time.perf_counter()
    c = booster.predict(d, pred_contribs=True)
    seconds = time.perf_counter() - t0
    if a.out:
        np.ascontiguousarray(c, dtype=np.float32).tofile(a.out)
    print(json.dumps({"seconds": seconds, "rows": len(X), "threads": a.threads}))
else:
    booster = xgb.Booster(model_file=a.args[0])
    booster.set_param({"nthread": 1})
    X = features(booster, a.args[1])
    lat = []
    for i in range(a.n + 50):
        r = X[i % len(X) : i % len(X) + 1]
        t0 = time.perf_counter_ns()
        booster.predict(xgb.DMatrix(r, feature_names=booster.feature_names, missing=np.nan), pred_contribs=True)
        if i >= 50:
            lat.append(time.perf_counter_ns() - t0)
    lat = np.array(lat) / 1000.0
    print(json.dumps({"p50_us": round(float(np.percentile(lat, 50)), 1), "p99_us": round(float(np.percentile(lat, 99)), 1)}))
