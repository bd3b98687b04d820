#!/usr/bin/python3
"""XGBoost side of bench/gbdt-train.mjs: trains on TRAIN.csv with the training YAML's
hyperparameters (hist, as bench/reference_pipeline.py does), times the training only (not the
CSV load), scores TEST.csv and prints one JSON line.

usage: gbdt-train-xgb.py TRAIN.csv TEST.csv LABEL MODEL_OUT [--threads 2] [--trees 200]
"""
import argparse
import json
import time

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import average_precision_score, roc_auc_score

ap = argparse.ArgumentParser()
ap.add_argument("train")
ap.add_argument("test")
ap.add_argument("label")
ap.add_argument("model")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--trees", type=int, default=200)
a = ap.parse_args()

tr = pd.read_csv(a.train)
ytr = tr.pop(a.label).values
te = pd.read_csv(a.test)
yte = te.pop(a.label).values
spw = float((ytr == 0).sum()) / max(int((ytr == 1).sum()), 1)
t0 = time.perf_counter()
model = xgb.XGBClassifier(
    n_estimators=a.trees, max_depth=8, learning_rate=0.05, subsample=0.8, colsample_bytree=0.8,
    min_child_weight=5, eval_metric="aucpr", tree_method="hist", scale_pos_weight=spw,
    random_state=42, n_jobs=a.threads,
)
model.fit(tr, ytr, verbose=False)
train_s = time.perf_counter() - t0
p = model.predict_proba(te)[:, 1]
model.get_booster().save_model(a.model)
print(json.dumps({
    "engine": "xgboost " + xgb.__version__, "train_s": round(train_s, 3), "rows_train": len(tr),
    "auc_pr": round(average_precision_score(yte, p), 5), "auc_roc": round(roc_auc_score(yte, p), 5),
}))
