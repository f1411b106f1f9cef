"""Diagonal and spherical log-densities stay accurate far from the origin (float32
data shifted by 1e4 and 1e6), where scikit-learn's x^2 - 2 x m + m^2 expansion loses
every digit in float32, and float32 fits match float64 fits of the same data.  Guards
any faster formulation of the diag/spherical E-step (an expansion around a per-block
shift must fall back to centring point by point where a block is too wide)."""
import warnings

import numpy as np
import pytest

from fastgmm import GaussianMixture, _core
from fastgmm.kernels import COV_CODES, GMMParameters

from conftest import make_blobs


def _logprob(X, p, dtype):
    hi, lo, prec, log_norm = p.pack(dtype)
    Xd = np.asarray(X, dtype)
    out = np.empty((X.shape[0], p.n_components), dtype)
    _core.score_pass(Xd, hi, lo, prec, log_norm, COV_CODES[p.covariance_type], 2,
                     weighted_logprob=out)
    return out.astype(np.float64)


def _reference(X, p):
    """log w + log N(x | k) in float64, centred point by point."""
    X = np.asarray(X, np.float64)
    s = p.precisions_cholesky
    s = s[:, None] * np.ones(p.n_features) if p.covariance_type == "spherical" else s
    t = (X[:, None, :] - p.means[None]) * s[None]
    return (np.log(p.weights) + np.log(s).sum(1) - 0.5 * X.shape[1] * np.log(2 * np.pi)
            - 0.5 * (t ** 2).sum(-1))


def _params(X, labels, K, cov):
    means = np.array([X[labels == k].mean(0) for k in range(K)])
    var = np.array([X[labels == k].var(0) for k in range(K)])
    prec = 1 / np.sqrt(var) if cov == "diag" else 1 / np.sqrt(var.mean(1))
    return GMMParameters(np.bincount(labels, minlength=K) / len(labels), means, prec, cov)


def _blobs(n, d, k, spread, shift, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(k, d) * spread
    labels = rng.randint(k, size=n)
    X = centers[labels] + rng.randn(n, d) * rng.uniform(0.5, 1.5, (k, d))[labels] + shift
    return X, labels


@pytest.mark.parametrize("cov", ["diag", "spherical"])
@pytest.mark.parametrize("shift", [0.0, 1e4, 1e6])
def test_float32_log_densities_far_from_origin(cov, shift):
    # float32 data (shifted by 1e4 or 1e6): its values, in float64, are the reference
    X, labels = _blobs(3000, 16, 8, 4.0, shift)
    X32 = X.astype(np.float32)
    p = _params(X32.astype(np.float64), labels, 8, cov)
    ref = _reference(X32, p)
    got32 = _logprob(X32, p, np.float32)
    got64 = _logprob(X32, p, np.float64)
    # float64: round-off of the per-point form
    np.testing.assert_allclose(got64, ref, rtol=1e-12, atol=1e-10)
    # float32: for the components that matter (within 140 of the point's best:
    # responsibility above 1e-30), an absolute error far below what changes a
    # responsibility visibly -- independent of the shift (scikit-learn's expansion
    # in float32 is off by ~|x|^2 u = 6 at 1e4 and 6e4 at 1e6)
    best = ref.max(1, keepdims=True)
    relevant = ref > best - 140
    err = np.abs(got32 - ref)[relevant]
    assert err.max() < 2e-3 * (1 + np.abs(ref[relevant]).max()) / 100, err.max()
    assert np.median(err) < 5e-5


@pytest.mark.parametrize("cov", ["diag", "spherical"])
def test_widely_separated_clusters_keep_their_accuracy(cov):
    # clusters 1e5 standard deviations apart: a block spans 1e5 standard deviations
    # (an expansion around the block's centre would cancel catastrophically)
    rng = np.random.RandomState(1)
    centers = np.array([[0.0] * 4, [1e5] * 4, [-1e5] * 4])
    labels = rng.randint(3, size=1000)
    X = centers[labels] + rng.randn(1000, 4) + 1e3
    for dtype in (np.float32, np.float64):
        Xd = X.astype(dtype)
        p = _params(Xd.astype(np.float64), labels, 3, cov)
        ref = _reference(Xd, p)
        got = _logprob(Xd, p, dtype)
        own = ref[np.arange(1000), labels]
        tol = 1e-4 if dtype == np.float32 else 1e-11
        np.testing.assert_allclose(got[np.arange(1000), labels], own, rtol=tol, atol=tol)


@pytest.mark.parametrize("cov", ["diag", "spherical"])
@pytest.mark.parametrize("shift", [1e4, 1e6])
def test_float32_fit_matches_float64_fit(cov, shift):
    X, _ = _blobs(4000, 16, 6, 5.0, shift, seed=3)
    X32 = X.astype(np.float32)
    kw = dict(covariance_type=cov, random_state=0, max_iter=40, tol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g64 = GaussianMixture(6, **kw).fit(X32.astype(np.float64))
        g32 = GaussianMixture(6, **kw).fit(X32)
    sd = np.sqrt(g64.covariances_)
    sd = sd[:, None] if cov == "spherical" else sd
    # float32 attributes: a mean near 1e6 is itself only known to 1e6 * 6e-8 = 0.06
    eps32 = np.finfo(np.float32).eps
    assert (np.abs(g32.means_ - g64.means_) <= 1e-3 * sd + 2 * eps32 * np.abs(g64.means_)).all()
    np.testing.assert_allclose(g32.covariances_, g64.covariances_, rtol=2e-3)
    np.testing.assert_allclose(g32.weights_, g64.weights_, rtol=1e-4)
    assert g32.lower_bound_ == pytest.approx(g64.lower_bound_, rel=1e-5, abs=1e-4)
