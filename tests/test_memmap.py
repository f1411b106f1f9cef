"""Data larger than memory: a memory-mapped X is read in place (never copied into
anonymous memory), so a fit's extra RssAnon stays a small constant while the file is
several times larger.  (The 10^8-row and > 2^31-element runs are in
benchmarks/memmap_fit.py.)"""
import threading
import time

import numpy as np
import pytest

from fastgmm import BayesianGaussianMixture, GaussianMixture


def rss_anon_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return None


class PeakRssAnon:
    """Samples RssAnon every few milliseconds in a thread (the passes release the GIL)."""

    def __enter__(self):
        self.base = self.peak = rss_anon_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_anon_bytes())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon_bytes())
        self.growth = self.peak - self.base


@pytest.mark.skipif(rss_anon_bytes() is None, reason="needs Linux /proc RssAnon")
@pytest.mark.parametrize("estimator, init_params", [
    ("gaussian", "kmeans"), ("gaussian", "random_from_data"), ("bayesian", "kmeans")])
def test_memmap_fit_keeps_anonymous_memory_small(tmp_path, estimator, init_params):
    n, d, k = 6_000_000, 4, 4
    path = tmp_path / "X.f32"
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, d))
    rng = np.random.RandomState(0)
    centers = rng.randn(k, d) * 6
    for a in range(0, n, 500_000):
        b = min(a + 500_000, n)
        X[a:b] = centers[rng.randint(k, size=b - a)] + rng.randn(b - a, d)
    X.flush()
    del X
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(n, d))
    kw = dict(max_iter=3, tol=0, random_state=0, init_params=init_params,
              init_max_samples=50_000)
    g = (GaussianMixture(k, **kw) if estimator == "gaussian"
         else BayesianGaussianMixture(n_components=k, **kw))
    with PeakRssAnon() as mem:
        g.fit(X)
    file_bytes = n * d * 4  # 96 MB (score_samples' output alone is another 24 MB)
    assert mem.growth < file_bytes / 4, f"RssAnon grew by {mem.growth / 1e6:.1f} MB"
    assert g.means_.dtype == np.float32 and np.isfinite(g.lower_bound_)
    assert not X.flags.writeable  # read-only input is fine


def test_np_load_mmap_and_read_only_inputs_fit_like_arrays(tmp_path):
    rng = np.random.RandomState(1)
    X = (rng.randn(20_000, 3) + rng.randint(0, 3, size=(20_000, 1)) * 5).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    mm = np.load(tmp_path / "X.npy", mmap_mode="r")
    kw = dict(random_state=0, max_iter=20)
    a = GaussianMixture(3, **kw).fit(X)
    b = GaussianMixture(3, **kw).fit(mm)
    for attr in ("weights_", "means_", "covariances_"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr))
    assert np.array_equal(a.predict(X), b.predict(mm))
    assert np.array_equal(a.score_samples(X), b.score_samples(mm))
    assert a.bic(X) == b.bic(mm)
