"""Bad input: a clear ValueError naming the problem; estimator and data untouched."""
import pickle

import numpy as np
import pytest

from fastgmm import GaussianMixture, NotFittedError
from conftest import make_blobs


def _state(g):
    return pickle.dumps(g.__dict__)


BAD_X = [
    (np.array([[1.0, np.nan], [2, 3], [4, 5]]), "NaN or infinity"),
    (np.array([[1.0, np.inf], [2, 3], [4, 5]]), "NaN or infinity"),
    (np.arange(10.0), "Expected 2D array"),
    (np.zeros((3, 2, 2)), "Expected 2D array"),
    (np.zeros((0, 3)), "0 sample"),
    (np.zeros((1, 3)), "n_samples = 1"),
    (np.zeros((5, 0)), "0 feature"),
    (np.array([["a", "b"], ["c", "d"]]), "numbers"),
    (np.ones((3, 2)) * (1 + 1j), "Complex"),
]


@pytest.mark.parametrize("X, msg", BAD_X)
def test_bad_X_at_fit(X, msg):
    g = GaussianMixture(1)
    before, Xc = _state(g), X.copy()
    with pytest.raises(ValueError, match=msg):
        g.fit(X)
    assert _state(g) == before
    np.testing.assert_array_equal(X, Xc)


def test_fewer_samples_than_components():
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).fit(np.random.rand(3, 2))


BAD_PARAMS = [
    (dict(n_components=0), "n_components"),
    (dict(n_components=1.5), "n_components"),
    (dict(covariance_type="banana"), "covariance_type"),
    (dict(tol=-1.0), "tol"),
    (dict(reg_covar=-1e-6), "reg_covar"),
    (dict(max_iter=-1), "max_iter"),
    (dict(n_init=0), "n_init"),
    (dict(init_params="magic"), "init_params"),
    (dict(verbose_interval=0), "verbose_interval"),
    (dict(n_threads=0), "n_threads"),
    (dict(random_state="seed"), "seed"),
    (dict(random_state=-1), "Seed must be between 0 and 2"),
    (dict(random_state=2 ** 32), "Seed must be between 0 and 2"),
    (dict(weights_init=[0.5, 0.6]), "normalized"),
    (dict(weights_init=[1.5, -0.5]), "range"),
    (dict(weights_init=[1.0]), "shape"),
    (dict(weights_init=[np.nan, 1.0]), "NaN"),
    (dict(means_init=np.zeros((3, 2))), "shape"),
    (dict(means_init=np.zeros((2, 3))), "shape"),
    (dict(precisions_init=np.ones((2, 2, 2))), "positive-definite"),
    (dict(precisions_init=np.eye(2)[None].repeat(3, 0)), "shape"),
    (dict(covariance_type="diag", precisions_init=-np.ones((2, 2))), "positive"),
    (dict(covariance_type="spherical", precisions_init=np.ones(3)), "shape"),
    (dict(covariance_type="tied", precisions_init=np.array([[1.0, 2], [0, 1]])),
     "symmetric"),
]


@pytest.mark.parametrize("params, msg", BAD_PARAMS)
def test_bad_parameters(params, msg):
    X = make_blobs(50, 2, 2)
    kw = dict(n_components=2)
    kw.update(params)
    g = GaussianMixture(**kw)
    before = _state(g)
    inits = {k: np.array(v, copy=True) for k, v in params.items() if k.endswith("_init")}
    with pytest.raises(ValueError, match=msg):
        g.fit(X)
    assert _state(g) == before
    for k, v in inits.items():
        np.testing.assert_array_equal(np.asarray(params[k]), v)


@pytest.mark.parametrize("w, msg", [
    (-np.ones(50), "Negative"),
    (np.r_[np.nan, np.ones(49)], "NaN"),
    (np.ones(49), "shape"),
    (np.zeros(50), "positive sum"),
])
def test_bad_sample_weight(w, msg):
    g = GaussianMixture(2)
    with pytest.raises(ValueError, match=msg):
        g.fit(make_blobs(50, 2, 2), sample_weight=w)
    assert not hasattr(g, "means_")


def test_predict_checks():
    X = make_blobs(100, 3, 2)
    g = GaussianMixture(2, random_state=0)
    for method in ("predict", "predict_proba", "score_samples", "score", "bic", "aic"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(g, method)(X)
    with pytest.raises(NotFittedError):
        g.sample(3)
    g.fit(X)
    before = _state(g)
    for method in ("predict", "predict_proba", "score_samples"):
        with pytest.raises(ValueError, match="X has 2 features, but GaussianMixture is "
                                             "expecting 3 features"):
            getattr(g, method)(X[:, :2])
        with pytest.raises(ValueError, match="NaN"):
            getattr(g, method)(np.full((2, 3), np.nan))
        with pytest.raises(ValueError, match="2D"):
            getattr(g, method)(X[0])
    with pytest.raises(ValueError, match="n_samples"):
        g.sample(0)
    assert _state(g) == before


def test_fit_does_not_modify_input():
    X = make_blobs(500, 3, 2)
    w = np.random.rand(500)
    Xc, wc = X.copy(), w.copy()
    X.flags.writeable = False
    w.flags.writeable = False
    GaussianMixture(2, random_state=0).fit(X, sample_weight=w)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(w, wc)
