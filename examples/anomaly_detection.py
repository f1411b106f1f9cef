"""Anomaly detection: flag the least likely rows of a real data set.

The Wisconsin breast-cancer data (569 tumours, 30 measurements of their cell
nuclei, shipped with scikit-learn: no download) is standardised, and a
GaussianMixtureOutlierDetector (a 2-component, full-covariance mixture) flags the
2% of rows of lowest log-density.  The printout gives the number flagged, how many
of them are malignant, and the top anomalies with the measurements that make them
unusual; the picture shows the mixture's density on the first two principal axes
with the flagged rows marked, and the log-densities against the threshold.

    python examples/anomaly_detection.py            # 5 initialisations, fine grid
    python examples/anomaly_detection.py --quick    # 1 initialisation, coarse grid
"""
import numpy as np
import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer

from fastgmm import GaussianMixtureOutlierDetector
from fastgmm.plot import density
from _common import arguments, save_png


def main(argv=None):
    args = arguments(__doc__, argv, contamination=dict(
        type=float, default=0.02, help="fraction of rows flagged (default: 0.02)"))

    data = load_breast_cancer()
    X, names = data.data, data.feature_names
    diagnosis = data.target_names[data.target]          # 'malignant' / 'benign'
    mean, std = X.mean(axis=0), X.std(axis=0)
    Z = (X - mean) / std                                # standardised features

    detector = GaussianMixtureOutlierDetector(
        contamination=args.contamination, n_components=2, covariance_type="full",
        n_init=1 if args.quick else 5, random_state=0).fit(Z)
    scores = detector.score_samples(Z)                  # log-density of each row
    flagged = np.flatnonzero(detector.predict(Z) == -1)
    malignant = np.mean(diagnosis[flagged] == "malignant")
    print(f"data: {X.shape[0]} tumours x {X.shape[1]} features, standardised")
    print(f"flagged: {len(flagged)} of {len(Z)} rows (contamination="
          f"{args.contamination}, log-density threshold {detector.offset_:.1f})")
    print(f"malignant among the flagged: {malignant:.0%} "
          f"(of all rows: {np.mean(diagnosis == 'malignant'):.0%})")
    top = flagged[np.argsort(scores[flagged])]
    print("top anomalies (lowest log-density first), with their largest |z| features:")
    for i in top[:5]:
        extreme = np.argsort(-np.abs(Z[i]))[:3]
        unusual = ", ".join(f"{names[j]}={X[i, j]:.4g} ({Z[i, j]:+.1f} sd)"
                            for j in extreme)
        print(f"  row {i:3d}  log-density {scores[i]:8.1f}  {diagnosis[i]:9s}  {unusual}")

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained",
                                      width_ratios=(3, 2))
    density(detector.mixture_, Z, ax=left, pca=True, levels=12,
            grid=60 if args.quick else 200, point_size=6)
    points = [c for c in left.collections if c.get_gid() == "fastgmm-points"][0]
    pc = points.get_offsets()                           # the rows, projected
    sick = diagnosis == "malignant"
    left.scatter(pc[sick, 0], pc[sick, 1], s=6, color="tab:orange", alpha=0.6,
                 label="malignant (the others: benign)", zorder=1)
    left.scatter(pc[flagged, 0], pc[flagged, 1], s=60, facecolors="none",
                 edgecolors="red", linewidths=1.5, label="flagged", zorder=4)
    for i in top[:5]:
        left.annotate(str(i), pc[i], xytext=(4, 4), textcoords="offset points",
                      color="red", fontsize=8)
    left.legend(loc="lower left", fontsize="small")
    left.set_title("mixture density on the first two principal axes")
    right.hist(scores, bins=60, color="0.6")
    right.axvline(detector.offset_, color="red", label="threshold (offset_)")
    right.set_xlabel("log-density (score_samples)")
    right.set_ylabel("rows")
    right.set_yscale("log")
    right.legend()
    right.set_title(f"{len(flagged)} rows below the threshold")

    save_png(fig, args.out, "anomaly_detection.png", dpi=80)


if __name__ == "__main__":
    main()
