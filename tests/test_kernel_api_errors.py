"""The public kernel API (fastgmm.kernels) as a trust boundary.

Contract under test:

* every bad call raises ValueError or TypeError -- never a crash, an IndexError or
  silently wrong numbers -- either when GMMParameters is built or when the kernel is
  called, with a message naming the offending argument or field;
* every valid call (any shapes, float32/float64 X, C/Fortran order, strided views,
  read-only arrays, parameters as any array-like of reals) succeeds, returns finite
  values that match a direct NumPy evaluation of the definition, and modifies none
  of its arguments; GMMParameters keeps its own float64 copies.
"""
import copy
import dataclasses
from dataclasses import dataclass
from typing import Callable, NamedTuple, Tuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp

from fastgmm.kernels import (GMMParameters, SufficientStatistics, m_step, score,
                             sufficient_statistics)

# A bad call raises and does nothing else: no RuntimeWarning (numpy's ComplexWarning,
# divide by zero, overflow, invalid value) on the way, from bad or from valid calls.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

COV_TYPES = ("full", "tied", "diag", "spherical")
ANY_ERROR = (ValueError, TypeError)

# What an error message must contain to name each argument or field.  Word
# boundaries keep e.g. "weights" from matching "sample_weights" and X from
# matching any word containing an x.
NAME_PATTERN = {
    "weights": r"(?i)\bweights\b",
    "means": r"(?i)\bmeans\b",
    "precisions_cholesky": r"(?i)precisions_cholesky",
    "covariance_type": r"(?i)covariance_type",
    "params": r"(?i)\bparams\b",
    "X": r"\bX\b",
    "sample_weight": r"(?i)sample_weight",
    "n_threads": r"(?i)n_threads",
    "stats": r"(?i)\bstats\b",
    "reg_covar": r"(?i)reg_covar",
}


# ----------------------------------------------------------------------------------
# Valid inputs
# ----------------------------------------------------------------------------------

def random_weights(rng, k):
    """Positive weights summing to exactly 1, also in float32 (multiples of 2**-20)."""
    m = 2 ** 20
    counts = np.floor(rng.dirichlet(np.ones(k)) * (m - k)) + 1
    counts[np.argmax(counts)] += m - counts.sum()
    return counts / m


def random_factors(rng, cov, k, d):
    """Precision Cholesky factors: upper triangular with a positive diagonal."""
    if cov in ("full", "tied"):
        u = np.triu(rng.randn(k if cov == "full" else 1, d, d) * 0.3, 1)
        u[:, np.arange(d), np.arange(d)] = rng.uniform(0.5, 2.0, size=(u.shape[0], d))
        return u if cov == "full" else u[0]
    if cov == "diag":
        return rng.uniform(0.5, 2.0, size=(k, d))
    return rng.uniform(0.5, 2.0, size=k)


_FROM_FIELDS = object()


@dataclass(frozen=True)
class Case:
    """The arguments of one kernel call; ``params`` overrides the GMMParameters
    that is otherwise built from the four fields."""
    covariance_type: object
    weights: object
    means: object
    precisions_cholesky: object
    X: object
    sample_weight: object = None
    n_threads: object = None
    params: object = _FROM_FIELDS

    def make_params(self):
        if self.params is not _FROM_FIELDS:
            return self.params
        return GMMParameters(weights=self.weights, means=self.means,
                             precisions_cholesky=self.precisions_cholesky,
                             covariance_type=self.covariance_type)

    @property
    def n_components(self):
        return np.shape(self.means)[0]

    @property
    def n_features(self):
        return np.shape(self.means)[1]


def valid_case(cov, n=20, d=3, k=4, seed=0):
    rng = np.random.RandomState(seed)
    return Case(covariance_type=cov, weights=random_weights(rng, k),
                means=rng.randn(k, d) * 2,
                precisions_cholesky=random_factors(rng, cov, k, d),
                X=rng.randn(n, d) * 2, sample_weight=rng.uniform(0.1, 2.0, size=n))


def call_sufficient_statistics(case):
    return sufficient_statistics(case.X, case.make_params(), n_threads=case.n_threads,
                                 sample_weight=case.sample_weight)


def call_score(case):
    return score(case.X, case.make_params(), n_threads=case.n_threads,
                 weighted_logprob=True, resp=True, loglik=True, label=True)


KERNELS = {"sufficient_statistics": call_sufficient_statistics, "score": call_score}


def reference_weighted_logprob(X, weights, means, factors, cov):
    """log w_k + sum log diag U_k - D/2 log 2pi - 1/2 ||(x - mu_k)^T U_k||^2."""
    X, weights, means, factors = (np.asarray(a, dtype=np.float64)
                                  for a in (X, weights, means, factors))
    n, d = X.shape
    out = np.empty((n, len(weights)))
    for k in range(len(weights)):
        U = {"full": lambda: factors[k], "tied": lambda: factors,
             "diag": lambda: np.diag(factors[k]),
             "spherical": lambda: factors[k] * np.eye(d)}[cov]()
        y = (X - means[k]) @ U
        out[:, k] = (np.log(weights[k]) + np.log(np.diag(U)).sum()
                     - 0.5 * d * np.log(2 * np.pi) - 0.5 * (y ** 2).sum(axis=1))
    return out


def assert_close(actual, expected, rtol, what):
    """|actual - expected| <= rtol * max(1, |expected|), elementwise."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected)
    err = np.abs(actual - expected)
    bound = rtol * np.maximum(1.0, np.abs(expected))
    worst = np.unravel_index(np.argmax(err / bound), err.shape) if err.ndim else ()
    assert np.all(err <= bound), (f"{what}: {actual[worst]!r} vs {expected[worst]!r} "
                                  f"(error {err[worst]:.3g} > {bound[worst]:.3g})")


# ----------------------------------------------------------------------------------
# Corruptions: each turns a valid case into one with exactly one bad field.  Where
# shapes disagree, the bad field is the odd one out (weights of K-1 against means and
# factors of K; means of D+1 against factors and X of D), so the message must name
# it -- naming both sides of the mismatch is best.
# ----------------------------------------------------------------------------------

class Corruption(NamedTuple):
    name: str
    field: str                                   # the field named by the error
    apply: Callable                              # (case, rng) -> corrupted case
    covs: Tuple[str, ...] = COV_TYPES            # covariance types it applies to
    kernels: Tuple[str, ...] = tuple(KERNELS)    # kernels it applies to
    errors: tuple = ANY_ERROR                    # accepted exception types

    def __repr__(self):  # for hypothesis' falsifying examples
        return f"Corruption({self.name!r})"


_PRECISION = "precisions_cholesky"
_TRIANGULAR = ("full", "tied")
_PER_COMPONENT = ("full", "diag", "spherical")
_PER_FEATURE = ("full", "tied", "diag")


def _set(field, fn):
    """Corrupt one field: fn(value as a float64 array, case, rng) -> new value."""
    def apply(case, rng):
        value = np.array(getattr(case, field), dtype=np.float64)
        return dataclasses.replace(case, **{field: fn(value, case, rng)})
    return apply


def _put(value_fn, where=None):
    """Write value_fn(old) at one random entry.  For the factors of full and tied,
    where picks it: 'upper' (on or above the diagonal), 'diagonal' or 'below'."""
    def fn(a, case, rng):
        a = a.copy()
        idx = np.unravel_index(rng.randint(a.size), a.shape)
        if where is not None and case.covariance_type in _TRIANGULAR:
            d = a.shape[-1]
            i, j = sorted(rng.choice(d, 2, replace=False)) if d > 1 else (0, 0)
            idx = idx[:-2] + {"upper": (i, j) if rng.rand() < 0.5 else (j, j),
                              "diagonal": (i, i), "below": (j, i)}[where]
        a[idx] = value_fn(a[idx])
        return a
    return fn


def _ragged(a, case, rng):
    """A nested list whose last row is one entry short (or, for 1-D, one entry long)."""
    if a.ndim == 1:
        return [[a[0], a[0]]] + [[v] for v in a[1:]]
    rows = a.tolist()
    rows[-1] = rows[-1][:-1]
    return rows


def _with_none(a, case, rng):
    out = a.astype(object)
    out.flat[rng.randint(a.size)] = None
    return out.tolist()


def _resize(axis, delta):
    """Drop the last entry (delta=-1) or repeat it (delta=+1) along axis."""
    def fn(a, case, rng):
        if delta < 0:
            return np.delete(a, -1, axis=axis)
        return np.concatenate([a, np.take(a, [-1], axis=axis)], axis=axis)
    return fn


def _factor_features(delta):
    """Factors valid in form, but for D + delta features."""
    def fn(a, case, rng):
        d = case.n_features + delta
        return random_factors(rng, case.covariance_type, case.n_components, d)
    return fn


def _many_components(case, rng):
    """Weights and means for 200,000 components, factors for one."""
    k, d = 200_000, case.n_features
    return dataclasses.replace(
        case, weights=np.full(k, 1.0 / k), means=rng.randn(k, d),
        precisions_cholesky=np.array(case.precisions_cholesky)[:1])


def bad(field, name, fn, **kw):
    """A corruption of one field by fn(value as a float64 array, case, rng)."""
    return Corruption(f"{field}: {name}", field, _set(field, fn), **kw)


def _replace(field, value, **kw):
    """A corruption replacing one field (or argument) by value."""
    return Corruption(f"{field}: {value!r}", field,
                      lambda case, rng: dataclasses.replace(case, **{field: value}), **kw)


def _general_corruptions(field, dims=True):
    """Corruptions that apply to any numeric array field."""
    where = "upper" if field == _PRECISION else None
    return [
        bad(field, "NaN", _put(lambda v: np.nan, where)),
        bad(field, "+inf", _put(lambda v: np.inf, where)),
        bad(field, "-inf", _put(lambda v: -np.inf, where)),
        *([bad(field, "extra dimension", lambda a, c, r: a[None]),
           bad(field, "missing dimension", lambda a, c, r: a[0])] if dims else []),
        bad(field, "strings", lambda a, c, r: np.full(a.shape, "a")),
        bad(field, "None", lambda a, c, r: None),
        bad(field, "None entry", _with_none),
        bad(field, "ragged list", _ragged),
        bad(field, "complex", lambda a, c, r: a + 0.5j),
    ]


def _not_params(name, build):
    """Valid fields in something that is not a GMMParameters."""
    def apply(case, rng):
        fields = {f: getattr(case, f) for f in
                  ("weights", "means", "precisions_cholesky", "covariance_type")}
        return dataclasses.replace(case, params=build(fields))
    return Corruption(f"params: {name}", "params", apply, errors=TypeError)


CORRUPTIONS = [
    # weights
    bad("weights", "K-1", _resize(0, -1)),
    bad("weights", "K+1", _resize(0, +1)),
    bad("weights", "one negative", _put(lambda v: -v)),
    bad("weights", "all zero", lambda a, c, r: 0 * a),
    *_general_corruptions("weights"),
    # means
    bad("means", "D+1 features", _resize(1, +1), covs=_PER_FEATURE),
    bad("means", "D-1 features", _resize(1, -1), covs=_PER_FEATURE),
    *_general_corruptions("means"),
    # precisions_cholesky
    bad(_PRECISION, "one component only", lambda a, c, r: a[:1], covs=_PER_COMPONENT),
    Corruption(f"{_PRECISION}: one of 200,000 components", _PRECISION, _many_components,
               covs=_PER_COMPONENT),
    bad(_PRECISION, "K+1 components", _resize(0, +1), covs=_PER_COMPONENT),
    bad(_PRECISION, "D-1 features", _factor_features(-1), covs=_PER_FEATURE),
    bad(_PRECISION, "D+1 features", _factor_features(+1), covs=_PER_FEATURE),
    bad(_PRECISION, "zero diagonal", _put(lambda v: 0.0, "diagonal")),
    bad(_PRECISION, "negative diagonal", _put(lambda v: -v, "diagonal")),
    bad(_PRECISION, "non-zero below the diagonal", _put(lambda v: 0.5, "below"),
        covs=_TRIANGULAR),
    *_general_corruptions(_PRECISION),
    # covariance_type
    *[_replace("covariance_type", v) for v in ("ful", None, 3)],
    # params
    _not_params("dict", dict),
    _not_params("tuple", lambda fields: tuple(fields.values())),
    # X
    bad("X", "1-D", lambda a, c, r: a[:, 0]),
    bad("X", "3-D", lambda a, c, r: a[None]),
    bad("X", "zero rows", lambda a, c, r: a[:0]),
    bad("X", "D-1 features", _resize(1, -1)),
    bad("X", "D+1 features", _resize(1, +1)),
    *_general_corruptions("X", dims=False),
    # sample_weight (sufficient_statistics only)
    *[bad("sample_weight", name, fn, kernels=("sufficient_statistics",)) for name, fn in [
        ("N-1", _resize(0, -1)), ("N+1", _resize(0, +1)),
        ("one negative", _put(lambda v: -v)),
        ("NaN", _put(lambda v: np.nan)), ("+inf", _put(lambda v: np.inf)),
        ("2-D", lambda a, c, r: a[:, None]),
        ("strings", lambda a, c, r: np.full(a.shape, "a"))]],
    # n_threads
    *[_replace("n_threads", v) for v in (0, -1, 1.5, "2")],
]


def assert_rejected(corruption, case, kernel):
    with pytest.raises(corruption.errors, match=NAME_PATTERN[corruption.field]):
        KERNELS[kernel](case)


_TABLE = [pytest.param(c, cov, kernel, id=f"{cov}-{kernel}-{c.name}")
          for c in CORRUPTIONS for cov in c.covs for kernel in c.kernels]


@pytest.mark.parametrize("corruption, cov, kernel", _TABLE)
def test_bad_input_raises_naming_it(corruption, cov, kernel):
    case = valid_case(cov)
    KERNELS[kernel](case)  # the uncorrupted case is fine
    assert_rejected(corruption, corruption.apply(case, np.random.RandomState(0)), kernel)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), corruption=st.sampled_from(CORRUPTIONS),
       n=st.integers(2, 50), d=st.integers(2, 6), k=st.integers(2, 5),
       seed=st.integers(0, 2 ** 31 - 1))
def test_any_single_corruption_raises_naming_it(data, corruption, n, d, k, seed):
    cov = data.draw(st.sampled_from(corruption.covs), label="cov")
    kernel = data.draw(st.sampled_from(corruption.kernels), label="kernel")
    case = valid_case(cov, n=n, d=d, k=k, seed=seed)
    corrupted = corruption.apply(case, np.random.RandomState(seed))
    assert_rejected(corruption, corrupted, kernel)


# ----------------------------------------------------------------------------------
# m_step
# ----------------------------------------------------------------------------------

@pytest.fixture(params=COV_TYPES)
def stats(request):
    return call_sufficient_statistics(valid_case(request.param))


NOT_STATISTICS = {  # name: build(valid statistics)
    "None": lambda stats: None,
    "tuple": lambda stats: (),
    "array": lambda stats: np.zeros(3),
    "string": lambda stats: "nk",
    "dict of fields": lambda stats: {f: getattr(stats, f) for f in ("nk", "s1", "s2")},
    "GMMParameters": lambda stats: valid_case(stats.covariance_type).make_params(),
}


@pytest.mark.parametrize("not_stats", list(NOT_STATISTICS))
def test_m_step_rejects_non_statistics(stats, not_stats):
    with pytest.raises(ANY_ERROR, match=NAME_PATTERN["stats"]):
        m_step(NOT_STATISTICS[not_stats](stats))


@pytest.mark.parametrize("reg_covar", [-1e-6, np.nan, np.inf, "1e-6", None])
def test_m_step_rejects_bad_reg_covar(stats, reg_covar):
    with pytest.raises(ANY_ERROR, match=NAME_PATTERN["reg_covar"]):
        m_step(stats, reg_covar=reg_covar)


# ----------------------------------------------------------------------------------
# Valid inputs: success, finite outputs matching the definition, arguments untouched
# ----------------------------------------------------------------------------------

# The same values laid out differently: X in any memory layout, parameters as any
# array-like of reals.
X_LAYOUTS = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "rows[::2] view": lambda a: np.repeat(a, 2, axis=0)[::2],
    "rows[::2] copy": lambda a: np.repeat(a, 2, axis=0)[::2].copy(),
    "cols[::2] view": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "cols[::2] copy": lambda a: np.repeat(a, 2, axis=1)[:, ::2].copy(),
    "F rows[::2] view": lambda a: np.asfortranarray(np.repeat(a, 2, axis=0))[::2],
    "reversed view": lambda a: a[::-1].copy()[::-1],  # negative strides
}
PARAM_KINDS = {
    "float64": lambda a: a,
    "float32": lambda a: a.astype(np.float32),
    "list": lambda a: a.tolist(),
    "Fortran": np.asfortranarray,
    "strided view": lambda a: np.repeat(a, 2, axis=0)[::2],
}


def read_only(a):
    if isinstance(a, np.ndarray):
        a.flags.writeable = False
    return a


def snapshot(values):
    return [np.array(v) if isinstance(v, np.ndarray) else copy.deepcopy(v)
            for v in values]


def assert_unchanged(values, before):
    for v, b in zip(values, before):
        if isinstance(v, np.ndarray):
            assert v.dtype == b.dtype and v.shape == b.shape and np.array_equal(v, b)
        else:
            assert v == b


def assert_valid_params(p, k, d, cov):
    """A GMMParameters holding finite float64 arrays of the right shapes."""
    assert isinstance(p, GMMParameters)
    factor_shape = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    for a, shape in ((p.weights, (k,)), (p.means, (k, d)),
                     (p.precisions_cholesky, factor_shape[cov])):
        assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == shape
        assert np.isfinite(a).all()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), d=st.integers(1, 6), k=st.integers(1, 5),
       cov=st.sampled_from(COV_TYPES), dtype=st.sampled_from([np.float64, np.float32]),
       layout=st.sampled_from(list(X_LAYOUTS)),
       param_kind=st.sampled_from(list(PARAM_KINDS)),
       weighted=st.booleans(), readonly=st.booleans(),
       n_threads=st.sampled_from([None, 1, 2, np.int64(2)]),
       seed=st.integers(0, 2 ** 31 - 1))
def test_valid_inputs_succeed_match_the_definition_and_are_not_modified(
        n, d, k, cov, dtype, layout, param_kind, weighted, readonly, n_threads, seed):
    rng = np.random.RandomState(seed)
    fields = [PARAM_KINDS[param_kind](a) for a in (
        random_weights(rng, k), rng.randn(k, d) * 2, random_factors(rng, cov, k, d))]
    X = X_LAYOUTS[layout]((rng.randn(n, d) * 2).astype(dtype))
    w = X_LAYOUTS[layout](rng.uniform(0.1, 2.0, size=(n, 1)))[:, 0] if weighted else None
    args = [*fields, X, w]
    if readonly:
        args = [read_only(a) for a in args]
    before = snapshot(args)

    case = Case(cov, *args, n_threads=n_threads)
    wlp, resp, ll, label = call_score(case)
    stats = call_sufficient_statistics(case)
    assert_unchanged(args, before)

    # score: shapes, finiteness, and the definition
    assert wlp.shape == resp.shape == (n, k) and ll.shape == label.shape == (n,)
    for a in (wlp, resp, ll):
        assert np.isfinite(a).all()
    rtol_definition = 1e-8 if dtype == np.float64 else 1e-3
    rtol_consistency = 1e-6 if dtype == np.float64 else 1e-3
    ref = reference_weighted_logprob(X, *fields, cov)
    assert_close(wlp, ref, rtol_definition, "weighted_logprob vs the definition")
    assert_close(ll, logsumexp(wlp, axis=1), rtol_consistency, "loglik vs logsumexp")
    assert np.all(resp >= 0)
    np.testing.assert_allclose(resp.sum(axis=1), 1.0, rtol=0, atol=1e-6)
    assert np.array_equal(label, wlp.argmax(axis=1))

    # sufficient statistics: finite and consistent with the scores
    assert isinstance(stats, SufficientStatistics)
    sw = np.ones(n) if w is None else np.asarray(w, dtype=np.float64)
    for a in (stats.nk, stats.s1, stats.s2, stats.loglik_sum, stats.weight_sum,
              stats.mean_log_likelihood):
        assert np.isfinite(a).all()
    assert stats.nk.shape == (k,) and stats.s1.shape == (k, d)
    assert_close(stats.weight_sum, sw.sum(), rtol_consistency, "weight_sum")
    assert_close(stats.loglik_sum / sw.sum(), (sw * ll).sum() / sw.sum(),
                 rtol_consistency, "mean log-likelihood vs score")
    assert_close(stats.nk / sw.sum(), (sw[:, None] * resp).sum(0) / sw.sum(),
                 rtol_consistency, "nk vs score")

    # m_step: finite, valid parameters the kernels accept.  (reg_covar well above
    # float32 rounding of the moments: from float32 data, a component fitted to one
    # point can get a covariance of -1e-6 and is then rightly "ill-defined".)
    new, covariances = m_step(stats, reg_covar=1e-3)
    assert np.isfinite(covariances).all()
    assert_valid_params(new, k, d, cov)
    assert np.isfinite(score(X, new, loglik=True)[0]).all()


@pytest.mark.parametrize("kind", list(PARAM_KINDS))
@pytest.mark.parametrize("cov", COV_TYPES)
def test_params_keep_their_own_float64_copy(cov, kind):
    case = valid_case(cov)
    fields = [PARAM_KINDS[kind](np.array(a))
              for a in (case.weights, case.means, case.precisions_cholesky)]
    before = snapshot(fields + [case.X])
    p = GMMParameters(*fields, covariance_type=cov)
    assert_valid_params(p, case.n_components, case.n_features, cov)
    for stored, given_ in zip((p.weights, p.means, p.precisions_cholesky), fields):
        np.testing.assert_array_equal(stored, np.asarray(given_, dtype=np.float64))
        assert not (isinstance(given_, np.ndarray) and np.shares_memory(stored, given_))

    def results():
        stats = sufficient_statistics(case.X, p)
        scores = score(case.X, p, weighted_logprob=True, resp=True, loglik=True,
                       label=True)
        return (*scores, stats.loglik_sum, stats.nk, stats.s1, stats.s2)

    first = results()
    assert_unchanged(fields + [case.X], before)
    for a in fields:  # the caller reuses its arrays (or lists): p must not see it
        if isinstance(a, np.ndarray):
            a[...] = np.nan
        else:
            a.clear()
    for a, b in zip(first, results()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("field, value, message", [
    ("shift", np.array([[np.nan, 0.0], [1.0, 1.0]]), "NaN or infinity"),
    ("nk", np.array([-1.0, 3.0]), "negative responsibility sums"),
])
def test_m_step_rejects_hand_built_statistics_it_cannot_use(field, value, message):
    """Statistics built by hand (from_fields) get the checks that the estimators'
    own loop, fed by the kernels, can skip: nothing invalid is returned."""
    fields = dict(nk=np.array([2.0, 3.0]), s1=np.zeros((2, 2)), s2=np.ones((2, 2)))
    shift = np.zeros((2, 2))
    if field == "shift":
        shift = value
    else:
        fields[field] = value
    stats = SufficientStatistics.from_fields(shift, "diag", 1e-16, **fields)
    with pytest.raises(ValueError, match=message):
        m_step(stats)
