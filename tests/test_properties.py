"""Property tests (hypothesis) over shapes, dtypes, covariance types and memory layouts:
the kernels' log-densities against a NumPy reference, and statistics that add up."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fastgmm.kernels import GMMParameters, score, sufficient_statistics


def _random_params(rng, k, d, cov):
    means = rng.randn(k, d) * 2
    weights = rng.dirichlet(np.ones(k))
    if cov in ("full", "tied"):
        def chol():  # upper-triangular, positive diagonal
            u = np.triu(rng.randn(d, d) * 0.3)
            u[np.diag_indices(d)] = rng.uniform(0.5, 2.0, size=d)
            return u
        prec = np.stack([chol() for _ in range(k)]) if cov == "full" else chol()
    elif cov == "diag":
        prec = rng.uniform(0.5, 2.0, size=(k, d))
    else:
        prec = rng.uniform(0.5, 2.0, size=k)
    return GMMParameters(weights, means, prec, cov)


def _reference_logprob(X, p):
    """log w_k + log N(x | mu_k, (U U^T)^-1), straight from the definition."""
    n, d = X.shape
    out = np.empty((n, p.n_components))
    for k in range(p.n_components):
        if p.covariance_type == "full":
            U = p.precisions_cholesky[k]
        elif p.covariance_type == "tied":
            U = p.precisions_cholesky
        elif p.covariance_type == "diag":
            U = np.diag(p.precisions_cholesky[k])
        else:
            U = np.eye(d) * p.precisions_cholesky[k]
        y = (X - p.means[k]) @ U
        out[:, k] = (np.log(p.weights[k]) + np.log(np.diag(U)).sum()
                     - 0.5 * d * np.log(2 * np.pi) - 0.5 * (y ** 2).sum(1))
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 700), d=st.integers(1, 9), k=st.integers(1, 6),
       cov=st.sampled_from(["full", "tied", "diag", "spherical"]),
       dtype=st.sampled_from([np.float64, np.float32]),
       order=st.sampled_from(["C", "F"]), seed=st.integers(0, 2**31 - 1))
def test_kernel_scores_match_the_definition(n, d, k, cov, dtype, order, seed):
    rng = np.random.RandomState(seed)
    p = _random_params(rng, k, d, cov)
    X = np.asarray(rng.randn(n, d) * 2, dtype=dtype, order=order)
    wlp, resp, ll, lab = score(X, p, weighted_logprob=True, resp=True, loglik=True,
                               label=True, n_threads=2)
    ref = _reference_logprob(X.astype(np.float64), p)
    tol = 1e-9 if dtype == np.float64 else 2e-4
    scale = np.maximum(1.0, np.abs(ref))
    assert np.all(np.abs(wlp - ref) <= tol * scale)
    ref_ll = np.logaddexp.reduce(ref, axis=1)
    assert np.all(np.abs(ll - ref_ll) <= tol * np.maximum(1.0, np.abs(ref_ll)))
    np.testing.assert_allclose(resp.sum(1), 1.0, rtol=1e-5)
    assert np.all(resp >= 0)
    assert np.array_equal(lab, wlp.argmax(1))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 3000), d=st.integers(1, 8), k=st.integers(1, 5),
       cov=st.sampled_from(["full", "tied", "diag", "spherical"]),
       cut=st.floats(0.05, 0.95), seed=st.integers(0, 2**31 - 1))
def test_statistics_add_up_over_any_split(n, d, k, cov, cut, seed):
    rng = np.random.RandomState(seed)
    p = _random_params(rng, k, d, cov)
    X = rng.randn(n, d) * 2
    w = rng.uniform(0, 2, size=n)
    m = max(1, min(n - 1, int(cut * n)))
    whole = sufficient_statistics(X, p, sample_weight=w)
    parts = (sufficient_statistics(X[:m], p, sample_weight=w[:m])
             + sufficient_statistics(X[m:], p, sample_weight=w[m:]))
    np.testing.assert_allclose(parts.nk, whole.nk, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(parts.s1, whole.s1, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(parts.s2, whole.s2, rtol=1e-9, atol=1e-9)
    assert abs(parts.loglik_sum - whole.loglik_sum) <= 1e-9 * max(1, abs(whole.loglik_sum))
    assert abs(whole.weight_sum - w.sum()) <= 1e-9 * w.sum()
