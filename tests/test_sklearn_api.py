"""scikit-learn compatibility: check_estimator, clone, Pipeline, GridSearchCV,
pickle, DataFrames, and the estimator's own semantics."""
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.mixture import GaussianMixture as SkGMM
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

from fastgmm import ConvergenceWarning, GaussianMixture
from conftest import COV_TYPES, make_blobs

# Checks excluded from check_estimator, with the reason.
EXPECTED_FAILED = {}


def test_check_estimator():
    results = check_estimator(GaussianMixture(), expected_failed_checks=EXPECTED_FAILED,
                              on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:300]) for r in failed]


def test_same_constructor_defaults_as_sklearn():
    ours = GaussianMixture().get_params()
    theirs = SkGMM().get_params()
    assert ours.pop("n_threads") is None
    assert ours.pop("on_degenerate") == "raise"
    assert ours.pop("init_max_samples") == 1 << 20
    assert (ours.pop("learning_decay"), ours.pop("learning_offset")) == (0.7, 10.0)
    assert ours == theirs


def test_clone_pipeline_gridsearch_pickle():
    X = make_blobs(600, 3, 3)
    g = GaussianMixture(2, random_state=0)
    assert clone(g).get_params() == g.get_params()
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0)).fit(X)
    assert pipe.predict(X).shape == (600,)
    search = GridSearchCV(GaussianMixture(random_state=0),
                          {"n_components": [1, 2, 3, 4],
                           "covariance_type": ["full", "diag"]}, cv=3).fit(X)
    assert search.best_params_["n_components"] >= 3
    g.fit(X)
    g2 = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(g2.score_samples(X), g.score_samples(X))


def test_dataframe_keeps_feature_names_and_float32():
    pd = pytest.importorskip("pandas")
    X = make_blobs(300, 3, 2).astype(np.float32)
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    g = GaussianMixture(2, random_state=0).fit(df)
    assert list(g.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_allclose(g.predict_proba(df), g.predict_proba(X), atol=0)
    with pytest.raises(ValueError, match="feature names should match"):
        g.predict(df[["c", "b", "a"]])


@pytest.mark.parametrize("cov", COV_TYPES)
def test_fit_predict_equals_fit_then_predict(cov):
    X = make_blobs(1000, 2, 4, spread=1.5)
    for max_iter in (1, 3, 100):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = GaussianMixture(4, covariance_type=cov, random_state=1,
                                max_iter=max_iter).fit_predict(X)
            b = GaussianMixture(4, covariance_type=cov, random_state=1,
                                max_iter=max_iter).fit(X).predict(X)
        np.testing.assert_array_equal(a, b)


def test_bic_aic_sample_match_sklearn_for_same_parameters():
    X = make_blobs(500, 3, 3)
    for cov in COV_TYPES:
        sk = SkGMM(3, covariance_type=cov, random_state=0).fit(X)
        ours = GaussianMixture(3, covariance_type=cov, random_state=0, max_iter=0,
                               weights_init=sk.weights_, means_init=sk.means_,
                               precisions_init=sk.precisions_).fit(X)
        ours.covariances_ = sk.covariances_
        assert ours.bic(X) == pytest.approx(sk.bic(X), rel=1e-10)
        assert ours.aic(X) == pytest.approx(sk.aic(X), rel=1e-10)
        xs, ys = sk.sample(50)
        xo, yo = ours.sample(50)
        np.testing.assert_allclose(xo, xs, rtol=1e-10)
        np.testing.assert_array_equal(yo, ys)


def test_bic_selects_the_true_number_of_components():
    X = make_blobs(3000, 2, 3, spread=8.0)
    bics = [GaussianMixture(k, random_state=0).fit(X).bic(X) for k in range(1, 6)]
    assert int(np.argmin(bics)) + 1 == 3


def test_convergence_warning_and_verbose(capsys):
    X = make_blobs(500, 2, 3, spread=1.0)
    with pytest.warns(ConvergenceWarning):
        GaussianMixture(3, max_iter=1, random_state=0, verbose=2,
                        verbose_interval=1).fit(X)
    out = capsys.readouterr().out
    assert "Initialization 0" in out and "Iteration 1" in out
    assert "did not converge" in out


def test_warm_start_continues_from_previous_fit():
    X = make_blobs(800, 2, 3)
    full = GaussianMixture(3, random_state=0, max_iter=20, tol=0).fit(X)
    warm = GaussianMixture(3, random_state=0, max_iter=10, tol=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm.fit(X)
        warm.fit(X)
    np.testing.assert_allclose(warm.means_, full.means_, rtol=1e-12)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random",
                                         "random_from_data"])
def test_every_initialiser_reaches_sklearns_optimum(init_params):
    X = make_blobs(3000, 2, 3, spread=10.0, seed=3)
    g = GaussianMixture(3, init_params=init_params, random_state=0, n_init=2).fit(X)
    ref = SkGMM(3, init_params=init_params, random_state=0, n_init=2).fit(X)
    assert g.lower_bound_ == pytest.approx(ref.lower_bound_, rel=1e-6)
