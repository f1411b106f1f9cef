"""pytest-benchmark suite for fastgmm's kernels and estimator.

    pytest benchmarks/ --benchmark-only                 # full grid (minutes)
    FASTGMM_BENCH_SMOKE=1 pytest benchmarks/ --benchmark-disable   # runs each once, tiny

Grid: N x (D, K) x covariance type x dtype for one fused EM pass, score_samples,
predict_proba and the k-means initialiser.  Timings are for humans to compare (e.g.
with --benchmark-compare); no assertion is made on them.
"""
import os

import numpy as np
import pytest

from fastgmm import GaussianMixture
from fastgmm._init import kmeans
from fastgmm.kernels import score, sufficient_statistics

SMOKE = os.environ.get("FASTGMM_BENCH_SMOKE") == "1"
NS = [2_000] if SMOKE else [100_000, 1_000_000]
DKS = [(2, 4), (8, 4)] if SMOKE else [(2, 8), (8, 16), (16, 16), (64, 16)]
COVS = ["full", "tied", "diag", "spherical"]
DTYPES = ["float64", "float32"]

_cache = {}


def _problem(n, d, k, cov, dtype):
    key = (n, d, k, cov, dtype)
    if key not in _cache:
        rng = np.random.RandomState(0)
        X = (rng.randn(k, d)[rng.randint(k, size=n)] * 3 + rng.randn(n, d)).astype(dtype)
        g = GaussianMixture(k, covariance_type=cov, max_iter=2, random_state=0,
                            init_params="random_from_data").fit(X[:20_000])
        _cache.clear()
        _cache[key] = (X, g)
    return _cache[key]


grid = pytest.mark.parametrize("n", NS)
grid_dk = pytest.mark.parametrize("d,k", DKS)
grid_cov = pytest.mark.parametrize("cov", COVS)
grid_dtype = pytest.mark.parametrize("dtype", DTYPES)


def full_grid(f):
    return grid(grid_dk(grid_cov(grid_dtype(f))))


@full_grid
def test_fused_em_pass(benchmark, n, d, k, cov, dtype):
    X, g = _problem(n, d, k, cov, dtype)
    stats = benchmark(sufficient_statistics, X, g._kernel_params())
    assert np.isfinite(stats.loglik_sum)


@full_grid
def test_score_samples(benchmark, n, d, k, cov, dtype):
    X, g = _problem(n, d, k, cov, dtype)
    out = benchmark(g.score_samples, X)
    assert out.shape == (n,)


@grid
@grid_dk
@pytest.mark.parametrize("cov", ["full", "diag"])
@grid_dtype
def test_predict_proba(benchmark, n, d, k, cov, dtype):
    X, g = _problem(n, d, k, cov, dtype)
    out = benchmark(lambda: score(X, g._kernel_params(), resp=True)[0])
    assert out.shape == (n, k)


@grid
@grid_dk
@grid_dtype
def test_kmeans_initialiser(benchmark, n, d, k, dtype):
    X, _ = _problem(n, d, k, "diag", dtype)
    centers = benchmark.pedantic(
        lambda: kmeans(X, k, None, np.random.RandomState(0), n_threads=2, max_iter=20),
        rounds=1 if SMOKE else 3, iterations=1)
    assert centers.shape == (k, d) and np.isfinite(centers).all()
