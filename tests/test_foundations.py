"""The EM driver's contract, the statistics' algebra and the kernel boundary.

Several tests here exist to catch a specific break (see the README's "Tests that can
fail"): keeping the last restart instead of the best, a reduction in any order but
chunk order, dropping the low part of a float32 shift.
"""
import doctest
import inspect
import os
import warnings
from functools import reduce

import numpy as np
import pytest
from scipy.special import xlogy

import fastgmm
from fastgmm import GaussianMixture, kernels
from fastgmm._core import COV_CODES, em_pass, stats_layout
from fastgmm.kernels import GMMParameters, m_step, score, sufficient_statistics
from conftest import COV_TYPES, make_blobs


def _fitted_params(cov, X, k=3, seed=0):
    g = GaussianMixture(k, covariance_type=cov, random_state=seed, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g.fit(X)
    return g._kernel_params()


# ----------------------------------------------------------------- the driver
def test_n_init_publishes_the_best_restart_not_the_last():
    X = make_blobs(800, 2, 5, spread=2.0)
    finals = {}

    def record(progress):
        finals[progress.init] = progress.lower_bound

    g = GaussianMixture(5, n_init=5, random_state=2, init_params="random_from_data")
    g.fit(X, callback=record)
    best = max(finals, key=finals.get)
    # The break this test must catch needs a best restart that is neither the
    # first nor the last; if the data ever changes so that it is, say so.
    assert 0 < best < len(finals) - 1, finals
    assert g.lower_bound_ == finals[best]
    assert g.lower_bounds_[-1] == finals[best]
    assert g.lower_bound_ > finals[len(finals) - 1]


def test_callback_sees_every_iteration_and_can_stop_a_restart():
    X = make_blobs(500, 2, 3)
    seen = []
    g = GaussianMixture(3, random_state=0, tol=0, max_iter=20)
    with pytest.warns(fastgmm.ConvergenceWarning):
        g.fit(X, callback=lambda p: seen.append(p) or p.n_iter == 4)
    assert [p.n_iter for p in seen] == [1, 2, 3, 4]
    assert g.n_iter_ == 4 and not g.converged_
    assert [p.lower_bound for p in seen] == g.lower_bounds_


def test_zero_density_rows_are_named_not_silently_labelled():
    X = make_blobs(300, 2, 2)
    g = GaussianMixture(2, random_state=0).fit(X)
    far = np.vstack([X[:3], [[1e200, 1e200]], X[:2]])
    for method in (g.predict, g.predict_proba):
        with pytest.raises(ValueError, match=r"zero density.*rows 3\)"):
            method(far)
    scores = g.score_samples(far)
    assert np.isneginf(scores[3]) and np.isfinite(np.delete(scores, 3)).all()
    # the kernel API marks such rows instead of raising
    resp, label = score(far, g._kernel_params(), resp=True, label=True)
    assert label[3] == -1 and not resp[3].any()


# ----------------------------------------------------------------- statistics
def test_statistics_are_the_chunk_ordered_sum_whatever_the_threads():
    """The total must be exactly the sum of the 1024-row chunks' statistics in
    chunk order (across several waves of chunks), for 1 and 2 threads."""
    rng = np.random.RandomState(0)
    X = rng.randn(70_001, 2) * [1.0, 3.0] + [0.3, -2.0]
    params = _fitted_params("full", X[:5000])
    chunks = [sufficient_statistics(X[a:a + 1024], params, n_threads=1)
              for a in range(0, len(X), 1024)]
    ordered = reduce(lambda a, b: a + b, chunks)
    for n_threads in (1, 2):
        whole = sufficient_statistics(X, params, n_threads=n_threads)
        assert np.array_equal(whole.vector, ordered.vector, equal_nan=True)
    shuffled = reduce(lambda a, b: a + b, chunks[::-1])
    assert not np.array_equal(shuffled.vector, ordered.vector, equal_nan=True), \
        "data too easy: another order gives the same bits, so order is untested"


def test_float32_shift_keeps_its_low_part():
    """float32 data near 1e4 and means 0.4 ulp away from any float32: the M-step's
    mean is the data's mean to far below an ulp (the low part of the shift counts)."""
    rng = np.random.RandomState(1)
    X = (1e4 + rng.randn(4000, 2)).astype(np.float32)
    ulp = float(np.spacing(np.float32(1e4)))
    means = np.array([[1e4 + 0.4 * ulp, 1e4 - 0.4 * ulp]])
    params = GMMParameters([1.0], means, [[1.0, 1.0]], "diag")
    new, _ = m_step(sufficient_statistics(X, params))
    exact = X.astype(np.float64).mean(axis=0)
    assert np.abs(new.means[0] - exact).max() < 0.02 * ulp


@pytest.mark.parametrize("cov", COV_TYPES)
def test_recentered_statistics_are_moments_around_the_new_centres(cov):
    X = make_blobs(2000, 3, 3, seed=3)
    params = _fitted_params(cov, X)
    stats = sufficient_statistics(X, params)
    (resp,) = score(X, params, resp=True)
    centres = params.means + np.random.RandomState(0).randn(3, 3)
    moved = stats.recentered(centres)
    expected_s1 = np.stack([resp[:, k] @ (X - centres[k]) for k in range(3)])
    np.testing.assert_allclose(moved.s1, expected_s1, rtol=1e-9, atol=1e-9)
    d = [X - c for c in centres]
    if cov in ("full", "tied"):
        iu = np.triu_indices(3)
        expected_s2 = np.stack([((dk * resp[:, [k]]).T @ dk)[iu] for k, dk in enumerate(d)])
    else:
        expected_s2 = np.stack([resp[:, k] @ (dk * dk) for k, dk in enumerate(d)])
    np.testing.assert_allclose(moved.s2, expected_s2, rtol=1e-9)
    # the same statistics: the same M-step, and a round trip gives them back
    (p1, c1), (p2, c2) = m_step(stats), m_step(moved)
    np.testing.assert_allclose(p2.means, p1.means, rtol=1e-10)
    np.testing.assert_allclose(c2, c1, rtol=1e-8)
    back = moved.recentered(stats.shift)
    np.testing.assert_allclose(back.vector, stats.vector, rtol=1e-9, atol=1e-8)
    # statistics under different shifts add after re-centring
    total = stats + moved
    np.testing.assert_allclose(total.vector, stats.scaled(2.0).vector, rtol=1e-9,
                               atol=1e-8)


def test_scaled_statistics_give_the_same_m_step():
    X = make_blobs(1000, 2, 2, seed=4)
    params = _fitted_params("full", X, k=2)
    stats = sufficient_statistics(X, params)
    halves = stats.scaled(0.25) + stats.scaled(0.75)
    np.testing.assert_allclose(halves.vector, stats.vector, rtol=1e-15, equal_nan=True)
    np.testing.assert_allclose(m_step(stats.scaled(3.0))[0].means, m_step(stats)[0].means,
                               rtol=1e-12)
    with pytest.raises(ValueError, match="factor"):
        stats.scaled(-1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_resp_entropy_sum_is_the_weighted_entropy(cov, dtype):
    X = make_blobs(1500, 3, 3, seed=5, spread=1.5).astype(dtype)
    w = np.random.RandomState(0).uniform(0, 2, len(X))
    params = _fitted_params(cov, X)
    stats = sufficient_statistics(X, params, sample_weight=w, resp_entropy=True)
    assert np.isnan(sufficient_statistics(X, params).resp_entropy_sum)
    (resp,) = score(X, params, resp=True)
    expected = float(w @ xlogy(resp, resp).sum(axis=1))
    assert expected < -1.0  # overlapping components: a real entropy to measure
    rtol = 1e-9 if dtype == np.float64 else 1e-4
    assert stats.resp_entropy_sum == pytest.approx(expected, rel=rtol)


def test_statistics_layout_is_one_vector_of_named_fields():
    for cov, code in COV_CODES.items():
        layout = stats_layout(4, 3, code)
        S = 10 if cov in ("full", "tied") else 4
        size = layout.pop("size")
        spans = {name: stop - start for name, (start, stop, _) in layout.items()}
        assert spans == {"loglik_sum": 1, "weight_sum": 1, "resp_entropy_sum": 1,
                         "nk": 3, "s1": 12, "s2": 3 * S}
        assert size == sum(spans.values())
    with pytest.raises(ValueError, match="invalid statistics layout"):
        stats_layout(0, 3, 0)   # the C core's FGMM_EINVAL, raised


def test_private_passes_refuse_arrays_that_disagree():
    X = np.zeros((10, 3))
    params = GMMParameters([0.5, 0.5], np.zeros((2, 3)), np.ones((2, 3)), "diag")
    hi, lo, prec, log_norm = params.pack(np.float64)
    with pytest.raises(ValueError, match="packed parameters do not match"):
        em_pass(X, None, hi, lo, prec[:4], log_norm, COV_CODES["diag"], 1)
    with pytest.raises(ValueError, match="packed parameters do not match"):
        em_pass(X[:, :2], None, hi, lo, prec, log_norm, COV_CODES["diag"], 1)
    with pytest.raises(ValueError, match="sample_weight"):
        em_pass(X, np.ones(9), hi, lo, prec, log_norm, COV_CODES["diag"], 1)
    with pytest.raises(ValueError, match="covariance code"):
        em_pass(X, None, hi, lo, prec, log_norm, 7, 1)


# ----------------------------------------------------------------- build and docs
@pytest.mark.skipif(os.environ.get("CI", "").lower() not in ("1", "true"),
                    reason="only CI promises a compiler with OpenMP")
def test_ci_build_has_openmp():
    assert fastgmm.openmp_enabled(), "CI built fastgmm without OpenMP"


def _public_callables():
    for module, names in ((fastgmm, fastgmm.__all__), (kernels, kernels.__all__)):
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj):
                yield f"{module.__name__}.{name}", obj
                if inspect.isclass(obj) and not issubclass(obj, BaseException):
                    for attr, member in inspect.getmembers(obj):
                        if not attr.startswith("_") and inspect.isfunction(member):
                            yield f"{module.__name__}.{name}.{attr}", member


def test_every_public_callable_has_a_numpydoc_docstring():
    missing = []
    for qualname, obj in _public_callables():
        doc = inspect.getdoc(obj) or ""
        takes_args = inspect.isfunction(obj) and len(
            [p for p in inspect.signature(obj).parameters if p != "self"]) > 0
        if not doc or (takes_args and "Parameters\n----------" not in doc):
            missing.append(qualname)
    assert not missing, missing


@pytest.mark.parametrize("module", [fastgmm.kernels, fastgmm.mixture])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- dtypes
@pytest.mark.parametrize("cov", COV_TYPES)
def test_float32_data_gives_float32_attributes_and_outputs(cov):
    X = make_blobs(600, 3, 3, seed=6).astype(np.float32)
    g = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    for attr in ("weights_", "means_", "covariances_", "precisions_",
                 "precisions_cholesky_"):
        assert getattr(g, attr).dtype == np.float32, attr
    assert isinstance(g.lower_bound_, np.float32)
    assert g.predict_proba(X).dtype == np.float32
    assert g.score_samples(X).dtype == np.float32
    g64 = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X.astype(np.float64))
    assert g64.means_.dtype == np.float64 and g64.predict_proba(X).dtype == np.float32


def test_float32_warm_start_continues_the_private_float64_state():
    X = make_blobs(2000, 3, 3, seed=7, spread=1.5).astype(np.float32)
    kw = dict(random_state=0, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        straight = GaussianMixture(3, max_iter=10, **kw).fit(X)
        warm = GaussianMixture(3, max_iter=5, warm_start=True, **kw).fit(X).fit(X)
        # published float32 attributes replaced by the user: the warm start uses them
        edited = GaussianMixture(3, max_iter=5, warm_start=True, **kw).fit(X)
        edited.means_ = edited.means_.copy()
        edited.fit(X)
    assert np.array_equal(warm.means_, straight.means_)
    assert np.array_equal(warm.covariances_, straight.covariances_)
    assert not np.array_equal(edited.means_, straight.means_)
    np.testing.assert_allclose(edited.means_, straight.means_, rtol=1e-4)


@pytest.mark.parametrize("cov", COV_TYPES)
def test_icl_is_bic_plus_twice_the_responsibility_entropy(cov):
    X = make_blobs(800, 2, 3, seed=8, spread=1.5)
    g = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    resp = g.predict_proba(X)
    entropy = -float(xlogy(resp, resp).sum())
    assert entropy > 1.0
    assert g.icl(X) == pytest.approx(g.bic(X) + 2 * entropy, rel=1e-10)
