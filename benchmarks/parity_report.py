"""Measured parity with scikit-learn, for the README and release notes.

    python benchmarks/parity_report.py

Same initial parameters, 10 EM iterations (tol=0), every covariance type, on data
sets shipped with scikit-learn and on blobs (D=5 and D=40, the BLAS path).  Prints
the largest relative error over weights_, means_, covariances_, precisions_,
precisions_cholesky_ and lower_bound_: float64 against scikit-learn, float32 against
fastgmm's own float64 fit.
"""
import os
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.mixture import GaussianMixture as SkGMM

from fastgmm import GaussianMixture

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from conftest import make_blobs  # noqa: E402

ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]
DATA = {
    "iris": (datasets.load_iris().data, 3),
    "wine": (datasets.load_wine().data, 3),
    "breast_cancer": (datasets.load_breast_cancer().data, 2),
    "diabetes": (datasets.load_diabetes().data * 10, 3),
    "blobs D=5": (make_blobs(3000, 5, 4, seed=1), 4),
    "blobs D=64": (make_blobs(3000, 64, 3, seed=2), 3),
}


def rel(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / max(np.max(np.abs(b)), 1e-300))


def main():
    print("| data | covariance | float64 vs scikit-learn | float32 vs float64 |")
    print("|---|---|---|---|")
    worst64 = worst32 = 0.0
    for name, (X, k) in DATA.items():
        for cov in ["full", "tied", "diag", "spherical"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = SkGMM(k, covariance_type=cov, random_state=0, max_iter=3,
                            reg_covar=1e-3).fit(X)
                init = dict(weights_init=ref.weights_, means_init=ref.means_,
                            precisions_init=ref.precisions_)
                kw = dict(covariance_type=cov, max_iter=10, tol=0, reg_covar=1e-4, **init)
                sk = SkGMM(k, **kw).fit(X)
                f64 = GaussianMixture(k, **kw).fit(X)
                f32 = GaussianMixture(k, **kw).fit(X.astype(np.float32))
            e64 = max([rel(getattr(f64, a), getattr(sk, a)) for a in ATTRS]
                      + [rel(f64.lower_bound_, sk.lower_bound_)])
            e32 = max([rel(getattr(f32, a), getattr(f64, a)) for a in ATTRS]
                      + [rel(f32.lower_bound_, f64.lower_bound_)])
            worst64, worst32 = max(worst64, e64), max(worst32, e32)
            print(f"| {name} | {cov} | {e64:.1e} | {e32:.1e} |")
    print(f"\nworst: float64 {worst64:.1e}, float32 {worst32:.1e}")


if __name__ == "__main__":
    main()
