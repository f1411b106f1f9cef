"""The parallel pass scheduler (fastgmm/_parallel.pyx): one OpenMP region per pass,
chunks claimed in order, partials in a ring of slots reduced in chunk order.

Results must be BITWISE the same for 1, 2, 3 and 4 threads (more threads than this
machine's cores is fine for correctness), for small partials (deep ring) and large
ones (a ring of threads + 1 slots, forced here through the testing hook so that the
suite stays fast, plus one genuinely large partial), both dtypes, every covariance
type, EM statistics, fits, scores and the k-means initialiser; the total is exactly
the chunk-ordered sum of the 1024-row chunks' statistics.
"""
import _thread
import threading
import time
import warnings
from contextlib import contextmanager
from functools import reduce

import numpy as np
import pytest

import fastgmm
from fastgmm import GaussianMixture
from fastgmm import _parallel
from fastgmm.kernels import GMMParameters, sufficient_statistics

from conftest import make_blobs

COV_TYPES = ["full", "tied", "diag", "spherical"]
THREADS = (1, 2, 3, 4)
CHUNK = 1024
ATTRS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
         "lower_bound_", "n_iter_")

needs_openmp = pytest.mark.skipif(
    not fastgmm.openmp_enabled(),
    reason="serial build: every thread count is 1 (CI requires OpenMP)")


@contextmanager
def limits(**kw):
    """Run with other scheduler limits (PARTIAL_BUDGET, MAX_SLOTS, ...)."""
    old = _parallel._set_limits(**kw)
    try:
        yield
    finally:
        _parallel._set_limits(*old)


# a ring of exactly threads + 1 slots (what a partial above the 32 MiB budget gets)
tight_ring = dict(partial_budget=0, max_slots=1)


def _params(X, k, cov, seed=0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = GaussianMixture(k, covariance_type=cov, max_iter=2, random_state=seed,
                            n_threads=1).fit(X[:4000])
    return GMMParameters(g.weights_, g.means_, g.precisions_cholesky_, cov)


def _bits(a):
    a = np.asarray(a)
    return a.dtype, a.shape, a.tobytes()


# ----------------------------------------------------------------------- the plan
def test_plan_chunks_depend_on_rows_only_and_memory_is_bounded():
    budget = 32 * 1024 * 1024
    for n_rows in (1, 1023, 1024, 1025, 6000, 100_000, 1_000_001):
        plans = {t: _parallel.plan_pass(n_rows, 51, t) for t in (1, 2, 3, 16, 64)}
        assert {p[:2] for p in plans.values()} == {(CHUNK, -(-n_rows // CHUNK))}
        for t, (rows, n_chunks, threads, slots) in plans.items():
            assert threads == max(1, min(t, n_chunks))
            assert 1 <= slots <= n_chunks
    # every thread gets a partial whatever its size: no cap on the threads in flight
    for d, k in [(384, 64), (256, 32), (128, 32), (16, 16), (2, 8)]:
        length = k * (1 + d + d * (d + 1) // 2) + 3
        for t in (2, 4, 16):
            rows, n_chunks, threads, slots = _parallel.plan_pass(100_000, length, t)
            assert threads == t
            assert slots >= t + 1
            assert slots * length * 8 <= max(budget, (t + 1) * length * 8)
        assert _parallel.plan_pass(100_000, length, 1)[3] == 1
    # map passes keep no partials
    assert _parallel.plan_pass(100_000, 0, 4)[3] == 0


# ------------------------------------------------------------ statistics, bitwise
@needs_openmp
@pytest.mark.parametrize("ring", ["deep", "tight"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_statistics_are_bitwise_the_chunk_ordered_sum_for_any_threads(cov, dtype, ring):
    X = make_blobs(20 * CHUNK + 77, 5, 4, seed=3).astype(dtype)
    w = np.random.RandomState(2).uniform(0.1, 3.0, size=len(X))
    params = _params(X, 4, cov)
    chunks = [sufficient_statistics(X[a:a + CHUNK], params, sample_weight=w[a:a + CHUNK],
                                    n_threads=1) for a in range(0, len(X), CHUNK)]
    ordered = reduce(lambda a, b: a + b, chunks).vector
    with limits(**(tight_ring if ring == "tight" else {})):
        for t in THREADS:
            whole = sufficient_statistics(X, params, sample_weight=w, n_threads=t)
            assert _bits(whole.vector) == _bits(ordered), t


@needs_openmp
def test_a_genuinely_large_partial_is_bitwise_the_same_for_any_threads():
    """D=256, K=32 full: an 8.5 MB partial (3 fit the 32 MiB budget, so 4 threads get
    a ring of 5); 3 chunks, so 4 threads are more than there are chunks."""
    X = make_blobs(2100, 256, 32, seed=5).astype(np.float32)
    params = _params(X, 32, "full")
    assert _parallel.plan_pass(len(X), 32 * (1 + 256 + 256 * 257 // 2) + 3, 2)[3] == 3
    ref = _bits(sufficient_statistics(X, params, n_threads=1).vector)
    for t in THREADS[1:]:
        assert _bits(sufficient_statistics(X, params, n_threads=t).vector) == ref, t


@needs_openmp
def test_a_tight_ring_with_many_more_threads_than_cores_makes_threads_wait():
    """Threads + 1 slots and 8 threads on (here) 2 cores: threads wait for slots
    behind preempted stragglers, and the result still does not change a bit."""
    X = make_blobs(300 * CHUNK, 3, 6, seed=8)
    params = _params(X, 6, "full")
    ref = _bits(sufficient_statistics(X, params, n_threads=1).vector)
    with limits(**tight_ring):
        for _ in range(3):
            assert _bits(sufficient_statistics(X, params, n_threads=8).vector) == ref
    assert _parallel.last_pass_waits() >= 0  # a diagnostic; waits are not guaranteed


# ------------------------------------------------------------------ whole fits
@needs_openmp
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_fits_scores_and_kmeans_init_are_bitwise_the_same_for_any_threads(cov, dtype):
    X = make_blobs(12_000, 6, 5, seed=9).astype(dtype)
    w = np.random.RandomState(4).uniform(size=len(X))
    fits = []
    with limits(**tight_ring):
        for t in THREADS:
            g = GaussianMixture(5, covariance_type=cov, random_state=0, n_threads=t,
                                max_iter=8, init_params="kmeans")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g.fit(X, sample_weight=w)
            fits.append((g, _bits(g.score_samples(X)), _bits(g.predict_proba(X))))
    g0, s0, p0 = fits[0]
    for g, s, p in fits[1:]:
        for attr in ATTRS:
            assert _bits(getattr(g, attr)) == _bits(getattr(g0, attr)), (attr, g.n_threads)
        assert s == s0 and p == p0


# ------------------------------------------------------------------ signals
def test_ctrl_c_interrupts_inside_one_long_pass():
    """One pass (one parallel region) of a few seconds: the calling thread checks
    for signals between its chunks, so KeyboardInterrupt comes long before the end."""
    X = np.random.RandomState(0).randn(400_000, 32)
    params = _params(X, 32, "full")
    t0 = time.perf_counter()
    sufficient_statistics(X, params)
    one_pass = time.perf_counter() - t0
    X = np.concatenate([X] * 8)  # ~8 passes' worth in one pass
    timer = threading.Timer(0.2, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        sufficient_statistics(X, params)
    elapsed = time.perf_counter() - t0
    timer.join()
    assert elapsed < 0.2 + max(1.0, 2 * one_pass), (elapsed, one_pass)
    # the scheduler is left usable
    assert np.isfinite(sufficient_statistics(X[:5000], params).loglik_sum)


def test_passes_in_other_python_threads_do_not_take_the_gil_for_signals():
    """A pass in a non-main thread never checks signals (Python would not run the
    handlers there) and gives the same bits as in the main thread."""
    X = make_blobs(30 * CHUNK, 4, 3, seed=1)
    params = _params(X, 3, "diag")
    ref = _bits(sufficient_statistics(X, params).vector)
    out = []
    th = threading.Thread(target=lambda: out.append(
        _bits(sufficient_statistics(X, params).vector)))
    th.start()
    th.join()
    assert out == [ref]


# ------------------------------------------------------------ thread-count policy
def _cgroup_tree(tmp_path, proc_line, files):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "proc").write_text(proc_line + "\n")
    for rel, text in files.items():
        f = tmp_path / "sys" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return str(tmp_path / "proc"), str(tmp_path / "sys")


def test_cgroup_cpu_quota_is_read_for_v2_and_v1(tmp_path):
    from fastgmm._openmp import cgroup_cpu_limit
    # v2: the smallest quota on the way up counts; "max" is no quota
    proc, root = _cgroup_tree(tmp_path / "a", "0::/outer/inner", {
        "cpu.max": "max 100000", "outer/cpu.max": "250000 100000",
        "outer/inner/cpu.max": "max 100000"})
    assert cgroup_cpu_limit(proc, root) == 2.5
    proc, root = _cgroup_tree(tmp_path / "b", "0::/", {"cpu.max": "max 100000"})
    assert cgroup_cpu_limit(proc, root) is None
    # v1: cfs quota / period, -1 is no quota
    proc, root = _cgroup_tree(tmp_path / "c", "4:cpu,cpuacct:/docker/abc", {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "150000",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
        "cpu,cpuacct/cpu.cfs_quota_us": "-1", "cpu,cpuacct/cpu.cfs_period_us": "100000"})
    assert cgroup_cpu_limit(proc, root) == 1.5
    assert cgroup_cpu_limit(str(tmp_path / "missing"), root) is None


def test_default_threads_respect_a_cpu_quota_unless_omp_num_threads_is_set(monkeypatch):
    from fastgmm import _openmp
    monkeypatch.setattr(_openmp, "_quota_threads", 1)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert _openmp.effective_n_threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert _openmp.effective_n_threads() >= 1  # OpenMP's own answer, quota ignored
    assert _openmp.effective_n_threads(3) == (3 if fastgmm.openmp_enabled() else 1)
