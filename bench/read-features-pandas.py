#!/usr/bin/python3
"""The anchor's side of bench/read-features.sh: pandas read_csv + reference_pipeline.build_features, timed."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pandas as pd  # noqa: E402
from reference_pipeline import build_features  # noqa: E402

t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
t1 = time.perf_counter()
X = build_features(df)
t2 = time.perf_counter()
print(json.dumps({"rows": len(df), "load_s": round(t1 - t0, 2), "features_s": round(t2 - t1, 2), "total_s": round(t2 - t0, 2)}))
