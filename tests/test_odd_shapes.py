"""Odd shapes through every kernel, checked against NumPy (and run under ASan/UBSan).

Shapes: n_features D in (1, 3, 5, 127, 129), n_samples N in (1, 127, 129),
n_components K in (1, 33) -- sizes that are not multiples of the C core's strip
(8 / 16 points), of its 4-wide column groups or of its 2x4 scatter tiles, one row,
one feature, one component, D on both sides of FGMM_BLAS_MIN_D (64) -- plus D = 6
and 64, the thresholds themselves (FGMM_COMPACT_MIN_D is 6), which also give the
remainders D % 4 = 2 and 0 of the full-covariance column groups (with the odd D
alone, one of those branches never runs).  Every covariance type, float32 and float64, C order,
Fortran order, strided views (every other row and column of a NaN-filled array,
so a read of the wrong element shows up as NaN; direct kernel calls also get
negative strides) and misaligned arrays (at an odd byte offset, X and the sample
weights: the C core must get aligned copies).

What is checked, against plain NumPy evaluations of the definitions:

* ``kernels.score`` (all four outputs) and ``kernels.sufficient_statistics``
  (weighted and not, with the responsibilities' entropy), then ``kernels.m_step``;
* the C passes called directly on the views (``_core.em_pass`` / ``score_pass``,
  which read strides; the public API copies other layouts to C order), with
  ``use_blas=False`` at D >= 64 so the C loops run where BLAS would;
* the k-means kernels (``kmeans_pass``, ``nearest_pass``) and, through
  ``GaussianMixture(init_params='kmeans')``, fastgmm's k-means;
* ``GaussianMixture.fit`` / ``predict_proba`` / ``score_samples``;
* finite outputs, and bitwise-equal results for every layout, and for 1 and 2
  threads on N that spans two chunks of rows (1024 + 129).

``.ci/sanitize`` runs this file against an ASan/UBSan build; normally it takes
about 20 s.  Parameters mix broad components with sharp ones centred on data rows,
so the same pass has components whose responsibilities are everywhere significant
and components that are negligible for most rows (the compaction path, exp
underflow); with K = 33 one component has weight 0 (log-weight -inf).
"""
import functools
import os
import zlib
from collections import namedtuple

import numpy as np
import pytest
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

import fastgmm
from fastgmm import GaussianMixture
from fastgmm import _core
from fastgmm._core import COV_CODES
from fastgmm.kernels import (GMMParameters, SufficientStatistics, m_step, score,
                             sufficient_statistics)

D_VALUES = (1, 3, 5, 6, 64, 127, 129)
N_VALUES = (1, 127, 129)
K_VALUES = (1, 33)
COV_TYPES = ("full", "tied", "diag", "spherical")
DTYPES = (np.float64, np.float32)
LAYOUTS = ("C", "F", "strided")
SHAPES = [(D, N, K) for D in D_VALUES for N in N_VALUES for K in K_VALUES]
N_MANY = 1024 + 129  # two chunks of _parallel's 1024 rows: both threads work
REG_COVAR = 1e-3
BLAS_MIN_D = 64  # FGMM_BLAS_MIN_D in csrc/fastgmm.h

# Relative tolerances against the float64 references.  float32 runs the whole pass
# in float32 (data, parameters rounded to float32, sums over a block of 128 rows).
TOL = {np.float64: 1e-11, np.float32: 2e-4}


@pytest.fixture(autouse=True, scope="module")
def _serial_numpy_blas():
    """The references' small matrix products: threaded BLAS only adds overhead
    (seconds per call on a busy 2-core runner)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _id(value):
    return getattr(value, "__name__", str(value))


def shape_id(shape):
    return "D{}-N{}-K{}".format(*shape)


# ------------------------------------------------------------------ test problems
Problem = namedtuple("Problem", "X sample_weight params L resp stats_w stats_u")
Stats = namedtuple("Stats", "loglik_sum weight_sum resp_entropy_sum nk s1 s2 "
                            "s1_mag s2_mag")


def _seed(*values):
    """A seed from the values (stable across runs, unlike hash())."""
    return zlib.crc32(repr(values).encode())


def make_params(rng, X, K, cov):
    """Broad components (even k) and sharp ones centred near data rows (odd k)."""
    N, D = X.shape
    means = 0.5 * rng.randn(K, D)
    sharp = np.arange(K) % 2 == 1
    rows = rng.randint(N, size=int(sharp.sum()))
    means[sharp] = X[rows] + 1e-3 * rng.randn(int(sharp.sum()), D)
    scale = np.where(sharp, 3.0, 0.5)
    if cov in ("full", "tied"):
        U = (np.triu(rng.randn(K, D, D) * 0.2 / np.sqrt(D), 1)
             + np.einsum("kd,de->kde", rng.uniform(0.8, 1.2, (K, D)), np.eye(D)))
        U *= scale[:, None, None]
        if cov == "tied":
            U = U[0] * 4.0  # 2.0 per feature: most rows are near one mean only
    elif cov == "diag":
        U = rng.uniform(0.8, 1.2, (K, D)) * scale[:, None]
    else:
        U = rng.uniform(0.8, 1.2, K) * scale
    weights = rng.uniform(0.5, 1.5, K)
    if K > 2:
        weights[-1] = 0.0  # switched off: log weight -inf
    return GMMParameters(weights / weights.sum(), means, U, cov)


def ref_weighted_logprob(X, weights, means, prec_chol, cov):
    """log w_k + sum(log diag U_k) - D/2 log 2pi - 1/2 ||(x - mu_k)^T U_k||^2."""
    N, D = X.shape
    K = means.shape[0]
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    out = np.empty((N, K))
    for k in range(K):
        d = X - means[k]
        if cov == "full":
            y, log_det = d @ prec_chol[k], np.log(np.diag(prec_chol[k])).sum()
        elif cov == "tied":
            y, log_det = d @ prec_chol, np.log(np.diag(prec_chol)).sum()
        elif cov == "diag":
            y, log_det = d * prec_chol[k], np.log(prec_chol[k]).sum()
        else:
            y, log_det = d * prec_chol[k], D * np.log(prec_chol[k])
        out[:, k] = log_w[k] + log_det - 0.5 * D * np.log(2 * np.pi) - 0.5 * (y * y).sum(1)
    return out


def ref_resp(L):
    return np.exp(L - logsumexp(L, axis=1, keepdims=True))


def ref_stats(X, L, resp, sw, shift, cov):
    """The statistics vector's fields by their definitions (plus error magnitudes)."""
    K, D = shift.shape
    rw = resp * sw[:, None]
    iu = np.triu_indices(D)
    s1 = np.empty((K, D))
    s1_mag = np.empty((K, D))
    S = D * (D + 1) // 2 if cov in ("full", "tied") else D
    s2 = np.empty((K, S))
    s2_mag = np.empty((K, S))
    for k in range(K):
        d = X - shift[k]
        s1[k] = rw[:, k] @ d
        s1_mag[k] = rw[:, k] @ np.abs(d)
        if S == D:
            s2[k] = rw[:, k] @ (d * d)
            s2_mag[k] = s2[k]
        else:
            s2[k] = ((d * rw[:, k, None]).T @ d)[iu]
            s2_mag[k] = ((np.abs(d) * rw[:, k, None]).T @ np.abs(d))[iu]
    with np.errstate(divide="ignore", invalid="ignore"):
        r_log_r = np.where(resp > 0, resp * np.log(resp), 0.0)
    return Stats(float(sw @ logsumexp(L, axis=1)), float(sw.sum()),
                 float(sw @ r_log_r.sum(1)), rw.sum(0), s1, s2, s1_mag, s2_mag)


@functools.lru_cache(maxsize=None)
def problem(D, N, K, cov):
    """Data exact in float32 and float64, parameters, and the float64 references."""
    rng = np.random.RandomState(_seed(D, N, K, cov))
    X = rng.randn(N, D).astype(np.float32).astype(np.float64)
    params = make_params(rng, X, K, cov)
    sw = rng.uniform(0.0, 2.0, N).astype(np.float32).astype(np.float64)  # exact too
    if N > 1:
        sw[0] = 0.0  # a zero-weight row is absent
    L = ref_weighted_logprob(X, params.weights, params.means, params.precisions_cholesky,
                             cov)
    resp = ref_resp(L)
    return Problem(X, sw, params, L, resp,
                   ref_stats(X, L, resp, sw, params.means, cov),
                   ref_stats(X, L, resp, np.ones(N), params.means, cov))


def as_layout(X, dtype, layout):
    """X (float64 values exact in dtype) in dtype and the given memory layout."""
    X = X.astype(dtype)
    N, D = X.shape
    if layout == "C":
        return np.ascontiguousarray(X)
    if layout == "F":
        return np.asfortranarray(X)
    big = np.full((2 * N, 2 * D), np.nan, dtype=dtype)  # wrong reads give NaN
    if layout == "strided":
        big[::2, ::2] = X
        return big[::2, ::2]
    if layout == "reversed":  # negative strides, the same logical rows
        big[::-2, ::-2] = X
        return big[::-2, ::-2]
    if layout == "misaligned":
        return misaligned(X)
    raise ValueError(layout)


def misaligned(a):
    """A C-contiguous copy of a at an odd byte offset (flags.aligned is False)."""
    buf = np.zeros(a.nbytes + 1, np.uint8)
    out = np.ndarray(a.shape, a.dtype, buffer=buf, offset=1)
    out[...] = a
    assert not out.flags.aligned
    return out


# ------------------------------------------------------------------ comparisons
def assert_close(got, ref, atol, what):
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    assert np.array_equal(np.isneginf(got), np.isneginf(ref)), f"{what}: -inf differ"
    fin = np.isfinite(ref)
    assert np.isfinite(got[fin]).all(), f"{what}: not finite"
    err = np.abs(got[fin] - ref[fin])
    atol = np.broadcast_to(atol, ref.shape)[fin]
    bad = err > atol
    assert not bad.any(), (f"{what}: {bad.sum()} of {bad.size} values off; worst "
                           f"error {err.max():.3g} (allowed there "
                           f"{atol[np.argmax(err - atol)]:.3g})")


def check_scores(outs, prob, dtype, what=""):
    """(weighted_logprob, resp, loglik, label) against the references."""
    wlp, resp, ll, label = outs
    tol = TOL[dtype]
    L = prob.L
    # float32: x, mu and U are rounded; the error scales with the terms summed
    atol_L = tol * (1.0 + np.abs(np.where(np.isfinite(L), L, 0.0)))
    assert_close(wlp, L, atol_L, what + "weighted_logprob")
    row_tol = atol_L.max(axis=1, keepdims=True)
    assert_close(resp, prob.resp, row_tol, what + "resp")
    assert_close(ll, logsumexp(L, axis=1), row_tol[:, 0], what + "loglik")
    label = np.asarray(label)
    assert label.dtype == np.int64 and label.shape == (L.shape[0],)
    # the most probable component, up to ties within the tolerance
    chosen = L[np.arange(L.shape[0]), label]
    assert (chosen >= L.max(axis=1) - 2 * row_tol[:, 0]).all(), what + "label"
    np.testing.assert_allclose(np.asarray(resp, np.float64).sum(1), 1.0,
                               rtol=0, atol=10 * tol)


def check_stats(st, ref, dtype, resp_entropy=True, what=""):
    tol = TOL[dtype]
    K, D = ref.s1.shape
    assert st.vector.dtype == np.float64
    assert np.isfinite(st.nk).all() and np.isfinite(st.s1).all() and np.isfinite(st.s2).all()
    # errors are relative to the sums of absolute terms; responsibilities carry the
    # error of the log-densities (up to tol * |L| for float32)
    scale = 1.0 if dtype == np.float64 else 10.0
    assert_close(st.weight_sum, ref.weight_sum, 1e-12 * ref.weight_sum, what + "weight")
    assert_close(st.loglik_sum, ref.loglik_sum, scale * tol * (1 + abs(ref.loglik_sum)),
                 what + "loglik_sum")
    assert_close(st.nk, ref.nk, scale * tol * (ref.nk + 1e-12), what + "nk")
    floor1 = 1e-12 * (ref.s1_mag.max() + 1)
    assert_close(st.s1, ref.s1, scale * tol * ref.s1_mag + floor1, what + "s1")
    floor2 = 1e-12 * (ref.s2_mag.max() + 1)
    assert_close(st.s2, ref.s2, scale * tol * ref.s2_mag + floor2, what + "s2")
    if resp_entropy:
        assert_close(st.resp_entropy_sum, ref.resp_entropy_sum,
                     scale * tol * (1 + ref.weight_sum * np.log(K) + abs(ref.loglik_sum)),
                     what + "resp_entropy_sum")
    else:
        assert np.isnan(st.resp_entropy_sum)


def ref_m_step(ref, shift, cov, eps):
    """The documented M-step applied to the reference statistics, with the error
    bound that the statistics' own tolerance (relative to s1_mag, s2_mag) implies."""
    K, D = ref.s1.shape
    nk = ref.nk + 10 * eps
    d = ref.s1 / nk[:, None]
    means = shift + d
    mean_err = 2 * ref.s1_mag / nk[:, None]
    if cov in ("full", "tied"):
        iu = np.triu_indices(D)
        S2 = np.zeros((K, D, D))
        S2[:, iu[0], iu[1]] = ref.s2
        S2[:, iu[1], iu[0]] = ref.s2
        M2 = np.zeros((K, D, D))
        M2[:, iu[0], iu[1]] = ref.s2_mag
        M2[:, iu[1], iu[0]] = ref.s2_mag
        scatter = S2 - nk[:, None, None] * d[:, :, None] * d[:, None, :]
        err = 2 * M2 + 4 * np.abs(d)[:, :, None] * ref.s1_mag[:, None, :]
        if cov == "full":
            covs, cov_err = scatter / nk[:, None, None], err / nk[:, None, None]
        else:
            covs, cov_err = scatter.sum(0) / nk.sum(), err.sum(0) / nk.sum()
        covs[..., np.arange(D), np.arange(D)] += REG_COVAR
    else:
        covs = ref.s2 / nk[:, None] - d * d + REG_COVAR
        cov_err = (2 * ref.s2_mag + 4 * np.abs(d) * ref.s1_mag) / nk[:, None]
        if cov == "spherical":
            covs, cov_err = covs.mean(1), cov_err.mean(1)
    return nk / nk.sum(), means, mean_err, covs, cov_err


def check_m_step(st, ref, cov, dtype):
    new, covs = m_step(st, reg_covar=REG_COVAR)
    assert isinstance(new, GMMParameters) and new.covariance_type == cov
    w_ref, means_ref, mean_err, covs_ref, cov_err = ref_m_step(ref, st.shift, cov, st.eps)
    tol = TOL[dtype] * (1.0 if dtype == np.float64 else 10.0)
    assert_close(new.weights, w_ref, tol * w_ref + 1e-15, "m_step weights")
    assert_close(new.means, means_ref, tol * mean_err + 1e-12 * (1 + np.abs(means_ref)),
                 "m_step means")
    assert_close(covs, covs_ref, tol * cov_err + 1e-12 * (1 + np.abs(covs_ref)),
                 "m_step covariances")
    for arr in (new.weights, new.means, new.precisions_cholesky):
        assert np.isfinite(arr).all()
    return new


def bitwise_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ------------------------------------------------------------------ kernels
def _score_pass(X, packed, cov, n_threads, use_blas):
    """_core.score_pass with every output (in X's dtype, or float64 for a core
    that writes float64)."""
    N, K = X.shape[0], packed[3].shape[0]
    for out_dtype in (X.dtype, np.float64):
        outs = dict(weighted_logprob=np.empty((N, K), out_dtype),
                    resp=np.empty((N, K), out_dtype), loglik=np.empty(N, out_dtype),
                    label=np.empty(N, np.int64))
        try:
            _core.score_pass(X, *packed, COV_CODES[cov], n_threads, use_blas=use_blas,
                             **outs)
        except ValueError as exc:
            if "dtype" in str(exc) and out_dtype != np.float64:
                continue
            raise
        return tuple(outs.values())
    raise AssertionError("unreachable")


def _em_pass(X, sw, packed, cov, n_threads, use_blas):
    return _core.em_pass(X, sw, *packed, COV_CODES[cov], n_threads, use_blas=use_blas,
                         resp_entropy=True)


ALL_OUTPUTS = dict(weighted_logprob=True, resp=True, loglik=True, label=True)


@pytest.mark.parametrize("dtype", DTYPES, ids=_id)
@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=shape_id)
def test_kernels_match_numpy(shape, cov, dtype):
    """score, sufficient_statistics and m_step against the definitions; the same
    bits for every layout of X; the C passes read strided and negatively strided
    views in place; at D >= 64 the C loops (no BLAS) match the definitions too."""
    D, N, K = shape
    prob = problem(D, N, K, cov)
    sw = prob.sample_weight
    views = {layout: as_layout(prob.X, dtype, layout)
             for layout in LAYOUTS + ("reversed", "misaligned")}
    copies = {layout: X.copy() for layout, X in views.items()}

    # the public API on C order, against NumPy
    X = views["C"]
    outs = score(X, prob.params, n_threads=1, **ALL_OUTPUTS)
    check_scores(outs, prob, dtype)
    st = sufficient_statistics(X, prob.params, sample_weight=sw, n_threads=1,
                               resp_entropy=True)
    check_stats(st, prob.stats_w, dtype)
    st_u = sufficient_statistics(X, prob.params, n_threads=1)
    check_stats(st_u, prob.stats_u, dtype, resp_entropy=False)
    new = check_m_step(st, prob.stats_w, cov, dtype)
    (ll_new,) = score(X, new, loglik=True)  # the new parameters score finitely
    assert np.isfinite(ll_new).all()

    # the same bits for every layout and thread count (with a single chunk the
    # second thread idles: test_one_and_two_threads_bitwise_equal has many chunks)
    # (strided: copied to C order; misaligned: X and the sample weights at an odd
    # byte offset, which the C core must never load from)
    for layout, n_threads in (("F", 2), ("strided", 1), ("misaligned", 1)):
        where = f"{layout}, {n_threads} thread(s)"
        o = score(views[layout], prob.params, n_threads=n_threads, **ALL_OUTPUTS)
        assert all(bitwise_equal(a, b) for a, b in zip(outs, o)), where
        w = misaligned(sw) if layout == "misaligned" else sw
        s = sufficient_statistics(views[layout], prob.params, sample_weight=w,
                                  n_threads=n_threads, resp_entropy=True)
        assert bitwise_equal(st.vector, s.vector), where
    packed = prob.params.pack(dtype)
    for layout, n_threads in (("strided", 2), ("reversed", 1)):  # read in place
        where = f"C passes, {layout}, {n_threads} thread(s)"
        o = _score_pass(views[layout], packed, cov, n_threads, True)
        assert all(bitwise_equal(a, b) for a, b in zip(outs, o)), where
        vec = _em_pass(views[layout], sw, packed, cov, n_threads, True)
        assert bitwise_equal(st.vector, vec), where

    if D >= BLAS_MIN_D and cov in ("full", "tied"):
        # full/tied at D >= FGMM_BLAS_MIN_D used trmm/syrk above: the C loops too
        o = _score_pass(views["reversed"], packed, cov, 1, False)
        vec = _em_pass(views["reversed"], sw, packed, cov, 2, False)
        check_scores(o, prob, dtype, what="C loops: ")
        check_stats(SufficientStatistics(vec, st.shift, cov, st.eps), prob.stats_w,
                    dtype, what="C loops: ")
        o2 = _score_pass(views["F"], packed, cov, 2, False)
        assert all(bitwise_equal(a, b) for a, b in zip(o, o2))
        assert bitwise_equal(vec, _em_pass(views["F"], sw, packed, cov, 1, False))

    for layout, Xl in views.items():  # inputs untouched
        assert np.array_equal(Xl, copies[layout], equal_nan=True), layout


# ------------------------------------------------------------------ threads
# (D, K) over N_MANY rows: several chunks of _parallel's 1024 rows and an odd tail
THREAD_SHAPES = [(1, 33), (5, 33), (129, 3)]


@pytest.mark.parametrize("dtype", DTYPES, ids=_id)
@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("D, K", THREAD_SHAPES, ids=lambda v: str(v))
def test_one_and_two_threads_bitwise_equal(D, K, cov, dtype):
    """1 and 2 threads (and every layout) give the same bits, and the right ones."""
    rng = np.random.RandomState(_seed(D, K, cov, "threads"))
    X64 = rng.randn(N_MANY, D).astype(np.float32).astype(np.float64)
    params = make_params(rng, X64, K, cov)
    sw = rng.uniform(0, 2, N_MANY).astype(np.float32).astype(np.float64)
    centers = np.ascontiguousarray(X64[rng.choice(N_MANY, K, replace=False)], dtype)
    packed = params.pack(dtype)
    use_blas_values = ((True, False) if D >= BLAS_MIN_D and cov in ("full", "tied")
                       else (True,))
    layouts = ("C", "F", "strided", "reversed") if D < BLAS_MIN_D else ("F", "reversed")
    first = {}
    for layout in layouts:
        X = as_layout(X64, dtype, layout)
        for n_threads in (1, 2):
            res = []
            for use_blas in use_blas_values:
                res.append(_em_pass(X, sw, packed, cov, n_threads, use_blas))
                res.extend(_score_pass(X, packed, cov, n_threads, use_blas))
            label = np.empty(N_MANY, np.int32)
            dist = np.empty(N_MANY)
            res.append(_core.kmeans_pass(X, centers, sw, label, dist, n_threads))
            res += [label, dist]
            md = np.full(N_MANY, np.inf)
            res.append(_core.nearest_pass(X, centers[:1], sw, md, True, n_threads))
            res.append(md)
            if not first:
                first = {"res": res, "where": f"{layout}, {n_threads} thread(s)"}
                continue
            for i, (a, b) in enumerate(zip(first["res"], res)):
                assert bitwise_equal(a, b), (i, first["where"], layout, n_threads)
    vec = first["res"][0]
    assert np.isfinite(vec).all()
    # and against the definition (loglik_sum, nk), so the bits are also right
    L = ref_weighted_logprob(X64, params.weights, params.means,
                             params.precisions_cholesky, cov)
    ref = ref_stats(X64, L, ref_resp(L), sw, params.means, cov)
    tol = TOL[dtype] * (1.0 if dtype == np.float64 else 10.0)
    np.testing.assert_allclose(vec[0], ref.loglik_sum, rtol=tol)
    np.testing.assert_allclose(vec[3:3 + K], ref.nk, rtol=tol, atol=1e-12)


# ------------------------------------------------------------------ k-means
def ref_sq_dist(X, centers):
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(-1)


@pytest.mark.parametrize("layout", ("C", "F", "strided", "reversed"))
@pytest.mark.parametrize("dtype", DTYPES, ids=_id)
@pytest.mark.parametrize("shape", SHAPES, ids=shape_id)
def test_kmeans_kernels_match_numpy(shape, dtype, layout):
    D, N, K = shape
    prob = problem(D, N, K, "diag")
    rng = np.random.RandomState(_seed(D, N, K, "kmeans"))
    X = as_layout(prob.X, dtype, layout)
    centers = np.ascontiguousarray(
        (0.7 * rng.randn(K, D)).astype(dtype))  # exact in dtype
    c64 = centers.astype(np.float64)
    sw = prob.sample_weight
    d2 = ref_sq_dist(prob.X, c64)
    tol = TOL[dtype] * 10
    dtol = tol * (1 + d2.max(axis=1))

    label = np.full(N, -7, np.int32)
    dist = np.full(N, np.nan)
    part = _core.kmeans_pass(X, centers, sw, label, dist, 1)
    assert ((label >= 0) & (label < K)).all()
    chosen = d2[np.arange(N), label]
    assert (chosen <= d2.min(axis=1) + dtol).all()  # nearest, up to ties
    assert_close(dist, chosen, dtol, "min_dist")
    assert_close(part[0], sw @ chosen, tol * (1 + sw @ d2.max(axis=1)), "inertia")
    counts = np.bincount(label, weights=sw, minlength=K)
    sums = np.zeros((K, D))
    np.add.at(sums, label, sw[:, None] * prob.X)
    assert_close(part[1:1 + K], counts, 1e-12 * (1 + counts), "counts")
    assert_close(part[1 + K:].reshape(K, D), sums,
                 1e-12 * (1 + np.abs(sw[:, None] * prob.X).sum()), "sums")
    label2 = np.empty(N, np.int32)
    part2 = _core.kmeans_pass(X, centers, None, label2, None, 2)  # unweighted
    assert np.array_equal(label, label2)
    assert_close(part2[0], chosen.sum(), tol * (1 + d2.max(axis=1).sum()), "inertia")

    # nearest_pass: the k-means++ potential, in float64 from X's values
    min_dist = np.where(rng.rand(N) < 0.5, np.inf, rng.uniform(0, 2 * D, N))
    before = min_dist.copy()
    m = np.minimum(before, ref_sq_dist(prob.X, c64[:1])[:, 0])
    pot = _core.nearest_pass(X, centers[:1], sw, min_dist, False, 1)[0]
    assert np.array_equal(min_dist, before, equal_nan=True)
    assert_close(pot, sw @ m, 1e-12 * (1 + sw @ m), "potential")
    pot = _core.nearest_pass(X, centers[:1], None, min_dist, True, 2)[0]
    assert_close(pot, m.sum(), 1e-12 * (1 + m.sum()), "potential")
    assert_close(min_dist, m, 1e-12 * (1 + m), "updated min_dist")


# ------------------------------------------------------------------ the estimator
ESTIMATOR_LAYOUTS = LAYOUTS + ("misaligned",)
ESTIMATOR_CASES = [
    pytest.param(shape, cov, dtype, layout,
                 id=f"{shape_id(shape)}-{cov}-{_id(dtype)}-{layout}")
    for i, shape in enumerate(SHAPES) for j, cov in enumerate(COV_TYPES)
    for t, dtype in enumerate(DTYPES)
    for layout in [ESTIMATOR_LAYOUTS[(i + j + t) % len(ESTIMATOR_LAYOUTS)]]
    if shape[1] >= max(2, shape[2])
]


@pytest.mark.filterwarnings("ignore::UserWarning")  # ConvergenceWarning (max_iter)
@pytest.mark.parametrize("shape, cov, dtype, layout", ESTIMATOR_CASES)
def test_estimator_on_odd_shapes(shape, cov, dtype, layout):
    D, N, K = shape
    prob = problem(D, N, K, cov)
    X = as_layout(prob.X, dtype, layout)
    init = "kmeans" if (D + K + N) % 2 else "random_from_data"
    gm = GaussianMixture(K, covariance_type=cov, init_params=init, reg_covar=REG_COVAR,
                         max_iter=3, random_state=0).fit(X)
    assert np.isfinite(gm.lower_bound_)
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.isfinite(getattr(gm, name)).all(), name
    proba = gm.predict_proba(X)
    ss = gm.score_samples(X)
    L = ref_weighted_logprob(prob.X, gm.weights_.astype(np.float64),
                             gm.means_.astype(np.float64),
                             gm.precisions_cholesky_.astype(np.float64), cov)
    tol = TOL[dtype]
    atol = tol * (1 + np.abs(L).max(axis=1))
    assert_close(ss, logsumexp(L, axis=1), atol, "score_samples")
    assert_close(proba, ref_resp(L), atol[:, None], "predict_proba")
    labels = gm.predict(X)
    assert (L[np.arange(N), labels] >= L.max(axis=1) - 2 * atol).all()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("cov", COV_TYPES)
@pytest.mark.parametrize("dtype", DTYPES, ids=_id)
def test_estimator_threads_bitwise_equal(cov, dtype):
    rng = np.random.RandomState(_seed(cov, "estimator-threads"))
    centers = 10 * rng.randn(5, 7)
    X = np.asfortranarray((centers[rng.randint(5, size=N_MANY)]
                           + rng.randn(N_MANY, 7)).astype(dtype))
    fits = [GaussianMixture(5, covariance_type=cov, init_params="k-means++",
                            reg_covar=REG_COVAR, max_iter=3, random_state=0,
                            n_threads=n).fit(X) for n in (1, 2)]
    for name in ("weights_", "means_", "precisions_cholesky_", "lower_bound_"):
        assert bitwise_equal(getattr(fits[0], name), getattr(fits[1], name)), name


# ------------------------------------------------------------------ which build ran
def test_the_expected_build_is_imported():
    """.ci/sanitize sets FASTGMM_EXPECT_ROOT: the sanitized copy must be the one
    under test, not an installed (or editable) normal build."""
    root = os.environ.get("FASTGMM_EXPECT_ROOT")
    if root is None:
        return
    root = os.path.realpath(root)
    for mod in (fastgmm, _core):
        assert os.path.realpath(mod.__file__).startswith(root + os.sep), mod.__file__
