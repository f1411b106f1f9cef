"""A large fit allocates nothing of size n_samples x n_components (tracemalloc sees
NumPy's allocations; the kernels' scratch is per thread and per block)."""
import tracemalloc
import warnings

import numpy as np

from fastgmm import GaussianMixture


def test_fit_allocates_nothing_of_size_n_by_k():
    n, d, k = 2_000_000, 4, 16
    rng = np.random.RandomState(0)
    X = rng.randn(n, d) + rng.randn(k, d)[rng.randint(k, size=n)] * 3
    g = GaussianMixture(k, max_iter=3, random_state=0)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    n_by_k = n * k * 8
    # k-means keeps a few per-sample vectors (labels, distances: ~40 MB here);
    # one N x K float64 array alone would be 256 MB.
    assert peak < n_by_k / 4, f"peak {peak / 1e6:.0f} MB"
    assert g.converged_ is False and np.isfinite(g.lower_bound_)
