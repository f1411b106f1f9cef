"""Closed forms, densities, far-from-origin data, sample weights, thread invariance."""
import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import fastgmm
from fastgmm import GaussianMixture
from fastgmm.kernels import GMMParameters, m_step, sufficient_statistics
from conftest import COV_TYPES, make_blobs

ATTRS = ["weights_", "means_", "covariances_", "precisions_cholesky_",
         "lower_bound_", "n_iter_"]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_single_component_is_weighted_mean_and_covariance(dtype):
    rng = np.random.RandomState(0)
    X = (rng.randn(500, 4) @ rng.randn(4, 4) + 3).astype(dtype)
    w = rng.uniform(0, 3, size=500)
    g = GaussianMixture(1, reg_covar=0.0).fit(X, sample_weight=w)
    X64 = X.astype(np.float64)
    mean = np.average(X64, axis=0, weights=w)
    cov = np.cov(X64.T, aweights=w, bias=True)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(g.means_[0], mean, rtol=tol)
    np.testing.assert_allclose(g.covariances_[0], cov, rtol=tol, atol=tol)
    assert g.weights_[0] == pytest.approx(1.0)


@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_score_samples_is_the_mixture_density(cov, dtype):
    X = make_blobs(400, 3, 3, seed=2)
    g = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X.astype(dtype))
    covs = {"full": lambda c: c, "tied": lambda c: [c] * 3,
            "diag": lambda c: [np.diag(v) for v in c],
            "spherical": lambda c: [np.eye(3) * v for v in c]}[cov](g.covariances_)
    dens = sum(w * multivariate_normal(m, c).pdf(X)
               for w, m, c in zip(g.weights_, g.means_, covs))
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(g.score_samples(X.astype(dtype)), np.log(dens),
                               rtol=rtol, atol=rtol)
    proba = g.predict_proba(X.astype(dtype))
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-6)
    assert (g.predict(X.astype(dtype)) == proba.argmax(1)).mean() > 0.999


@pytest.mark.parametrize("cov", COV_TYPES)
def test_float32_far_from_origin(cov):
    """Blobs shifted by 1e4: float32 fits like float64 (shifted moments)."""
    X = make_blobs(3000, 3, 3, seed=4, spread=6.0, shift=1e4)
    X32 = X.astype(np.float32)
    kw = dict(covariance_type=cov, random_state=0, max_iter=50, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g64 = GaussianMixture(3, **kw).fit(X32.astype(np.float64))
        g32 = GaussianMixture(3, **kw).fit(X32)
    np.testing.assert_allclose(g32.means_, g64.means_, rtol=1e-6)
    np.testing.assert_allclose(g32.covariances_, g64.covariances_, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(g32.weights_, g64.weights_, rtol=1e-4)
    assert g32.lower_bound_ == pytest.approx(g64.lower_bound_, rel=1e-4)


@pytest.mark.parametrize("cov", COV_TYPES)
def test_integer_sample_weight_equals_repetition(cov):
    X = make_blobs(300, 3, 3, seed=5)
    reps = np.random.RandomState(0).randint(0, 4, size=300)
    Xr = np.repeat(X, reps, axis=0)
    kw = dict(covariance_type=cov, random_state=0, max_iter=30, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GaussianMixture(3, **kw).fit(X, sample_weight=reps)
        b = GaussianMixture(3, **kw).fit(Xr)
    for attr in ["weights_", "means_", "covariances_"]:
        np.testing.assert_allclose(getattr(a, attr), getattr(b, attr), rtol=1e-7,
                                   atol=1e-9)
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-10)


@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("d", [4, 64])
@pytest.mark.skipif(not fastgmm.openmp_enabled(),
                    reason="serial build: every thread count is 1 (CI requires OpenMP)")
def test_thread_count_does_not_change_a_bit(cov, dtype, d):
    X = make_blobs(20000, d, 5, seed=6).astype(dtype)
    w = np.random.RandomState(1).uniform(size=20000)
    fits = [GaussianMixture(5, covariance_type=cov, random_state=0, n_threads=t,
                            max_iter=15).fit(X, sample_weight=w) for t in (1, 2, 3)]
    for other in fits[1:]:
        for attr in ATTRS:
            assert np.array_equal(getattr(fits[0], attr), getattr(other, attr)), attr
        assert np.array_equal(fits[0].score_samples(X), other.score_samples(X))


@pytest.mark.parametrize("cov", COV_TYPES)
def test_kernel_statistics_add_up_over_blocks(cov):
    X = make_blobs(5000, 3, 3, seed=7)
    g = GaussianMixture(3, covariance_type=cov, random_state=0, max_iter=3).fit(X)
    params = GMMParameters(g.weights_, g.means_, g.precisions_cholesky_, cov)
    whole = sufficient_statistics(X, params)
    parts = sum(sufficient_statistics(X[a:a + 1234], params) for a in range(0, 5000, 1234))
    np.testing.assert_allclose(parts.nk, whole.nk, rtol=1e-12)
    np.testing.assert_allclose(parts.s2, whole.s2, rtol=1e-11)
    assert parts.loglik_sum == pytest.approx(whole.loglik_sum, rel=1e-12)
    p1, c1 = m_step(whole, 1e-6)
    p2, c2 = m_step(parts, 1e-6)
    np.testing.assert_allclose(p1.means, p2.means, rtol=1e-11)
    np.testing.assert_allclose(c1, c2, rtol=1e-10)
    # one EM step through the kernels equals one more iteration of the estimator
    g2 = GaussianMixture(3, covariance_type=cov, max_iter=1, tol=0, warm_start=True)
    g2.__dict__.update({k: v for k, v in g.__dict__.items() if k.endswith("_")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g2.fit(X)
    np.testing.assert_allclose(g2.means_, p1.means, rtol=1e-12)
    assert g2.lower_bound_ == pytest.approx(whole.mean_log_likelihood, rel=1e-14)


def test_memory_layouts_give_the_same_fit():
    X = make_blobs(3000, 4, 3, seed=8)
    fits = [GaussianMixture(3, random_state=0).fit(Z) for Z in
            (X, np.asfortranarray(X), X[::-1][::-1].copy(), X.tolist())]
    for f in fits[1:]:
        np.testing.assert_allclose(f.means_, fits[0].means_, rtol=1e-12)


def test_collapsed_component_raises_instead_of_nan():
    X = np.vstack([np.zeros((50, 2)), np.random.RandomState(0).randn(50, 2)])
    g = GaussianMixture(2, reg_covar=0.0, means_init=[[0, 0], [0.5, 0.5]],
                        random_state=0)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        g.fit(X)
    assert not hasattr(g, "means_")


@pytest.mark.parametrize("cov", ["full", "tied"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blas_and_loop_kernels_agree(cov, dtype):
    """At large D the per-block products go through BLAS (trmm/syrk); the C loops
    must give the same statistics and scores to round-off."""
    from fastgmm._core import COV_CODES, em_pass, score_pass
    X = make_blobs(3000, 64, 3, seed=9).astype(dtype)
    g = GaussianMixture(3, covariance_type=cov, random_state=0, max_iter=3).fit(X)
    packed = g._kernel_params().pack(dtype)
    a = em_pass(X, None, *packed, COV_CODES[cov], 2, use_blas=True)
    b = em_pass(X, None, *packed, COV_CODES[cov], 2, use_blas=False)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())
    la, lb = np.empty(3000, dtype), np.empty(3000, dtype)
    score_pass(X, *packed, COV_CODES[cov], 2, loglik=la, use_blas=True)
    score_pass(X, *packed, COV_CODES[cov], 2, loglik=lb, use_blas=False)
    np.testing.assert_allclose(la, lb, rtol=rtol)
