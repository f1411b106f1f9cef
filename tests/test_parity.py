"""Parity with scikit-learn given identical initial parameters."""
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.mixture import GaussianMixture as SkGMM

from fastgmm import GaussianMixture
from conftest import COV_TYPES, make_blobs

ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def _datasets():
    return {
        "iris": (datasets.load_iris().data, 3),
        "wine": (datasets.load_wine().data, 3),
        "breast_cancer": (datasets.load_breast_cancer().data, 2),
        "diabetes": (datasets.load_diabetes().data * 10, 3),
        "blobs": (make_blobs(3000, 5, 4, seed=1), 4),
        # n_features >= FGMM_BLAS_MIN_D: full/tied products run through BLAS-3
        "blobs_d64": (make_blobs(3000, 64, 3, seed=2), 3),
    }


DATA = _datasets()


def _sk_init(X, k, cov):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkGMM(k, covariance_type=cov, random_state=0, max_iter=3,
                    reg_covar=1e-3).fit(X)
    return dict(weights_init=ref.weights_, means_init=ref.means_,
                precisions_init=ref.precisions_)


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("cov", COV_TYPES)
def test_parity_with_sklearn(name, cov):
    X, k = DATA[name]
    init = _sk_init(X, k, cov)
    kw = dict(covariance_type=cov, max_iter=10, tol=0, reg_covar=1e-4, **init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkGMM(k, **kw).fit(X)
        f64 = GaussianMixture(k, **kw).fit(X)
        f32 = GaussianMixture(k, **kw).fit(X.astype(np.float32))
    for attr in ATTRS:
        assert _rel(getattr(f64, attr), getattr(ref, attr)) < 1e-8, attr
        assert _rel(getattr(f32, attr), getattr(f64, attr)) < 1e-4, attr
    assert abs(f64.lower_bound_ - ref.lower_bound_) <= 1e-8 * abs(ref.lower_bound_)
    assert abs(f32.lower_bound_ - f64.lower_bound_) <= 1e-4 * abs(f64.lower_bound_)
    np.testing.assert_allclose(f64.lower_bounds_, ref.lower_bounds_, rtol=1e-8)
    assert f64.n_iter_ == ref.n_iter_ == 10
    # inference agrees too
    np.testing.assert_allclose(f64.score_samples(X), ref.score_samples(X), rtol=1e-8,
                               atol=1e-8)
    np.testing.assert_allclose(f64.predict_proba(X), ref.predict_proba(X), atol=1e-7)
    assert (f64.predict(X) == ref.predict(X)).mean() > 0.999


@pytest.mark.parametrize("cov", COV_TYPES)
def test_convergence_path_matches_sklearn(cov):
    """Same stopping rule: the same n_iter_ and lower bound with tol > 0."""
    X, k = DATA["blobs"]
    init = _sk_init(X, k, cov)
    ref = SkGMM(k, covariance_type=cov, tol=1e-6, **init).fit(X)
    ours = GaussianMixture(k, covariance_type=cov, tol=1e-6, **init).fit(X)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    assert abs(ours.lower_bound_ - ref.lower_bound_) < 1e-8 * abs(ref.lower_bound_)


@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("init_params", ["random", "random_from_data"])
def test_random_inits_match_sklearn(cov, init_params):
    """'random' and 'random_from_data' draw the same responsibilities as sklearn."""
    X, k = DATA["iris"]
    kw = dict(covariance_type=cov, init_params=init_params, random_state=3,
              max_iter=5, tol=0, reg_covar=1e-3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkGMM(k, **kw).fit(X)
        ours = GaussianMixture(k, **kw).fit(X)
    for attr in ATTRS:
        assert _rel(getattr(ours, attr), getattr(ref, attr)) < 1e-7, attr


def test_max_iter_zero_keeps_initial_parameters():
    X, k = DATA["iris"]
    init = _sk_init(X, k, "full")
    ours = GaussianMixture(k, max_iter=0, **init).fit(X)
    np.testing.assert_allclose(ours.means_, init["means_init"])
    np.testing.assert_allclose(ours.precisions_, init["precisions_init"], rtol=1e-10)
    assert ours.n_iter_ == 0
