"""Sensitivity of EM to its initialisation: seeds, init_params and n_init.

EM climbs to a local maximum of the likelihood, which one depending on where it
starts.  Twelve generated blobs of unequal sizes are fitted with a 12-component
GaussianMixture from several seeds, with each of the four init_params ('kmeans',
'k-means++', 'random', 'random_from_data') and with n_init=1 and more (the best
of several starts).  The tables give each fit's final lower bound (mean
log-likelihood per point), how often a setting reaches the best one found, and
its iterations and time; the picture shows the spread, and the best fit next to
the worst local optimum.

    python examples/initialisation.py           # 10 seeds, n_init 1 and 4, 5,000 points
    python examples/initialisation.py --quick   # 3 seeds, n_init 1 and 2, 1,300 points
"""
import time
import warnings

import numpy as np
import matplotlib.pyplot as plt

from fastgmm import ConvergenceWarning, GaussianMixture
from fastgmm.plot import ellipses
from _common import arguments, save_png

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
K = 12
NEAR = 0.01     # a lower bound within this of the best found "reaches" it


def blobs(quick, seed=0):
    """K two-dimensional Gaussian blobs of unequal sizes and spreads."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(-10, 10, (K, 2))
    sizes = rng.integers(20, 200, K) if quick else rng.integers(50, 600, K)
    return np.vstack([rng.multivariate_normal(c, np.diag(rng.uniform(0.2, 1.5, 2)), n)
                      for c, n in zip(centers, sizes)])


def main(argv=None):
    args = arguments(__doc__, argv)
    X = blobs(args.quick)
    seeds = range(3 if args.quick else 10)
    settings = [(init, n_init) for init in INIT_PARAMS
                for n_init in ((1, 2) if args.quick else (1, 4))]

    fits = {}                                   # (init, n_init, seed) -> fit, seconds
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # counted below
        for init, n_init in settings:
            for seed in seeds:
                t0 = time.perf_counter()
                gmm = GaussianMixture(K, init_params=init, n_init=n_init,
                                      max_iter=500, random_state=seed).fit(X)
                fits[init, n_init, seed] = gmm, time.perf_counter() - t0
    best = max(g.lower_bound_ for g, _ in fits.values())

    print(f"{len(X)} points, {K} blobs, {K} components; lower bound per seed:")
    print(f"{'init_params':>16s} {'n_init':>6s} "
          + "".join(f"{'seed ' + str(s):>9s}" for s in seeds))
    for init, n_init in settings:
        print(f"{init:>16s} {n_init:6d} " + "".join(
            f"{fits[init, n_init, s][0].lower_bound_:9.3f}" for s in seeds))
    print(f"\nbest lower bound found: {best:.4f}; per setting:")
    print(f"{'init_params':>16s} {'n_init':>6s} {'median':>8s} {'worst':>8s} "
          f"{'near best':>10s} {'converged':>9s} {'iterations':>10s} {'s/fit':>7s}")
    gaps = []
    for init, n_init in settings:
        runs = [fits[init, n_init, s] for s in seeds]
        bounds = np.array([g.lower_bound_ for g, _ in runs])
        gaps.append(best - bounds)
        print(f"{init:>16s} {n_init:6d} {np.median(bounds):8.3f} {bounds.min():8.3f} "
              f"{np.sum(best - bounds < NEAR):6d}/{len(runs):<3d} "
              f"{sum(g.converged_ for g, _ in runs):6d}/{len(runs):<2d} "
              f"{np.mean([g.n_iter_ for g, _ in runs]):10.1f} "
              f"{np.mean([t for _, t in runs]):7.3f}")

    tight = GaussianMixture(K, init_params="random", tol=1e-5, max_iter=2000,
                            random_state=0).fit(X)
    print(f"\n'random' with tol=1e-5 instead of 1e-3: lower bound "
          f"{tight.lower_bound_:.3f} after {tight.n_iter_} iterations")

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), layout="constrained",
                             width_ratios=(1.4, 1, 1))
    n_inits = sorted({n for _, n in settings})
    for (init, n_init), gap in zip(settings, gaps):
        i, j = INIT_PARAMS.index(init), n_inits.index(n_init)
        x = i + 0.4 * (j - 0.5) + np.linspace(-0.1, 0.1, len(gap))
        axes[0].scatter(x, gap, color=f"C{i}", marker="os"[j], alpha=0.8,
                        label=f"n_init={n_init}" if i == 0 else None)
    axes[0].set_yscale("symlog", linthresh=1e-3)
    axes[0].set_xticks(range(len(INIT_PARAMS)), INIT_PARAMS)
    axes[0].legend(loc="upper left")
    axes[0].set_ylabel("best lower bound - lower bound\n(nats per point)")
    axes[0].set_title(f"spread over {len(seeds)} seeds (0: the best found)")
    ranked = sorted(fits.items(), key=lambda item: item[1][0].lower_bound_)
    worst = next(key for key, _ in ranked if key[0] != "random")
    for ax, key, what in ((axes[1], ranked[-1][0], "best"),
                          (axes[2], worst, "worst but 'random'")):
        gmm = fits[key][0]
        ellipses(gmm, X, ax=ax, n_std=(1, 2), point_size=3)
        ax.set_title(f"{what}: {key[0]}, n_init={key[1]}, seed {key[2]}\n"
                     f"lower bound {gmm.lower_bound_:.3f}", fontsize=9)
    save_png(fig, args.out, "initialisation.png", dpi=70)


if __name__ == "__main__":
    main()
