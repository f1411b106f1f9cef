"""Model selection: scikit-learn's GaussianMixture in a plain loop vs fastgmm.select.

The same data, the same grid (n_components x covariance_type) and the same
criterion on both sides; wall-clock seconds of the whole selection (fits and
criteria), medians of a few runs, and the model each side chooses.  A third column,
fastgmm's own GaussianMixture in the same plain loop, shows what select's reuse
(one validation, initialisation shared across covariance types, one scoring pass
per fit, the fits side by side on small data) saves on top of the faster kernels.

    python benchmarks/selection_speed.py            # (a) digits, (b) 10^6 rows
    python benchmarks/selection_speed.py --quick    # CI smoke sizes (seconds)

(a) scikit-learn's digits projected on 16 PCA dimensions, K = 1..10, all four
covariance types; (b) 10^6 x 8 blobs (8 clusters), a smaller grid of K so that the
scikit-learn loop stays within minutes.  The two libraries initialise with their
own k-means, so from the same seed they may start (and end) elsewhere: the chosen
models can differ where the criterion is flat.
Needs scikit-learn (pip install fastgmm[bench]).
"""
import argparse
import os
import platform
import time
import warnings

import numpy as np


def digits_16():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    X = load_digits().data
    return np.ascontiguousarray(PCA(n_components=16, random_state=0).fit_transform(X))


def blobs(n, d=8, k=8, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(k, d) * 5
    return centers[rng.randint(k, size=n)] + rng.randn(n, d)


def plain_loop(estimator_class, X, ks, covs, criterion, seed):
    """The grid as a user writes it: one fit and one criterion per cell."""
    best = None
    for k in ks:
        for c in covs:
            g = estimator_class(k, covariance_type=c, random_state=seed).fit(X)
            value = getattr(g, criterion)(X)
            if best is None or value < best[0]:
                best = (value, k, c)
    return best[1:]


def sklearn_loop(X, ks, covs, criterion, seed):
    from sklearn.mixture import GaussianMixture
    return plain_loop(GaussianMixture, X, ks, covs, criterion, seed)


def fastgmm_loop(X, ks, covs, criterion, seed):
    from fastgmm import GaussianMixture
    return plain_loop(GaussianMixture, X, ks, covs, criterion, seed)


def fastgmm_select(X, ks, covs, criterion, seed):
    from fastgmm.selection import select
    r = select(X, ks, covs, criterion=criterion, random_state=seed)
    return r.best_params_["n_components"], r.best_params_["covariance_type"]


RUNNERS = {"scikit-learn loop": sklearn_loop, "fastgmm loop": fastgmm_loop,
           "fastgmm.select": fastgmm_select}


def run_case(name, X, ks, covs, criterion, repeats, seed, skip):
    print(f"\n## {name}: X {X.shape[0]:,} x {X.shape[1]}, K in {list(ks)}, "
          f"{', '.join(covs)}; criterion {criterion}; median of {repeats} run(s)",
          flush=True)
    times = {r: [] for r in RUNNERS if r not in skip}
    chosen = {}
    for _ in range(repeats):
        for runner in times:  # interleaved, so that load drifts hit all sides
            t0 = time.perf_counter()
            chosen[runner] = RUNNERS[runner](X, ks, covs, criterion, seed)
            times[runner].append(time.perf_counter() - t0)
    med = {r: float(np.median(t)) for r, t in times.items()}
    sel = med["fastgmm.select"]
    print("| side | seconds (median) | runs | / select | chosen (K, covariance) |")
    print("|---|---|---|---|---|")
    for r, t in times.items():
        runs = ", ".join(f"{x:.2f}" for x in t)
        print(f"| {r} | {med[r]:.3f} | {runs} | {med[r] / sel:.1f}x | "
              f"{chosen[r][0]}, {chosen[r][1]} |", flush=True)
    return med, chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="CI smoke sizes: a small grid, 20,000 rows for (b), 1 run")
    ap.add_argument("--repeats", type=int, default=None,
                    help="runs per side for (a) (default 3; --quick 1)")
    ap.add_argument("--large-repeats", type=int, default=None,
                    help="runs per side for (b) (default 3; --quick 1)")
    ap.add_argument("--n-large", type=float, default=None,
                    help="rows of (b) (default 1e6; --quick 2e4)")
    ap.add_argument("--large-ks", default=None,
                    help="comma-separated K of (b) (default 4,8; --quick 2,4)")
    ap.add_argument("--criterion", default="bic", choices=["bic", "aic", "icl"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-fastgmm-loop", action="store_true",
                    help="leave out the fastgmm plain-loop column")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # ConvergenceWarnings of the larger K

    import fastgmm
    import sklearn
    covs = ["full", "tied", "diag", "spherical"]
    quick = args.quick
    repeats = args.repeats or (1 if quick else 3)
    large_repeats = args.large_repeats or (1 if quick else 3)
    n_large = int(args.n_large or (2e4 if quick else 1e6))
    large_ks = ([int(k) for k in args.large_ks.split(",")] if args.large_ks
                else [2, 4] if quick else [4, 8])
    skip = {"fastgmm loop"} if args.no_fastgmm_loop else set()
    if args.criterion == "icl":
        skip.add("scikit-learn loop")  # scikit-learn's GaussianMixture has no icl
    print(f"# fastgmm.select vs plain loops ({'quick' if quick else 'full'})")
    print(f"fastgmm {fastgmm.__version__} (OpenMP threads "
          f"{fastgmm.effective_n_threads(None)}), scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average at start "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")

    Xd = digits_16()
    run_case("(a) digits, 16 PCA dims", Xd, range(1, 4) if quick else range(1, 11),
             covs, args.criterion, repeats, args.seed, skip)
    run_case("(b) blobs", blobs(n_large), large_ks, covs, args.criterion,
             large_repeats, args.seed, skip)


if __name__ == "__main__":
    main()
