"""The register-tiled k-means kernels against NumPy: every tail of the cluster tiles
(K = 1 .. 17), odd feature counts, both dtypes, C and Fortran order, ties."""
import numpy as np
import pytest

from fastgmm import _core
from fastgmm.kernels import COV_CODES, GMMParameters

DTYPES = [np.float64, np.float32]


def _reference(X, C, w):
    d = ((X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None]) ** 2).sum(-1)
    return d


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [1, 2, 3, 4, 5, 7, 8, 9, 13, 17])
@pytest.mark.parametrize("D", [1, 2, 3, 9, 17])
@pytest.mark.parametrize("order", ["C", "F"])
def test_kmeans_pass_matches_numpy(dtype, K, D, order):
    rng = np.random.RandomState(K * 100 + D)
    N = 517
    X = np.asarray(rng.randn(N, D) * 3, dtype=dtype, order=order)
    C = np.ascontiguousarray(rng.randn(K, D) * 3, dtype=dtype)
    w = rng.uniform(0, 2, N)
    lab, md = np.empty(N, np.int32), np.empty(N)
    part = _core.kmeans_pass(X, C, w, lab, md, 2)
    d = _reference(X, C, w)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    ref_lab = d.argmin(1)
    near_tie = np.sort(d, 1)[:, :2] if K > 1 else None
    ok = lab == ref_lab
    if K > 1:   # labels may differ only where the two best distances tie to round-off
        gap = near_tie[:, 1] - near_tie[:, 0]
        assert (ok | (gap <= 10 * rtol * (near_tie[:, 1] + 1))).all()
    np.testing.assert_allclose(md, d[np.arange(N), lab], rtol=10 * rtol, atol=1e-300)
    inertia, counts, sums = part[0], part[1:1 + K], part[1 + K:].reshape(K, D)
    np.testing.assert_allclose(inertia, (w * md).sum(), rtol=1e-12)
    np.testing.assert_allclose(counts, np.bincount(lab, w, minlength=K), rtol=1e-12)
    ref_sums = np.zeros((K, D))
    np.add.at(ref_sums, lab, w[:, None] * X.astype(np.float64))
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kmeans_ties_go_to_the_first_cluster(dtype):
    X = np.zeros((300, 3), dtype)
    C = np.zeros((11, 3), dtype)          # every cluster at the same distance
    lab = np.empty(300, np.int32)
    _core.kmeans_pass(X, C, None, lab, None, 1)
    assert (lab == 0).all()
    C[7] = 0.5                            # a unique farther one changes nothing
    C[:7] = 1
    _core.kmeans_pass(X, C, None, lab, None, 1)
    assert (lab == 8).all()               # first of the equal minima 8, 9, 10


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("D", [1, 2, 5, 8, 33])
@pytest.mark.parametrize("layout", ["C", "F", "rows[::3]"])
def test_nearest_pass_matches_numpy(dtype, D, layout):
    rng = np.random.RandomState(D)
    N = 1037
    X = np.asarray(rng.randn(3 * N if layout == "rows[::3]" else N, D) * 2, dtype=dtype,
                   order="F" if layout == "F" else "C")
    if layout == "rows[::3]":
        X = X[::3]
    w = rng.uniform(0, 2, N)
    md = np.full(N, np.inf)
    for c in range(4):
        center = np.ascontiguousarray(X[rng.randint(N)][None])
        before = md.copy()
        pot = _core.nearest_pass(X, center, w, md, c % 2 == 0, 2)[0]
        d = ((X.astype(np.float64) - center.astype(np.float64)) ** 2).sum(1)
        m = np.minimum(before, d)
        np.testing.assert_allclose(pot, (w * m).sum(), rtol=1e-12)
        # equal to round-off (the kernel may fuse multiply-adds)
        np.testing.assert_allclose(md, m if c % 2 == 0 else before, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_threads", [1, 2, 3])
def test_nearest_pass_candidates_share_one_pass(dtype, n_threads):
    """The seeding's trials in one call: each candidate's potential bitwise what a
    call of its own gives, min_dist untouched; update takes one candidate only."""
    rng = np.random.RandomState(0)
    X = (rng.randn(5000, 7) * 3).astype(dtype)
    w = rng.uniform(0, 2, X.shape[0])
    md = np.minimum(np.full(X.shape[0], np.inf), rng.uniform(0, 50, X.shape[0]))
    before = md.copy()
    cands = np.ascontiguousarray(X[rng.randint(X.shape[0], size=5)])
    pots = _core.nearest_pass(X, cands, w, md, False, n_threads)
    assert pots.shape == (5,)
    for t in range(5):
        one = _core.nearest_pass(X, cands[t:t + 1], w, md, False, n_threads)
        assert one[0] == pots[t]
    assert np.array_equal(md, before)
    with pytest.raises(ValueError, match="exactly one candidate"):
        _core.nearest_pass(X, cands, w, md, True, n_threads)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("K", [1, 3, 8, 9])
def test_score_labels_are_the_first_argmax(dtype, K):
    rng = np.random.RandomState(K)
    D, N = 3, 300
    X = np.asarray(rng.randn(N, D), dtype)
    means = rng.randn(K, D)
    means[K // 2] = means[0]             # duplicate components: ties resolve to the first
    p = GMMParameters(np.full(K, 1.0 / K), means, np.ones((K, D)), "diag")
    hi, lo, prec, log_norm = p.pack(dtype)
    wlp, lab = np.empty((N, K), dtype), np.empty(N, np.int64)
    _core.score_pass(X, hi, lo, prec, log_norm, COV_CODES["diag"], 2,
                     weighted_logprob=wlp, label=lab)
    np.testing.assert_array_equal(lab, wlp.argmax(1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cov", ["full", "diag"])
@pytest.mark.parametrize("weighted", [False, True])
def test_em_pass_hard_centers_gives_the_partition_moments(dtype, cov, weighted):
    """em_pass's hard-assignment mode (the k-means initialisation's moments): each
    row counts for its nearest centre only, moments around the given shifts."""
    rng = np.random.RandomState(3)
    N, D, K = 3001, 7, 5
    X = (rng.randn(N, D) * 2 + rng.randint(0, 4, (N, 1)) * 6).astype(dtype)
    w = rng.uniform(0, 2, N) if weighted else None
    centers = np.ascontiguousarray(X[rng.choice(N, K, replace=False)])
    shift = centers.astype(np.float64) + rng.randn(K, D) * 0.1
    hi = np.ascontiguousarray(shift, dtype=dtype)
    lo = np.ascontiguousarray(shift - hi.astype(np.float64), dtype=dtype)
    code = COV_CODES[cov]
    prec = np.ones(K * D * (D if cov == "full" else 1), dtype=dtype)
    vec = _core.em_pass(X, w, hi, lo, prec, np.zeros(K, dtype), code, 2,
                        hard_centers=centers)
    lay = _core.stats_layout(D, K, code)
    part = {f: vec[v[0]:v[1]] for f, v in lay.items() if f != "size"}
    X64 = X.astype(np.float64)
    labels = np.argmin(((X64[:, None, :] - centers.astype(np.float64)[None]) ** 2)
                       .sum(-1), axis=1)
    ww = np.ones(N) if w is None else w
    iu = np.triu_indices(D)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    tol_w = 1e-12 if dtype == np.float64 else 1e-6  # weights are read in X's dtype
    assert part["loglik_sum"][0] == 0
    np.testing.assert_allclose(part["weight_sum"][0], ww.sum(), rtol=tol_w)
    for k in range(K):
        sel = labels == k
        d = X64[sel] - shift[k]
        r = ww[sel]
        np.testing.assert_allclose(part["nk"][k], r.sum(), rtol=tol_w)
        s1 = part["s1"].reshape(K, D)[k]
        np.testing.assert_allclose(s1, r @ d, rtol=tol, atol=tol * np.abs(d).sum())
        want = ((d * r[:, None]).T @ d)[iu] if cov == "full" else r @ (d * d)
        got = part["s2"].reshape(K, -1)[k]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (r @ (d * d)).sum())
    with pytest.raises(ValueError, match="hard_centers must have shape"):
        _core.em_pass(X, w, hi, lo, prec, np.zeros(K, dtype), code, 2,
                      hard_centers=np.ascontiguousarray(centers[:-1]))


@pytest.mark.parametrize("n", [1, 7, 4096, 4097, 20_000])
def test_sample_by_mass_equals_one_cumulative_search(n):
    """The k-means++ step's two-level search picks what a search of the whole
    cumulative sum picks, and never a row of zero mass (a centre already chosen)."""
    from fastgmm._init import _sample_by_mass
    rng = np.random.RandomState(n)
    mass = rng.exponential(size=n)
    mass[rng.rand(n) < 0.4] = 0
    mass[0] = 0 if n > 1 else 1.0
    cum = np.cumsum(mass)
    targets = np.concatenate([rng.uniform(size=200) * cum[-1], [0.0, cum[-1] * (1 - 1e-16)]])
    want = np.minimum(np.searchsorted(cum, targets, side="right"), n - 1)
    got = _sample_by_mass(mass, targets)
    assert np.array_equal(got, want)
    assert (mass[got] > 0).all()


def test_sample_by_mass_past_the_total_takes_the_last_row_of_mass():
    from fastgmm._init import _sample_by_mass
    mass = np.concatenate([np.ones(8192), np.zeros(1808)])
    got = _sample_by_mass(mass, np.array([mass.sum(), mass.sum() * 2, 8191.5]))
    assert got.tolist() == [8191, 8191, 8191]
