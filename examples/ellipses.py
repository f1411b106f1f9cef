"""The four covariance types side by side, drawn as ellipses.

Three generated anisotropic blobs (a long tilted one, a round one and a tilted
flat one) are fitted with a 3-component GaussianMixture of each covariance type:
'full' (each component its own ellipse), 'tied' (one ellipse shape for all),
'diag' (axis-aligned ellipses) and 'spherical' (circles).  fastgmm.plot.ellipses
draws each fit's components at 1 and 2 standard deviations over the points; the
table printed gives each fit's free parameters, BIC and agreement with the blobs.

    python examples/ellipses.py           # 600 points per blob
    python examples/ellipses.py --quick   # 150 points per blob
"""
from itertools import permutations

import numpy as np
import matplotlib.pyplot as plt

from fastgmm import GaussianMixture
from fastgmm.plot import ellipses
from _common import arguments, save_png

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


def anisotropic_blobs(n_per_blob, seed=0):
    """Points of three Gaussian blobs of different shapes, and their blob."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [7.0, 1.0], [3.0, 7.0]])
    covariances = np.array([[[6.0, 3.5], [3.5, 2.5]],     # long, tilted up
                            [[1.0, 0.0], [0.0, 1.0]],     # round
                            [[2.5, -1.8], [-1.8, 1.6]]])  # flat, tilted down
    X = np.vstack([rng.multivariate_normal(m, c, n_per_blob)
                   for m, c in zip(means, covariances)])
    return X, np.repeat(np.arange(3), n_per_blob)


def matching(labels, truth):
    """(fraction of points in the right blob, blob of each component) under the
    matching of components to blobs that agrees best."""
    return max((np.mean(np.asarray(p)[labels] == truth), p)
               for p in permutations(range(3)))


def main(argv=None):
    args = arguments(__doc__, argv)
    X, truth = anisotropic_blobs(150 if args.quick else 600)
    K, D = 3, X.shape[1]
    n_covariance = {"full": K * D * (D + 1) // 2, "tied": D * (D + 1) // 2,
                    "diag": K * D, "spherical": K}

    fig, axes = plt.subplots(1, 4, figsize=(16, 3.9), layout="constrained",
                             sharex=True, sharey=True)
    print(f"{len(X)} points, 3 blobs; one 3-component fit per covariance type")
    print(f"{'covariance_type':>16s} {'parameters':>10s} {'BIC':>9s} "
          f"{'log-lik/pt':>10s} {'iterations':>10s} {'agreement':>9s}")
    for ax, cov in zip(axes, COVARIANCE_TYPES):
        gmm = GaussianMixture(K, covariance_type=cov, n_init=3, random_state=0).fit(X)
        n_parameters = (K - 1) + K * D + n_covariance[cov]
        agreement, blob = matching(gmm.predict(X), truth)
        print(f"{cov:>16s} {n_parameters:10d} {gmm.bic(X):9.1f} "
              f"{gmm.score(X):10.3f} {gmm.n_iter_:10d} {agreement:9.1%}")
        ellipses(gmm, X, ax=ax, n_std=(1, 2), point_size=6,
                 colors=plt.get_cmap("tab10")(list(blob)))   # one colour per blob
        ax.set_aspect("equal")
        ax.set_title(f"{cov!r}: BIC {gmm.bic(X):.0f}")
    save_png(fig, args.out, "ellipses.png", dpi=70)


if __name__ == "__main__":
    main()
