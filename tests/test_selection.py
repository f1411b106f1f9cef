"""fastgmm.selection.select: the same models and criteria as a plain loop of
GaussianMixture fits, the table, the choice, weights, errors, to_frame and plot."""
import doctest
import sys
import warnings

import numpy as np
import pytest

import fastgmm.selection
from fastgmm import GaussianMixture
from fastgmm import _init
from fastgmm._validation import check_random_state
from fastgmm._init import InitialDraw
from fastgmm.selection import TABLE_KEYS, SelectionResult, select
from conftest import COV_TYPES, make_blobs

RTOL = 1e-8
FITTED = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_")


@pytest.fixture(scope="module")
def X():
    return make_blobs(400, 3, 3, seed=1)


def _quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of tiny grids
        return f(*args, **kwargs)


def _plain_loop(X, ks, covs, sample_weight=None, **params):
    """The loop select replaces: {(K, cov): fitted GaussianMixture}."""
    return {(k, c): _quiet(GaussianMixture(k, covariance_type=c, **params).fit, X,
                           sample_weight=sample_weight)
            for k in ks for c in covs}


def _assert_same_model(ours, theirs):
    for a in FITTED:
        np.testing.assert_array_equal(getattr(ours, a), getattr(theirs, a), err_msg=a)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    assert ours.lower_bound_ == theirs.lower_bound_
    assert ours.lower_bounds_ == theirs.lower_bounds_


# ------------------------------------------------------------------ vs a plain loop
@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random",
                                         "random_from_data"])
def test_same_models_and_criteria_as_a_plain_loop(X, init_params):
    ks = [1, 2, 3, 4]
    result = _quiet(select, X, ks, random_state=0, init_params=init_params,
                    keep="all")
    loop = _plain_loop(X, ks, COV_TYPES, random_state=0, init_params=init_params)
    assert [(r["n_components"], r["covariance_type"]) for r in result.table] == list(loop)
    for row in result.table:
        g = loop[row["n_components"], row["covariance_type"]]
        ours = result.estimators_[row["n_components"], row["covariance_type"]]
        _assert_same_model(ours, g)  # bitwise: the shared initialisation is exact
        for crit in ("bic", "aic", "icl"):
            np.testing.assert_allclose(row[crit], getattr(g, crit)(X), rtol=RTOL)
        assert row["lower_bound"] == float(g.lower_bound_)
        assert row["n_iter"] == g.n_iter_ and row["converged"] == g.converged_
    best = min(loop, key=lambda key: loop[key].bic(X))
    assert (result.best_params_["n_components"],
            result.best_params_["covariance_type"]) == best


def test_same_as_plain_loop_with_restarts_weights_and_sampled_seeding(X):
    # n_init=2 (restarts drawn in sequence from one seed), weights, and a k-means++
    # seeding on a sample of the rows (init_max_samples < n_samples) where supported
    w = np.random.RandomState(2).randint(0, 4, size=len(X)).astype(float)
    params = dict(n_init=2, random_state=5)
    if "init_max_samples" in GaussianMixture().get_params():
        params["init_max_samples"] = 100
    result = _quiet(select, X, [2, 3], sample_weight=w, keep="all", **params)
    loop = _plain_loop(X, [2, 3], COV_TYPES, sample_weight=w, **params)
    for key, g in loop.items():
        _assert_same_model(result.estimators_[key], g)


def test_estimator_state_is_what_fit_sets(X):
    # select publishes the fitted attributes itself: every attribute a plain fit
    # sets must be there with the same value (guards against drift from _fit)
    result = _quiet(select, X, [2], ["full", "diag"], random_state=0, keep="all")
    for (k, c), ours in result.estimators_.items():
        g = _quiet(GaussianMixture(k, covariance_type=c, random_state=0).fit, X)
        assert sorted(vars(ours)) == sorted(vars(g))
        assert ours.get_params() == g.get_params()
        for name, value in vars(g).items():
            if name.startswith("_"):
                continue
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(getattr(ours, name), value, err_msg=name)
            else:
                assert getattr(ours, name) == value, name
        # and the private warm-start state continues identically
        ours.set_params(warm_start=True, max_iter=3)
        g.set_params(warm_start=True, max_iter=3)
        _quiet(ours.fit, X)
        _quiet(g.fit, X)
        _assert_same_model(ours, g)


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random",
                                         "random_from_data"])
@pytest.mark.parametrize("weighted", [False, True])
def test_shared_initialization_is_initial_parameters_bitwise(X, init_params, weighted):
    w = np.random.RandomState(3).uniform(0, 2, size=len(X)) if weighted else None
    K = 3
    rng = check_random_state(7)
    shared = InitialDraw(X, w, K, init_params, rng, 1, None, COV_TYPES)
    after = rng.get_state()[1].copy()
    for cov in COV_TYPES:
        rng_ref = check_random_state(7)
        ref = _init.initial_parameters(X, w, K, cov, 1e-6, init_params, rng_ref, 1)
        for a, b in zip(shared.parameters(cov, 1e-6), ref):
            np.testing.assert_array_equal(a, b, err_msg=f"{init_params} {cov}")
        # the shared draw leaves the RandomState where one initialisation leaves it
        np.testing.assert_array_equal(after, rng_ref.get_state()[1])


# ------------------------------------------------------------------ the table
def test_table_content_and_types(X):
    ks = [3, 1, 2]  # grid order is kept
    result = _quiet(select, X, ks, ["diag", "full"], random_state=0)
    assert len(result.table) == 6
    assert [(r["n_components"], r["covariance_type"]) for r in result.table] == [
        (k, c) for k in ks for c in ["diag", "full"]]
    for row in result.table:
        assert tuple(row) == TABLE_KEYS
        assert type(row["n_components"]) is int
        assert type(row["covariance_type"]) is str
        for key in ("bic", "aic", "icl", "lower_bound", "seconds"):
            assert type(row[key]) is float and np.isfinite(row[key]), key
        assert type(row["n_iter"]) is int and row["n_iter"] >= 1
        assert type(row["converged"]) is bool
        assert row["seconds"] >= 0
        assert row["icl"] >= row["bic"]  # the entropy term is non-negative
        p = (row["bic"] - row["aic"]) / (np.log(len(X)) - 2)  # number of parameters
        assert abs(p - round(p)) < 1e-6 and round(p) >= 1
    assert result.criterion == "bic"
    assert result.best_index_ == int(np.argmin([r["bic"] for r in result.table]))
    best = result.table[result.best_index_]
    assert result.best_params_ == {"n_components": best["n_components"],
                                   "covariance_type": best["covariance_type"]}
    assert "SelectionResult(criterion='bic'" in repr(result)


@pytest.mark.parametrize("criterion", ["aic", "icl"])
def test_criterion_choice(X, criterion):
    result = _quiet(select, X, [1, 2, 3, 4], ["full", "spherical"], criterion=criterion,
                    random_state=0)
    values = [r[criterion] for r in result.table]
    assert result.criterion == criterion
    assert result.best_index_ == int(np.argmin(values))


@pytest.mark.parametrize("criterion", ["bic", "icl"])
def test_bic_and_icl_find_the_true_number_of_blobs(criterion):
    rng = np.random.RandomState(0)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=float)
    Xb = np.vstack([c + rng.randn(150, 2) for c in centers])
    result = _quiet(select, Xb, range(1, 7), criterion=criterion, random_state=0)
    assert result.best_params_["n_components"] == 4
    assert result.best_estimator_.n_components == 4
    np.testing.assert_allclose(np.sort(result.best_estimator_.means_[:, 0]),
                               [0, 0, 10, 10], atol=0.3)


def test_keep_best_and_all(X):
    best = _quiet(select, X, [1, 2], ["full", "tied"], random_state=0)
    assert list(best.estimators_) == [(best.best_params_["n_components"],
                                       best.best_params_["covariance_type"])]
    assert best.best_estimator_ is next(iter(best.estimators_.values()))
    every = _quiet(select, X, [1, 2], ["full", "tied"], random_state=0, keep="all")
    assert list(every.estimators_) == [(1, "full"), (1, "tied"), (2, "full"),
                                       (2, "tied")]
    key = (every.best_params_["n_components"], every.best_params_["covariance_type"])
    assert every.best_estimator_ is every.estimators_[key]
    _assert_same_model(best.best_estimator_, every.best_estimator_)


def test_scalar_grid_and_other_random_states(X):
    result = _quiet(select, X, 2, "diag", random_state=0)
    assert len(result.table) == 1 and result.best_params_ == {
        "n_components": 2, "covariance_type": "diag"}
    # a RandomState instance: reproducible from the same seed (its draws are shared
    # by the covariance types of a K, so not a plain loop's draws)
    a = _quiet(select, X, [2, 3], random_state=np.random.RandomState(4))
    b = _quiet(select, X, [2, 3], random_state=np.random.RandomState(4))
    assert [r["bic"] for r in a.table] == [r["bic"] for r in b.table]
    assert _quiet(select, X, [2], ["full"]).best_estimator_.n_components == 2  # None


def test_float32_and_dataframe(X):
    X32 = X.astype(np.float32)
    result = _quiet(select, X32, [2, 3], ["full", "spherical"], random_state=0,
                    keep="all")
    for row in result.table:
        key = row["n_components"], row["covariance_type"]
        g = _quiet(GaussianMixture(key[0], covariance_type=key[1], random_state=0).fit,
                   X32)
        ours = result.estimators_[key]
        assert ours.means_.dtype == np.float32
        _assert_same_model(ours, g)
        # float64 sums here, float32 score_samples there: round-off of float32
        np.testing.assert_allclose(row["bic"], g.bic(X32), rtol=1e-5)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    result = _quiet(select, df, [2], ["diag"], random_state=0)
    assert list(result.best_estimator_.feature_names_in_) == ["a", "b", "c"]


# ------------------------------------------------------------------ sample_weight
def test_integer_weights_equal_repetition(X):
    w = np.random.RandomState(0).randint(0, 4, size=len(X))
    weighted = _quiet(select, X, [1, 2, 3, 4], sample_weight=w, random_state=0)
    repeated = _quiet(select, np.repeat(X, w, axis=0), [1, 2, 3, 4], random_state=0)
    assert weighted.best_params_ == repeated.best_params_
    for a, b in zip(weighted.table, repeated.table):
        assert (a["n_components"], a["covariance_type"]) == (
            b["n_components"], b["covariance_type"])
        for crit in ("bic", "aic", "icl", "lower_bound"):
            # same seeds; sums in another order: round-off, amplified by EM
            np.testing.assert_allclose(a[crit], b[crit], rtol=1e-6, err_msg=crit)


def test_weighted_criteria_count_a_weight_of_k_as_k_rows(X):
    w = np.random.RandomState(1).uniform(0, 5, size=len(X))
    result = _quiet(select, X, [1, 2, 3], ["full", "diag"], sample_weight=w,
                    random_state=0, keep="all")
    for row in result.table:
        g = result.estimators_[row["n_components"], row["covariance_type"]]
        loglik = float(w @ g.score_samples(X))
        p = g._n_parameters()
        np.testing.assert_allclose(row["bic"], -2 * loglik + p * np.log(w.sum()),
                                   rtol=1e-10)
        np.testing.assert_allclose(row["aic"], -2 * loglik + 2 * p, rtol=1e-10)
        resp = g.predict_proba(X)
        entropy = -float(w @ np.sum(resp * np.log(np.maximum(resp, 1e-300)), axis=1))
        np.testing.assert_allclose(row["icl"], row["bic"] + 2 * entropy, rtol=1e-8)


def test_unit_weights_equal_no_weights(X):
    a = _quiet(select, X, [1, 2, 3], random_state=0, keep="all")
    b = _quiet(select, X, [1, 2, 3], random_state=0, keep="all",
               sample_weight=np.ones(len(X)))
    for ra, rb in zip(a.table, b.table):
        for crit in ("bic", "aic", "icl"):
            np.testing.assert_allclose(ra[crit], rb[crit], rtol=1e-10)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs, match", [
    (dict(n_components=[]), "n_components is empty"),
    (dict(n_components=range(0)), "n_components is empty"),
    (dict(n_components=[0, 1]), "n_components must be >= 1; got 0"),
    (dict(n_components=[-2]), "n_components must be >= 1; got -2"),
    (dict(n_components=[2, 500]), "n_components=500 is more than the number of "
                                  r"samples \(n_samples=400\)"),
    (dict(n_components=[2, 2]), r"duplicates \[2\]"),
    (dict(n_components=[1.5]), "n_components must hold ints; got 1.5"),
    (dict(n_components=[True]), "n_components must hold ints"),
    (dict(n_components="3"), "n_components must hold ints; got '3'"),
    (dict(n_components=None), "n_components must be an int or an iterable"),
    (dict(covariance_type=[]), "covariance_type is empty"),
    (dict(covariance_type="ful"), "Unknown covariance_type 'ful'"),
    (dict(covariance_type=["full", "box"]), "Unknown covariance_type 'box'"),
    (dict(covariance_type=["diag", "diag"]), r"duplicates \['diag'\]"),
    (dict(covariance_type=3), "covariance_type must be a str or an iterable"),
    (dict(criterion="likelihood"), "Unknown criterion 'likelihood'"),
    (dict(criterion="BIC"), "Unknown criterion 'BIC'"),
    (dict(keep="some"), "Unknown keep 'some'"),
    (dict(on_error="ignore"), "Unknown on_error 'ignore'"),
    (dict(random_state=-1), "Seed must be between 0 and 2"),
    (dict(n_components=[1, 2, 3], random_state=2 ** 33), "Seed must be between"),
    (dict(tol=-1.0), "'tol' parameter"),
    (dict(n_init=0), "'n_init' parameter"),
    (dict(init_params="kmeans+"), "'init_params' parameter"),
    (dict(sample_weight=np.ones(3)), "sample_weight.shape"),
    (dict(sample_weight=-np.ones(400)), "Negative values in sample_weight"),
])
def test_bad_arguments_raise_value_error(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        select(X, **{"n_components": [1, 2], **kwargs})


@pytest.mark.parametrize("name", ["means_init", "weights_init", "precisions_init",
                                  "warm_start", "no_such_parameter"])
def test_bad_keywords_raise_type_error(X, name):
    with pytest.raises(TypeError, match=name):
        select(X, [1, 2], **{name: None})


def test_bad_X_raises_before_fitting():
    with pytest.raises(ValueError, match="NaN or infinity"):
        select(np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 1.0]]), [1])
    with pytest.raises(ValueError, match="Expected 2D array"):
        select(np.arange(10.0), [1])


def _degenerate_data():
    # 5 distinct points, each repeated: 8 full components must collapse
    rng = np.random.RandomState(0)
    return np.repeat(rng.randn(5, 2) * 10, 20, axis=0)


def test_failed_fits_are_left_out_with_a_warning():
    Xd = _degenerate_data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = select(Xd, [1, 8], ["full"], random_state=0, reg_covar=0.0)
    assert any("n_components=8, covariance_type='full' failed" in str(w.message)
               for w in caught)
    bad = result.table[1]
    assert bad["n_components"] == 8 and np.isnan(bad["bic"]) and bad["n_iter"] == 0
    assert bad["converged"] is False and np.isnan(bad["lower_bound"])
    assert result.best_params_["n_components"] == 1
    assert list(result.estimators_) == [(1, "full")]
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        select(Xd, [1, 8], ["full"], random_state=0, reg_covar=0.0, on_error="raise")
    with pytest.raises(ValueError, match="Every fit of the grid failed"):
        _quiet(select, Xd, [8], ["full"], random_state=0, reg_covar=0.0)


# ------------------------------------------------------------------ to_frame, plot
def test_to_frame(X):
    pd = pytest.importorskip("pandas")
    result = _quiet(select, X, [1, 2], ["full", "diag"], random_state=0)
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(TABLE_KEYS)
    assert len(frame) == 4
    assert frame["n_components"].dtype.kind == "i"
    assert frame["converged"].dtype == bool
    np.testing.assert_array_equal(frame["bic"], [r["bic"] for r in result.table])
    assert frame["bic"].idxmin() == result.best_index_


def test_to_frame_without_pandas_names_the_install(X, monkeypatch):
    result = _quiet(select, X, [1], ["diag"], random_state=0)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(ImportError, match=r"pip install pandas.*fastgmm\[io\]"):
        result.to_frame()


def test_plot(X):
    pytest.importorskip("fastgmm.plot")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    result = _quiet(select, X, [1, 2, 3], ["full", "spherical"], random_state=0)
    fig, ax = plt.subplots()
    try:
        assert result.plot(ax=ax) is ax
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels[:2] == ["full", "spherical"]
        full = ax.get_lines()[0]
        np.testing.assert_allclose(full.get_ydata(),
                                   [r["bic"] for r in result.table
                                    if r["covariance_type"] == "full"])
    finally:
        plt.close(fig)


def test_docstring_examples():
    failures, tried = doctest.testmod(fastgmm.selection, verbose=False)
    assert tried >= 2 and failures == 0


def test_result_is_a_selection_result(X):
    assert isinstance(_quiet(select, X, [1], ["diag"]), SelectionResult)


# ------------------------------------------------------------------ fits side by side
def _table_without_seconds(result):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in result.table]


def _same_tables(a, b):
    ta, tb = _table_without_seconds(a), _table_without_seconds(b)
    assert len(ta) == len(tb)
    for ra, rb in zip(ta, tb):
        assert ra.keys() == rb.keys()
        for key in ra:   # NaN rows (failed fits) compare equal too
            assert ra[key] == rb[key] or (ra[key] != ra[key] and rb[key] != rb[key]), key


@pytest.mark.parametrize("random_state", [0, "instance"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fits_side_by_side_give_the_same_models(X, random_state, weighted):
    """n_jobs only changes where fits run: tables and models are bitwise those of
    one fit at a time (an int seed, or a RandomState drawn from in K order)."""
    w = np.random.RandomState(3).uniform(0.2, 2.0, len(X)) if weighted else None
    results = {}
    for n_jobs in (1, 2, 3):
        rs = np.random.RandomState(7) if random_state == "instance" else random_state
        results[n_jobs] = _quiet(select, X, [1, 2, 3, 5], random_state=rs,
                                 sample_weight=w, keep="all", n_jobs=n_jobs)
    for n_jobs in (2, 3):
        _same_tables(results[n_jobs], results[1])
        assert list(results[n_jobs].estimators_) == list(results[1].estimators_)
        for key, est in results[1].estimators_.items():
            _assert_same_model(results[n_jobs].estimators_[key], est)


def test_small_data_runs_fits_in_threads_large_data_one_at_a_time(X, monkeypatch):
    seen = []
    real = fastgmm.selection._fit_from

    def spy(est, *args):
        import threading
        seen.append(threading.current_thread().name)
        return real(est, *args)

    monkeypatch.setattr(fastgmm.selection, "_fit_from", spy)
    _quiet(select, X, [1, 2], ["full", "diag"], random_state=0, n_threads=2)
    assert len(seen) == 4 and all(n.startswith("fastgmm-select") for n in seen)
    seen.clear()
    _quiet(select, X, [1, 2], ["full", "diag"], random_state=0, n_jobs=1)
    assert len(seen) == 4 and not any(n.startswith("fastgmm-select") for n in seen)
    seen.clear()
    _quiet(select, X, [1, 2], ["diag"], random_state=0, n_threads=2, verbose=1)
    assert not any(n.startswith("fastgmm-select") for n in seen)  # printing: in order
    check = fastgmm.selection._check_n_jobs
    assert check(None, 16384, 2, 0, 40) == 2 and check(None, 16385, 2, 0, 40) == 1
    assert check(None, 100, 8, 0, 3) == 3 and check(None, 100, 1, 0, 40) == 1
    assert check(4, 10**7, 2, 1, 40) == 4


@pytest.mark.parametrize("n_jobs", [0, -1, 1.5, True, "2"])
def test_bad_n_jobs(X, n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be None or an int >= 1"):
        select(X, [1, 2], n_jobs=n_jobs)


def test_failures_side_by_side_warn_and_raise_in_grid_order():
    import threading
    Xd = _degenerate_data()
    tables, messages = {}, {}
    for n_jobs in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables[n_jobs] = select(Xd, [1, 8, 2, 9], ["full", "spherical"],
                                    random_state=0, reg_covar=0.0, n_jobs=n_jobs)
        messages[n_jobs] = [str(w.message) for w in caught
                            if "select: the fit" in str(w.message)]
    assert messages[2] == messages[1]          # the same warnings, in grid order
    assert [m.split(" failed")[0] for m in messages[1]] == [
        f"select: the fit with n_components={k}, covariance_type={c!r}"
        for k, c in [(8, "full"), (8, "spherical"), (2, "full"), (9, "full"),
                     (9, "spherical")]]
    _same_tables(tables[2], tables[1])
    with pytest.raises(ValueError, match="ill-defined empirical covariance"):
        select(Xd, [1, 8, 2, 9], ["full"], random_state=0, reg_covar=0.0,
               on_error="raise", n_jobs=2)
    # the pool is gone when select returns or raises
    assert not any(t.name.startswith("fastgmm-select") for t in threading.enumerate())
