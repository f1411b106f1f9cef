"""The compiled M-step algebra (fastgmm._linalg) against NumPy/SciPy written out."""
import numpy as np
import pytest
from scipy.linalg import lapack

from fastgmm import _linalg, _mstep
from fastgmm._core import COV_CODES
from fastgmm.kernels import GMMParameters, SufficientStatistics, m_step

COVS = ("full", "tied", "diag", "spherical")


def moments(rng, K, D, cov):
    """Moments of K random weighted clouds around shifts near (not at) their means."""
    shift = rng.randn(K, D) * 3
    nk, s1, s2 = np.empty(K), np.empty((K, D)), []
    for k in range(K):
        x = shift[k] + 0.1 + rng.randn(50, D) @ (np.eye(D) + 0.3 * rng.randn(D, D))
        r = rng.rand(50)
        d = x - shift[k]
        nk[k], s1[k] = r.sum(), r @ d
        m = (r[:, None] * d).T @ d
        s2.append(m[np.triu_indices(D)] if cov in ("full", "tied") else np.diag(m))
    return nk, s1, np.array(s2), shift


def reference_moments(nk, s1, s2, shift, cov, reg, eps):
    """The M-step in NumPy (as _mstep computed it before it was compiled)."""
    nk = nk + 10 * eps
    D = s1.shape[1]
    d = s1 / nk[:, None]
    means = shift + d
    if cov in ("full", "tied"):
        iu = np.triu_indices(D)
        full = np.zeros((len(nk), D, D))
        full[:, iu[0], iu[1]] = s2
        full[:, iu[1], iu[0]] = s2
        scatter = full - nk[:, None, None] * (d[:, :, None] * d[:, None, :])
        c = scatter / nk[:, None, None] if cov == "full" else scatter.sum(0) / nk.sum()
        c[..., np.arange(D), np.arange(D)] += reg
    else:
        c = s2 / nk[:, None] - d * d + reg
        if cov == "spherical":
            c = c.mean(axis=1)
    return nk, means, c


def reference_precision_cholesky(c, cov):
    if cov not in ("full", "tied"):
        return 1 / np.sqrt(c)
    mats = c if cov == "full" else c[None]
    out = np.stack([lapack.dtrtri(lapack.dpotrf(m, lower=True, clean=True)[0],
                                  lower=True)[0].T for m in mats])
    return out if cov == "full" else out[0]


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K,D", [(1, 1), (3, 2), (5, 9), (2, 17), (12, 16)])
def test_moments_and_factors_match_numpy(cov, K, D):
    rng = np.random.RandomState(K * 100 + D)
    nk, s1, s2, shift = moments(rng, K, D, cov)
    eps = np.finfo(np.float64).eps
    got = _mstep.estimate_gaussian_parameters(nk, s1, s2, shift, cov, 1e-6, eps)
    want = reference_moments(nk, s1, s2, shift, cov, 1e-6, eps)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        if cov in ("full", "diag"):   # element-wise in both: the same bits
            np.testing.assert_array_equal(g, w)
        else:                         # sums over components / features in order
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
    U = _mstep.precision_cholesky(got[2], cov)
    # the same LAPACK routines on the same matrices: the same bits
    np.testing.assert_array_equal(U, reference_precision_cholesky(got[2], cov))
    if cov in ("full", "tied"):
        assert not np.tril(U, -1).any()
        mats, Us = (got[2], U) if cov == "full" else (got[2][None], U[None])
        for c, u in zip(mats, Us):
            np.testing.assert_allclose(u @ u.T @ c, np.eye(D), atol=1e-9)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("K,D", [(4, 5), (12, 16)])
def test_pack_matches_its_definition(cov, dtype, K, D):
    rng = np.random.RandomState(1)
    nk, s1, s2, shift = moments(rng, K, D, cov)
    nk_eps, means, c = _mstep.estimate_gaussian_parameters(nk, s1, s2, shift, cov, 1e-6,
                                                           1e-16)
    weights = nk_eps / nk_eps.sum()
    weights[1] = 0.0                   # a weight of zero: log_norm -inf
    U = _mstep.precision_cholesky(c, cov)
    hi, lo, prec, log_norm = GMMParameters(weights, means, U, cov).pack(dtype)
    assert {a.dtype for a in (hi, lo, prec, log_norm)} == {np.dtype(dtype)}
    np.testing.assert_array_equal(hi, means.astype(dtype))
    np.testing.assert_array_equal(lo, (means - hi.astype(np.float64)).astype(dtype))
    want_prec = (np.transpose(U, (0, 2, 1)) if cov == "full" else
                 U.T if cov == "tied" else U)
    np.testing.assert_array_equal(prec, np.ravel(want_prec).astype(dtype))
    log_det = _mstep.log_det_cholesky(U, cov, D)
    with np.errstate(divide="ignore"):
        want = np.log(weights) + log_det - 0.5 * D * np.log(2 * np.pi)
    assert log_norm[1] == -np.inf
    np.testing.assert_allclose(log_norm, want.astype(dtype), rtol=1e-6 if dtype ==
                               np.float32 else 1e-14)


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("bad", ["indefinite", "nan", "inf"])
def test_bad_covariances_raise_the_ill_defined_error(cov, bad):
    D = 3
    c = {"full": np.stack([np.eye(D)] * 2), "tied": np.eye(D),
         "diag": np.ones((2, D)), "spherical": np.ones(2)}[cov].copy()
    flat = c.reshape(-1)
    flat[-1] = {"indefinite": -1.0, "nan": np.nan, "inf": np.inf}[bad]
    before = c.copy()
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        _mstep.precision_cholesky(c, cov)
    np.testing.assert_array_equal(c, before)    # the input is never written


def test_shape_mismatches_are_errors_not_overruns():
    K, D = 2, 3
    nk, s1, shift = np.ones(K), np.zeros((K, D)), np.zeros((K, D))
    s2 = np.ones((K, D * (D + 1) // 2))
    out = (np.empty(K), np.empty((K, D)), np.empty(K * D * D))
    code = COV_CODES["full"]
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.gaussian_moments(nk, s1, np.ones((K, D)), shift, code, 0.0, 0.0, *out)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.gaussian_moments(nk, s1, s2, shift, code, 0.0, 0.0, out[0], out[1],
                                 np.empty(K * D * D - 1))
    with pytest.raises(ValueError, match="unknown covariance code"):
        _linalg.gaussian_moments(nk, s1, s2, shift, 99, 0.0, 0.0, *out)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.precision_cholesky(np.eye(D).ravel(), code, D, np.empty(D * D - 1))
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.precision_cholesky(np.ones(8), code, D, np.empty(8))   # not K D^2
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.pack_params(np.ones(K), np.zeros((K, D)), np.ones(K * D), code,
                            np.empty((K, D)), np.empty((K, D)), np.empty(K * D),
                            np.empty(K))


@pytest.mark.parametrize("cov", ["full", "tied"])
def test_factor_reads_the_lower_triangle_of_a_not_quite_symmetric_matrix(cov):
    """A covariance from a matrix product can differ from symmetric in the last bit:
    the factor is scipy.linalg.cholesky(lower=True)'s, which reads the lower half."""
    rng = np.random.RandomState(5)
    D = 7
    mats = []
    for _ in range(3 if cov == "full" else 1):
        a = rng.randn(40, D)
        m = a.T @ (a * rng.rand(40, 1))
        m[np.triu_indices(D, 1)] *= 1 + 1e-15      # the upper half a little off
        mats.append(m)
    c = np.array(mats) if cov == "full" else mats[0]
    assert not np.array_equal(c, np.swapaxes(c, -1, -2))
    np.testing.assert_array_equal(_mstep.precision_cholesky(c, cov),
                                  reference_precision_cholesky(c, cov))


@pytest.mark.parametrize("cov", COVS)
@pytest.mark.parametrize("K,D", [(3, 4), (12, 16)])
def test_m_step_is_the_steps_in_one_call(cov, K, D):
    """_linalg.m_step on a statistics vector = the moments, the normalised weights
    and the factors computed one by one."""
    rng = np.random.RandomState(K + D)
    nk, s1, s2, shift = moments(rng, K, D, cov)
    eps = np.finfo(np.float64).eps
    stats = SufficientStatistics.from_fields(shift, cov, eps, nk=nk, s1=s1, s2=s2,
                                             loglik_sum=-1.0, weight_sum=nk.sum())
    params, c = m_step(stats, reg_covar=1e-6)
    nk_eps, means, want_c = _mstep.estimate_gaussian_parameters(nk, s1, s2, shift, cov,
                                                                1e-6, eps)
    np.testing.assert_array_equal(c, want_c)
    np.testing.assert_array_equal(params.means, means)
    np.testing.assert_allclose(params.weights, nk_eps / nk_eps.sum(), rtol=4 * eps)
    np.testing.assert_array_equal(params.precisions_cholesky,
                                  _mstep.precision_cholesky(want_c, cov))


def test_m_step_shape_mismatches_are_errors():
    K, D = 2, 3
    layout_size = 3 + K + K * D + K * D * (D + 1) // 2
    good = (np.ones(layout_size), np.zeros((K, D)), COV_CODES["full"], 0.0, 0.0,
            np.empty(K), np.empty((K, D)), np.empty(K * D * D), np.empty(K * D * D))
    assert _linalg.m_step(*good) in (0, 1)
    for at, bad in [(0, np.ones(layout_size - 1)), (5, np.empty(K + 1)),
                    (7, np.empty(K * D * D - 1)), (8, np.empty(K * D * D + 1))]:
        args = list(good)
        args[at] = bad
        with pytest.raises(ValueError, match="inconsistent shapes"):
            _linalg.m_step(*args)


@pytest.mark.parametrize("n_features", [0, -1, 2, 2 ** 31, 2 ** 32, 2 ** 62])
def test_factor_sizes_that_do_not_fit_are_errors_not_crashes(n_features):
    with pytest.raises(ValueError, match="inconsistent shapes"):
        _linalg.precision_cholesky(np.ones(1), COV_CODES["full"], n_features,
                                   np.empty(1))


def test_pack_takes_only_the_kernels_dtypes():
    p = GMMParameters([1.0], [[0.0]], [1.0], "spherical")
    for dtype in (np.float16, ">f8", np.int64):
        with pytest.raises(ValueError, match="dtype must be float32 or float64"):
            p.pack(dtype)
