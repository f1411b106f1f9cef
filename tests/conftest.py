import numpy as np
import pytest

COV_TYPES = ["full", "tied", "diag", "spherical"]


def make_blobs(n=2000, d=3, k=3, seed=0, spread=4.0, shift=0.0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(k, d) * spread
    labels = rng.randint(k, size=n)
    scales = rng.uniform(0.5, 1.5, size=(k, d))
    return centers[labels] + rng.randn(n, d) * scales[labels] + shift


@pytest.fixture
def blobs():
    return make_blobs()
