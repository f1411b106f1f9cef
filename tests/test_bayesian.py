"""BayesianGaussianMixture: parity with scikit-learn's from the same initial
responsibilities, its API, sample weights, thread invariance and prior checks."""
import doctest
import pickle
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.mixture import BayesianGaussianMixture as SkBGM
from sklearn.utils.estimator_checks import check_estimator

import fastgmm
import fastgmm._init
import fastgmm.bayesian
from fastgmm.bayesian import BayesianGaussianMixture
from conftest import COV_TYPES, make_blobs

PRIOR_TYPES = ["dirichlet_process", "dirichlet_distribution"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
         "weight_concentration_", "mean_precision_", "degrees_of_freedom_",
         "mean_prior_", "covariance_prior_"]
SCALAR_PRIORS = ["weight_concentration_prior_", "mean_precision_prior_",
                 "degrees_of_freedom_prior_"]


def _flat(v):
    if isinstance(v, tuple):  # Dirichlet process: the two Beta parameters
        return np.concatenate([np.ravel(x) for x in v]).astype(np.float64)
    return np.ravel(v).astype(np.float64)


def _rel(a, b):
    a, b = _flat(a), _flat(b)
    assert a.shape == b.shape
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def _bounds(est):
    # scikit-learn's tied bounds are arrays of shape (1,)
    return np.ravel(np.asarray(est.lower_bounds_, dtype=np.float64))


def _fit(cls, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(**kw).fit(X)


DATA = make_blobs(500, 3, 3, seed=1, spread=6.0)


# ----------------------------------------------------------------- parity
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("cov", COV_TYPES)
def test_parity_with_sklearn_from_random_responsibilities(cov, prior_type):
    """'random' draws scikit-learn's initial responsibilities: every fitted
    attribute and the whole lower-bound path agree to 1e-8 (float64); float32 data
    gives float32 attributes within 1e-4 of the float64 fit."""
    X = DATA
    kw = dict(n_components=4, covariance_type=cov, weight_concentration_prior_type=
              prior_type, init_params="random", random_state=0, max_iter=20, tol=0)
    ref = _fit(SkBGM, X, **kw)
    f64 = _fit(BayesianGaussianMixture, X, **kw)
    f32 = _fit(BayesianGaussianMixture, X.astype(np.float32), **kw)
    for attr in ATTRS:
        assert _rel(getattr(f64, attr), getattr(ref, attr)) < 1e-8, attr
        assert _rel(getattr(f32, attr), getattr(f64, attr)) < 1e-4, attr
        for v in (getattr(f32, attr) if isinstance(getattr(f32, attr), tuple)
                  else [getattr(f32, attr)]):
            assert np.asarray(v).dtype == np.float32 or np.ndim(v) == 0, attr
    for attr in SCALAR_PRIORS:
        assert getattr(f64, attr) == pytest.approx(getattr(ref, attr), rel=1e-12)
    assert f64.n_iter_ == ref.n_iter_ == f32.n_iter_ == 20
    np.testing.assert_allclose(_bounds(f64), _bounds(ref), rtol=1e-8)
    np.testing.assert_allclose(_bounds(f32), _bounds(f64), rtol=1e-4)
    assert f64.lower_bound_ == pytest.approx(float(np.ravel(ref.lower_bound_)[0]),
                                             rel=1e-8)
    # inference is the variational E-step, as scikit-learn's
    np.testing.assert_allclose(f64.score_samples(X), ref.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(f64.predict_proba(X), ref.predict_proba(X), atol=1e-8)
    assert f64.score(X) == pytest.approx(ref.score(X), rel=1e-8)
    assert (f64.predict(X) == ref.predict(X)).mean() > 0.999
    assert f32.predict_proba(X.astype(np.float32)).dtype == np.float32
    xs, ys = ref.sample(30)
    xo, yo = f64.sample(30)
    np.testing.assert_array_equal(yo, ys)
    np.testing.assert_allclose(xo, xs, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("init_params", ["random", "random_from_data"])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_initial_posterior_equals_sklearns(cov, init_params):
    """max_iter=0 publishes the initial posterior: the same random draws give the
    same initial responsibilities, hence the same posterior, for n_init > 1 too."""
    kw = dict(n_components=4, covariance_type=cov, init_params=init_params,
              random_state=3, max_iter=0, n_init=2)
    ref = _fit(SkBGM, DATA, **kw)
    ours = _fit(BayesianGaussianMixture, DATA, **kw)
    for attr in ATTRS:
        assert _rel(getattr(ours, attr), getattr(ref, attr)) < 1e-12, attr
    assert ours.n_iter_ == ref.n_iter_ == 0 and ours.lower_bounds_ == []


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("cov", COV_TYPES)
def test_convergence_path_matches_sklearn(cov, prior_type):
    """Same stopping rule on the ELBO: the same n_iter_, converged_ and bounds."""
    kw = dict(n_components=4, covariance_type=cov, weight_concentration_prior_type=
              prior_type, init_params="random_from_data", random_state=1, tol=1e-3)
    ref = _fit(SkBGM, DATA, **kw)
    ours = _fit(BayesianGaussianMixture, DATA, **kw)
    assert ours.n_iter_ == ref.n_iter_
    assert ours.converged_ == ref.converged_
    np.testing.assert_allclose(_bounds(ours), _bounds(ref), rtol=1e-8)


@pytest.mark.parametrize("cov", COV_TYPES)
def test_kmeans_parity_from_the_same_clustering(cov, monkeypatch):
    """'kmeans' is fastgmm's own k-means.  Seeded with the centers of the KMeans
    that scikit-learn's BayesianGaussianMixture runs from the same seed (a fixed
    point of Lloyd's iteration here), fastgmm's k-means stays there and labels
    every row as scikit-learn did, so both fits start from the same
    responsibilities and agree."""
    X, K = make_blobs(500, 3, 4, seed=1, spread=6.0), 4
    km = KMeans(n_clusters=K, n_init=1, random_state=np.random.RandomState(0)).fit(X)
    d2 = ((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(axis=2)
    assert np.array_equal(d2.argmin(axis=1), km.labels_)   # labels of those centers
    means = np.array([X[km.labels_ == k].mean(axis=0) for k in range(K)])
    np.testing.assert_allclose(means, km.cluster_centers_, rtol=0, atol=1e-10)
    monkeypatch.setattr(fastgmm._init, "kmeans_plusplus",
                        lambda *args, **kwargs: (km.cluster_centers_.copy(),
                                                 np.arange(K)))
    kw = dict(n_components=K, covariance_type=cov, random_state=0, max_iter=15, tol=0)
    ref = _fit(SkBGM, X, **kw)
    ours = _fit(BayesianGaussianMixture, X, **kw)
    for attr in ATTRS:
        assert _rel(getattr(ours, attr), getattr(ref, attr)) < 1e-8, attr
    np.testing.assert_allclose(_bounds(ours), _bounds(ref), rtol=1e-8)


def test_many_components_with_underflowing_weights_match_sklearn():
    """Late sticks of a Dirichlet process get E[log pi] ~ -3e4: their kernel
    weights underflow to 0, which changes nothing."""
    X = make_blobs(600, 2, 3, seed=1, spread=8.0)
    kw = dict(n_components=30, covariance_type="spherical",
              weight_concentration_prior=1e-3, random_state=0,
              init_params="random_from_data", max_iter=15, tol=0)
    ref = _fit(SkBGM, X, **kw)
    ours = _fit(BayesianGaussianMixture, X, **kw)
    assert ref._estimate_log_weights().min() < -1000
    for attr in ATTRS:
        assert _rel(getattr(ours, attr), getattr(ref, attr)) < 1e-8, attr
    np.testing.assert_allclose(_bounds(ours), _bounds(ref), rtol=1e-8)
    np.testing.assert_allclose(ours.score_samples(X), ref.score_samples(X), rtol=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-8)


# ----------------------------------------------------------------- behaviour
@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("cov", ["full", "diag", "spherical"])
def test_unneeded_components_are_switched_off(cov, prior_type):
    X = make_blobs(900, 2, 3, seed=3, spread=8.0)
    g = BayesianGaussianMixture(n_components=8, covariance_type=cov,
                                weight_concentration_prior_type=prior_type,
                                random_state=0, max_iter=300).fit(X)
    assert g.converged_
    w = np.sort(g.weights_)[::-1]
    assert w[:3].min() > 0.25 and w[3:].sum() < 0.01, w
    labels = g.predict(X)
    assert np.isin(labels, np.argsort(g.weights_)[-3:]).mean() > 0.99


@pytest.mark.parametrize("prior_type", PRIOR_TYPES)
@pytest.mark.parametrize("cov", COV_TYPES)
def test_integer_sample_weight_equals_repetition(cov, prior_type):
    """Weights count rows everywhere, the priors taken from the data included."""
    X = make_blobs(300, 3, 3, seed=5)
    reps = np.random.RandomState(0).randint(0, 4, size=300)
    kw = dict(n_components=4, covariance_type=cov, weight_concentration_prior_type=
              prior_type, random_state=0, max_iter=30, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = BayesianGaussianMixture(**kw).fit(X, sample_weight=reps)
        b = BayesianGaussianMixture(**kw).fit(np.repeat(X, reps, axis=0))
    for attr in ATTRS:
        assert _rel(getattr(a, attr), getattr(b, attr)) < 1e-10, attr
    assert a.lower_bound_ == pytest.approx(b.lower_bound_, rel=1e-10)


@pytest.mark.skipif(not fastgmm.openmp_enabled(),
                    reason="serial build: every thread count is 1")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_thread_count_does_not_change_a_bit(cov, dtype):
    X = make_blobs(8000, 4, 5, seed=6).astype(dtype)
    w = np.random.RandomState(1).uniform(size=8000)
    fits = [BayesianGaussianMixture(n_components=5, covariance_type=cov,
                                    random_state=0, n_threads=t, max_iter=6, tol=0)
            for t in (1, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for g in fits:
            g.fit(X, sample_weight=w)
    a, b = fits
    for attr in ATTRS:
        assert np.array_equal(_flat(getattr(a, attr)), _flat(getattr(b, attr))), attr
    assert a.lower_bounds_ == b.lower_bounds_
    assert np.array_equal(a.score_samples(X), b.score_samples(X))


def test_fit_predict_warm_start_and_pickle():
    X = DATA
    kw = dict(n_components=4, random_state=0, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = BayesianGaussianMixture(max_iter=20, **kw).fit(X)
        np.testing.assert_array_equal(
            BayesianGaussianMixture(max_iter=3, **kw).fit_predict(X),
            BayesianGaussianMixture(max_iter=3, **kw).fit(X).predict(X))
        warm = BayesianGaussianMixture(max_iter=10, warm_start=True, **kw).fit(X)
        # from the published attributes (after pickling) or the private state
        copy = pickle.loads(pickle.dumps(warm))
        warm.fit(X)
        copy.fit(X)
    for g in (warm, copy):
        np.testing.assert_allclose(g.means_, full.means_, rtol=1e-10)
        assert g.lower_bound_ == pytest.approx(full.lower_bound_, rel=1e-12)
    np.testing.assert_array_equal(copy.score_samples(X), warm.score_samples(X))


def test_check_estimator():
    results = check_estimator(BayesianGaussianMixture(), on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:300]) for r in failed]


def test_same_constructor_defaults_as_sklearn():
    ours = BayesianGaussianMixture().get_params()
    assert ours.pop("n_threads") is None
    assert ours.pop("init_max_samples") == 1 << 20
    assert (ours.pop("learning_decay"), ours.pop("learning_offset")) == (0.7, 10.0)
    assert ours == SkBGM().get_params()


def test_docstring_examples_run():
    result = doctest.testmod(fastgmm.bayesian, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- bad priors
D = DATA.shape[1]
BAD = [
    (dict(weight_concentration_prior=0.0), "weight_concentration_prior"),
    (dict(weight_concentration_prior=-1.0), "weight_concentration_prior"),
    (dict(weight_concentration_prior="big"), "weight_concentration_prior"),
    (dict(weight_concentration_prior_type="dirichlet"),
     "weight_concentration_prior_type"),
    (dict(mean_precision_prior=0.0), "mean_precision_prior"),
    (dict(mean_precision_prior=np.inf), "mean_precision_prior"),
    (dict(mean_prior=np.zeros(D + 1)), "mean_prior"),
    (dict(mean_prior=[0.0, np.nan, 0.0]), "mean_prior"),
    (dict(degrees_of_freedom_prior=D - 1.0), "degrees_of_freedom_prior"),
    (dict(degrees_of_freedom_prior=-3), "degrees_of_freedom_prior"),
    (dict(covariance_prior=np.eye(D + 1)), "covariance_prior"),
    (dict(covariance_prior=-np.eye(D)), "covariance_prior"),
    (dict(covariance_prior=np.triu(np.ones((D, D)))), "covariance_prior"),
    (dict(covariance_type="diag", covariance_prior=[1.0, 0.0, 1.0]),
     "covariance_prior"),
    (dict(covariance_type="diag", covariance_prior=np.ones(D + 1)),
     "covariance_prior"),
    (dict(covariance_type="spherical", covariance_prior=-1.0), "covariance_prior"),
    (dict(covariance_type="spherical", covariance_prior=[1.0, 2.0]),
     "covariance_prior"),
]


@pytest.mark.parametrize("params,name", BAD, ids=[f"{n}-{i}" for i, (_, n) in
                                                 enumerate(BAD)])
def test_bad_prior_parameters_raise_naming_them(params, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        BayesianGaussianMixture(n_components=2, **params).fit(DATA)


def test_good_priors_are_used_and_failed_fit_keeps_state():
    kw = dict(n_components=2, covariance_type="diag", mean_prior=[1.0, 2.0, 3.0],
              covariance_prior=[1.0, 2.0, 3.0], degrees_of_freedom_prior=4.5,
              mean_precision_prior=0.5, weight_concentration_prior=2.0,
              random_state=0, init_params="random", max_iter=5, tol=0)
    g = _fit(BayesianGaussianMixture, DATA, **kw)
    ref = _fit(SkBGM, DATA, **kw)
    for attr in ATTRS:
        assert _rel(getattr(g, attr), getattr(ref, attr)) < 1e-8, attr
    assert (g.degrees_of_freedom_prior_, g.mean_precision_prior_,
            g.weight_concentration_prior_) == (4.5, 0.5, 2.0)
    before = g.means_.copy()
    with pytest.raises(ValueError, match="'covariance_prior'"):
        g.set_params(covariance_prior=[1.0, -2.0, 3.0]).fit(DATA)
    np.testing.assert_array_equal(g.means_, before)


def test_data_covariance_prior_needs_weights_counting_rows():
    w = np.full(DATA.shape[0], 0.5 / DATA.shape[0])   # they sum to 0.5 rows
    with pytest.raises(ValueError, match="covariance_prior"):
        BayesianGaussianMixture(n_components=2).fit(DATA, sample_weight=w)
    BayesianGaussianMixture(n_components=2, covariance_prior=np.eye(D),
                            random_state=0).fit(DATA, sample_weight=w)
