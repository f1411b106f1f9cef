"""on_degenerate: raise (scikit-learn's behaviour, the default), reinit or drop a
collapsed component, with finite parameters and a diagnostics record."""
import warnings

import numpy as np
import pytest

from fastgmm import GaussianMixture

# 50 identical rows and 50 spread ones: with reg_covar=0 the component started on
# the identical rows collapses onto them (zero covariance).
X = np.vstack([np.zeros((50, 2)), np.random.RandomState(0).randn(50, 2)])
START = dict(reg_covar=0.0, means_init=[[0, 0], [0.5, 0.5]], random_state=0)


def _fit(**kw):
    g = GaussianMixture(2, **START, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return g.fit(X)


@pytest.mark.parametrize("cov", ["full", "diag", "spherical"])
def test_default_raises_like_scikit_learn_and_leaves_the_estimator(cov):
    g = GaussianMixture(2, covariance_type=cov, **START)
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        g.fit(X)
    assert not hasattr(g, "means_")


@pytest.mark.parametrize("cov", ["full", "diag", "spherical"])
def test_drop_removes_the_collapsed_component(cov):
    g = _fit(covariance_type=cov, on_degenerate="drop")
    assert g.weights_.shape == (1,) and g.means_.shape == (1, 2)
    assert g.weights_[0] == pytest.approx(1.0)
    assert np.isfinite(g.covariances_).all() and np.isfinite(g.lower_bound_)
    assert g.diagnostics_[0]["action"] == "drop"
    assert g.diagnostics_[0]["components"] == [0]
    assert g.predict_proba(X).shape == (100, 1)
    # one component left: the sample mean, as a single-component fit gives
    np.testing.assert_allclose(g.means_[0], X.mean(axis=0), atol=1e-12)


@pytest.mark.parametrize("cov", ["full", "diag", "spherical"])
def test_reinit_reseeds_at_the_worst_explained_rows(cov):
    g = _fit(covariance_type=cov, on_degenerate="reinit", max_iter=15)
    first = g.diagnostics_[0]
    assert first["action"] == "reinit" and first["components"] == [0]
    assert 1 <= first["iteration"] <= 15
    assert g.weights_.shape == (2,)
    for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(g, attr)).all(), attr
    assert np.isfinite(g.score_samples(X)).all()


def test_no_events_when_nothing_degenerates():
    g = GaussianMixture(2, random_state=0, on_degenerate="reinit").fit(
        np.random.RandomState(1).randn(200, 2))
    assert g.diagnostics_ == []


def test_tied_cannot_be_repaired_per_component():
    flat = np.column_stack([np.arange(20.0), np.zeros(20)])  # a singular shared covariance
    g = GaussianMixture(2, covariance_type="tied", on_degenerate="drop", reg_covar=0.0,
                        random_state=0)
    with pytest.raises(ValueError, match="ill-defined"):
        g.fit(flat)


def test_bad_on_degenerate_value_is_named():
    with pytest.raises(ValueError, match="on_degenerate"):
        GaussianMixture(2, on_degenerate="ignore").fit(np.random.randn(20, 2))
