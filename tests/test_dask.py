"""GaussianMixture on Dask collections (fastgmm.dask), against the in-memory fit.

One real LocalCluster (2 worker processes of 1 thread, on 127.0.0.1) serves the
module.  The fair comparison: on at most init_max_samples rows (all of these tests)
DaskSource.initialization_data() hands the initialiser every row in order, so a dask fit
starts from exactly the in-memory fit's initial parameters for any init_params and
random_state; EM then differs only in the order the chunks' statistics are summed.
"""
import io
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402
import pandas as pd  # noqa: E402

import fastgmm  # noqa: E402
from fastgmm import GaussianMixture  # noqa: E402
from fastgmm._base import ArraySource, BaseMixture  # noqa: E402
from fastgmm._core import em_pass  # noqa: E402
from fastgmm.kernels import GMMParameters, SufficientStatistics  # noqa: E402

from conftest import COV_TYPES, make_blobs  # noqa: E402

import fastgmm.dask as fdask  # noqa: E402

ATTRS = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")
CHUNK = 400


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  silence_logs=50) as cluster, \
            distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def data():
    # overlapping clusters: EM runs a good number of iterations
    return make_blobs(n=1500, d=3, k=3, seed=1, spread=2.0)


def dask_of(X, chunks=CHUNK):
    return da.from_array(X, chunks=(chunks, X.shape[1]))


def assert_same_fit(a, b, rtol=1e-10):
    for attr in ATTRS:
        x, y = getattr(a, attr), getattr(b, attr)
        assert type(y) is np.ndarray and y.dtype == x.dtype, attr
        np.testing.assert_allclose(y, x, rtol=rtol, atol=rtol * np.abs(x).max(),
                                   err_msg=attr)
    assert (b.n_iter_, b.converged_) == (a.n_iter_, a.converged_)
    np.testing.assert_allclose(b.lower_bounds_, a.lower_bounds_, rtol=rtol)
    assert b.n_features_in_ == a.n_features_in_


def pair(X, Xd, w=None, wd=None, **kw):
    kw = {"n_components": 3, "random_state": 0, "n_threads": 1, **kw}
    a = GaussianMixture(**kw).fit(X, sample_weight=w)
    b = GaussianMixture(**kw).fit(Xd, sample_weight=wd)
    return a, b


# ------------------------------------------------------------------ fitting
@pytest.mark.parametrize("cov", COV_TYPES)
def test_fit_equals_in_memory(client, data, cov):
    a, b = pair(data, dask_of(data), covariance_type=cov)
    assert a.n_iter_ >= 4
    assert_same_fit(a, b)


def test_fit_float32_close_and_multilevel_tree(client, data):
    X = data.astype(np.float32)
    with dask.config.set({"fastgmm.split-every": 2}):  # 8 chunks: 3 levels of sums
        a, b = pair(X, dask_of(X, 200))
    assert b.means_.dtype == np.float32
    assert_same_fit(a, b, rtol=1e-5)


def test_given_initial_parameters_and_a_sampled_initialisation(client, data):
    ref = GaussianMixture(3, random_state=0, n_threads=1).fit(data)
    init = dict(weights_init=ref.weights_, means_init=ref.means_ + 0.5,
                precisions_init=ref.precisions_)
    Xd = dask_of(data)
    with dask.config.set({"fastgmm.init-max-samples": 500}):
        a, b = pair(data, Xd, **init)          # no initialiser: same fit
        assert_same_fit(a, b)
        c = GaussianMixture(3, random_state=0, n_threads=1).fit(Xd)  # sampled init
        d = GaussianMixture(3, random_state=0, n_threads=1).fit(Xd)
        np.testing.assert_array_equal(c.means_, d.means_)  # deterministic
        source, _ = fdask.DaskSource.from_input(Xd, None, 1)
        Xs, ws = source.initialization_data()
    assert ws is None and 300 < Xs.shape[0] <= 500
    rows = np.flatnonzero((data[:, None, :] == Xs[None]).all(-1).any(1))
    np.testing.assert_array_equal(data[rows], Xs)  # distinct rows, in row order
    Xr, _ = source.initialization_data(random_state=np.random.RandomState(5))
    assert not np.array_equal(Xr, Xs)
    assert source.initialization_data(max_samples=None)[0].shape == data.shape


def test_sample_weight_dask_and_numpy(client, data):
    w = np.random.RandomState(0).uniform(0, 2, data.shape[0])
    w[:50] = 0
    Xd = dask_of(data)
    a, b = pair(data, Xd, w, da.from_array(w, chunks=CHUNK), covariance_type="diag")
    assert_same_fit(a, b)
    _, c = pair(data, Xd, w, w, covariance_type="diag")
    assert_same_fit(a, c)


def test_weights_normalised_as_in_memory(client, data):
    from fastgmm._validation import check_sample_weight
    w = np.random.RandomState(1).uniform(0, 3, data.shape[0])
    ref = check_sample_weight(w, data.shape[0], normalize=True)
    Xd = dask_of(data)
    lazy, _ = fdask.DaskSource.from_input(Xd, da.from_array(w, chunks=CHUNK), 1,
                                          normalize_weights=True)
    np.testing.assert_allclose(lazy.sample_weight.compute(), ref, rtol=1e-15)
    eager, _ = fdask.DaskSource.from_input(Xd, w, 1, normalize_weights=True)
    np.testing.assert_array_equal(eager.sample_weight.compute(), ref)
    raw, _ = fdask.DaskSource.from_input(Xd, da.from_array(w, chunks=CHUNK), 1)
    np.testing.assert_array_equal(raw.sample_weight.compute(), w)


def test_dataframe_input(client, data):
    df = pd.DataFrame(data, columns=["a", "b", "c"])
    ddf = dd.from_pandas(df, npartitions=3)
    a, b = pair(df, ddf, covariance_type="tied")
    assert_same_fit(a, b)
    assert list(b.feature_names_in_) == ["a", "b", "c"]
    labels = b.predict(ddf)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), a.predict(df))
    proba = b.predict_proba(ddf)  # partition lengths unknown: still lazy
    assert np.isnan(proba.shape[0])
    np.testing.assert_allclose(proba.compute(), a.predict_proba(df), rtol=1e-12)
    total, n = fdask.sum_and_count(b.score_samples(ddf))
    assert n == len(df) and total == pytest.approx(a.score_samples(df).sum(), rel=1e-12)
    with pytest.raises(ValueError, match="feature names should match"):
        b.predict(ddf.rename(columns={"a": "z"}))


def test_local_scheduler_without_client(client, data):
    Xd = dask_of(data)
    for scheduler in ("threads", "sync"):
        with dask.config.set(scheduler=scheduler):
            assert fdask._active_client() is None
            source, _ = fdask.DaskSource.from_input(Xd, None, None)
            assert source.client is None and source.persisted
            a, b = pair(data, Xd, covariance_type="spherical")
            assert_same_fit(a, b)
            proba = b.predict_proba(Xd).compute()
        np.testing.assert_allclose(proba, a.predict_proba(data), rtol=1e-12)


def test_restarts_warm_start_verbose_and_no_persist(client, data, capsys):
    Xd = dask_of(data)
    kw = dict(n_init=2, init_params="random", max_iter=5, verbose=1, verbose_interval=1,
              covariance_type="full")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fastgmm.ConvergenceWarning)
        with dask.config.set({"fastgmm.persist": False}):
            a, b = pair(data, Xd, **kw)
            out = capsys.readouterr().out
            half = len(out) // 2
            assert out[:half] == out[half:] and "Iteration" in out
            assert_same_fit(a, b)
            source, _ = fdask.DaskSource.from_input(Xd, None, 1)
            assert not source.persisted
        a.set_params(warm_start=True, verbose=0).fit(data)
        b.set_params(warm_start=True, verbose=0).fit(Xd)
    assert_same_fit(a, b)


def test_large_parameters_travel_as_one_key(client, data, monkeypatch):
    monkeypatch.setattr(fdask, "_INLINE_PARAM_BYTES", 0)
    Xd = dask_of(data)
    a, b = pair(data, Xd, covariance_type="diag")
    assert_same_fit(a, b)
    np.testing.assert_allclose(b.predict_proba(Xd).compute(), a.predict_proba(data),
                               rtol=1e-12)


def test_thread_policy_and_worker_check(client, data):
    source, _ = fdask.DaskSource.from_input(dask_of(data), None, None)
    cpus = fdask._cpu_count()
    assert source.client is client and source.persisted
    assert source.threads == max(1, cpus // 2)  # 2 dask threads on this host
    assert fdask.DaskSource.from_input(dask_of(data), None, 3)[0].threads == 3
    assert set(fdask.check_workers(client)) == set(client.scheduler_info()["workers"])


# ------------------------------------------------------------------ lazy scoring
def test_lazy_predictions_equal_in_memory(client, data):
    g = GaussianMixture(3, random_state=0, n_threads=1).fit(data)
    Xd = dask_of(data)
    labels, proba, logp = g.predict(Xd), g.predict_proba(Xd), g.score_samples(Xd)
    for lazy in (labels, proba, logp):
        assert isinstance(lazy, da.Array) and lazy.chunks[0] == Xd.chunks[0]
    labels, proba, logp = dask.compute(labels, proba, logp)
    np.testing.assert_array_equal(labels, g.predict(data))
    np.testing.assert_allclose(proba, g.predict_proba(data), rtol=1e-12)
    np.testing.assert_allclose(logp, g.score_samples(data), rtol=1e-12)
    assert g.score(Xd) == pytest.approx(g.score(data), rel=1e-12)
    assert g.bic(Xd) == pytest.approx(g.bic(data), rel=1e-12)
    fitted = GaussianMixture(3, random_state=0, n_threads=1)
    lazy = fitted.fit_predict(Xd)
    assert isinstance(lazy, da.Array)
    np.testing.assert_array_equal(
        lazy.compute(), GaussianMixture(3, random_state=0, n_threads=1).fit_predict(data))


def test_worst_explained_rows_match_in_memory(client, data):
    g = GaussianMixture(3, random_state=0, n_threads=1).fit(data)
    w = np.ones(data.shape[0])
    w[np.argsort(g.score_samples(data))[:2]] = 0  # the two worst rows do not count
    params = g._kernel_params()
    source, _ = fdask.DaskSource.from_input(dask_of(data), w, 1)
    np.testing.assert_array_equal(source.worst_explained_rows(params, 4),
                                  ArraySource(data, w, 1).worst_explained_rows(params, 4))


class _Audit(pickle.Pickler):
    """Pickles a task graph, recording every estimator, parameter, statistics or
    Cython object in it (none may travel); futures of persisted chunks are skipped."""

    def __init__(self):
        super().__init__(io.BytesIO())
        self.found = []

    def persistent_id(self, obj):
        if isinstance(obj, distributed.Future):
            return "future"
        if isinstance(obj, (BaseMixture, GMMParameters, SufficientStatistics)) or \
                type(obj) is type(em_pass):
            self.found.append(type(obj).__name__)
            return "found"
        return None


def audit(graph):
    pickler = _Audit()
    pickler.dump(dict(graph))  # plain pickle: a lambda or closure would fail here
    return pickler.found


def test_graphs_hold_only_arrays_and_module_functions(client, data, monkeypatch):
    graphs = []
    tree_sum = fdask._tree_sum
    monkeypatch.setattr(fdask, "_tree_sum", lambda *a: graphs.append(
        tree_sum(*a)) or graphs[-1])
    g = GaussianMixture(3, random_state=0, n_threads=1, max_iter=3, tol=0)
    with pytest.warns(fastgmm.ConvergenceWarning):
        labels = g.fit_predict(dask_of(data))
    assert len(graphs) == 3
    Xd = dask_of(data)
    assert audit(graphs[-1][0]) == []  # an iteration's graph
    for lazy in (labels, g.predict(Xd), g.predict_proba(Xd), g.score_samples(Xd)):
        assert audit(lazy.__dask_graph__()) == []


# ------------------------------------------------------------------ errors
def test_zero_density_rows_raise_at_compute_with_global_rows(client, data):
    g = GaussianMixture(3, random_state=0, n_threads=1).fit(data)
    far = data[:600].copy()
    far[403] = 1e200
    Xd = dask_of(far)
    labels, proba = g.predict(Xd), g.predict_proba(Xd)  # lazy: nothing raised yet
    for lazy in (labels, proba):
        with pytest.raises(ValueError, match=r"zero density.*rows 403\)"):
            lazy.compute()
    assert np.isneginf(g.score_samples(Xd).compute()[403])


def test_nan_raises_value_error(client, data):
    bad = data.copy()
    bad[777, 1] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity.*rows 400 to 799"):
        GaussianMixture(3, n_threads=1).fit(dask_of(bad))
    g = GaussianMixture(3, random_state=0, n_threads=1).fit(data)
    lazy = g.predict(dask_of(bad))
    with pytest.raises(ValueError, match="NaN or infinity"):
        lazy.compute()


def test_input_errors(client, data):
    Xd = dask_of(data)
    w = np.ones(data.shape[0])
    with pytest.raises(ValueError, match="chunks"):
        GaussianMixture(3).fit(Xd, sample_weight=da.from_array(w, chunks=500))
    with pytest.raises(ValueError, match="Negative"):
        GaussianMixture(3).fit(Xd, sample_weight=da.from_array(-w, chunks=CHUNK))
    with pytest.raises(ValueError, match=r"expected \(1500,\)"):
        GaussianMixture(3).fit(Xd, sample_weight=da.ones(10, chunks=10))
    df = pd.DataFrame({"a": data[:, 0], "s": ["x"] * len(data)})
    with pytest.raises(ValueError, match=r"non-numeric columns \['s'\]"):
        GaussianMixture(3).fit(dd.from_pandas(df, npartitions=2))
    with pytest.raises(ValueError, match="must be numeric"):
        GaussianMixture(3).fit(da.from_array(np.array([["a", "b"]] * 4)))
    with pytest.raises(ValueError, match="Expected 2D array"):
        GaussianMixture(3).fit(da.ones(10, chunks=5))
    with pytest.raises(ValueError, match="features"):
        GaussianMixture(3, n_threads=1).fit(data).predict(da.ones((4, 2), chunks=2))


def test_worker_without_fastgmm_or_another_version_fails_clearly(client, data,
                                                                  monkeypatch):
    Xd = dask_of(data)
    fdask._worker_cache.clear()
    monkeypatch.setattr(fastgmm, "__version__", "0.0.0+other")
    with pytest.raises(RuntimeError, match=r"2 of 2 Dask worker.*client has fastgmm "
                                           r"0\.0\.0\+other.*pip install"):
        GaussianMixture(3).fit(Xd)
    monkeypatch.undo()
    fdask._worker_cache.clear()
    worker = sorted(client.scheduler_info()["workers"])[0]
    hide = "import sys; sys.modules['_fgmm'] = sys.modules['fastgmm']; " \
           "sys.modules['fastgmm'] = None"
    client.run(exec, hide, {}, workers=[worker])
    try:
        with pytest.raises(RuntimeError, match=f"1 of 2.*{worker}: fastgmm does not "
                                               "import"):
            GaussianMixture(3).fit(Xd)
    finally:
        client.run(exec, "import sys; sys.modules['fastgmm'] = sys.modules.pop('_fgmm')",
                   {}, workers=[worker])
        fdask._worker_cache.clear()


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "fastgmm.dask")
    with pytest.raises(ImportError, match=r"pip install fastgmm\[dask\]"):
        __import__("fastgmm.dask")


def test_dask_is_imported_only_for_dask_inputs():
    code = ("import sys, numpy as np; from fastgmm import GaussianMixture; "
            "X = np.random.RandomState(0).randn(200, 2); "
            "g = GaussianMixture(2, random_state=0).fit(X); g.predict(X); "
            "print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('dask', 'distributed') or m == 'fastgmm.dask'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
