#!/usr/bin/python3
"""The anchor's side of bench/features-build.sh: pandas read_csv + reference_pipeline.build_features +
to_csv, the same job as `lakay features build` (11 features and isFraud, input row order, no index)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pandas as pd  # noqa: E402
from reference_pipeline import build_features  # noqa: E402

df = pd.read_csv(sys.argv[1])
X = build_features(df)
if "isFraud" in df.columns:
    X["isFraud"] = df["isFraud"].values
X.to_csv(sys.argv[2], index=False)
