#!/usr/bin/python3
"""Runs bench/reference_pipeline.py's build_features on a PaySim CSV and writes the matrix with exact doubles.

usage: anchor-features.py DATA.csv OUT.csv DIR_OF_reference_pipeline.py
"""
import sys

sys.path.insert(0, sys.argv[3])
import pandas as pd  # noqa: E402
from reference_pipeline import build_features  # noqa: E402

feats = build_features(pd.read_csv(sys.argv[1]))
feats.to_csv(sys.argv[2], index=False, float_format="%.17g")
