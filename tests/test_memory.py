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
    # the k-means++ seeding copies its sample (init_max_samples rows) and keeps their
    # distances (~46 MB here); one N x K float64 array alone would be 256 MB.
    assert peak < n_by_k / 4, f"peak {peak / 1e6:.0f} MB"
    assert np.isfinite(g.lower_bound_)


def test_initialiser_keeps_no_per_row_array_beyond_its_seeding_sample():
    n, d, k = 3_000_000, 2, 4
    rng = np.random.RandomState(1)
    X = (rng.randn(n, d) + rng.randn(k, d)[rng.randint(k, size=n)] * 8).astype(np.float32)
    g = GaussianMixture(k, max_iter=1, random_state=0, init_max_samples=20_000)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g.fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one float64 (or two int32) per row would be n * 8 = 24 MB; what remains is
    # per-chunk work (64k rows) and the 20k-row seeding sample
    assert peak < n * 8, f"peak {peak / 1e6:.1f} MB"
