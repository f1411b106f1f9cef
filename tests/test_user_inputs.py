"""pandas input as new users pass it: Series, text/categorical columns, nullable
dtypes, object columns, mixed float widths, empty frames.

Every case goes through fit and, after a fit on good data with the same columns,
through predict; the caller's data is never modified.
"""
import pickle
import re

import numpy as np
import pytest

from fastgmm import GaussianMixture
from fastgmm._validation import check_array

pd = pytest.importorskip("pandas")

N = 40


def _numbers(columns, seed=0):
    """A good all-float64 frame with the given columns."""
    rng = np.random.RandomState(seed)
    return pd.DataFrame(rng.randn(N, len(columns)), columns=list(columns))


def _with(**extra):
    """Column 'a' of numbers plus the given columns (N values each)."""
    df = _numbers(["a"])
    for name, values in extra.items():
        df[name] = values
    return df


def _text(dtype=None):
    return pd.Series(["x", "y"] * (N // 2), dtype=dtype)


def _missing(dtype, value=1):
    return pd.array([value] * (N - 1) + [None], dtype=dtype)


def _non_numeric(columns, dtypes):
    dts = ", ".join(dict.fromkeys(str(d) for d in dtypes))
    return re.escape(f"X has non-numeric columns {columns} "
                     f"(dtype{'s' if ',' in dts else ''} {dts}); fastgmm needs numbers")


REFUSED = {  # name: (frame maker, message pattern; None: the dtypes of the bad columns)
    "text": (lambda: _with(name=_text()), None),
    "StringDtype": (lambda: _with(name=_text("string")), None),
    "object text": (lambda: _with(name=_text(object)), None),
    "categorical": (lambda: _with(kind=pd.Categorical(_text())), None),
    "text and categorical": (lambda: _with(name=_text(), kind=pd.Categorical(_text())),
                             None),
    "Int64 missing": (lambda: _with(n=_missing("Int64")), "NaN or infinity"),
    "Float64 missing": (lambda: _with(n=_missing("Float64", 1.5)), "NaN or infinity"),
    "boolean missing": (lambda: _with(n=_missing("boolean", True)), "NaN or infinity"),
    "object missing": (lambda: _with(n=pd.Series(list(range(N - 1)) + [None],
                                                  dtype=object)), "NaN or infinity"),
    "object pd.NA": (lambda: _with(n=pd.Series(list(range(N - 1)) + [pd.NA],
                                                dtype=object)), "NaN or infinity"),
    "empty": (lambda: _numbers(["a", "b"]).iloc[:0], "Found array with 0 sample"),
    "empty object": (lambda: pd.DataFrame(columns=["a", "b"]),
                     "Found array with 0 sample"),
}


def _expected(df, msg):
    if msg is not None:
        return msg
    bad = [c for c in df.columns if c != "a"]
    return _non_numeric(bad, [df[c].dtype for c in bad])


def _state(g):
    return pickle.dumps(g.__dict__)


@pytest.mark.parametrize("case", REFUSED)
def test_refused_at_fit(case):
    make, msg = REFUSED[case]
    df = make()
    before = df.copy(deep=True)
    with pytest.raises(ValueError, match=_expected(df, msg)):
        GaussianMixture(2).fit(df)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize("case", REFUSED)
def test_refused_at_predict(case):
    make, msg = REFUSED[case]
    df = make()
    g = GaussianMixture(2, random_state=0).fit(_numbers(df.columns))
    before, state = df.copy(deep=True), _state(g)
    with pytest.raises(ValueError, match=_expected(df, msg)):
        g.predict(df)
    pd.testing.assert_frame_equal(df, before)
    assert _state(g) == state


def test_non_numeric_message_text():
    with pytest.raises(ValueError) as err:
        GaussianMixture(2).fit(pd.DataFrame({"a": [1.0, 2.0, 3.0],
                                             "name": ["x", "y", "z"]}))
    dtype = pd.Series(["x"]).dtype   # "str" in pandas 3, object before
    assert str(err.value) == (f"X has non-numeric columns ['name'] (dtype {dtype}); "
                              "fastgmm needs numbers: drop or encode them.")


def test_many_non_numeric_columns_are_summarised():
    df = pd.DataFrame({f"s{i}": _text() for i in range(12)})
    with pytest.raises(ValueError, match=r"\['s0', .*'s9'\] and 2 more"):
        GaussianMixture(2).fit(df)


def _sklearn_series_error(s):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture
    with pytest.raises(ValueError) as err:
        SkGaussianMixture(2).fit(s)
    return str(err.value)


def test_series_at_fit_and_predict_as_sklearn():
    s = pd.Series(np.random.RandomState(0).randn(N))
    before = s.copy(deep=True)
    expected = _sklearn_series_error(s)
    assert expected.startswith("Expected a 2-dimensional container but got")
    with pytest.raises(ValueError) as err:
        GaussianMixture(2).fit(s)
    assert str(err.value) == expected
    g = GaussianMixture(2, random_state=0).fit(s.to_numpy().reshape(-1, 1))
    with pytest.raises(ValueError) as err:
        g.predict(s)
    assert str(err.value) == expected
    pd.testing.assert_series_equal(s, before)


ACCEPTED = {  # name: frame maker; each fits like its float64 values
    "Int64": lambda: _with(n=pd.array(range(N), dtype="Int64")),
    "Float64": lambda: _with(n=pd.array(np.linspace(0, 1, N), dtype="Float64")),
    "boolean": lambda: _with(n=pd.array([True, False] * (N // 2), dtype="boolean")),
    "object numbers": lambda: _with(n=pd.Series([1, 2.5] * (N // 2), dtype=object)),
    "float32 and float64": lambda: _with(n=np.arange(N, dtype=np.float32)),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_accepted_like_float64(case):
    df = ACCEPTED[case]()
    before = df.copy(deep=True)
    as_float = df.astype(np.float64)
    g = GaussianMixture(2, random_state=0).fit(df)
    ref = GaussianMixture(2, random_state=0).fit(as_float)
    np.testing.assert_allclose(g.means_, ref.means_)
    np.testing.assert_array_equal(g.predict(df), ref.predict(as_float))
    pd.testing.assert_frame_equal(df, before)
    assert check_array(df).dtype == np.float64


def test_float32_frame_stays_float32():
    df = _numbers(["a", "b"]).astype(np.float32)
    before = df.copy(deep=True)
    assert check_array(df).dtype == np.float32
    assert check_array(df.astype("Float32")).dtype == np.float32
    g = GaussianMixture(2, random_state=0).fit(df)
    X32 = df.to_numpy()
    ref = GaussianMixture(2, random_state=0).fit(X32)
    np.testing.assert_array_equal(g.predict_proba(df), ref.predict_proba(X32))
    pd.testing.assert_frame_equal(df, before)
