"""Segmentation of a product catalogue, the number of segments chosen by BIC.

A segmentation job on real tabular data shipped with scikit-learn (no download):
the wine data set, 178 wines of one region of Italy described by 13 chemical
measurements -- a catalogue to split into segments of similar products, the way
customers are split by their behaviour.  The features are standardised and
fastgmm.select fits every number of segments and covariance type of a grid and
keeps the lowest BIC.  Each segment is then described in the original units (its
size, the mean of every feature, the features that set it apart), and compared
with the wines' grape cultivar, which the fit never saw.  The picture shows the
BIC curves, the segments on the first two principal axes, and their profiles.

    python examples/customer_segmentation.py           # K = 1..8, 5 initialisations each
    python examples/customer_segmentation.py --quick   # K = 1..6, 2 initialisations each
"""
import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import load_wine

from fastgmm import select
from fastgmm.plot import ellipses
from _common import arguments, save_png


def main(argv=None):
    args = arguments(__doc__, argv)
    data = load_wine()
    X, names = data.data, list(data.feature_names)
    mean, std = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / std

    result = select(Z, n_components=range(1, 7 if args.quick else 9),
                    n_init=2 if args.quick else 5, random_state=0)
    covs = list(dict.fromkeys(row["covariance_type"] for row in result.table))
    bic = {(r["n_components"], r["covariance_type"]): r["bic"] for r in result.table}
    print("BIC (lower is better), one column per covariance type:")
    print("   K " + "".join(f"{c:>11s}" for c in covs))
    for K in sorted({k for k, _ in bic}):
        print(f"{K:4d} " + "".join(f"{bic[K, c]:11.1f}" for c in covs))
    best = result.best_estimator_
    K, cov = result.best_params_["n_components"], result.best_params_["covariance_type"]
    print(f"chosen: K={K} segments, covariance_type={cov!r} "
          f"(BIC {result.table[result.best_index_]['bic']:.1f})")

    order = np.argsort(-best.weights_)                 # segment 1 is the largest
    segment_of = np.argsort(order)                     # component -> segment - 1
    labels = segment_of[best.predict(Z)]
    profile = best.means_[order]                       # standardised means
    print("\nmean of each feature per segment (original units):")
    print(f"{'':>29s}" + "".join(f"{'seg ' + str(s + 1):>9s}" for s in range(K))
          + f"{'all':>9s}")
    print(f"{'size':>29s}" + "".join(f"{np.sum(labels == s):9d}" for s in range(K))
          + f"{len(X):9d}")
    for j, name in enumerate(names):
        values = profile[:, j] * std[j] + mean[j]
        print(f"{name:>29s}" + "".join(f"{v:9.2f}" for v in values)
              + f"{mean[j]:9.2f}")
    print("\nwhat sets each segment apart (mean in standard deviations):")
    for s in range(K):
        top = np.argsort(-np.abs(profile[s]))[:3]
        print(f"  segment {s + 1}: " + ", ".join(
            f"{'high' if profile[s, j] > 0 else 'low'} {names[j]} ({profile[s, j]:+.1f})"
            for j in top))
    print("\nsegments against the cultivar (not used by the fit):")
    print("          " + "".join(f"{c:>10s}" for c in data.target_names))
    for s in range(K):
        counts = np.bincount(data.target[labels == s], minlength=3)
        print(f"segment {s + 1}" + "".join(f"{n:10d}" for n in counts))

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), layout="constrained",
                             width_ratios=(1, 1, 1.2))
    result.plot(ax=axes[0])
    axes[0].set_title("fastgmm.select: BIC of every fit")
    colors = plt.get_cmap("tab10")(segment_of)         # segment s in colour C(s-1)
    ellipses(best, Z, ax=axes[1], pca=True, n_std=(1, 2), colors=colors)
    means = [c for c in axes[1].collections if c.get_gid() == "fastgmm-means"][0]
    for k, xy in enumerate(means.get_offsets()):
        axes[1].annotate(f"seg {segment_of[k] + 1}", xy, xytext=(7, 7),
                         textcoords="offset points", fontweight="bold")
    axes[1].set_title(f"{K} segments on the first two principal axes")
    image = axes[2].imshow(profile.T, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    axes[2].set_xticks(range(K), [f"seg {s + 1}\n({np.sum(labels == s)})"
                                  for s in range(K)])
    axes[2].set_yticks(range(len(names)), names, fontsize=8)
    axes[2].set_title("segment profiles (mean, standard deviations)")
    fig.colorbar(image, ax=axes[2])
    save_png(fig, args.out, "customer_segmentation.png", dpi=70)


if __name__ == "__main__":
    main()
