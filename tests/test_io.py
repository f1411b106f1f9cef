"""fastgmm.io: the portable, pickle-free model format and the CLI's table readers."""
import json
import sys
import warnings
import zipfile

import numpy as np
import pytest

import fastgmm
import fastgmm.io as fio
from conftest import COV_TYPES, make_blobs
from fastgmm import GaussianMixture, NotFittedError
from fastgmm.io import load, read_table, save_model, write_table

# GaussianMixture.bic/aic pass the validated ndarray on to score(), which then warns
# for a model fitted with feature names (an issue of mixture.py, not of the file).
pytestmark = pytest.mark.filterwarnings(
    "ignore:X does not have valid feature names:UserWarning")

FITTED_ARRAYS = ("weights_", "means_", "covariances_", "precisions_",
                 "precisions_cholesky_")


@pytest.fixture(scope="module")
def X():
    return make_blobs(n=300, d=3, k=3, seed=1)


def fit(X, dtype=np.float64, names=False, **kw):
    kw.setdefault("random_state", 0)
    kw.setdefault("max_iter", 20)
    Xd = X.astype(dtype)
    if names:
        pd = pytest.importorskip("pandas")
        Xd = pd.DataFrame(Xd, columns=["alpha", "beta", "gamma"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        return GaussianMixture(3, **kw).fit(Xd), Xd


def round_trip(est, tmp_path, name="model.npz"):
    path = save_model(est, tmp_path / name)
    assert path == tmp_path / name and path.exists()
    return load(path)


def assert_same_model(a, b, Xd):
    """Same class, parameters, fitted attributes (bitwise, same dtypes) and outputs."""
    assert type(a) is type(b)
    pa, pb = a.get_params(), b.get_params()
    assert pa.keys() == pb.keys()
    for k in pa:
        if isinstance(pa[k], np.ndarray):
            assert np.array_equal(pa[k], pb[k]) and pa[k].dtype == pb[k].dtype, k
        elif isinstance(pa[k], np.random.RandomState):
            sa, sb = pa[k].get_state(), pb[k].get_state()
            assert sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2:] == sb[2:]
        else:
            assert pa[k] == pb[k] and type(pa[k]) is type(pb[k]), k
    for attr in FITTED_ARRAYS:
        va, vb = getattr(a, attr), getattr(b, attr)
        assert va.dtype == vb.dtype and va.shape == vb.shape, attr
        assert np.array_equal(va, vb), attr
        assert vb.flags.writeable and vb.flags.c_contiguous
    for attr in ("converged_", "n_iter_", "lower_bound_", "n_features_in_"):
        va, vb = getattr(a, attr), getattr(b, attr)
        assert type(va) is type(vb) and (va == vb or (va != va and vb != vb)), attr
    assert [type(v) for v in a.lower_bounds_] == [type(v) for v in b.lower_bounds_]
    assert a.lower_bounds_ == b.lower_bounds_
    assert a.diagnostics_ == b.diagnostics_
    if hasattr(a, "feature_names_in_"):
        assert b.feature_names_in_.dtype == a.feature_names_in_.dtype == object
        assert list(a.feature_names_in_) == list(b.feature_names_in_)
    else:
        assert not hasattr(b, "feature_names_in_")
    for method in ("predict", "predict_proba", "score_samples"):
        ra, rb = getattr(a, method)(Xd), getattr(b, method)(Xd)
        assert ra.dtype == rb.dtype and np.array_equal(ra, rb), method
    for method in ("bic", "aic", "score"):
        assert getattr(a, method)(Xd) == getattr(b, method)(Xd), method


# ====================================================================== round trips
@pytest.mark.parametrize("names", [False, True], ids=["plain", "names"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", COV_TYPES)
def test_round_trip_identical(X, tmp_path, cov, dtype, names):
    means_init = X[:3].copy()          # an array parameter
    weights_init = [0.2, 0.3, 0.5]     # a list parameter (JSON)
    est, Xd = fit(X, dtype, names, covariance_type=cov, means_init=means_init,
                  weights_init=weights_init)
    loaded = round_trip(est, tmp_path)
    assert loaded.weights_.dtype == dtype and loaded.lower_bound_.dtype == dtype
    assert loaded.weights_init == weights_init
    assert_same_model(est, loaded, Xd)
    # sample draws from random_state: the same samples
    sa, sb = est.sample(50), loaded.sample(50)
    assert np.array_equal(sa[0], sb[0]) and np.array_equal(sa[1], sb[1])
    assert sa[0].dtype == sb[0].dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", ["full", "diag"])
def test_warm_start_refit_continues_identically(X, tmp_path, cov, dtype):
    est, Xd = fit(X, dtype, covariance_type=cov, max_iter=4, tol=0)
    loaded = round_trip(est, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in (est, loaded):
            e.set_params(warm_start=True, max_iter=3).fit(Xd)
    assert_same_model(est, loaded, Xd)
    # the private float64 state (what the next warm start continues from) too
    assert est._private_warm()[1] == loaded._private_warm()[1]
    assert np.array_equal(est._private_warm()[0].params.means,
                          loaded._private_warm()[0].params.means)


def test_warm_start_after_mutated_attributes_uses_them(X, tmp_path):
    est, Xd = fit(X, np.float32, max_iter=3, tol=0)
    est.means_ = est.means_ + np.float32(0.5)   # the private float64 state is stale
    loaded = round_trip(est, tmp_path)
    assert not np.load(tmp_path / "model.npz").files.count("warm.means")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in (est, loaded):
            e.set_params(warm_start=True, max_iter=2).fit(Xd)
    assert_same_model(est, loaded, Xd)


def test_random_state_instance_and_precisions_init(X, tmp_path):
    est, Xd = fit(X, covariance_type="diag", random_state=np.random.RandomState(7),
                  precisions_init=np.ones((3, 3), dtype=np.float32))
    loaded = round_trip(est, tmp_path)
    assert loaded.precisions_init.dtype == np.float32
    assert isinstance(loaded.random_state, np.random.RandomState)
    assert loaded.random_state is not est.random_state
    assert_same_model(est, loaded, Xd)
    assert np.array_equal(est.sample(20)[0], loaded.sample(20)[0])
    assert np.array_equal(est.sample(5)[0], loaded.sample(5)[0])  # states advance alike


def test_save_method_returns_path_and_file_is_plain_npz(X, tmp_path):
    est, Xd = fit(X, np.float32, names=True)
    path = est.save(tmp_path / "m.model")          # written exactly where asked
    assert path == tmp_path / "m.model" and not (tmp_path / "m.model.npz").exists()
    with np.load(path, allow_pickle=False) as z:
        files = set(z.files)
        header = json.loads(z["header"].tobytes().decode("utf-8"))
        assert z["header"].dtype == np.uint8
        assert z["means_"].dtype == np.dtype("<f4")
        assert z["feature_names_in_"].dtype.kind == "U"
        assert list(z["feature_names_in_"]) == ["alpha", "beta", "gamma"]
        assert z["lower_bounds_"].shape == (est.n_iter_,)
    assert header["format"] == "fastgmm-model" and header["format_version"] == 1
    assert header["estimator"] == "GaussianMixture" and header["dtype"] == "float32"
    assert header["fastgmm_version"]
    assert header["params"]["n_components"] == 3 and header["params"]["random_state"] == 0
    assert header["fitted"] == {"converged_": est.converged_, "n_iter_": est.n_iter_,
                                "lower_bound_": float(est.lower_bound_),
                                "n_features_in_": 3, "diagnostics_": []}
    assert set(header["arrays"]) == set(FITTED_ARRAYS) | {"lower_bounds_",
                                                          "feature_names_in_"}
    assert {"warm.weights", "warm.means", "warm.precisions_cholesky"} <= files
    with zipfile.ZipFile(path) as zf:   # plain stored members, nothing pickled
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
    assert load(path).n_features_in_ == 3


def test_max_iter_zero_infinite_bound_and_changed_params(X, tmp_path):
    est, Xd = fit(X, max_iter=0)
    assert est.lower_bound_ == -np.inf and est.lower_bounds_ == []
    est.set_params(n_components=5, tol=float("inf"))  # not refitted: K stays 3
    loaded = round_trip(est, tmp_path)
    assert loaded.n_components == 5 and loaded.tol == float("inf")
    assert_same_model(est, loaded, Xd)
    text = (tmp_path / "model.npz").read_bytes()
    assert b"Infinity" not in text and b'{"$float": "-inf"}' in text


def test_unsaved_parameter_warns_and_gets_default(X, tmp_path):
    est, Xd = fit(X)
    est.set_params(verbose=lambda: 0)          # not storable without pickle
    with pytest.warns(UserWarning, match="verbose"):
        est.save(tmp_path / "m.npz")
    loaded = load(tmp_path / "m.npz")
    assert loaded.verbose == 0
    assert np.array_equal(loaded.predict(Xd), est.predict(Xd))


def test_refuses_unfitted_and_unregistered(tmp_path):
    with pytest.raises(NotFittedError, match="not fitted"):
        save_model(GaussianMixture(2), tmp_path / "m.npz")
    with pytest.raises(NotFittedError):
        GaussianMixture(2).save(tmp_path / "m.npz")

    class Sub(GaussianMixture):
        pass
    with pytest.raises(TypeError, match="register_model"):
        save_model(Sub(), tmp_path / "m.npz")
    assert not list(tmp_path.iterdir())


def test_atomic_write_keeps_old_file_on_failure(X, tmp_path, monkeypatch):
    est, _ = fit(X)
    path = est.save(tmp_path / "m.npz")
    before = path.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")
    monkeypatch.setattr(fio.np, "savez", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        est.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]  # no temp file left


# ====================================================================== corruption
@pytest.fixture
def saved(X, tmp_path):
    est, Xd = fit(X, covariance_type="spherical", max_iter=5)
    return est, Xd, est.save(tmp_path / "good.npz")


def rewrite(src, dst, drop=(), replace=None, header=None):
    """Copy an npz member by member, dropping, replacing or editing the header."""
    with np.load(src, allow_pickle=False) as z:
        members = {k: z[k] for k in z.files if k not in drop}
    if header is not None:
        h = json.loads(members["header"].tobytes())
        header(h)
        members["header"] = np.frombuffer(json.dumps(h).encode(), dtype=np.uint8)
    members.update(replace or {})
    np.savez(dst, **members)
    return dst


def load_error(path, match=None):
    with pytest.raises(ValueError, match=match) as info:
        load(path)
    assert "Cannot load" in str(info.value) or isinstance(info.value, FileNotFoundError)
    return str(info.value)


def test_truncated_files(saved, tmp_path):
    _, _, path = saved
    data = path.read_bytes()
    for n in sorted({0, 1, 10, 30, 100, len(data) // 3, len(data) // 2, len(data) - 30,
                     len(data) - 1}):
        bad = tmp_path / f"cut{n}.npz"
        bad.write_bytes(data[:n])
        load_error(bad, "not an .npz|corrupted|truncated")


def test_every_flipped_byte_is_an_error_or_harmless(saved, tmp_path):
    est, Xd, path = saved
    data = bytearray(path.read_bytes())
    bad = tmp_path / "flip.npz"
    errors = 0
    for i in range(0, len(data), 7):
        flipped = bytearray(data)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        try:
            loaded = load(bad)
        except ValueError as exc:   # ModelFileError: never another exception
            assert "Cannot load" in str(exc)
            errors += 1
        else:                       # a byte no reader looks at (e.g. a timestamp)
            assert_same_model(est, loaded, Xd)
    assert errors > len(data) // 14


def test_missing_member(saved, tmp_path):
    _, _, path = saved
    for member in ("means_", "precisions_cholesky_", "lower_bounds_"):
        bad = rewrite(path, tmp_path / "bad.npz", drop=[member])
        load_error(bad, f"member '{member}' is missing")
    load_error(rewrite(path, tmp_path / "nohdr.npz", drop=["header"]),
               "no 'header' member")


def test_wrong_shape_dtype_or_values(saved, tmp_path):
    est, _, path = saved
    bad = tmp_path / "bad.npz"
    rewrite(path, bad, replace={"means_": np.zeros((3, 4))})
    load_error(bad, r"'means_' has shape \(3, 4\), expected \(3, 3\)")
    rewrite(path, bad, replace={"covariances_": np.ones((3, 3))})
    load_error(bad, "'covariances_' has shape")
    rewrite(path, bad, replace={"weights_": est.weights_.astype(np.float32)})
    load_error(bad, "dtype float32")
    rewrite(path, bad, replace={"weights_": np.array([np.nan, 0.5, 0.5])})
    load_error(bad, "NaN or infinity")
    rewrite(path, bad, replace={"precisions_cholesky_": -est.precisions_cholesky_})
    load_error(bad, "invalid model parameters")
    rewrite(path, bad, replace={"feature_names_in_": np.array(["a", "b"])})
    load_error(bad, "feature_names_in_")


def test_newer_version_wrong_magic_and_bad_header(saved, tmp_path):
    _, _, path = saved
    bad = tmp_path / "bad.npz"

    def bump(h):
        h["format_version"] = 2
    rewrite(path, bad, header=bump)
    load_error(bad, "format version 2.*reads versions up to 1.*upgrade")

    def magic(h):
        h["format"] = "other-model"
    rewrite(path, bad, header=magic)
    load_error(bad, "format 'other-model'")

    def unknown(h):
        h["estimator"] = "NoSuchMixture"
    rewrite(path, bad, header=unknown)
    load_error(bad, "unknown estimator 'NoSuchMixture'")

    def no_fitted(h):
        del h["fitted"]["n_iter_"]
    rewrite(path, bad, header=no_fitted)
    load_error(bad, "n_iter_")

    def wrong_type(h):
        h["fitted"]["n_iter_"] = "five"
    rewrite(path, bad, header=wrong_type)
    load_error(bad, "n_iter_")

    rewrite(path, bad, header=None, replace={"header": np.frombuffer(b"{not json",
                                                                     dtype=np.uint8)})
    load_error(bad, "not UTF-8 JSON")

    def new_param(h):
        h["params"]["future_option"] = 3
    rewrite(path, bad, header=new_param)
    with pytest.warns(UserWarning, match="future_option"):
        load(bad)


def test_not_npz_pickle_and_missing(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("weights,means\n1,2\n")
    load_error(text, "not an .npz")
    npy = tmp_path / "array.npz"
    np.save(npy.open("wb"), np.arange(3.0))
    load_error(npy, "not an .npz")
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, header=np.array([{"format": "fastgmm-model"}], dtype=object))
    load_error(pickled, "Python objects")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")
    load_error(tmp_path / "absent.npz", "No such model file")
    load_error(tmp_path, "directory")


# ====================================================================== registry hook
class Wrapped:
    """A composite estimator, as the outlier detector is: an inner mixture plus a
    float64 scalar and a fitted array of its own."""

    def __init__(self, shift=0.0, n_components=1):
        self.shift, self.n_components = shift, n_components

    _get_param_names = classmethod(lambda cls: ["n_components", "shift"])

    def get_params(self, deep=True):
        return {"n_components": self.n_components, "shift": self.shift}

    def __sklearn_is_fitted__(self):
        return hasattr(self, "offset_")

    def fit(self, X):
        self.mixture_ = GaussianMixture(self.n_components, random_state=0).fit(X)
        self.scale_ = np.asarray(X.std(axis=0))
        self.offset_ = np.float64(np.quantile(self.mixture_.score_samples(X), 0.1))
        self.n_features_in_ = X.shape[1]
        self.level_ = np.float32(0.25)       # a numpy scalar kept as a 0-d member
        return self

    def decision_function(self, X):
        return self.mixture_.score_samples(X / self.scale_ * self.scale_) - self.offset_


def _wrapped_save(est):
    body, arrays = fio.encode_estimator(est.mixture_, prefix="mixture_.")
    return {**arrays, "extra.level": np.asarray(est.level_)}, {"mixture_": body}


def _wrapped_load(est, header, arrays):
    est.mixture_ = fio.decode_estimator(header["mixture_"], arrays, "mixture_.")
    est.level_ = arrays["extra.level"][()]


@pytest.fixture
def registered_wrapper():
    fio.register_model("Wrapped", Wrapped, arrays=("scale_",),
                       shapes=lambda p, a, f: {"scale_": (f["n_features_in_"],)},
                       scalars={"offset_": "float64", "n_features_in_": "int"},
                       lists=(), save_extra=_wrapped_save, load_extra=_wrapped_load)
    yield
    del fio._REGISTRY["Wrapped"]


def test_register_model_composite(X, tmp_path, registered_wrapper):
    assert "Wrapped" in fio.registered_models()
    est = Wrapped(shift=1.5, n_components=2).fit(X)
    path = save_model(est, tmp_path / "w.npz")
    with np.load(path, allow_pickle=False) as z:
        assert "mixture_.means_" in z.files and "scale_" in z.files
    loaded = load(path)
    assert type(loaded) is Wrapped and loaded.shift == 1.5
    assert type(loaded.offset_) is np.float64 and loaded.offset_ == est.offset_
    assert type(loaded.level_) is np.float32 and loaded.level_ == est.level_
    assert np.array_equal(loaded.decision_function(X), est.decision_function(X))
    assert_same_model(est.mixture_, loaded.mixture_, X)
    bad = rewrite(path, tmp_path / "bad.npz", drop=["mixture_.weights_"])
    load_error(bad, "'mixture_.weights_' is missing")


# ====================================================================== readers
@pytest.fixture(scope="module")
def table():
    return np.random.RandomState(3).randn(20, 4) * [1, 10, 1e-3, 1e5]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_read_npy_is_memory_mapped(table, tmp_path, dtype):
    path = tmp_path / "x.npy"
    np.save(path, table.astype(dtype))
    X, names = read_table(path)
    assert names is None and isinstance(X, np.memmap) and X.dtype == dtype
    assert not X.flags.owndata and not X.flags.writeable
    assert np.array_equal(X, table.astype(dtype))
    for cols in ([1, 2], [0, 2], [-1], [3, 1]):
        Xc, _ = read_table(path, columns=cols)
        assert np.array_equal(Xc, table.astype(dtype)[:, cols])
        if cols != [3, 1]:      # evenly spaced ascending: a view of the map
            assert isinstance(Xc, np.memmap) and not Xc.flags.owndata
    assert read_table(path, dtype=np.float64)[0].dtype == np.float64


def test_read_npy_errors(tmp_path):
    np.save(tmp_path / "ints.npy", np.arange(6).reshape(3, 2))
    X, _ = read_table(tmp_path / "ints.npy")
    assert X.dtype == np.float64 and np.array_equal(X, [[0, 1], [2, 3], [4, 5]])
    np.save(tmp_path / "one.npy", np.arange(3.0))
    with pytest.raises(ValueError, match="2-D"):
        read_table(tmp_path / "one.npy")
    np.save(tmp_path / "obj.npy", np.array([[{}], [{}]], dtype=object))
    with pytest.raises(ValueError, match="numbers|pickle"):
        read_table(tmp_path / "obj.npy")
    np.save(tmp_path / "str.npy", np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="not numbers"):
        read_table(tmp_path / "str.npy")
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    with pytest.raises(ValueError, match="no column names"):
        read_table(tmp_path / "x.npy", columns=["a"])
    with pytest.raises(ValueError, match="out of range"):
        read_table(tmp_path / "x.npy", columns=[2])
    (tmp_path / "junk.npy").write_bytes(b"not an npy file at all")
    with pytest.raises(ValueError, match="junk.npy"):
        read_table(tmp_path / "junk.npy")


@pytest.fixture(params=["pandas", "numpy"])
def csv_backend(request, monkeypatch):
    if request.param == "pandas":
        pytest.importorskip("pandas")
    else:
        monkeypatch.setattr(fio, "_pandas", lambda *a, **k: None)
    return request.param


def test_read_csv_header_and_columns(table, tmp_path, csv_backend):
    path = write_table(tmp_path / "x.csv", table, header=["a", "b,c", "d", "e"])
    X, names = read_table(path)
    assert names == ["a", "b,c", "d", "e"] and X.dtype == np.float64
    assert np.array_equal(X, table)                  # exact round trip
    X, names = read_table(path, columns=["d", 0, "b,c"])
    assert names == ["d", "a", "b,c"] and np.array_equal(X, table[:, [2, 0, 1]])
    X, names = read_table(path, columns="e", dtype=np.float32)
    assert names == ["e"] and X.dtype == np.float32 and X.shape == (20, 1)

    plain = write_table(tmp_path / "plain.csv", table)   # no header line
    X, names = read_table(plain, columns=[-1, 1])
    assert names is None and np.array_equal(X, table[:, [3, 1]])
    X, names = read_table(plain, header=True)            # forced: first row = names
    assert len(names) == 4 and X.shape == (19, 4)


def test_read_csv_errors(tmp_path, csv_backend):
    path = tmp_path / "mixed.csv"
    path.write_text("x,y,label\n1,2,cat\n3,4,dog\n")
    X, names = read_table(path, columns=["x", "y"])
    assert names == ["x", "y"] and np.array_equal(X, [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="column 'label' is not numeric.*'cat'"):
        read_table(path)
    with pytest.raises(ValueError, match="no column 'z'.*'x', 'y', 'label'"):
        read_table(path, columns=["x", "z"])
    with pytest.raises(ValueError, match="out of range.*3 columns"):
        read_table(path, columns=[0, 3])
    with pytest.raises(ValueError, match="more than once"):
        read_table(path, columns=["x", 0])
    with pytest.raises(ValueError, match="empty"):
        read_table(path, columns=[])
    with pytest.raises(ValueError, match="name .* or an index"):
        read_table(path, columns=[1.5])
    nohead = tmp_path / "nohead.csv"
    nohead.write_text("1,2\n3,x\n")
    with pytest.raises(ValueError, match="column 1 is not numeric.*line 2"):
        read_table(nohead, header=False)
    (tmp_path / "empty.csv").write_text("\n\n")
    with pytest.raises(ValueError, match="empty"):
        read_table(tmp_path / "empty.csv")


def test_read_parquet(table, tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    df = pd.DataFrame(table, columns=["a", "b", "c", "d"], index=np.arange(20) + 100)
    df["name"] = ["row"] * 20
    df.to_parquet(tmp_path / "x.parquet")
    X, names = read_table(tmp_path / "x.parquet", columns=["c", 0])
    assert names == ["c", "a"] and np.array_equal(X, table[:, [2, 0]])
    X, names = read_table(tmp_path / "x.parquet", columns=[0, 1, 2, 3])
    assert names == ["a", "b", "c", "d"] and np.array_equal(X, table)
    with pytest.raises(ValueError, match="column 'name' is not numeric"):
        read_table(tmp_path / "x.parquet")
    with pytest.raises(ValueError, match="no column 'zz'"):
        read_table(tmp_path / "x.parquet", columns=["zz"])
    with pytest.raises(ValueError, match="out of range"):
        read_table(tmp_path / "x.parquet", columns=[5])


def test_read_parquet_without_extra(tmp_path, monkeypatch):
    (tmp_path / "x.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r"pip install fastgmm\[io\]"):
        read_table(tmp_path / "x.parquet")


def test_read_table_path_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown extension '.txt'.*.npy, .csv"):
        read_table(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError):
        read_table(tmp_path / "absent.csv")
    with pytest.raises(ValueError, match="absent.npy"):
        read_table(tmp_path / "absent.npy")


# ====================================================================== writers
def test_write_table(tmp_path):
    labels = np.array([0, 2, 1, 1])
    proba = np.random.RandomState(0).dirichlet([1, 1, 1], size=4)
    p32 = proba.astype(np.float32)
    write_table(tmp_path / "labels.npy", labels)
    assert np.array_equal(np.load(tmp_path / "labels.npy"), labels)
    write_table(tmp_path / "labels.csv", labels, header="label")
    assert (tmp_path / "labels.csv").read_text() == "label\n0\n2\n1\n1\n"
    assert read_table(tmp_path / "labels.csv")[1] == ["label"]
    write_table(tmp_path / "p.csv", proba, header=["p0", "p1", "p2"])
    assert np.array_equal(read_table(tmp_path / "p.csv")[0], proba)
    write_table(tmp_path / "p32.csv", p32)
    assert np.array_equal(read_table(tmp_path / "p32.csv", dtype=np.float32)[0], p32)
    write_table(tmp_path / "b.csv", np.array([True, False]))
    assert (tmp_path / "b.csv").read_text() == "1\n0\n"
    with pytest.raises(ValueError, match="2 column name"):
        write_table(tmp_path / "x.csv", np.zeros((2, 2)), header=["a"])
    with pytest.raises(ValueError, match="unknown extension"):
        write_table(tmp_path / "x.parquet", labels)
    with pytest.raises(ValueError, match="numbers"):
        write_table(tmp_path / "x.csv", np.array(["a"]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        write_table(tmp_path / "x.npy", np.zeros((2, 2, 2)))
    with pytest.raises(FileNotFoundError):
        write_table(tmp_path / "no" / "dir.csv", labels)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "b.csv", "labels.csv", "labels.npy", "p.csv", "p32.csv"]


# ------------------------------------------------------------ the other estimators
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("prior", ["dirichlet_process", "dirichlet_distribution"])
def test_bayesian_mixture_round_trip(tmp_path, dtype, cov, prior):
    import warnings
    from fastgmm import BayesianGaussianMixture
    X = np.random.RandomState(0).randn(300, 2)
    X[150:] += 6
    X = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = BayesianGaussianMixture(n_components=3, covariance_type=cov,
                                    weight_concentration_prior_type=prior,
                                    random_state=0, max_iter=20).fit(X)
    b.save(tmp_path / "b.npz")
    c = fastgmm.load(tmp_path / "b.npz")
    assert type(c) is BayesianGaussianMixture
    for method in ("predict", "predict_proba", "score_samples"):
        assert np.array_equal(getattr(b, method)(X), getattr(c, method)(X)), method


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_outlier_detector_round_trip(tmp_path, dtype):
    from fastgmm import GaussianMixtureOutlierDetector
    X = np.random.RandomState(1).randn(400, 3).astype(dtype)
    d = GaussianMixtureOutlierDetector(contamination=0.05, n_components=2,
                                       random_state=0).fit(X)
    d.save(tmp_path / "d.npz")
    e = fastgmm.load(tmp_path / "d.npz")
    assert e.offset_ == d.offset_ and type(e.offset_) is type(d.offset_)
    assert np.array_equal(d.decision_function(X), e.decision_function(X))
    assert np.array_equal(d.predict(X), e.predict(X))
