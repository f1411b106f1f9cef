"""partial_fit: stepwise EM over batches reaches the batch fit's optimum."""
import warnings

import numpy as np
import pytest

from fastgmm import BayesianGaussianMixture, GaussianMixture
from conftest import COV_TYPES


def _blobs(n=30_000, seed=0):
    rng = np.random.RandomState(seed)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 2.0], [0.0, 7.0, -3.0]])
    labels = rng.randint(3, size=n)
    return centers[labels] + rng.randn(n, 3) * [1.0, 0.7, 1.3], centers


@pytest.mark.parametrize("cov", COV_TYPES)
def test_streaming_epochs_reach_the_batch_optimum(cov):
    X, centers = _blobs()
    batch = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    stream = GaussianMixture(3, covariance_type=cov, random_state=0)
    rng = np.random.RandomState(1)
    for epoch in range(3):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 1000):
            stream.partial_fit(X[order[start:start + 1000]])
    assert stream.n_iter_ == 90
    per_sample_gap = batch.score(X) - stream.score(X)
    assert per_sample_gap < 0.01 * abs(batch.score(X))
    found = stream.means_[np.argsort(stream.means_[:, 0] + stream.means_[:, 1])]
    want = centers[np.argsort(centers[:, 0] + centers[:, 1])]
    np.testing.assert_allclose(found, want, atol=0.15)


def test_partial_fit_after_fit_starts_from_the_fitted_model():
    X, _ = _blobs(6000)
    g = GaussianMixture(3, random_state=0).fit(X)
    before = g.score(X)
    g.partial_fit(X[:2000])
    assert g.n_iter_ == 1 and abs(g.score(X) - before) < 0.01 * abs(before)


def test_sample_weight_in_a_batch_counts_as_repetition():
    X, _ = _blobs(3000)
    w = np.random.RandomState(2).randint(0, 3, size=len(X))
    kw = dict(random_state=0, means_init=[[0, 0, 0], [6, 0, 2], [0, 7, -3]])
    a = GaussianMixture(3, **kw).partial_fit(X, sample_weight=w).partial_fit(X[:500])
    b = GaussianMixture(3, **kw).partial_fit(np.repeat(X, w, axis=0)).partial_fit(X[:500])
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-9)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-8)


def test_bayesian_mixture_streams_too():
    X, _ = _blobs(9000)
    g = BayesianGaussianMixture(n_components=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in range(0, len(X), 1500):
            g.partial_fit(X[start:start + 1500])
    assert np.isfinite(g.score(X)) and g.weights_.sum() == pytest.approx(1.0)


def test_bad_batches_get_clear_errors():
    X, _ = _blobs(100)
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(5).partial_fit(X[:3])
    g = GaussianMixture(2, random_state=0).partial_fit(X)
    with pytest.raises(ValueError, match="features"):
        g.partial_fit(X[:, :2])
    with pytest.raises(ValueError, match="learning_decay"):
        GaussianMixture(2, learning_decay=0.4).partial_fit(X)
    with pytest.raises(ValueError, match="learning_offset"):
        GaussianMixture(2, learning_offset=-1.0).partial_fit(X)


@pytest.mark.parametrize("cov", COV_TYPES)
def test_dask_ml_incremental_streams_the_chunks_through_partial_fit(cov):
    da = pytest.importorskip("dask.array")
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, centers = _blobs(15_000, seed=3)
    inc = Incremental(GaussianMixture(3, covariance_type=cov, random_state=0),
                      scoring=None)
    inc.fit(da.from_array(X, chunks=(1000, 3)))
    g = inc.estimator_
    assert g.n_iter_ == 15  # one partial_fit per chunk
    found = g.means_[np.argsort(g.means_[:, 0] + g.means_[:, 1])]
    want = centers[np.argsort(centers[:, 0] + centers[:, 1])]
    np.testing.assert_allclose(found, want, atol=0.2)
