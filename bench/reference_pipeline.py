#!/usr/bin/python3
"""Lakay's reference pipeline: the same job on the stack a Python team would use.

pandas reads a PaySim-format CSV, builds the 11 point-in-time features vectorised (no look-ahead:
a row only sees the same customer's earlier transactions), makes a stratified 80/20 split and trains
XGBoost (`hist`) with the training YAML's hyperparameters. It prints one JSON line: phase timings and
test metrics.

Two users: the benchmarks, which time `lakay train` against it (bench/train-e2e.mjs), and the tests,
which check Lakay's features against `build_features` (test/features/anchor.test.ts) and train real
XGBoost models with `--save-model` to register as bring-your-own models.

usage: reference_pipeline.py DATA.csv [--threads N] [--trees N] [--depth N] [--save-model PATH]
Needs Debian's python3-pandas, python3-sklearn and python3-xgboost.
"""
import argparse
import json
import time

import numpy as np
import pandas as pd

TX_TYPE_CODES = {"CASH_IN": 0, "CASH_OUT": 1, "DEBIT": 2, "PAYMENT": 3, "TRANSFER": 4}


def earlier_in_window(key: np.ndarray, cum_amount: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    """Count and total amount of the rows whose sort key lies in [lower, upper).

    `key` is sorted; `cum_amount[i]` is the sum of the amounts of rows 0..i-1.
    """
    lo = np.searchsorted(key, lower, side="left")
    hi = np.searchsorted(key, upper, side="left")
    return (hi - lo).astype(np.float64), cum_amount[hi] - cum_amount[lo]


def build_features(df: pd.DataFrame) -> pd.DataFrame:
    """The 11 features of Lakay's FEATURE_NAMES, one row per input row, in input order."""
    df = df.reset_index(drop=True)
    # Work in (customer, step) order, then put the rows back where they came from.
    order = np.lexsort((df["step"].values, df["nameOrig"].values))
    rows = df.iloc[order].reset_index(drop=True)
    customer, _ = pd.factorize(rows["nameOrig"])
    block_start = pd.Series(np.arange(len(rows))).groupby(customer).transform("min").values
    step = rows["step"].values.astype(np.float64)
    amount = rows["amount"].values.astype(np.float64)

    # Velocity windows: earlier rows of the same customer with step in [step - w, step).
    # A customer's block is addressed by its first row index, scaled above any step.
    key = block_start.astype(np.float64) * 1e4 + step
    cum_amount = np.concatenate([[0.0], np.cumsum(amount)])
    count_1h, amount_1h = earlier_in_window(key, cum_amount, block_start * 1e4 + (step - 1), key)
    count_24h, amount_24h = earlier_in_window(key, cum_amount, block_start * 1e4 + (step - 24), key)

    # z-score of the amount against the customer's earlier amounts (sample standard deviation).
    by_customer = rows["amount"].groupby(customer)
    n_before = by_customer.cumcount().values.astype(np.float64)
    sum_before = by_customer.cumsum().values - amount
    sq_before = (rows["amount"] ** 2).groupby(customer).cumsum().values - amount**2
    mean = np.where(n_before > 0, sum_before / np.maximum(n_before, 1), amount)
    var = np.where(n_before > 1, (sq_before - n_before * mean**2) / np.maximum(n_before - 1, 1), 0.0)
    std = np.sqrt(np.maximum(var, 0.0))
    zscore = np.where(std > 0, (amount - mean) / (std + 1e-9), 0.0)

    features = pd.DataFrame(
        {
            "amount": amount,
            "amount_zscore": zscore,
            "hour_of_day": step % 24,
            "day_of_week": (step // 24) % 7,
            "tx_type_encoded": rows["type"].map(TX_TYPE_CODES).fillna(-1).values,
            "balance_delta_sender": (rows["oldbalanceOrg"] - rows["newbalanceOrig"]).values,
            "balance_delta_receiver": (rows["newbalanceDest"] - rows["oldbalanceDest"]).values,
            "velocity_count_1h": count_1h,
            "velocity_count_24h": count_24h,
            "velocity_amount_1h": amount_1h,
            "velocity_amount_24h": amount_24h,
        }
    )
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return features.iloc[back].reset_index(drop=True)


def main() -> None:
    import xgboost as xgb
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trees", type=int, default=200)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--save-model", help="write the trained model in XGBoost's JSON format")
    args = ap.parse_args()

    t0 = time.perf_counter()
    df = pd.read_csv(args.data)
    t_load = time.perf_counter()
    x = build_features(df)
    y = df["isFraud"].astype(int).values
    t_features = time.perf_counter()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42, stratify=y)
    class_ratio = float((y_train == 0).sum()) / max(int((y_train == 1).sum()), 1)
    model = xgb.XGBClassifier(
        n_estimators=args.trees,
        max_depth=args.depth,
        learning_rate=0.05,
        subsample=0.8,
        colsample_bytree=0.8,
        min_child_weight=5,
        eval_metric="aucpr",
        tree_method="hist",
        scale_pos_weight=class_ratio,
        random_state=42,
        n_jobs=args.threads,
    )
    model.fit(x_train, y_train, verbose=False)
    t_train = time.perf_counter()
    p = model.predict_proba(x_test)[:, 1]
    t_predict = time.perf_counter()
    flagged = (p >= 0.5).astype(int)
    if args.save_model:
        model.get_booster().save_model(args.save_model)
    print(
        json.dumps(
            {
                "rows": len(df),
                "load_s": round(t_load - t0, 2),
                "features_s": round(t_features - t_load, 2),
                "train_s": round(t_train - t_features, 2),
                "predict_s": round(t_predict - t_train, 3),
                "total_s": round(t_predict - t0, 2),
                "auc_roc": round(roc_auc_score(y_test, p), 5),
                "auc_pr": round(average_precision_score(y_test, p), 5),
                "precision": round(precision_score(y_test, flagged, zero_division=0), 4),
                "recall": round(recall_score(y_test, flagged, zero_division=0), 4),
                "f1": round(f1_score(y_test, flagged, zero_division=0), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
