"""Thread safety: GaussianMixture called from several Python threads at once.

fastgmm's passes release the GIL, so Python threads really run them concurrently.
Concurrent ``predict*`` / ``score*`` on one fitted model, concurrent fits of separate
models (sharing the same read-only X) and a mix of both must give bitwise the results
of the same calls made one after another, never modify the shared input, and leave
the process's BLAS thread limits as they were.
"""
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_info

from fastgmm import GaussianMixture

from conftest import make_blobs

# short fits on purpose; warnings.catch_warnings would not be thread-safe
pytestmark = pytest.mark.filterwarnings(
    "ignore:Best performing initialization did not converge")

COV_TYPES = ["full", "tied", "diag", "spherical"]
N_WORKERS = 4
REPEATS = 20
FITTED = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
          "converged_", "n_iter_", "lower_bound_", "lower_bounds_", "n_features_in_")


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


@pytest.fixture(scope="module")
def data():
    """Read-only 5000 x 8 blobs in both dtypes (shared by every thread)."""
    X = make_blobs(5000, 8, 4, seed=11, spread=3.0)
    return {np.float64: _readonly(X), np.float32: _readonly(X.astype(np.float32))}


def _fit(X, cov, seed, **kw):
    return GaussianMixture(4, covariance_type=cov, random_state=seed, max_iter=30,
                           **kw).fit(X)


def _attributes(g):
    return {name: np.array(getattr(g, name)) for name in FITTED}


def _assert_bitwise_equal(a, b, what):
    """Same dtype, shape and bytes: NaN-safe, and no tolerance."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (what, a.dtype, b.dtype,
                                                        a.shape, b.shape)
    assert a.tobytes() == b.tobytes(), (
        f"{what} differs from the serial result (max abs diff "
        f"{np.max(np.abs(a.astype(float) - b.astype(float))) if a.size else 0})")


def _assert_same_fit(got, expected, what):
    for name in FITTED:
        _assert_bitwise_equal(got[name], expected[name], f"{what}: {name}")


def _run_together(fns):
    """Call every fn on N_WORKERS threads, all released at once; results in order."""
    barrier = threading.Barrier(min(N_WORKERS, len(fns)))

    def start(fn, first):
        if first:
            barrier.wait(timeout=60)
        return fn()

    with ThreadPoolExecutor(N_WORKERS) as pool:
        futures = [pool.submit(start, fn, i < N_WORKERS) for i, fn in enumerate(fns)]
        return [f.result() for f in futures]


def _blas_threads():
    return sorted((d["filepath"], d["num_threads"]) for d in threadpool_info()
                  if d["user_api"] == "blas")


def _set_blas_threads(wanted):
    """Set BLAS libraries ({filepath: n}) from a short-lived thread: threadpoolctl
    lets one live thread at a time control OpenBLAS, and this must not be the main
    thread, or the threads under test could not set (nor leak) anything."""
    def run():
        for lib in ThreadpoolController().lib_controllers:
            if lib.filepath in wanted:
                lib.set_num_threads(wanted[lib.filepath])
    t = threading.Thread(target=run)
    t.start()
    t.join()


def _fingerprints(arrays):
    return [(a.dtype, a.shape, a.flags.writeable, a.tobytes()) for a in arrays]


# ----------------------------------------------------------------- inference
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_concurrent_predict_on_one_model_gives_the_serial_results(data, dtype, cov):
    X = data[dtype]
    g = _fit(X, cov, seed=0)
    fitted = _attributes(g)
    rng = np.random.RandomState(1)
    # different data per thread: shifted, rescaled, other sizes and layouts
    chunks = [np.asarray(X[rng.permutation(len(X))[:n]] * s + o, order=order)
              for n, s, o, order in [(5000, 1.0, 0.0, "C"), (3001, 1.5, 0.5, "F"),
                                     (1024, 0.7, -2.0, "C"), (777, 3.0, 4.0, "F")]]
    before = _fingerprints(chunks + [X])

    def calls(Xc):
        return g.predict(Xc), g.predict_proba(Xc), g.score_samples(Xc), g.score(Xc)

    serial = [calls(Xc) for Xc in chunks]
    # every thread runs its chunk REPEATS times, all threads at once
    got = _run_together([lambda Xc=Xc: [calls(Xc) for _ in range(REPEATS)]
                         for Xc in chunks])
    for t, runs in enumerate(got):
        for r, res in enumerate(runs):
            for name, a, b in zip(("predict", "predict_proba", "score_samples",
                                   "score"), res, serial[t]):
                _assert_bitwise_equal(a, b, f"thread {t} run {r}: {name}")
    _assert_same_fit(_attributes(g), fitted, "model after concurrent predict")
    assert _fingerprints(chunks + [X]) == before, "concurrent predict modified X"


def test_concurrent_sample_with_a_seed_gives_the_serial_draws(data):
    g = _fit(data[np.float64], "full", seed=3)
    serial = g.sample(500)
    got = _run_together([lambda: [g.sample(500) for _ in range(5)]] * N_WORKERS)
    for runs in got:
        for Xs, ys in runs:
            _assert_bitwise_equal(Xs, serial[0], "sample X")
            _assert_bitwise_equal(ys, serial[1], "sample y")


# ----------------------------------------------------------------- fitting
def _fit_configs():
    """Eight models: every covariance type in both dtypes, each its own seed."""
    return [(dtype, cov, 10 * i + j) for i, cov in enumerate(COV_TYPES)
            for j, dtype in enumerate((np.float64, np.float32))]


def test_concurrent_fits_of_separate_models_give_the_serial_fits(data):
    configs = _fit_configs()
    before = _fingerprints(list(data.values()))
    serial = [_attributes(_fit(data[dt], cov, seed)) for dt, cov, seed in configs]
    got = _run_together([lambda dt=dt, cov=cov, seed=seed:
                         _attributes(_fit(data[dt], cov, seed))
                         for dt, cov, seed in configs])
    for (dt, cov, seed), g, s in zip(configs, got, serial):
        _assert_same_fit(g, s, f"{cov} {dt.__name__} seed {seed}")
    assert _fingerprints(list(data.values())) == before, "concurrent fits modified X"


def test_concurrent_weighted_multi_init_fits_give_the_serial_fits(data):
    """n_init > 1, sample weights, each init method and n_threads=1 or 2."""
    rng = np.random.RandomState(5)
    w = _readonly(rng.uniform(0.2, 3.0, size=len(data[np.float64])))
    inits = ["kmeans", "k-means++", "random", "random_from_data"]
    configs = [(dtype, inits[i], i, n_threads)
               for i in range(4) for dtype in (np.float64, np.float32)
               for n_threads in [1 + i % 2]]

    def fit(dt, init, seed, n_threads):
        g = GaussianMixture(3, covariance_type=COV_TYPES[seed], init_params=init,
                            n_init=2, max_iter=15, random_state=seed,
                            n_threads=n_threads).fit(data[dt], sample_weight=w)
        return _attributes(g)

    serial = [fit(*c) for c in configs]
    got = _run_together([lambda c=c: fit(*c) for c in configs])
    for c, g, s in zip(configs, got, serial):
        _assert_same_fit(g, s, f"{c}")


# ----------------------------------------------------------------- mixed
def test_concurrent_fits_and_predicts_mixed(data):
    X64, X32 = data[np.float64], data[np.float32]
    model = _fit(X64, "full", seed=7)
    fitted = _attributes(model)
    Xq = np.asfortranarray(X64[::3] * 1.1)
    expected_predict = (model.predict(Xq), model.predict_proba(Xq),
                        model.score_samples(Xq))
    configs = _fit_configs()[:6]
    serial_fits = [_attributes(_fit(data[dt], cov, seed)) for dt, cov, seed in configs]
    serial_fit_predict = GaussianMixture(4, covariance_type="diag", random_state=9,
                                         max_iter=30)
    expected_labels = serial_fit_predict.fit_predict(X32)

    def predicts():
        return [(model.predict(Xq), model.predict_proba(Xq), model.score_samples(Xq))
                for _ in range(5)]

    def fit_predict():
        g = GaussianMixture(4, covariance_type="diag", random_state=9, max_iter=30)
        return g.fit_predict(X32)

    tasks, kinds = [], []
    for i, (dt, cov, seed) in enumerate(configs):   # fits interleaved with predicts
        tasks.append(lambda dt=dt, cov=cov, seed=seed:
                     _attributes(_fit(data[dt], cov, seed)))
        kinds.append(("fit", i))
        tasks.append(predicts if i % 2 == 0 else fit_predict)
        kinds.append(("predict", i) if i % 2 == 0 else ("fit_predict", i))
    results = _run_together(tasks)
    for (kind, i), res in zip(kinds, results):
        if kind == "fit":
            _assert_same_fit(res, serial_fits[i], f"fit {configs[i]}")
        elif kind == "predict":
            for run in res:
                for name, a, b in zip(("predict", "predict_proba", "score_samples"),
                                      run, expected_predict):
                    _assert_bitwise_equal(a, b, f"mixed {name}")
        else:
            _assert_bitwise_equal(res, expected_labels, "mixed fit_predict")
    _assert_same_fit(_attributes(model), fitted, "model after the mixed run")


# ----------------------------------------------------------------- process state
def test_overlapping_fits_restore_the_blas_thread_limits(data):
    """fit limits BLAS to one thread while it runs.  Two fits overlapping in time, A
    entering first and leaving first, must still leave the process's BLAS limits as
    they found them.  The fit callbacks (called inside that region) order them."""
    X = data[np.float64]
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()

    def fit_a():
        def callback(progress):
            a_inside.set()
            assert b_inside.wait(timeout=30), "B never started"
        try:
            GaussianMixture(2, max_iter=2, random_state=0).fit(X, callback=callback)
        finally:
            a_done.set()

    def fit_b():
        assert a_inside.wait(timeout=30), "A never started"

        def callback(progress):
            b_inside.set()
            assert a_done.wait(timeout=30), "A never finished"
        GaussianMixture(2, max_iter=2, random_state=1).fit(X, callback=callback)

    original = _blas_threads()
    _set_blas_threads(dict.fromkeys(dict(original), 2))  # known state: 2 threads
    before = _blas_threads()
    try:
        if not before or any(n != 2 for _, n in before):
            pytest.skip(f"cannot set BLAS to 2 threads here: {before}")
        with ThreadPoolExecutor(N_WORKERS) as pool:
            for f in [pool.submit(fit_a), pool.submit(fit_b)]:
                f.result()
        after = _blas_threads()
    finally:
        _set_blas_threads(dict(original))
    assert after == before, (
        "overlapping fits changed the process's BLAS thread limits from "
        f"{[n for _, n in before]} to {[n for _, n in after]}")
