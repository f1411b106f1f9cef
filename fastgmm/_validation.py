"""Input and parameter checks.  Only here: the kernels trust what they are given.

Every check raises ``ValueError`` (or ``TypeError`` for wrong types of parameters)
with a message naming the offending input, and none modifies its argument.
"""
import numbers

import numpy as np

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


def _feature_names(X):
    """Column names of a DataFrame-like X when they are all strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "iloc"):
        return None
    names = np.asarray(list(columns), dtype=object)
    kinds = {isinstance(n, str) for n in names}
    if kinds == {True}:
        return names
    if True in kinds:
        raise TypeError(
            "Feature names are only supported if all input features have string "
            f"names, but your input has {sorted({type(n).__name__ for n in names})} "
            "as feature name / column name types.")
    return None


def _is_series(X):
    """pandas Series (duck-typed: pandas is optional): 1-D, indexable, no columns."""
    return (hasattr(X, "iloc") and hasattr(X, "dtype") and getattr(X, "ndim", None) == 1
            and not hasattr(X, "columns"))


def _is_dataframe(X):
    return hasattr(X, "iloc") and hasattr(X, "dtypes") and hasattr(X, "columns")


def _object_column_as_float(column):
    """A numpy object column holding numbers as float64 (missing -> NaN), else None.

    Such columns are common (e.g. after a concat); the missing values become NaN
    so that they get the NaN error rather than a conversion error.
    """
    try:
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return None


def non_numeric_columns_error(name, bad):
    """The ValueError naming a frame's non-numeric columns: bad is a list of
    (column, dtype) pairs (pandas and dask frames alike)."""
    shown = [c for c, _ in bad[:10]]
    more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
    kinds = list(dict.fromkeys(str(dt) for _, dt in bad))
    return ValueError(
        f"{name} has non-numeric columns {shown}{more} "
        f"(dtype{'s' if len(kinds) > 1 else ''} {', '.join(kinds)}); fastgmm needs "
        "numbers: drop or encode them.")


def _dataframe_to_array(X, name):
    """DataFrame -> 2-D float array; non-numeric columns are named in the error.

    Numbers of any dtype (numpy, nullable Int64/Float64/boolean, numeric object
    columns) are accepted; text, categorical and dates are refused.
    """
    dtypes = list(X.dtypes)
    bad, from_object = [], {}
    for i, (column, dt) in enumerate(zip(X.columns, dtypes)):
        kind = getattr(dt, "kind", "O")   # numpy and pandas extension dtypes have .kind
        if kind == "c":
            raise ValueError(f"Complex data not supported: {name} column {column!r} "
                             f"has dtype {dt}")
        if kind in "biuf":
            continue
        # only a plain numpy object column may hold numbers; StringDtype and
        # CategoricalDtype (kind "O" too) never count as numeric
        values = (_object_column_as_float(X.iloc[:, i])
                  if isinstance(dt, np.dtype) and kind == "O" else None)
        if values is None:
            bad.append((column, dt))
        else:
            from_object[i] = values
    if bad:
        raise non_numeric_columns_error(name, bad)
    if from_object:
        # a frame-wide to_numpy would choke on pd.NA inside object columns
        out = np.empty((len(X), len(dtypes)), dtype=np.float64, order="F")
        for i in range(len(dtypes)):
            out[:, i] = (from_object[i] if i in from_object else
                         X.iloc[:, i].to_numpy(dtype=np.float64, na_value=np.nan))
        return out
    # float32 only when every column is float32 (nullable Float32 included)
    float32 = np.dtype(np.float32)
    all_f32 = bool(dtypes) and all(getattr(dt, "numpy_dtype", dt) == float32
                                   for dt in dtypes)
    # missing values (pd.NA of nullable dtypes) -> NaN, reported by the finiteness check
    return X.to_numpy(dtype=np.float32 if all_f32 else np.float64, na_value=np.nan)


def check_array(X, name="X", min_samples=1, dtype=None):
    """Return X as a 2-D float32/float64 array, without copying when possible.

    float32 stays float32, other numeric types become float64; C and Fortran order
    are kept (the kernels read strides), anything else is copied to C order.
    """
    if _is_series(X):
        # scikit-learn's message, word for word
        raise ValueError(
            f"Expected a 2-dimensional container but got {type(X)} instead. Pass a "
            "DataFrame containing a single row (i.e. single sample) or a single column "
            "(i.e. single feature) instead.")
    if _is_dataframe(X):
        X = _dataframe_to_array(X, name)
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"Sparse data was passed as {name}, but fastgmm needs dense "
                        "data: use X.toarray().")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and other non-arrays
        raise ValueError(f"{name} could not be converted to an array: {exc}") from None
    if arr.dtype == object or arr.dtype.kind in "USV":
        try:
            arr = arr.astype(np.float64)
        except ValueError:
            raise ValueError(f"{name} must contain numbers; got dtype {arr.dtype}") from None
        # a TypeError (e.g. a dict inside an object array) propagates as is
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {arr.dtype}")
    if arr.ndim != 2:
        if arr.ndim == 1:
            raise ValueError(
                f"Expected 2D array, got 1D array instead: {name} has shape "
                f"{arr.shape}. Reshape your data either using array.reshape(-1, 1) "
                "if your data has a single feature or array.reshape(1, -1) if it "
                "contains a single sample.")
        raise ValueError(f"Expected 2D array, got {name} with {arr.ndim} dimensions "
                         f"(shape {arr.shape}).")
    target = dtype or (arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64)
    if arr.dtype != target:
        arr = arr.astype(target)
    if not (arr.flags.c_contiguous or arr.flags.f_contiguous) or any(
            s < 0 for s in arr.strides):
        arr = np.ascontiguousarray(arr)
    elif not arr.flags.aligned:
        # an odd byte offset into a buffer: the C core loads whole floats (a
        # misaligned load is undefined behaviour, and faults on some CPUs)
        arr = arr.copy(order="K")
    n_samples, n_features = arr.shape
    if n_samples < min_samples:
        raise ValueError(
            f"Found array with {n_samples} sample(s) (shape={arr.shape}) while a "
            f"minimum of {min_samples} is required: {name} has n_samples = {n_samples}.")
    if n_features == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={arr.shape}) while a "
                         f"minimum of 1 is required: {name} has no features.")
    if not _all_finite(arr):
        raise ValueError(f"Input {name} contains NaN or infinity.")
    return arr


def _all_finite(arr):
    """Check finiteness in chunks (no full-size temporary)."""
    step = max(1, (1 << 22) // max(1, arr.shape[1]))
    for start in range(0, arr.shape[0], step):
        block = arr[start:start + step]
        # sum is NaN/inf iff some value is (or it overflows: then look closer)
        if not np.isfinite(block.sum(dtype=np.float64)) and not np.isfinite(block).all():
            return False
    return True


def check_sample_weight(sample_weight, n_samples, normalize=False):
    """float64 C array of non-negative finite weights with a positive sum, or None;
    with ``normalize``, rescaled to a mean of 1 (for fits, which depend only on the
    relative weights; the kernel API keeps the caller's scale, so statistics of
    blocks add up)."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("sample_weight must be an array of numbers") from None
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n_samples},)!")
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError("Negative values in sample_weight are not allowed.")
    top = w.max()
    if not top > 0:
        raise ValueError("sample_weight must have a positive sum: the weights are all zero.")
    if not normalize:
        if not np.isfinite(w.sum()):
            raise ValueError("sample_weight sums to infinity; rescale the weights.")
        return np.require(w, requirements=("C", "A"))  # contiguous and aligned
    # Scaled to a mean of 1 (through the max first, so a sum that would overflow does
    # not): nothing underflows in float32 and scikit-learn's nk + 10 eps stays
    # negligible whatever the caller's scale.
    w = w / top
    return np.ascontiguousarray(w / w.mean())


def check_int(value, name, low, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"The '{name}' parameter must be an int >= {low}; "
                         f"got {value!r}.")
    if value < low:
        raise ValueError(f"The '{name}' parameter must be an int >= {low}; "
                         f"got {value!r}.")
    return int(value)


def check_float(value, name, low, low_inclusive=True):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"The '{name}' parameter must be a float >= {low}; "
                         f"got {value!r}.")
    if not np.isfinite(value) or value < low or (value == low and not low_inclusive):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"The '{name}' parameter must be a finite float {op} {low}; "
                         f"got {value!r}.")
    return float(value)


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"The '{name}' parameter must be one of {list(choices)}; "
                         f"got {value!r}.")
    return value


def _as_float_array(value, name, shape):
    try:
        arr = np.array(value, dtype=np.float64)  # a copy: the caller's stays untouched
    except (TypeError, ValueError):
        raise ValueError(f"The parameter '{name}' must be an array of numbers.") from None
    if arr.shape != shape:
        raise ValueError(f"The parameter '{name}' should have the shape of {shape}, "
                         f"but got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"The parameter '{name}' contains NaN or infinity.")
    return arr


def check_weights_init(weights, n_components):
    """float64 copy of weights_init, checked as scikit-learn's ``_check_weights``.

    The sum must be 1 within 1e-8, or within 1e-6 when the weights are float32
    (scikit-learn's tolerances: float32 weights normalised in float32 are off by
    more than 1e-8).
    """
    try:
        float32 = np.asarray(weights).dtype == np.float32
    except (TypeError, ValueError):  # _as_float_array reports it
        float32 = False
    w = _as_float_array(weights, "weights", (n_components,))
    if (w < 0).any() or (w > 1).any():
        # scikit-learn's message word for word, which its own test
        # (test_check_weights) asserts: it labels the minimum "max value" and the
        # maximum "min value".
        raise ValueError("The parameter 'weights' should be in the range [0, 1], but got "
                         f"max value {w.min():.5f}, min value {w.max():.5f}")
    if not abs(1.0 - w.sum()) <= (1e-6 if float32 else 1e-8):
        raise ValueError("The parameter 'weights' should be normalized, but got "
                         f"sum(weights) = {w.sum():.5f}")
    return w


def check_means_init(means, n_components, n_features):
    return _as_float_array(means, "means", (n_components, n_features))


def check_precisions_init(precisions, covariance_type, n_components, n_features):
    shapes = {"full": (n_components, n_features, n_features),
              "tied": (n_features, n_features),
              "diag": (n_components, n_features),
              "spherical": (n_components,)}
    p = _as_float_array(precisions, f"{covariance_type} precision",
                        shapes[covariance_type])
    if covariance_type in ("diag", "spherical"):
        if (p <= 0).any():
            raise ValueError(f"'{covariance_type} precision' should be positive")
        return p
    for m in (p if covariance_type == "full" else p[None]):
        if not (np.allclose(m, m.T) and (np.linalg.eigvalsh(m) > 0).all()):
            raise ValueError(f"'{covariance_type} precision' should be symmetric, "
                             "positive-definite")
    return p


def check_seed(seed):
    """Check that check_random_state would accept seed, without building anything;
    returns None."""
    if seed is None or seed is np.random or isinstance(seed, np.random.RandomState):
        return None
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if not 0 <= seed <= 2 ** 32 - 1:
            raise ValueError("Seed must be between 0 and 2**32 - 1")  # numpy's words
        return None
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState "
                     "instance")


def check_random_state(seed):
    """A numpy RandomState from None, an int or a RandomState (as scikit-learn)."""
    check_seed(seed)
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, np.random.RandomState):
        return seed
    return np.random.RandomState(seed)
