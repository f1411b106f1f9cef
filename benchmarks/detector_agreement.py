"""GaussianMixtureOutlierDetector against a threshold computed by hand.

The documented offset is the linear interpolation of the sorted training scores at
0-based position ``contamination * n`` (numpy's quantile at c n / (n - 1)).  For a
few sizes and contaminations this prints the detector's ``offset_``, the same
number computed here from the sorted scores of an equal GaussianMixture, their
difference, the rows flagged and the agreement of ``predict`` with
``score_samples < hand threshold`` (the fraction of rows on which they agree).

    python benchmarks/detector_agreement.py
"""
import argparse
import math

import numpy as np

from fastgmm import GaussianMixture, GaussianMixtureOutlierDetector


def blobs(n, d, k, seed):
    rng = np.random.RandomState(seed)
    centers = rng.randn(k, d) * 4
    labels = rng.randint(k, size=n)
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    return centers[labels] + rng.randn(n, d) * scales[labels]


def hand_threshold(scores, contamination):
    s = np.sort(scores)
    position = contamination * s.size
    low = int(math.floor(position))
    high = min(low + 1, s.size - 1)
    return s[low] + (position - low) * (s[high] - s[low])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--k", type=int, default=4, help="components (default 4)")
    args = ap.parse_args()
    print("| n | contamination | offset_ | by hand | abs. difference | flagged "
          "| agreement |")
    print("|---|---|---|---|---|---|---|")
    for n, c in [(1003, 0.01), (1003, 0.05), (5000, 0.02), (20000, 0.01),
                 (20000, 0.1)]:
        X = blobs(n, 3, args.k, seed=2)
        det = GaussianMixtureOutlierDetector(contamination=c, n_components=args.k,
                                             random_state=0).fit(X)
        scores = GaussianMixture(args.k, random_state=0).fit(X).score_samples(X)
        hand = hand_threshold(scores, c)
        flagged = det.predict(X) == -1
        agreement = np.mean(flagged == (det.score_samples(X) < hand))
        print(f"| {n} | {c} | {det.offset_:.12g} | {hand:.12g} | "
              f"{abs(det.offset_ - hand):.1e} | {flagged.sum()} | {agreement:.6f} |")


if __name__ == "__main__":
    main()
