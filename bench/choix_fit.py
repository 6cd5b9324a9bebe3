"""Fits the same votes with choix, for bench/src/ranking.rs: times ilsr_pairwise (choix's
fast estimator) and computes opt_pairwise's MAP estimate at the given prior.

usage: python choix_fit.py VOTES.csv N_ITEMS ALPHA OUT.json
VOTES.csv has a header and integer columns winner,loser. Loading is not timed.
"""
import json
import sys
import time

import numpy as np
import choix


def main():
    path, n_items, alpha, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64)
    data = [(int(w), int(l)) for w, l in arr]
    t = time.perf_counter()
    ilsr = choix.ilsr_pairwise(n_items, data, alpha=alpha)
    ilsr_s = time.perf_counter() - t
    t = time.perf_counter()
    opt = choix.opt_pairwise(n_items, data, alpha=alpha, method="Newton-CG", tol=1e-10)
    opt_s = time.perf_counter() - t
    with open(out, "w") as f:
        json.dump({"ilsr_seconds": ilsr_s, "opt_seconds": opt_s,
                   "ilsr": list(map(float, ilsr)), "opt": list(map(float, opt))}, f)


if __name__ == "__main__":
    main()
