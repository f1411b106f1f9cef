"""BayesianGaussianMixture: fastgmm against scikit-learn, same data, one process each
side by side in this run.

Per iteration: (t(1 + n) iterations - t(1 iteration)) / n with tol=0 from the same
random_state ('random' init draws the same responsibilities in both), so the
initialisation is excluded; end to end: the default fit (k-means init, tol=1e-3).
Medians of --repeats runs.

    python benchmarks/bayes_speed.py                 # N=1e6, D=16, K=16, full
    python benchmarks/bayes_speed.py --quick         # smoke sizes
"""
import argparse
import time
import warnings

import numpy as np


def blobs(n, d, k, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-8, 8, size=(k, d))
    return centers[rng.randint(k, size=n)] + rng.randn(n, d)


def timed_fit(cls, X, **kw):
    est = cls(**kw)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X)
    return time.perf_counter() - t0, est


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--cov", default="full")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-end-to-end", action="store_true",
                    help="per-iteration figures only (scikit-learn's default fit of a "
                         "large N takes minutes)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.d, args.k, args.iters, args.repeats = 20_000, 4, 4, 2, 1
    from sklearn.mixture import BayesianGaussianMixture as SkBGM

    from fastgmm import BayesianGaussianMixture as FastBGM
    X = blobs(args.n, args.d, args.k)
    rows = []
    for name, cls in (("fastgmm", FastBGM), ("scikit-learn", SkBGM)):
        per_iter, e2e, bound = [], [], None
        for r in range(args.repeats):
            kw = dict(n_components=args.k, covariance_type=args.cov, random_state=r,
                      init_params="random", tol=0)
            t1, _ = timed_fit(cls, X, max_iter=1, **kw)
            tn, est = timed_fit(cls, X, max_iter=1 + args.iters, **kw)
            per_iter.append((tn - t1) / args.iters)
            if args.no_end_to_end:
                e2e.append(float("nan"))
                bound = est.lower_bound_
                continue
            te, full = timed_fit(cls, X, n_components=args.k, covariance_type=args.cov,
                                 random_state=r)
            e2e.append(te)
            bound = full.lower_bound_
        rows.append((name, float(np.median(per_iter)), float(np.median(e2e)), bound))
    base = rows[1]
    print(f"N={args.n:,} D={args.d} K={args.k} {args.cov} float64, medians of "
          f"{args.repeats}")
    print("| library | s / iteration | speed-up | end to end (s) | speed-up | lower bound |")
    print("|---|---|---|---|---|---|")
    for name, it, e2e, bound in rows:
        print(f"| {name} | {it:.3f} | {base[1] / it:.1f}x | {e2e:.2f} | "
              f"{base[2] / e2e:.1f}x | {bound:.4f} |")


if __name__ == "__main__":
    main()
