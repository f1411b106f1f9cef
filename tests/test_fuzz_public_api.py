"""Hypothesis fuzzing of the public estimator API.

Every call of ``GaussianMixture.fit`` on a random mix of valid and invalid input
(shapes, dtypes, memory layouts, NaN/inf, sample weights, constructor parameters,
``weights_init`` / ``means_init`` / ``precisions_init``) must either

* succeed with finite, consistent fitted attributes (weights summing to 1,
  positive definite covariances, ``predict_proba`` rows summing to 1, ...), after
  which predict / predict_proba / score_samples / score / bic / aic / sample work
  on the same X, or
* raise a ``ValueError`` or ``TypeError`` -- whose message names one of the
  problems the example was built with, when it was built with one -- and leave the
  estimator exactly as it was (no fitted attributes on a fresh estimator, the
  previous fit on an already fitted one);

and it never modifies the caller's arrays (X, its base buffer, sample_weight, the
``*_init`` arrays) or the estimator's parameters.  Any other exception type fails.

A valid example may still be degenerate (too few distinct points, reg_covar=0,
overflow): a ValueError is then accepted and its message recorded.  Set
``FASTGMM_FUZZ_REPORT=1`` to print the accepted messages at the end of the module.
"""
import collections
import numbers
import os
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from fastgmm import GaussianMixture

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow],
                    # no explain phase: it re-runs a failing example hundreds of times
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target,
                            Phase.shrink])

COV_TYPES = ("full", "tied", "diag", "spherical")
FITTED = ("weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_",
          "converged_", "n_iter_", "lower_bound_", "lower_bounds_", "n_features_in_",
          "feature_names_in_")

# What an example may be built to get wrong (at most two per example).
TARGETS = ("X_nonfinite", "X_shape", "sample_weight", "n_components", "covariance_type",
           "tol", "reg_covar", "max_iter", "n_init", "init_params", "random_state",
           "warm_start", "n_threads", "weights_init", "means_init", "precisions_init")

# Accepted ValueErrors of valid (degenerate) examples: message -> count.
ACCEPTED = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    if os.environ.get("FASTGMM_FUZZ_REPORT") and ACCEPTED:
        tr = request.config.pluginmanager.getplugin("terminalreporter")
        tr.write_line("\naccepted errors of valid fuzz examples:")
        for msg, n in ACCEPTED.most_common():
            tr.write_line(f"  {n:4d} x {msg}")


# ------------------------------------------------------------------ fingerprints
def _fingerprint(obj):
    """A bitwise fingerprint of a caller's object (array and its base, list, scalar)."""
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            # the elements are immutable numbers: their identities and values
            content = (tuple(id(v) for v in obj.ravel(order="K")),
                       tuple(repr(v) for v in obj.ravel(order="K")))
        else:
            content = np.array(obj, copy=True).tobytes()
        fp = ("ndarray", obj.dtype.str, obj.shape, obj.strides, obj.flags.writeable,
              content)
        if isinstance(obj.base, np.ndarray):  # a view: its whole buffer too
            fp += (_fingerprint(obj.base),)
        return fp
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, id(obj), tuple(_fingerprint(v) for v in obj))
    if obj is None or isinstance(obj, (numbers.Number, str, bytes, np.generic)):
        return (type(obj).__name__, repr(obj))
    return ("object", id(obj))  # e.g. a RandomState: its identity


def _estimator_state(est):
    return {k: _fingerprint(v) for k, v in vars(est).items()}


def _assert_same_state(est, before, what):
    after = _estimator_state(est)
    assert after.keys() == before.keys(), (
        f"{what}: attributes changed: added {sorted(after.keys() - before.keys())}, "
        f"removed {sorted(before.keys() - after.keys())}")
    changed = [k for k in before if before[k] != after[k]]
    assert not changed, f"{what}: attributes modified: {changed}"


# ------------------------------------------------------------------ strategies
class Problems(dict):
    """name -> (keywords, must_fail): what is wrong with an example, and the words
    one of which an error message about it must contain."""

    def add(self, name, keywords=None, must_fail=True):
        self[name] = (tuple(keywords or (name,)), must_fail)

    @property
    def must_fail(self):
        return any(m for _, m in self.values())

    def keywords(self):
        return {k.lower() for kws, _ in self.values() for k in kws}


def _values(rng, content, n, d):
    """float64 (n, d) data of a given character."""
    if content == "blobs":
        centers = rng.randn(3, d) * 5
        return centers[rng.randint(3, size=n)] + rng.randn(n, d)
    if content == "normal":
        return rng.randn(n, d)
    if content == "constant":
        return np.full((n, d), rng.randn())
    if content == "duplicates":
        return rng.randn(2, d)[rng.randint(2, size=n)]
    if content == "integers":
        return rng.randint(-3, 4, size=(n, d)).astype(np.float64)
    if content == "collinear":
        return rng.randn(n, 1) * rng.randn(1, d)
    if content == "huge":
        return rng.randn(n, d) * 1e150
    if content == "tiny":
        return rng.randn(n, d) * 1e-150
    if content == "shifted":
        return rng.randn(n, d) + 1e6
    raise AssertionError(content)


def _object_array(values, rng):
    out = np.empty(values.shape, dtype=object)
    flat, src = out.reshape(-1), values.reshape(-1)
    for i, v in enumerate(src):
        kind = rng.randint(4)
        if not np.isfinite(v) or kind == 0:
            flat[i] = float(v)
        elif kind == 1 and abs(v) < 1e15:
            flat[i] = int(round(v))
        elif kind == 2:
            flat[i] = np.float32(v)
        else:
            flat[i] = Fraction(float(v))
    return out


def _convert(values, dtype, rng):
    """values (float64 ndarray) as the caller's dtype (or a list)."""
    with np.errstate(all="ignore"):
        if dtype == "float64":
            return values.copy()
        if dtype == "float32":
            return values.astype(np.float32)
        if dtype in ("int64", "int32"):
            lim = 1e15 if dtype == "int64" else 1e9
            v = np.nan_to_num(values, nan=0.0, posinf=lim, neginf=-lim)
            return np.round(np.clip(v, -lim, lim)).astype(dtype)
        if dtype == "bool":
            return values > 0
        if dtype == "object":
            return _object_array(values, rng)
        if dtype == "list":
            return values.tolist()
    raise AssertionError(dtype)


def _layout(arr, layout, readonly):
    """arr (2-D ndarray) in a memory layout; views keep junk around their elements."""
    junk = {"f": np.nan, "i": -7, "b": True, "O": None}[arr.dtype.kind]
    n, d = arr.shape
    if layout == "C":
        out = np.ascontiguousarray(arr)
    elif layout == "F":
        out = np.asfortranarray(arr)
    elif layout == "strided":
        base = np.full((2 * n, 3 * d), junk, dtype=arr.dtype)
        base[::2, ::3] = arr
        out = base[::2, ::3]
    elif layout == "columns":
        base = np.full((n, d + 2), junk, dtype=arr.dtype)
        base[:, 1:d + 1] = arr
        out = base[:, 1:d + 1]
    elif layout == "negative":
        base = np.ascontiguousarray(arr[::-1, ::-1])
        out = base[::-1, ::-1]
    elif layout == "negative_strided":
        base = np.full((2 * n, d), junk, dtype=arr.dtype)
        base[::2] = arr[::-1]
        out = base[::-2]
    else:
        raise AssertionError(layout)
    if readonly:
        out.flags.writeable = False
    return out


def _pd_matrix(rng, d, scale=1.0):
    b = rng.randn(d, d)
    return (b @ b.T + d * np.eye(d)) * scale


def _precisions(rng, cov, k, d, scale=1.0):
    if cov == "full":
        return np.stack([_pd_matrix(rng, d, scale) for _ in range(k)])
    if cov == "tied":
        return _pd_matrix(rng, d, scale)
    if cov == "diag":
        return rng.uniform(0.2, 5.0, size=(k, d)) * scale
    return rng.uniform(0.2, 5.0, size=k) * scale


def _is_int(v, low):
    return (isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))
            and v >= low)


class Case(collections.namedtuple(
        "Case", "X sample_weight params problems n_rows n_features x_ok x_2d_finite "
                "valid_K cov")):
    def __repr__(self):  # short: the notes describe the arrays
        return (f"Case(X={_describe(self.X)}, sample_weight="
                f"{_describe(self.sample_weight)}, params={self.params!r}, "
                f"problems={sorted(self.problems)})")


def _describe(a):
    if isinstance(a, np.ndarray):
        if a.size <= 12:
            return f"np.array({a.tolist()!r}, dtype={a.dtype.name})"
        return f"<ndarray {a.shape} {a.dtype} strides={a.strides}>"
    if isinstance(a, list) and len(a) > 12:
        return f"<list of {len(a)}>"
    return repr(a)


@st.composite
def fit_cases(draw):
    """An example: X, sample_weight and constructor parameters, with its problems."""
    rng = np.random.RandomState(draw(st.integers(0, 2**32 - 1)))
    corrupt = set()
    if draw(st.integers(0, 2)) == 0:  # a third of the examples are built invalid
        corrupt = set(draw(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=2,
                                    unique=True)))
    problems = Problems()

    # ---- X
    n = draw(st.integers(1, 200))
    d = draw(st.integers(1, 6))
    content = draw(st.sampled_from(("blobs", "blobs", "normal", "constant", "duplicates",
                                    "integers", "collinear", "huge", "tiny", "shifted")))
    dtype = draw(st.sampled_from(("float64", "float64", "float32", "float32", "int64",
                                  "int32", "bool", "object", "list")))
    layout = draw(st.sampled_from(("C", "F", "strided", "columns", "negative",
                                   "negative_strided")))
    readonly = draw(st.booleans())
    shape = (draw(st.sampled_from(("1d", "3d", "no_samples", "no_features")))
             if "X_shape" in corrupt else "2d")
    values = _values(rng, content, n, d)
    if "X_nonfinite" in corrupt:
        bad = draw(st.sampled_from((np.nan, np.inf, -np.inf)))
        values[rng.randint(n), rng.randint(d)] = bad
        if draw(st.booleans()):
            values[rng.randint(n), rng.randint(d)] = np.nan
    if shape == "1d":
        values = values.reshape(-1)
    elif shape == "3d":
        values = values.reshape(n, d, 1)
    elif shape == "no_samples":
        values = values[:0]
    elif shape == "no_features":
        values = values[:, :0]
    X = _convert(values, dtype, rng)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.size:
        X = _layout(X, layout, readonly)
    elif isinstance(X, np.ndarray) and readonly:
        X.flags.writeable = False
    note(f"X: content={content} dtype={dtype} layout={layout} readonly={readonly} "
         f"shape={shape} n={n} d={d}")
    x_ok = shape == "2d"
    if shape != "2d":
        problems.add("X_shape", ("2d", "dimension", "sample", "feature", "shape"))
    with np.errstate(all="ignore"):
        finite = np.isfinite(np.asarray(X, dtype=np.float64)).all()
    x_2d_finite = shape == "2d" and finite
    if not finite:
        x_ok = False
        problems.add("X_nonfinite", ("nan", "inf", "finite"))
    if shape == "2d" and n < 2:
        x_ok = False
        problems.add("X_n_samples", ("sample",))

    # ---- sample_weight
    if "sample_weight" in corrupt:
        sw_kind = draw(st.sampled_from(("all_zero", "negative", "short", "long", "nan",
                                        "inf", "2d", "string", "scalar_zero",
                                        "scalar_negative")))
    else:
        sw_kind = draw(st.sampled_from(("none", "none", "uniform", "some_zeros", "list",
                                        "int", "scalar", "float32", "readonly_strided",
                                        "huge", "tiny", "one_nonzero")))
    m = n if shape in ("2d", "3d", "no_features") else (0 if shape == "no_samples"
                                                         else n * d)
    u = rng.uniform(0.5, 2.0, size=m)
    sw = {
        "none": lambda: None,
        "uniform": lambda: u,
        "some_zeros": lambda: np.where(rng.rand(m) < 0.3, 0.0, u),
        "one_nonzero": lambda: np.eye(1, m, rng.randint(m)).ravel() if m else u,
        "list": lambda: u.tolist(),
        "int": lambda: rng.randint(1, 4, size=m),
        "scalar": lambda: 2.5,
        "float32": lambda: u.astype(np.float32),
        "readonly_strided": lambda: _readonly(np.repeat(u, 2)[::2]),
        "huge": lambda: u * 1e306,
        "tiny": lambda: u * 1e-310,
        "all_zero": lambda: np.zeros(m),
        "negative": lambda: np.concatenate([u[:-1], [-1.0]]) if m else np.array([-1.0]),
        "short": lambda: u[:-1] if m else np.ones(1),
        "long": lambda: np.ones(m + 1),
        "nan": lambda: np.concatenate([u[:-1], [np.nan]]) if m else np.array([np.nan]),
        "inf": lambda: np.concatenate([u[:-1], [np.inf]]) if m else np.array([np.inf]),
        "2d": lambda: u[:, None],
        "string": lambda: "heavy",
        "scalar_zero": lambda: 0.0,
        "scalar_negative": lambda: -1.0,
    }[sw_kind]()
    note(f"sample_weight: {sw_kind}")
    if "sample_weight" in corrupt and x_ok:
        problems.add("sample_weight")
    if sw_kind == "some_zeros" and x_ok and not sw.any():
        problems.add("sample_weight")  # all drawn zero
    if sw_kind == "huge" and x_ok:  # their sum overflows: fit, or name sample_weight
        problems.add("sample_weight_sum", ("sample_weight",), must_fail=False)

    # ---- constructor parameters
    params = {}

    def param(name, valid, invalid, keywords=None, must_fail=True):
        if name in corrupt:
            value = draw(st.sampled_from(invalid))
            problems.add(name, keywords, must_fail)
        else:
            value = draw(st.sampled_from(valid))
        params[name] = value
        return value

    K = param("n_components", (1, 1, 2, 2, 3, 4, 5, 8, np.int64(2)),
              (0, -1, 2.5, "3", None, np.float64(2.0)))
    valid_K = _is_int(K, 1)
    if valid_K and x_ok and n < K:
        problems.add("n_samples", ("n_samples", "n_components"))
    cov = param("covariance_type", COV_TYPES,
                ("Full", "ful", "", " full", None, 1, "diagonal", b"full"))
    param("tol", (0.0, 1e-3, 1e-3, 0.1, 1), (-1e-3, np.nan, -np.inf, "0.001", None))
    if "tol" not in corrupt and draw(st.integers(0, 20)) == 0:
        params["tol"] = np.inf  # scikit-learn accepts it; refusing it is fine too
        problems.add("tol_inf", ("tol",), must_fail=False)
    param("reg_covar", (0.0, 1e-6, 1e-6, 1e-6, 1e-3, 1), (-1e-6, np.nan, "1e-6", None))
    max_iter = param("max_iter", (0, 1, 2, 3, 5), (-1, 2.0, "3", None))
    param("n_init", (1, 1, 2, 3), (0, -1, 1.0, "2"))
    param("init_params", ("kmeans", "k-means++", "random", "random_from_data"),
          ("KMeans", "k-means", "kmeans ", None, "random_from_data2", 0))
    if "random_state" in corrupt:
        params["random_state"] = draw(st.sampled_from(
            ("abc", 1.5, -1, 2**32, [1, 2], "generator")))
        if params["random_state"] == "generator":
            params["random_state"] = np.random.default_rng(0)
        problems.add("random_state", ("random_state", "seed", "randomstate"))
    else:
        rs = draw(st.sampled_from(("int", "int", "none", "instance", "np_int")))
        seed = int(rng.randint(2**31))
        params["random_state"] = {"int": seed, "none": None, "np_int": np.int64(seed),
                                  "instance": np.random.RandomState(seed)}[rs]
    param("warm_start", (False, False, True, np.bool_(True)), (1, 0, "yes", None))
    param("n_threads", (None, None, 1, 2, 4), (0, -1, 1.5, "2", True))

    # ---- *_init arrays, shaped for the (valid) K, D, covariance type
    k_ = int(K) if valid_K else 2
    cov_ = cov if cov in COV_TYPES else "full"
    if "weights_init" in corrupt or draw(st.integers(0, 3)) == 0:
        if "weights_init" in corrupt:
            kind = draw(st.sampled_from(("short", "long", "unnormalised", "negative",
                                         "nan", "2d", "string")))
            problems.add("weights_init", ("weights",))
        else:
            kind = draw(st.sampled_from(("dirichlet", "with_zero", "list", "uniform")))
        w = rng.dirichlet(np.ones(k_))
        if kind == "with_zero" and k_ > 1:
            w[rng.randint(k_)] = 0.0
        w = w / w.sum()
        params["weights_init"] = {
            "dirichlet": lambda: w, "with_zero": lambda: w, "list": lambda: w.tolist(),
            "uniform": lambda: np.full(k_, 1.0 / k_), "short": lambda: w[:-1],
            "long": lambda: np.append(w, 0.0) * 1.0, "unnormalised": lambda: w * 0.5,
            "negative": lambda: (w + np.eye(1, k_).ravel() - np.eye(1, k_, k_ - 1).ravel()
                                 if k_ > 1 else np.array([-1.0])),
            "nan": lambda: np.append(w[:-1], np.nan), "2d": lambda: w[None],
            "string": lambda: "uniform"}[kind]()
        note(f"weights_init: {kind}")
    if "means_init" in corrupt or draw(st.integers(0, 3)) == 0:
        if "means_init" in corrupt:
            kind = draw(st.sampled_from(("wrong_D", "wrong_K", "1d", "nan", "inf",
                                         "string")))
            problems.add("means_init", ("means",))
        else:
            kind = draw(st.sampled_from(("random", "from_data", "list", "float32",
                                         "huge")))
        mu = rng.randn(k_, d) * 3
        if kind == "from_data" and shape == "2d" and n >= k_:
            mu = np.array(values[rng.permutation(n)[:k_]], dtype=np.float64)
        params["means_init"] = {
            "random": lambda: mu, "from_data": lambda: mu, "list": lambda: mu.tolist(),
            "float32": lambda: mu.astype(np.float32), "huge": lambda: mu * 1e200,
            "wrong_D": lambda: rng.randn(k_, d + 1),
            "wrong_K": lambda: rng.randn(k_ + 1, d),
            "1d": lambda: mu.ravel(),
            "nan": lambda: np.where(np.eye(k_, d) > 0, np.nan, mu),
            "inf": lambda: np.where(np.eye(k_, d) > 0, np.inf, mu),
            "string": lambda: "centres"}[kind]()
        note(f"means_init: {kind}")
    if "precisions_init" in corrupt or draw(st.integers(0, 3)) == 0:
        if "precisions_init" in corrupt:
            kind = draw(st.sampled_from(("wrong_shape", "not_pd", "asymmetric", "nan",
                                         "zero", "string", "other_type")))
            problems.add("precisions_init", ("precision",))
        else:
            kind = draw(st.sampled_from(("pd", "pd", "list", "identity", "small",
                                         "large")))
        P = _precisions(rng, cov_, k_, d)
        other = {"full": "diag", "tied": "spherical", "diag": "full",
                 "spherical": "tied"}[cov_]
        if kind == "identity":
            P = {"full": np.tile(np.eye(d), (k_, 1, 1)), "tied": np.eye(d),
                 "diag": np.ones((k_, d)), "spherical": np.ones(k_)}[cov_]
        elif kind == "asymmetric":
            if cov_ in ("full", "tied") and d > 1:
                P = P + 10 * np.triu(np.ones((d, d)), 1)
            else:
                kind = "not_pd"
        if kind == "other_type" and (_precisions(rng, other, k_, d).shape == P.shape):
            kind = "wrong_shape"
        params["precisions_init"] = {
            "pd": lambda: P, "identity": lambda: P, "asymmetric": lambda: P,
            "list": lambda: P.tolist(), "small": lambda: P * 1e-200,
            "large": lambda: P * 1e200, "wrong_shape": lambda: np.stack([P, P]),
            "not_pd": lambda: -P, "nan": lambda: np.where(P == P.max(), np.nan, P),
            "zero": lambda: np.zeros_like(P), "string": lambda: "eye",
            "other_type": lambda: _precisions(rng, other, k_, d)}[kind]()
        note(f"precisions_init: {kind}")

    note(f"params: { {k: v for k, v in params.items() if not k.endswith('_init')} }")
    note(f"problems: {dict(problems)}")
    return Case(X, sw, params, problems, n, d, x_ok, x_2d_finite, valid_K, cov)


def _readonly(a):
    a.flags.writeable = False
    return a


# ------------------------------------------------------------------ checks
def _caller_objects(case):
    return [case.X, case.sample_weight] + [case.params.get(k) for k in
                                           ("weights_init", "means_init",
                                            "precisions_init")]


# Why a valid example may still be refused (degenerate data or parameters).
DEGENERATE = ("ill-defined empirical covariance", "zero density",
              "samples of positive weight",
              # float32 data with *_init outside float32's range (refused, named)
              "not representable in float32")


def _check_error(exc, problems, what, valid_errors=DEGENERATE):
    """An accepted error: it names one of the example's problems; or, when none of
    them must fail, it names a maybe-problem or is one of ``valid_errors``."""
    msg = str(exc)
    named = any(k in msg.lower() for k in problems.keywords())
    if problems.must_fail:
        assert named, (
            f"{what}: {type(exc).__name__}({msg!r}) names none of the problems "
            f"{sorted(problems)} (expected one of {sorted(problems.keywords())})")
        return
    assert named or any(v in msg for v in valid_errors), (
        f"{what} raised {type(exc).__name__}({msg!r}) on valid input"
        + (f" (maybe-problems {sorted(problems)})" if problems else ""))
    if not problems:
        ACCEPTED[f"{what}: {type(exc).__name__}: {msg.splitlines()[0][:110]}"] += 1


def _assert_pd(m, what):
    """Finite, symmetric, positive (semi-)definite to round-off of its dtype (a float32
    attribute is a rounded float64 matrix), positive diagonal."""
    assert np.isfinite(m).all(), f"{what} not finite: {m}"
    tol = 100 * m.shape[0] * np.finfo(m.dtype).eps
    scale = np.abs(m).max()
    assert np.allclose(m, m.T, rtol=0, atol=tol * scale), f"{what} not symmetric"
    assert (np.diag(m) > 0).all(), f"{what} has a non-positive diagonal: {np.diag(m)}"
    eig = np.linalg.eigvalsh(m.astype(np.float64))
    assert eig.min() > -tol * eig.max(), f"{what} not positive definite: {eig}"


def _check_fitted(est, K, D, max_iter, dtype):
    cov = est.covariance_type
    w = est.weights_
    assert w.shape == (K,) and w.dtype == dtype, (w.shape, w.dtype, dtype)
    assert np.isfinite(w).all() and (w >= 0).all(), f"weights_ {w}"
    if max_iter > 0:
        # with max_iter=0 weights_ are the initialiser's, unnormalised for
        # 'k-means++' / 'random_from_data' exactly as scikit-learn's (nk / n_samples)
        assert abs(w.sum() - 1.0) <= 1e-6, f"weights_ sum to {w.sum()!r}"
    assert est.means_.shape == (K, D) and np.isfinite(est.means_).all(), est.means_
    assert est.means_.dtype == dtype, f"means_ has dtype {est.means_.dtype}"
    shapes = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}
    for name in ("covariances_", "precisions_", "precisions_cholesky_"):
        a = getattr(est, name)
        assert a.shape == shapes[cov], f"{name} shape {a.shape}, expected {shapes[cov]}"
        assert a.dtype == dtype, f"{name} has dtype {a.dtype}, expected {dtype}"
        assert np.isfinite(a).all(), f"{name} not finite: {a}"
    for name in ("covariances_", "precisions_"):
        a = getattr(est, name)
        if cov in ("full", "tied"):
            for k, m in enumerate(a if cov == "full" else a[None]):
                _assert_pd(m, f"{name}[{k}]")
        else:
            assert (a > 0).all(), f"{name} not positive: {a}"
    pc = est.precisions_cholesky_
    if cov in ("full", "tied"):
        for u in (pc if cov == "full" else pc[None]):
            assert (np.diag(u) > 0).all(), f"precisions_cholesky_ diagonal {np.diag(u)}"
    else:
        assert (pc > 0).all(), f"precisions_cholesky_ {pc}"
    assert isinstance(est.converged_, (bool, np.bool_))
    assert 0 <= est.n_iter_ <= max_iter
    assert len(est.lower_bounds_) == est.n_iter_
    assert np.isfinite(est.lower_bounds_).all(), est.lower_bounds_
    if est.n_iter_ > 0:
        assert np.isfinite(est.lower_bound_) and est.lower_bound_ == est.lower_bounds_[-1]
    assert est.n_features_in_ == D
    assert not hasattr(est, "feature_names_in_")


def _call(est, what, fn, problems, valid_errors=()):
    """fn() -> result, or None after an accepted error; the estimator unchanged.
    On valid input only errors whose message contains one of valid_errors pass."""
    before = _estimator_state(est)
    try:
        out = fn()
    except (ValueError, TypeError) as exc:
        _check_error(exc, problems, what, valid_errors)
        out = None
    else:
        assert not problems.must_fail, (
            f"{what} accepted an input with problems {dict(problems)}")
    _assert_same_state(est, before, what)
    return out


def _check_methods(est, X, n, K, D, problems=Problems()):
    """predict, predict_proba, score_samples, score, bic, aic, sample on X."""
    # rows of zero density (overflow) have no label: documented ValueError
    zero = ("zero density",)
    labels = _call(est, "predict", lambda: est.predict(X), problems, zero)
    if labels is not None:
        assert labels.shape == (n,) and labels.dtype.kind in "iu"
        assert ((labels >= 0) & (labels < K)).all(), labels
    resp = _call(est, "predict_proba", lambda: est.predict_proba(X), problems, zero)
    if resp is not None:
        assert resp.shape == (n, K) and np.isfinite(resp).all() and (resp >= 0).all()
        assert np.abs(resp.sum(axis=1) - 1).max() <= 1e-6, resp.sum(axis=1)
    ll = _call(est, "score_samples", lambda: est.score_samples(X), problems)
    if ll is not None:
        assert ll.shape == (n,) and not np.isnan(ll).any() and (ll < np.inf).all(), ll
    for name in ("score", "bic", "aic"):
        v = _call(est, name, lambda: getattr(est, name)(X), problems)
        if v is not None:
            assert isinstance(v, numbers.Real) and not np.isnan(v), (name, v)
    if not problems:
        m = 7
        out = _call(est, "sample", lambda: est.sample(m), problems)
        if out is not None:
            Xs, ys = out
            assert Xs.shape == (m, D) and np.isfinite(Xs).all()
            assert ys.shape == (m,) and ((ys >= 0) & (ys < K)).all()


def _fit_and_check(est, case, *, previous_K=None, previous_D=None,
                   previous_cov=None):
    """fit(case) on est (fresh, or fitted with K, D, covariance type previous_*)."""
    problems = Problems(case.problems)
    params_before = {k: _fingerprint(v) for k, v in est.get_params().items()}
    ws = case.params["warm_start"]
    warm = previous_K is not None and isinstance(ws, (bool, np.bool_)) and bool(ws)
    if warm and case.x_ok and case.n_features != previous_D:
        problems.add("warm_start_features", ("features",))
    if warm and (case.params["n_components"] != previous_K
                 or case.params["covariance_type"] != previous_cov):
        # continuing a fit with another model structure: refusing it is fine
        problems.add("warm_start_structure", ("n_components", "covariance", "shape"),
                     must_fail=False)
    callers = _caller_objects(case)
    before = [_fingerprint(o) for o in callers]
    state_before = _estimator_state(est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est.fit(case.X, sample_weight=case.sample_weight)
        except (ValueError, TypeError) as exc:
            note(f"fit raised {type(exc).__name__}: {exc}")
            event("fit refused: " + ("invalid input" if case.problems else
                                     "valid input"))
            error = exc
        else:
            error = None
        assert [_fingerprint(o) for o in callers] == before, \
            "fit modified the caller's arrays (X, sample_weight or *_init)"
        assert {k: _fingerprint(v) for k, v in est.get_params().items()} == \
            params_before, "fit modified the estimator's parameters"
        if error is not None:
            _check_error(error, problems, "fit")
            _assert_same_state(est, state_before, "failed fit")
            return False
        assert not problems.must_fail, (
            f"fit accepted an input with problems {dict(problems)}")
        event("fit succeeded")
        K = previous_K if warm else int(case.params["n_components"])
        # float32 data gives float32 attributes (as scikit-learn), anything else float64
        f32 = isinstance(case.X, np.ndarray) and case.X.dtype == np.float32
        dtype = np.float32 if f32 else np.float64
        _check_fitted(est, K, case.n_features, case.params["max_iter"], dtype)
        _check_methods(est, case.X, case.n_rows, K, case.n_features)
        assert [_fingerprint(o) for o in callers] == before, \
            "a method modified the caller's arrays"
    return True


# ------------------------------------------------------------------ tests
@SETTINGS
@given(case=fit_cases())
def test_fit_fits_or_refuses_and_never_modifies_input(case):
    est = GaussianMixture(**case.params)
    _fit_and_check(est, case)


@SETTINGS
@given(case=fit_cases(), k0=st.integers(1, 3), d0=st.one_of(st.none(), st.integers(1, 5)),
       cov0=st.sampled_from(COV_TYPES), f32=st.booleans(), seed=st.integers(0, 1000))
def test_fitted_estimator_keeps_its_fit_on_bad_input(case, k0, d0, cov0, f32, seed):
    """A fitted estimator: methods on (maybe bad) X, then a refit with (maybe bad)
    parameters and data; every refused call leaves the previous fit exactly."""
    d0 = case.n_features if d0 is None else d0
    rng = np.random.RandomState(seed)
    centers = rng.randn(k0, d0) * 8
    X0 = centers[rng.randint(k0, size=90)] + rng.randn(90, d0)
    X0 = X0.astype(np.float32 if f32 else np.float64)
    est = GaussianMixture(k0, covariance_type=cov0, random_state=seed, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X0)

    # inference on the caller's X: refused (and harmless) when it does not fit
    problems = Problems(case.problems)
    for name in ("sample_weight", "n_samples", "X_n_samples"):
        problems.pop(name, None)
    for name in [p for p in problems if p not in ("X_shape", "X_nonfinite")]:
        problems.pop(name)
    if case.x_2d_finite and case.n_features != d0:
        problems.add("n_features", ("features",))
    before = _fingerprint(case.X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check_methods(est, case.X, case.n_rows, k0, d0, problems)
    assert _fingerprint(case.X) == before, "a method modified the caller's X"

    # a refit with the example's parameters
    est.set_params(**case.params)
    _fit_and_check(est, case, previous_K=k0, previous_D=d0, previous_cov=cov0)


# ------------------------------------------------------------------ regressions
# Minimal examples of what the fuzzing above found, so that each fails on every run
# (the fuzzing finds them only on some seeds).
def _fit_quietly(est, X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, **kw)


@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random", "random_from_data"])
def test_max_iter_0_weights_are_scikit_learns_and_sampling_works(init):
    # k-means++ / random_from_data: weights_ == 1/n_samples each, as scikit-learn's
    # (the initialiser's nk / n, never normalised without an M-step); sample() works
    from sklearn.mixture import GaussianMixture as SkGMM
    X = np.random.RandomState(0).randn(100, 2)
    g = _fit_quietly(GaussianMixture(3, max_iter=0, init_params=init, random_state=0), X)
    sk = _fit_quietly(SkGMM(3, max_iter=0, init_params=init, random_state=0), X)
    np.testing.assert_allclose(g.weights_, sk.weights_, rtol=1e-12)
    assert g.sample(10)[0].shape == (10, 2)


def test_max_iter_0_single_component_can_sample():
    # weights_ == [1 + 5 eps]: RandomState.multinomial refuses pvals > 1
    g = _fit_quietly(GaussianMixture(1, max_iter=0, random_state=0),
                     np.array([[4.24], [0.48]]))
    assert g.sample(3)[0].shape == (3, 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("max_iter", [0, 5])
def test_tiny_sample_weights_fit_or_are_refused(dtype, max_iter):
    # float32: ZeroDivisionError in SufficientStatistics.mean_log_likelihood (the
    # weights underflow in float32); max_iter=0: weights_ ~1e283 (float64) or inf
    X = np.random.RandomState(0).randn(50, 2).astype(dtype)
    g = GaussianMixture(2, max_iter=max_iter, random_state=0)
    try:
        _fit_quietly(g, X, sample_weight=np.full(50, 1e-300))
    except ValueError as exc:
        assert "sample_weight" in str(exc)
        return
    assert np.isfinite(g.weights_).all() and abs(g.weights_.sum() - 1) <= 1e-6
    assert np.isfinite(g.precisions_).all() and np.isfinite(g.covariances_).all()


@pytest.mark.parametrize("scale", [1e-100, 1e307])
def test_sample_weight_scale_does_not_change_the_fit(scale):
    # a weight of k is k copies of the row: scaling every weight changes nothing.
    # 1e-100: the fit differs (lower_bound_ -684196 instead of -2.84: the absolute
    # 10 * eps added to nk dominates); 1e307: the weight sum overflows and the fit
    # fails with a message about 'weights' or ill-defined covariances.
    X = np.random.RandomState(0).randn(50, 2) + 5
    ref = _fit_quietly(GaussianMixture(2, max_iter=5, random_state=0), X)
    g = GaussianMixture(2, max_iter=5, random_state=0)
    try:
        _fit_quietly(g, X, sample_weight=np.full(50, scale))
    except ValueError as exc:
        assert "sample_weight" in str(exc), str(exc)
        return
    np.testing.assert_allclose(g.means_, ref.means_, rtol=1e-6)
    np.testing.assert_allclose(g.lower_bound_, ref.lower_bound_, rtol=1e-6)


@pytest.mark.parametrize("init", [dict(means_init=[[1e200]]),
                                  dict(precisions_init=[[[1e-50]]]),
                                  dict(precisions_init=[[[1e50]]])])
def test_float32_fit_never_publishes_infinite_attributes(init):
    # max_iter=0 publishes the initial parameters cast to float32: 1e200 -> inf
    X = np.random.RandomState(0).randn(20, 1).astype(np.float32)
    g = GaussianMixture(1, max_iter=0, **init)
    try:
        _fit_quietly(g, X)
    except ValueError:
        return
    for name in ("means_", "covariances_", "precisions_", "precisions_cholesky_"):
        a = getattr(g, name)
        assert np.isfinite(a).all() and (name == "means_" or (a > 0).all()), (name, a)


@pytest.mark.parametrize("old,new", [("full", "diag"), ("full", "tied"),
                                     ("diag", "spherical"), ("spherical", "full")])
def test_warm_start_after_changing_covariance_type(old, new):
    # the refit continues the old model: covariances_ keep the old shape and every
    # method then raises "precisions_cholesky (diag) must have shape ..."
    X = np.random.RandomState(0).randn(90, 2)
    g = _fit_quietly(GaussianMixture(2, covariance_type=old, random_state=0), X)
    g.set_params(covariance_type=new, warm_start=True)
    try:
        _fit_quietly(g, X)
    except ValueError as exc:
        assert "covariance_type" in str(exc)
        return
    D, K = 2, 2
    shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[new]
    assert g.covariances_.shape == shape
    g.predict(X)
