"""Independent bias-audit reference for Lakay's tests: pandas for the segments and counts, SciPy's
binomtest for the Wilson score intervals. Shares no code with src/training/bias-audit.ts.

usage: bias-audit-reference.py DATASET.csv SCORES.csv CONFIG.json [ROWS.txt]
  DATASET.csv  a labeled PaySim CSV
  SCORES.csv   one `score` column, one row per dataset row (per ROWS line), same order
  ROWS.txt     optional: audit only these 0-based rows (a test split), one per line; segments
               such as customer_history are still computed over the whole file
  CONFIG.json  {"threshold", "amount_band_edges", "max_fpr_ratio", "min_recall_ratio",
                "min_positives", "min_rows"}
Prints {"overall": {...}, "segments": [...], "flags": [...]} as JSON.
"""

import json
import math
import sys

import numpy as np
import pandas as pd
from scipy.stats import binomtest


def rate(k, n):
    if n == 0:
        return {"value": None, "ci95": None}
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return {"value": k / n, "ci95": [float(ci.low), float(ci.high)]}


def metrics(g):
    count = len(g)
    fraud = int(g["isFraud"].sum())
    pred = g["score"] >= CONFIG["threshold"]
    tp = int((pred & (g["isFraud"] == 1)).sum())
    fp = int((pred & (g["isFraud"] == 0)).sum())
    return {
        "count": count,
        "fraud": fraud,
        "predicted_fraud": int(pred.sum()),
        "true_positives": tp,
        "false_positives": fp,
        "mean_score": float(g["score"].mean()) if count else None,
        "fraud_rate": rate(fraud, count),
        "flag_rate": rate(int(pred.sum()), count),
        "precision": rate(tp, int(pred.sum())),
        "recall": rate(tp, fraud),
        "false_positive_rate": rate(fp, count - fraud),
    }


def ratio(v, o):
    return None if v is None or o is None or o == 0 else v / o


def band_label(x):
    if x >= 1e6 and x % 1e4 == 0:
        return f"{x / 1e6:g}M"
    if x >= 1e3 and x % 10 == 0:
        return f"{x / 1e3:g}k"
    return f"{x:g}"


CONFIG = json.load(open(sys.argv[3]))
df = pd.read_csv(sys.argv[1])

edges = CONFIG["amount_band_edges"]
labels = [f"{'0' if i == 0 else band_label(edges[i - 1])}-{band_label(e)}" for i, e in enumerate(edges)]
labels.append(f"{band_label(edges[-1])}+")
df["amount_band"] = pd.cut(df["amount"], [-np.inf, *edges, np.inf], right=True, labels=labels).astype(str)

# First transaction of its customer: earliest step, ties broken by file order.
df["_row"] = np.arange(len(df))
first = df.sort_values(["nameOrig", "step", "_row"], kind="mergesort").groupby("nameOrig").cumcount() == 0
df["customer_history"] = np.where(first.reindex(df.index), "first_transaction", "returning")

if len(sys.argv) > 4:
    df = df.iloc[np.loadtxt(sys.argv[4], dtype=np.int64, ndmin=1)]
df["score"] = pd.read_csv(sys.argv[2])["score"].to_numpy()

overall = metrics(df)
segments, flags = [], []
ORDER = {
    "type": ["CASH_IN", "CASH_OUT", "DEBIT", "PAYMENT", "TRANSFER"],
    "amount_band": labels,
    "customer_history": ["first_transaction", "returning"],
}
for dim in CONFIG.get("dimensions", ["type", "amount_band", "customer_history"]):
    for seg in ORDER[dim]:
        g = df[df[dim] == seg]
        if len(g) == 0:
            continue
        m = metrics(g)
        judged = m["fraud"] >= CONFIG["min_positives"] and m["count"] >= CONFIG["min_rows"]
        row = {"dimension": dim, "segment": seg, **m, "mean_score_ratio": ratio(m["mean_score"], overall["mean_score"])}
        for key in ["fraud_rate", "flag_rate", "precision", "recall", "false_positive_rate"]:
            row[key]["ratio"] = ratio(m[key]["value"], overall[key]["value"])
        status = "ok" if judged else "too_small"
        if judged:
            fpr, rec = row["false_positive_rate"]["ratio"], row["recall"]["ratio"]
            if fpr is not None and fpr > CONFIG["max_fpr_ratio"]:
                flags.append({"dimension": dim, "segment": seg, "metric": "false_positive_rate", "ratio": fpr})
                status = "flagged"
            if rec is not None and rec < CONFIG["min_recall_ratio"]:
                flags.append({"dimension": dim, "segment": seg, "metric": "recall", "ratio": rec})
                status = "flagged"
        row["status"] = status
        segments.append(row)

json.dump({"overall": overall, "segments": segments, "flags": flags}, sys.stdout)
