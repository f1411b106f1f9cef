"""Portable model files, and the table readers and writers of the command line.

Model files
===========
``save_model(estimator, path)`` (what ``estimator.save(path)`` calls) writes a fitted
estimator; ``load(path)`` gives it back, with ``predict``, ``predict_proba``,
``score_samples``, ``sample`` and ``bic``/``aic`` bitwise identical to the saved
model's, fitted arrays in the saved dtype (a float32 model stays float32), and a
``warm_start`` refit continuing exactly where the saved model would have.  No pickle
is written or read, so a model file from an untrusted source cannot run code.

Format ``fastgmm-model``, version 1
-----------------------------------
The file is a NumPy ``.npz`` archive: a ZIP archive whose members are ``<key>.npy``
files in the NPY format (version 1.0, see ``numpy.lib.format``: the magic
``\\x93NUMPY``, two version bytes, a little-endian uint16 header length, an ASCII
Python-literal dict ``{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)}``
padded with spaces to a multiple of 64 bytes, then the raw data).  This writer
stores the members uncompressed (a reader should accept deflated ones too); every
array is little-endian and C-ordered and none holds Python objects, so
``np.load(path, allow_pickle=False)`` opens it, and so can any language with a ZIP
reader.  The file is replaced atomically (a temporary file in the same directory,
then ``os.replace``) at exactly the path given (no ``.npz`` is appended).

``header`` (uint8, 1-D): the UTF-8 bytes of a JSON object.  It is strict JSON; a
non-finite float is written as the object ``{"$float": "inf"}`` (or ``"-inf"``,
``"nan"``).  For a GaussianMixture::

    {
      "format": "fastgmm-model",         # the magic: anything else is refused
      "format_version": 1,               # readers refuse versions newer than theirs
      "fastgmm_version": "0.1.0",        # the writer's fastgmm.__version__
      "estimator": "GaussianMixture",    # registered class name (register_model)
      "dtype": "float64",                # "float32" | "float64": of the fitted arrays
      "params": {"n_components": 3, "covariance_type": "full", "tol": 0.001,
                 "weights_init": null, "random_state": 0, ...},
                                         # constructor parameters, JSON-able ones
      "array_params": ["means_init"],    # ... given as arrays: member param.<name>
      "random_state_params": {           # ... given as a numpy RandomState: its state
        "random_state": {"pos": 624, "has_gauss": 0, "gauss": 0.0}},
                                         #     at save time; key in member rng.<name>
      "params_not_saved": [],            # ... not storable: their default on load
      "fitted": {"converged_": true, "n_iter_": 7, "lower_bound_": -3.25,
                 "n_features_in_": 2, "diagnostics_": []},
                                         # scalar fitted attributes: lower_bound_ is
                                         # of "dtype"; diagnostics_ (optional) lists
                                         # {"iteration", "components", "action"}
      "arrays": ["weights_", "means_", "covariances_", "precisions_",
                 "precisions_cholesky_", "lower_bounds_", "feature_names_in_"],
                                         # the fitted-array members (informational)
      "warm_state": {"lower_bound": -3.2500000001, "iteration": 7, "events": []}
                                         # the private EM state a warm start continues
                                         # from: its float64 bound, M-steps done and
                                         # diagnostics events (absent when unknown)
    }

A reader ignores header keys it does not know; saved parameters the estimator does
not have are ignored with a warning.

Members (K components, D features; every shape is checked on load):

=============================  ===================================================
``header``                     uint8 (n_bytes,), the JSON above
``weights_``                   (K,)                                     ``dtype``
``means_``                     (K, D)                                   ``dtype``
``covariances_``,              full (K, D, D), tied (D, D), diag (K, D),
``precisions_``,               spherical (K,) by ``params["covariance_type"]``;
``precisions_cholesky_``       ``dtype``; the last is upper-triangular U with
                               precision = U U^T (full, tied), or sqrt(precision)
``lower_bounds_``              (n_iter_,) ``dtype``: the bound after each iteration
``feature_names_in_``          (D,) unicode ``<U``, only when fitted with names
``param.<name>``               a constructor parameter given as an array (e.g.
                               ``param.means_init``), its own numeric dtype/shape
``rng.<name>``                 uint32 (624,): MT19937 key of a RandomState parameter
``warm.weights``,              float64, shapes as above: the float64 EM state of a
``warm.means``,                float32 model (a float64 model's equals its fitted
``warm.precisions_cholesky``,  arrays, so these are not written); covariances may
``warm.covariances``           be absent (then recomputed)
=============================  ===================================================

An estimator stored inside another (an outlier detector's ``mixture_``) is a nested
object of the same keys (less ``format*``) in the outer header, its members named
with a prefix (``mixture_.weights_``, ``mixture_.param.means_init``).

Version policy: new optional members or header keys keep version 1; anything a
version-1 reader would misread (a renamed, re-shaped or re-interpreted array) bumps
it.  ``load`` raises ``ValueError`` naming the problem for a missing file (also a
``FileNotFoundError``), a file that is not a ZIP/npz archive, a truncated or
corrupted one (every member's CRC is checked before anything is parsed), another
format, a newer format version, an unknown estimator, a missing member or header
entry, a wrong dtype or shape, or invalid parameters; it never unpickles.

Other estimators
----------------
``register_model(name, cls, ...)`` makes a class savable: the module that defines it
calls it once at import, naming its fitted arrays, scalars and their shapes, with
optional hooks for anything else (tuples of arrays, an inner estimator through
``encode_estimator``/``decode_estimator``, private state).

Tables
======
``read_table(path, columns=None)`` reads ``.npy`` (memory-mapped, never copied),
``.csv`` (header detected) and ``.parquet`` (pandas + pyarrow: ``pip install
fastgmm[io]``) into a float array and its column names; ``write_table(path, array,
header=None)`` writes ``.npy`` or ``.csv`` (labels, probabilities, log-densities).
"""
import contextlib
import csv
import io as _stdio
import json
import math
import numbers
import operator
import os
import pathlib
import secrets
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

import numpy as np

from ._exceptions import not_fitted_error
from ._mstep import cov_shape

__all__ = ["save_model", "load", "register_model", "registered_models",
           "encode_estimator", "decode_estimator", "read_table", "write_table",
           "ModelFileError", "MissingFileError", "FORMAT_NAME", "FORMAT_VERSION",
           "MIXTURE_SCALARS"]

FORMAT_NAME = "fastgmm-model"
FORMAT_VERSION = 1

_DTYPES = {"float32": np.float32, "float64": np.float64}

#: The scalar fitted attributes of every mixture: attribute -> kind (see
#: ``register_model``).
MIXTURE_SCALARS = {"converged_": "bool", "n_iter_": "int", "lower_bound_": "real",
                   "n_features_in_": "int"}
_SCALAR_KINDS = ("bool", "int", "real", "float", "float32", "float64", "json")


class MissingFileError(FileNotFoundError, ValueError):
    """A path that does not exist (both a FileNotFoundError and a ValueError)."""


class ModelFileError(ValueError):
    """A file that is not a valid, readable fastgmm model file."""


# ============================================================== registry
@dataclass(frozen=True)
class ModelKind:
    """How one estimator class is written and read (see ``register_model``)."""

    name: str
    cls: type
    arrays: Tuple[str, ...]
    shapes: Callable
    scalars: dict = field(default_factory=lambda: dict(MIXTURE_SCALARS))
    lists: Tuple[str, ...] = ("lower_bounds_",)
    dtype_of: Optional[Callable] = None
    save_extra: Optional[Callable] = None
    load_extra: Optional[Callable] = None


_REGISTRY = {}


def register_model(name, cls, *, arrays, shapes, scalars=MIXTURE_SCALARS,
                   lists=("lower_bounds_",), dtype_of=None, save_extra=None,
                   load_extra=None):
    """Make ``save_model``/``load`` handle an estimator class.

    Call it once, at import of the module that defines ``cls`` (and import that
    module from ``fastgmm/__init__.py``, so that ``fastgmm.load`` knows the class
    whenever fastgmm is imported).  Every class gets, without hooks: its constructor
    parameters (``get_params``; JSON values, numeric arrays, RandomState), the
    fitted arrays, scalars and lists named here, and ``feature_names_in_`` when set.

    Parameters
    ----------
    name : str
        The header's ``"estimator"``; never change it once files exist.
    cls : type
        Saved only for estimators of exactly this class; ``cls(**params)`` must
        construct it, and ``__sklearn_is_fitted__()`` say whether it is fitted.
    arrays : sequence of str
        Fitted float ndarray attributes, all of the model's dtype, stored under
        their own names; NaN or infinity in them is refused on load.
    shapes : callable ``(params, arrays, fitted) -> {name: shape}``
        The expected shape of every entry of ``arrays`` and ``lists`` from the
        parameters (a dict), the arrays read (a dict; use one of them for the number
        of components) and the fitted scalars (a dict: ``fitted["n_features_in_"]``).
        Raise ``ValueError`` for what cannot be checked so.
    scalars : dict, default=MIXTURE_SCALARS
        Scalar fitted attributes -> kind: ``"bool"``, ``"int"``, ``"real"`` (a numpy
        scalar of the model's dtype), ``"float"`` (Python float), ``"float32"``,
        ``"float64"``, ``"json"`` (lists/dicts of JSON values); a kind ending in
        ``"?"`` is optional (saved when the attribute exists).
    lists : sequence of str, default=("lower_bounds_",)
        Attributes that are lists of scalars of the model's dtype (stored as 1-D
        arrays).
    dtype_of : callable ``(estimator) -> dtype``, optional
        The model's dtype (float32 or float64); default: that of ``arrays[0]``.
    save_extra : callable ``(estimator) -> (arrays, header_items)``, optional
        More members (``{key: ndarray}``, keys with a ``"."``, any numeric dtype)
        and JSON-able header entries to write: e.g. a BayesianGaussianMixture's
        ``weight_concentration_`` pair, an outlier detector's inner mixture through
        ``encode_estimator``.
    load_extra : callable ``(estimator, header, arrays) -> None``, optional
        Called last on load, when the attributes above are set: checks and restores
        what ``save_extra`` wrote (``ValueError`` naming anything missing or
        malformed; it becomes a ``ModelFileError`` naming the file).

    Returns
    -------
    ModelKind
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string; got {name!r}")
    scalars = dict(scalars)
    for attr, kind in scalars.items():
        if kind.rstrip("?") not in _SCALAR_KINDS:
            raise ValueError(f"unknown scalar kind {kind!r} for {attr}; one of "
                             f"{_SCALAR_KINDS}")
    if not arrays and dtype_of is None:
        raise ValueError("a class without fitted arrays needs dtype_of")
    kind = ModelKind(name, cls, tuple(arrays), shapes, scalars, tuple(lists), dtype_of,
                     save_extra, load_extra)
    _REGISTRY[name] = kind
    return kind


def registered_models():
    """Names of the estimator classes ``load`` can read."""
    return sorted(_REGISTRY)


def _kind_of(estimator):
    for kind in _REGISTRY.values():
        if type(estimator) is kind.cls:
            return kind
    raise TypeError(f"Cannot save a {type(estimator).__name__}: only registered "
                    f"estimator classes ({', '.join(registered_models())}) can be "
                    "saved; see fastgmm.io.register_model.")


# ============================================================== JSON helpers
class _NotJSON(Exception):
    pass


def _to_json(value):
    """value as strict-JSON data, or _NotJSON.  Non-finite floats -> {"$float": s}."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, np.ndarray):
        f = float(value)
        return f if math.isfinite(f) else {"$float": repr(f)}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) and not k.startswith("$")
                                       for k in value):
        return {k: _to_json(v) for k, v in value.items()}
    raise _NotJSON


def _from_json(value):
    if isinstance(value, dict):
        if set(value) == {"$float"}:
            if value["$float"] not in ("inf", "-inf", "nan"):
                raise ValueError(f"invalid non-finite float {value!r}")
            return float(value["$float"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _is_numeric_array(a):
    return isinstance(a, np.ndarray) and a.dtype.kind in "biuf"


def _little_endian(a):
    a = np.asarray(a, order="C")  # (not ascontiguousarray: it makes 0-d arrays 1-d)
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not np.little_endian):
        a = a.astype(a.dtype.newbyteorder("<"))
    return a


def _native(a):
    """A writable, owned, C-ordered array in the machine's byte order."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return np.require(a, requirements=["C", "W", "O"])


# ============================================================== atomic writes
@contextlib.contextmanager
def _atomic_write(path):
    """A binary file that replaces ``path`` only once fully written and synced."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise MissingFileError(2, "The directory to write into does not exist",
                               directory)
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a file")
    tmp = os.path.join(directory,
                       f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    # os.open with 0o666 lets the umask set the mode, as for any new file
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ============================================================== encode
def _encode_params(estimator, arrays):
    params, array_params, rng_params, not_saved = {}, [], {}, []
    for name, value in estimator.get_params(deep=False).items():
        if isinstance(value, np.random.RandomState):
            state = value.get_state(legacy=False)
            if state.get("bit_generator") == "MT19937":
                arrays[f"rng.{name}"] = _little_endian(
                    np.asarray(state["state"]["key"], dtype=np.uint32))
                rng_params[name] = {"pos": int(state["state"]["pos"]),
                                    "has_gauss": int(state["has_gauss"]),
                                    "gauss": _to_json(float(state["gauss"]))}
                continue
        elif isinstance(value, np.ndarray):
            if _is_numeric_array(value):
                arrays[f"param.{name}"] = _little_endian(value)
                array_params.append(name)
                continue
        else:
            try:
                params[name] = _to_json(value)
                continue
            except _NotJSON:
                a = None
                if isinstance(value, (list, tuple)):
                    with contextlib.suppress(ValueError, TypeError):
                        a = np.asarray(value)
                if a is not None and _is_numeric_array(a):
                    arrays[f"param.{name}"] = _little_endian(a)
                    array_params.append(name)
                    continue
        not_saved.append(name)
        warnings.warn(f"Parameter {name}={value!r} of {type(estimator).__name__} "
                      "cannot be stored without pickle and is not saved: the loaded "
                      "model has its default value.", UserWarning, stacklevel=5)
    return params, array_params, rng_params, not_saved


def _encode_scalar(value, kind):
    kind = kind.rstrip("?")
    if kind == "bool":
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"not a bool: {value!r}")
        return bool(value)
    if kind == "int":
        return operator.index(value)
    if kind == "json":
        return _to_json(value)
    return _to_json(float(value))


def encode_estimator(estimator, prefix=""):
    """(header entries, members) of a fitted registered estimator.

    For ``save_extra`` hooks that store an inner estimator: return the members and
    put the entries under a header key; ``load_extra`` gives both back to
    ``decode_estimator`` with the same prefix::

        def save_extra(est):
            body, arrays = encode_estimator(est.mixture_, prefix="mixture_.")
            return arrays, {"mixture_": body}

        def load_extra(est, header, arrays):
            est.mixture_ = decode_estimator(header["mixture_"], arrays, "mixture_.")

    Parameters
    ----------
    estimator : a fitted estimator of a registered class
    prefix : str, default=""
        Prepended to every member name; ends with ``"."`` when not empty.

    Raises
    ------
    NotFittedError, TypeError (unregistered class), ValueError (inconsistent
    attributes).
    """
    if prefix and not prefix.endswith("."):
        raise ValueError(f"prefix must end with '.'; got {prefix!r}")
    kind = _kind_of(estimator)
    required = kind.arrays + kind.lists + tuple(
        a for a, k in kind.scalars.items() if not k.endswith("?"))
    is_fitted = getattr(estimator, "__sklearn_is_fitted__", None)
    if (is_fitted is not None and not is_fitted()) or any(
            not hasattr(estimator, a) for a in required):
        raise not_fitted_error(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' "
            "with appropriate arguments before saving it.")
    cls_name = type(estimator).__name__
    dtype = np.dtype(kind.dtype_of(estimator) if kind.dtype_of is not None
                     else getattr(getattr(estimator, kind.arrays[0]), "dtype", object))
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"Cannot save this {cls_name}: its dtype is {dtype}, not "
                         "float32 or float64.")
    arrays = {}
    for name in kind.arrays:
        a = getattr(estimator, name)
        if not isinstance(a, np.ndarray) or a.dtype != dtype:
            raise ValueError(f"Cannot save this {cls_name}: fitted attribute {name} is "
                             f"{getattr(a, 'dtype', type(a).__name__)}, not {dtype}; "
                             "refit the model.")
        arrays[name] = _little_endian(a)
    for name in kind.lists:
        try:
            arrays[name] = _little_endian(
                np.asarray(getattr(estimator, name), dtype=dtype).reshape(-1))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Cannot save this {cls_name}: {name} is not a list of "
                             f"numbers ({exc})") from None
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        arrays["feature_names_in_"] = _little_endian(np.asarray(names, dtype=str))
    fitted = {}
    for name, skind in kind.scalars.items():
        if skind.endswith("?") and not hasattr(estimator, name):
            continue
        try:
            fitted[name] = _encode_scalar(getattr(estimator, name), skind)
        except (TypeError, ValueError, _NotJSON) as exc:
            raise ValueError(f"Cannot save this {cls_name}: fitted attribute {name} "
                             f"is not a valid {skind.rstrip('?')} "
                             f"({getattr(estimator, name)!r}: {exc})") from None
    params, array_params, rng_params, not_saved = _encode_params(estimator, arrays)
    body = {"estimator": kind.name, "dtype": dtype.name, "params": params,
            "array_params": array_params, "random_state_params": rng_params,
            "params_not_saved": not_saved, "fitted": fitted,
            "arrays": [k for k in arrays if "." not in k]}
    if kind.save_extra is not None:
        extra_arrays, extra_header = kind.save_extra(estimator)
        for key, a in extra_arrays.items():
            if "." not in key or key in arrays:
                raise ValueError(f"save_extra member {key!r} must contain a '.' and "
                                 "not replace another member")
            arrays[key] = _little_endian(np.asarray(a))
        for key, value in extra_header.items():
            if key in body:
                raise ValueError(f"save_extra header entry {key!r} replaces a "
                                 "standard one")
            try:
                body[key] = _to_json(value)
            except _NotJSON:
                raise ValueError(f"save_extra header entry {key!r} is not "
                                 "JSON-able") from None
    for key, a in arrays.items():
        if a.dtype.hasobject:
            raise ValueError(f"Cannot save member {key!r}: it holds Python objects")
    return body, {prefix + k: v for k, v in arrays.items()}


def save_model(estimator, path):
    """Write a fitted estimator to ``path`` in the ``fastgmm-model`` format.

    Parameters
    ----------
    estimator : GaussianMixture (or another registered class), fitted
    path : str or path-like
        Destination, written exactly as given (conventionally ``*.npz``) and
        replaced atomically: a failed save leaves any previous file as it was.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    NotFittedError
        The estimator is not fitted.
    TypeError
        Its class is not registered (``register_model``).
    ValueError
        Its fitted attributes are inconsistent (mixed dtypes, wrong types).

    Warns
    -----
    UserWarning
        For a constructor parameter that cannot be stored without pickle (it is
        left at its default on load, and listed in ``params_not_saved``).
    """
    from . import __version__
    body, arrays = encode_estimator(estimator)
    header = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
              "fastgmm_version": __version__, **body}
    blob = json.dumps(header, allow_nan=False).encode("utf-8")
    members = {"header": np.frombuffer(blob, dtype=np.uint8), **arrays}
    with _atomic_write(path) as f:
        np.savez(f, **members)
    return pathlib.Path(path)


# ============================================================== decode
def _problem(path, what):
    return ModelFileError(f"Cannot load {os.fspath(path)!r} as a fastgmm model: {what}")


def _read_npy_header(f):
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(f)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(f)
    return None  # (3, 0): left to read_array


def _read_npz(path):
    """{key: array} of an .npz, every member CRC-checked and never unpickled."""
    p = os.fspath(path)
    if not os.path.exists(p):
        raise MissingFileError(2, "No such model file", p)
    if os.path.isdir(p):
        raise _problem(path, "it is a directory")
    try:
        zf = zipfile.ZipFile(p)
    except Exception as exc:
        raise _problem(path, "it is not an .npz (ZIP) archive, or it is truncated "
                             f"({type(exc).__name__}: {exc})") from None
    with zf:
        try:
            bad = zf.testzip()
        except Exception as exc:
            raise _problem(path, f"the archive is corrupted ({type(exc).__name__}: "
                                 f"{exc})") from None
        if bad is not None:
            raise _problem(path, f"the archive is corrupted: member {bad!r} fails its "
                                 "CRC check")
        arrays = {}
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                raise _problem(path, f"unexpected archive member {info.filename!r} "
                                     "(an .npz holds only .npy members)")
            key = info.filename[:-4]
            try:
                with zf.open(info) as f:
                    head = _read_npy_header(f)
                if head is not None:
                    shape, _, dtype = head
                    if dtype.hasobject:
                        raise _problem(path, f"member {key!r} holds Python objects "
                                             "(pickle), which is never loaded")
                    if math.prod(shape) * dtype.itemsize > info.file_size:
                        raise _problem(path, f"member {key!r} is truncated")
                with zf.open(info) as f:
                    arrays[key] = _native(np.lib.format.read_array(
                        f, allow_pickle=False))
            except ModelFileError:
                raise
            except Exception as exc:
                raise _problem(path, f"member {key!r} is corrupted "
                                     f"({type(exc).__name__}: {exc})") from None
    return arrays


def _decode_header(path, arrays):
    if "header" not in arrays:
        raise _problem(path, "it has no 'header' member, so it is not a fastgmm model "
                             f"file (members: {sorted(arrays)})")
    h = arrays.pop("header")
    try:
        if h.dtype == np.uint8 and h.ndim == 1:
            text = h.tobytes().decode("utf-8")
        elif h.dtype.kind == "U" and h.size == 1:
            text = str(h.reshape(()))
        else:
            raise ValueError(f"a {h.dtype} array of shape {h.shape}")
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _problem(path, f"its header is not UTF-8 JSON ({exc})") from None
    fmt = header.get("format") if isinstance(header, dict) else None
    if fmt != FORMAT_NAME:
        raise _problem(path, f"its header names format {fmt!r}, not {FORMAT_NAME!r}")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _problem(path, f"invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise _problem(path, f"it has format version {version}, written by fastgmm "
                             f"{header.get('fastgmm_version', '?')}; this fastgmm reads "
                             f"versions up to {FORMAT_VERSION}: upgrade fastgmm")
    return header


def _get(mapping, key, types, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ValueError(f"{where} has no {key!r}")
    value = mapping[key]
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise ValueError(f"{where}[{key!r}] = {value!r} has the wrong type")
    return value


def _decode_params(body, arrays, cls, prefix):
    raw = _get(body, "params", dict, "the header")
    params = {k: _from_json(v) for k, v in raw.items()}
    for name in _get(body, "array_params", list, "the header"):
        key = f"param.{name}"
        if not isinstance(name, str) or key not in arrays:
            raise ValueError(f"the member {prefix + key!r} is missing")
        a = arrays[key]
        if a.dtype.kind not in "biuf":
            raise ValueError(f"parameter member {prefix + key!r} has dtype {a.dtype}")
        params[name] = _native(a)
    for name, st in _get(body, "random_state_params", dict, "the header").items():
        key = f"rng.{name}"
        a = arrays.get(key)
        if a is None or a.dtype.kind != "u" or a.dtype.itemsize != 4 or a.shape != (624,):
            raise ValueError(f"the member {prefix + key!r} (uint32, shape (624,)) is "
                             "missing or malformed")
        try:
            rs = np.random.RandomState()
            rs.set_state(("MT19937", _native(a), int(st["pos"]), int(st["has_gauss"]),
                          float(_from_json(st["gauss"]))))
        except Exception as exc:
            raise ValueError(f"invalid RandomState for {name!r} ({exc})") from None
        params[name] = rs
    valid = set(cls._get_param_names())
    unknown = sorted(set(params) - valid)
    if unknown:
        warnings.warn(f"Parameters {unknown} of the saved {cls.__name__} are not "
                      "parameters of this fastgmm's and are ignored.", UserWarning,
                      stacklevel=4)
    return {k: v for k, v in params.items() if k in valid}


def _decode_scalar(value, kind, dtype, name):
    kind = kind.rstrip("?")
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"fitted {name} = {value!r} is not a bool")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"fitted {name} = {value!r} is not an int")
        return value
    value = _from_json(value)
    if kind == "json":
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"fitted {name} = {value!r} is not a number")
    if kind == "real":
        return dtype.type(value)
    return {"float": float, "float32": np.float32, "float64": np.float64}[kind](value)


def decode_estimator(body, arrays, prefix=""):
    """The estimator described by header entries and members of ``encode_estimator``.

    Parameters
    ----------
    body : dict
        The header entries ``encode_estimator`` returned.
    arrays : dict
        Members (the whole file's, or those ``load_extra`` received).
    prefix : str, default=""
        The prefix given to ``encode_estimator``.

    Raises
    ------
    ValueError
        Naming what is missing or malformed.
    """
    if prefix:
        arrays = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
    name = _get(body, "estimator", str, "the header")
    kind = _REGISTRY.get(name)
    if kind is None:
        raise ValueError(f"unknown estimator {name!r} (this fastgmm reads: "
                         f"{', '.join(registered_models())})")
    dtype_name = _get(body, "dtype", str, "the header")
    if dtype_name not in _DTYPES:
        raise ValueError(f"unsupported dtype {dtype_name!r}")
    dtype = np.dtype(_DTYPES[dtype_name])
    raw = _get(body, "fitted", dict, "the header")
    fitted = {}
    for attr, skind in kind.scalars.items():
        if attr not in raw:
            if skind.endswith("?"):
                continue
            raise ValueError(f"the header's 'fitted' has no {attr!r}")
        fitted[attr] = _decode_scalar(raw[attr], skind, dtype, attr)
    params = _decode_params(body, arrays, kind.cls, prefix)

    found = {}
    for key in kind.arrays + kind.lists:
        if key not in arrays:
            raise ValueError(f"the member {prefix + key!r} is missing")
        a = arrays[key]
        if a.dtype.kind != "f" or a.dtype.itemsize != dtype.itemsize:
            raise ValueError(f"the member {prefix + key!r} has dtype {a.dtype}, not "
                             f"the model's {dtype}")
        found[key] = _native(a)
    for key, shape in dict(kind.shapes(params, found, fitted)).items():
        got = found[key].shape
        if got != tuple(shape):
            raise ValueError(f"the member {prefix + key!r} has shape {got}, expected "
                             f"{tuple(shape)}")
    for key in kind.arrays:
        if not np.isfinite(found[key]).all():
            raise ValueError(f"the member {prefix + key!r} holds NaN or infinity")
    names = arrays.get("feature_names_in_")
    if names is not None:
        n_features = fitted.get("n_features_in_", names.shape[0])
        if names.dtype.kind != "U" or names.shape != (n_features,):
            raise ValueError(f"the member {prefix}feature_names_in_ must be unicode of "
                             f"shape ({n_features},); got {names.dtype} {names.shape}")
        names = np.array(names.tolist(), dtype=object)

    try:
        est = kind.cls(**params)
    except Exception as exc:
        raise ValueError(f"cannot construct {name} ({type(exc).__name__}: "
                         f"{exc})") from None
    for key in kind.arrays:
        setattr(est, key, found[key])
    for key in kind.lists:
        setattr(est, key, [dtype.type(v) for v in found[key]])
    for attr, value in fitted.items():
        setattr(est, attr, value)
    if names is not None:
        est.feature_names_in_ = names
    if kind.load_extra is not None:
        kind.load_extra(est, body, arrays)  # members without the prefix
    return est


def load(path):
    """Read a model written by ``save_model`` / ``estimator.save``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    estimator
        A fitted estimator of the saved class, whose predictions, probabilities,
        log-densities, samples and criteria are bitwise identical to the saved
        model's, in its dtype; a ``warm_start`` refit continues as the saved model's
        would.

    Raises
    ------
    ModelFileError (a ValueError)
        Naming the file and the problem: not an npz archive, truncated or corrupted,
        another format, a newer format version, an unknown estimator, a missing or
        malformed member or header entry, invalid parameters.
    MissingFileError (a ValueError and a FileNotFoundError)
        No such file.

    Warns
    -----
    UserWarning
        For saved parameters this fastgmm's class does not have (ignored).
    """
    arrays = _read_npz(path)
    header = _decode_header(path, arrays)
    try:
        return decode_estimator(header, arrays)
    except ModelFileError:
        raise
    except Exception as exc:
        what = str(exc) if isinstance(exc, ValueError) else \
            f"{type(exc).__name__}: {exc}"
        raise _problem(path, what) from None


# ============================================================== GaussianMixture
def _gaussian_shapes(params, arrays, fitted):
    w = arrays["weights_"]
    if w.ndim != 1 or w.shape[0] < 1:
        raise ValueError(f"the member 'weights_' has shape {w.shape}, expected (K,)")
    K, D = w.shape[0], fitted["n_features_in_"]
    if D < 1 or fitted["n_iter_"] < 0:
        raise ValueError(f"invalid n_features_in_ {D} or n_iter_ {fitted['n_iter_']}")
    cov = cov_shape(K, D, params.get("covariance_type", "full"))
    return {"weights_": (K,), "means_": (K, D), "covariances_": cov,
            "precisions_": cov, "precisions_cholesky_": cov,
            "lower_bounds_": (fitted["n_iter_"],)}


_WARM = ("weights", "means", "precisions_cholesky", "covariances")


def _gaussian_save_extra(est):
    """The private EM state a warm start continues from (see ``_base``): its
    float64 arrays for a float32 model, its bound and its bookkeeping."""
    warm = est._private_warm() if hasattr(est, "_private_warm") else None
    if warm is None:
        return {}, {}
    state, lower_bound = warm[0], warm[1]
    info = {"lower_bound": float(lower_bound)}
    for name in ("iteration", "events"):
        if hasattr(state, name):
            info[name] = getattr(state, name)
    arrays = {}
    if est.weights_.dtype != np.float64:
        params = state.params
        arrays = {"warm.weights": params.weights, "warm.means": params.means,
                  "warm.precisions_cholesky": params.precisions_cholesky}
        if state.covariances is not None:
            arrays["warm.covariances"] = state.covariances
        arrays = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    return arrays, {"warm_state": info}


def _gaussian_load_extra(est, header, arrays):
    from .kernels import GMMParameters
    from .mixture import GaussianState
    try:  # the checks the scoring kernels will make (positive factors and weights)
        GMMParameters(est.weights_, est.means_, est.precisions_cholesky_,
                      est.covariance_type)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid model parameters ({exc})") from None
    info = header.get("warm_state")
    if info is None:
        return
    if not isinstance(info, dict):
        raise ValueError("the header's 'warm_state' is not an object")
    warm = {}
    if est.weights_.dtype == np.float64:
        warm = {"weights": est.weights_, "means": est.means_,
                "precisions_cholesky": est.precisions_cholesky_,
                "covariances": est.covariances_}
    else:
        for name in _WARM:
            a = arrays.get(f"warm.{name}")
            if a is None and name == "covariances":
                continue
            ref = getattr(est, name + "_")
            if a is None or a.dtype != np.float64 or a.shape != ref.shape:
                raise ValueError(f"the member 'warm.{name}' is missing or is not "
                                 f"float64 of shape {ref.shape}")
            warm[name] = _native(a)
    fields = dict(params=GMMParameters(warm["weights"], warm["means"],
                                       warm["precisions_cholesky"], est.covariance_type),
                  covariances=(None if warm.get("covariances") is None else
                               np.array(warm["covariances"], dtype=np.float64)))
    extra = {k: _from_json(v) for k, v in info.items() if k != "lower_bound"}
    unknown = set(extra) - set(GaussianState._fields)
    if unknown:
        raise ValueError(f"unknown warm_state entries {sorted(unknown)}")
    if "events" in extra:
        extra["events"] = tuple(extra["events"])
    state = GaussianState(**fields, **extra)
    lower_bound = _decode_scalar(info.get("lower_bound"), "float", None, "warm lower "
                                 "bound")
    est._warm = (state, lower_bound, est._published())


# ============================================================== BayesianGaussianMixture
def _bayesian_shapes(params, arrays, fitted):
    K, D = arrays["weights_"].shape[0], fitted["n_features_in_"]
    cov = {"full": (K, D, D), "tied": (D, D), "diag": (K, D),
           "spherical": (K,)}[params.get("covariance_type", "full")]
    return {"weights_": (K,), "means_": (K, D), "covariances_": cov, "precisions_": cov,
            "precisions_cholesky_": cov, "mean_precision_": (K,), "mean_prior_": (D,),
            "lower_bounds_": (fitted["n_iter_"],)}


def _bayesian_save_extra(est):
    """The posterior pieces whose type varies: weight_concentration_ (an array, or a
    pair for the Dirichlet process), degrees_of_freedom_ and covariance_prior_
    (scalars for some covariance types: stored 0-d)."""
    wc = est.weight_concentration_
    if isinstance(wc, tuple):
        arrays = {"bgm.weight_concentration_0": wc[0], "bgm.weight_concentration_1": wc[1]}
    else:
        arrays = {"bgm.weight_concentration": wc}
    arrays["bgm.degrees_of_freedom"] = np.asarray(est.degrees_of_freedom_)
    arrays["bgm.covariance_prior"] = np.asarray(est.covariance_prior_)
    return arrays, {}


def _bayesian_load_extra(est, header, arrays):
    def need(name):
        if name not in arrays:
            raise ValueError(f"the model file has no {name!r} array")
        return arrays[name]
    if "bgm.weight_concentration" in arrays:
        est.weight_concentration_ = arrays["bgm.weight_concentration"]
    else:
        est.weight_concentration_ = (need("bgm.weight_concentration_0"),
                                     need("bgm.weight_concentration_1"))
    for attr in ("degrees_of_freedom", "covariance_prior"):
        value = need(f"bgm.{attr}")
        setattr(est, attr + "_", value[()] if value.ndim == 0 else value)


# ============================================================== outlier detector
def _detector_save_extra(est):
    body, arrays = encode_estimator(est.mixture_, prefix="mixture_.")
    return arrays, {"mixture_": body}


def _detector_load_extra(est, header, arrays):
    if not isinstance(header.get("mixture_"), dict):
        raise ValueError("the model file's header has no 'mixture_' object")
    est.mixture_ = decode_estimator(header["mixture_"], arrays, "mixture_.")


def _register_builtin():
    from .bayesian import BayesianGaussianMixture
    from .mixture import GaussianMixture
    from .outliers import GaussianMixtureOutlierDetector
    register_model("GaussianMixture", GaussianMixture,
                   arrays=("weights_", "means_", "covariances_", "precisions_",
                           "precisions_cholesky_"),
                   shapes=_gaussian_shapes,
                   scalars={**MIXTURE_SCALARS, "diagnostics_": "json?"},
                   save_extra=_gaussian_save_extra, load_extra=_gaussian_load_extra)
    register_model("BayesianGaussianMixture", BayesianGaussianMixture,
                   arrays=("weights_", "means_", "covariances_", "precisions_",
                           "precisions_cholesky_", "mean_precision_", "mean_prior_"),
                   shapes=_bayesian_shapes,
                   scalars={**MIXTURE_SCALARS, "weight_concentration_prior_": "float",
                            "mean_precision_prior_": "float",
                            "degrees_of_freedom_prior_": "float"},
                   save_extra=_bayesian_save_extra, load_extra=_bayesian_load_extra)
    register_model("GaussianMixtureOutlierDetector", GaussianMixtureOutlierDetector,
                   arrays=(), lists=(), shapes=lambda params, arrays, fitted: {},
                   scalars={"offset_": "real", "n_iter_": "int", "converged_": "bool",
                            "n_features_in_": "int"},
                   dtype_of=lambda est: est.mixture_.weights_.dtype,
                   save_extra=_detector_save_extra, load_extra=_detector_load_extra)


_register_builtin()


# ============================================================== tables
_READ_EXTENSIONS = (".npy", ".csv", ".parquet")
_WRITE_EXTENSIONS = (".npy", ".csv")
_IO_EXTRA = "pip install fastgmm[io]"


def _extension(path, allowed, verb):
    ext = pathlib.PurePath(os.fspath(path)).suffix.lower()
    if ext not in allowed:
        raise ValueError(f"Cannot {verb} {os.fspath(path)!r}: unknown extension "
                         f"{ext or '(none)'!r}; supported: {', '.join(allowed)}")
    return ext


def _pandas(required=False, what=".csv"):
    try:
        import pandas
        return pandas
    except ImportError:
        if required:
            raise ImportError(f"Reading {what} files needs pandas and pyarrow: "
                              f"{_IO_EXTRA}") from None
        return None


def _select(path, columns, names, n_columns):
    """Column positions for ``columns`` (names and/or indices) in a table."""
    if columns is None:
        return list(range(n_columns))
    if isinstance(columns, (str, numbers.Integral)) and not isinstance(columns, bool):
        columns = [columns]
    try:
        columns = list(columns)
    except TypeError:
        raise ValueError(f"columns must be names or indices; got {columns!r}") from None
    if not columns:
        raise ValueError("columns is empty: select at least one column")
    out = []
    for c in columns:
        if isinstance(c, str):
            if names is None:
                raise ValueError(f"{os.fspath(path)!r} has no column names, so column "
                                 f"{c!r} must be given by index (0 .. {n_columns - 1})")
            if c not in names:
                shown = ", ".join(map(repr, names[:20])) + (", ..." if len(names) > 20
                                                           else "")
                raise ValueError(f"{os.fspath(path)!r} has no column {c!r}; its "
                                 f"columns are {shown}")
            out.append(names.index(c))
        elif isinstance(c, numbers.Integral) and not isinstance(c, (bool, np.bool_)):
            i = int(c)
            if not -n_columns <= i < n_columns:
                raise ValueError(f"column index {i} is out of range: "
                                 f"{os.fspath(path)!r} has {n_columns} columns")
            out.append(i % n_columns)
        else:
            raise ValueError(f"a column must be a name (str) or an index (int); got "
                             f"{c!r}")
    dup = sorted({names[i] if names else i for i in out if out.count(i) > 1}, key=str)
    if dup:
        raise ValueError(f"columns selected more than once: {dup}")
    return out


def _check_dtype(dtype):
    if dtype is None:
        return None
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}")
    return dtype


def _read_npy(path, columns, dtype):
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"Cannot read {os.fspath(path)!r}: {exc} (an .npy table "
                         "must hold numbers)") from None
    except Exception as exc:
        raise ValueError(f"Cannot read {os.fspath(path)!r} as .npy "
                         f"({type(exc).__name__}: {exc})") from None
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{os.fspath(path)!r} holds {X.dtype} data, not numbers")
    if X.ndim != 2:
        raise ValueError(f"{os.fspath(path)!r} has shape {X.shape}; a table is 2-D "
                         "(n_samples, n_features) (save one feature as shape (n, 1))")
    idx = _select(path, columns, None, X.shape[1])
    if idx != list(range(X.shape[1])):
        steps = np.diff(idx)
        if len(idx) == 1 or (steps.size and (steps == steps[0]).all() and steps[0] > 0):
            step = int(steps[0]) if steps.size else 1
            X = X[:, idx[0]:idx[-1] + 1:step]      # a view: still memory-mapped
        else:
            X = X[:, idx]                          # a copy: the columns are scattered
    if X.dtype.kind != "f" or (dtype is not None and X.dtype != dtype):
        X = X.astype(dtype or np.float64)
    return X, None


def _is_number(text):
    text = text.strip()
    if not text:
        return True  # a missing value, not a name
    try:
        float(text)
        return True
    except ValueError:
        return False


def _csv_first_row(path):
    """(fields, physical line count through it) of the first non-blank CSV row."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    return row, reader.line_num
    except UnicodeDecodeError as exc:
        raise ValueError(f"{os.fspath(path)!r} is not a UTF-8 text CSV file "
                         f"({exc})") from None
    except csv.Error as exc:
        raise ValueError(f"Cannot read {os.fspath(path)!r} as CSV ({exc})") from None
    raise ValueError(f"{os.fspath(path)!r} is empty: no header and no data rows")


def _first_bad_value(path, idx, skip, names):
    """(line, column label, value) of the first non-numeric cell in idx after the
    first ``skip`` lines, or None."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        for row in reader:
            if reader.line_num <= skip or not any(cell.strip() for cell in row):
                continue
            for i in idx:
                if i >= len(row):
                    return reader.line_num, None, f"(the row has {len(row)} fields)"
                if not _is_number(row[i]):
                    return reader.line_num, names[i] if names else i, row[i]
    return None


def _non_numeric(path, line, col, value):
    if col is None:
        return ValueError(f"{os.fspath(path)!r}, line {line}: too few fields {value}")
    return ValueError(f"{os.fspath(path)!r}: column {col!r} is not numeric (line "
                      f"{line} holds {value!r})")


def _read_csv(path, columns, dtype, header):
    first, first_line = _csv_first_row(path)
    if header == "auto":
        header = not all(_is_number(cell) for cell in first)
    names = [c.strip() for c in first] if header else None
    skip = first_line if header else 0
    idx = _select(path, columns, names, len(first))
    out_dtype = dtype or np.float64
    pd = _pandas()
    if pd is not None:
        try:
            # exact parsing: pandas >= 3.1 parses exactly by default (and deprecates
            # the option); before (3.0.x too), only float_precision="round_trip" is
            version = tuple(int(v) for v in pd.__version__.split(".")[:2]
                            if v.isdigit())
            exact = {} if version >= (3, 1) else {"float_precision": "round_trip"}
            df = pd.read_csv(path, header=None, skiprows=skip, usecols=sorted(set(idx)),
                             encoding="utf-8-sig", skip_blank_lines=True, **exact)
        except pd.errors.EmptyDataError:
            df = pd.DataFrame({i: np.empty(0) for i in idx})
        except Exception as exc:
            raise ValueError(f"Cannot read {os.fspath(path)!r} as CSV "
                             f"({type(exc).__name__}: {exc})") from None
        for i in idx:
            if df[i].dtype.kind not in "iuf":
                bad = _first_bad_value(path, [i], skip, names)
                if bad is not None:
                    raise _non_numeric(path, *bad)
                raise ValueError(f"{os.fspath(path)!r}: column "
                                 f"{names[i] if names else i!r} is not numeric "
                                 f"({df[i].dtype})")
        X = df[idx].to_numpy(dtype=out_dtype)
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                X = np.loadtxt(path, delimiter=",", skiprows=skip, usecols=idx, ndmin=2,
                               dtype=np.float64, comments=None, quotechar='"',
                               encoding="utf-8-sig")
        except ValueError as exc:
            bad = _first_bad_value(path, idx, skip, names)
            if bad is not None:
                raise _non_numeric(path, *bad) from None
            raise ValueError(f"Cannot read {os.fspath(path)!r} as CSV ({exc})") from None
        if X.size == 0:
            X = X.reshape(0, len(idx))
        X = X.astype(out_dtype, copy=False)
    return np.ascontiguousarray(X), ([names[i] for i in idx] if names else None)


def _read_parquet(path, columns, dtype):
    pd = _pandas(required=True, what=".parquet")
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f"Reading .parquet files needs pandas and pyarrow: "
                          f"{_IO_EXTRA}") from None
    try:
        schema = pq.read_schema(path)
    except Exception as exc:
        raise ValueError(f"Cannot read {os.fspath(path)!r} as Parquet "
                         f"({type(exc).__name__}: {exc})") from None
    index_columns = set()
    meta = schema.pandas_metadata or {}
    for c in meta.get("index_columns", []):
        if isinstance(c, str):
            index_columns.add(c)
    names = [str(n) for n in schema.names if n not in index_columns]
    idx = _select(path, columns, names, len(names))
    chosen = [names[i] for i in idx]
    try:
        df = pd.read_parquet(path, columns=chosen)
    except Exception as exc:
        raise ValueError(f"Cannot read {os.fspath(path)!r} as Parquet "
                         f"({type(exc).__name__}: {exc})") from None
    for i, c in enumerate(chosen):
        s = df.iloc[:, i]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(
                s.dtype):
            raise ValueError(f"{os.fspath(path)!r}: column {c!r} is not numeric "
                             f"({s.dtype})")
    X = df.to_numpy(dtype=dtype or np.float64, na_value=np.nan)
    return np.ascontiguousarray(X), chosen


def read_table(path, columns=None, *, header="auto", dtype=None):
    """Read a numeric table for the command line.

    Parameters
    ----------
    path : str or path-like
        ``.npy`` (2-D numeric array), ``.csv`` (comma-separated, UTF-8) or
        ``.parquet`` (needs pandas and pyarrow: ``pip install fastgmm[io]``).
    columns : None, str, int or sequence of str/int, default=None
        The columns to keep, in this order: names (a CSV header or Parquet column
        names) or 0-based indices (negative counts from the end).  None: all.
    header : 'auto', bool, default='auto'
        CSV only: whether the first non-blank line holds column names.  'auto': it
        does when any of its fields is not a number (an empty field counts as a
        missing number).
    dtype : None, float32 or float64, default=None
        None: a float ``.npy`` keeps its dtype, anything else becomes float64.

    Returns
    -------
    X : ndarray of shape (n_rows, n_columns)
        For ``.npy`` of a float dtype a read-only ``np.memmap`` of the file (a view,
        never a copy), also after selecting evenly spaced columns; scattered column
        selections, integer data or another ``dtype`` make a copy.  CSV values are
        parsed exactly (round-trip), with pandas when it is installed.
    names : list of str or None
        The selected columns' names; None for ``.npy`` and a CSV without header.

    Raises
    ------
    ValueError
        A missing file (also a FileNotFoundError), an unknown extension, unknown
        column names or out-of-range indices, non-numeric columns, unreadable data.
    ImportError
        ``.parquet`` without pandas/pyarrow, naming ``pip install fastgmm[io]``.
    """
    ext = _extension(path, _READ_EXTENSIONS, "read")
    p = os.fspath(path)
    if not os.path.exists(p):
        raise MissingFileError(2, "No such table file", p)
    if os.path.isdir(p):
        raise ValueError(f"{p!r} is a directory, not a table file")
    dtype = _check_dtype(dtype)
    if header not in ("auto", True, False):
        raise ValueError(f"header must be 'auto', True or False; got {header!r}")
    if ext == ".npy":
        return _read_npy(p, columns, dtype)
    if ext == ".csv":
        return _read_csv(p, columns, dtype, header)
    return _read_parquet(p, columns, dtype)


def _csv_format(dtype):
    if dtype.kind in "iu":
        return "%d"
    return "%.9g" if dtype == np.float32 else "%.17g"  # both round-trip exactly


def write_table(path, array, header=None):
    """Write labels, probabilities or log-densities to ``.npy`` or ``.csv``.

    Parameters
    ----------
    path : str or path-like
        ``.npy`` (``np.save``: dtype and shape kept) or ``.csv``; replaced atomically.
    array : array-like of shape (n_rows,) or (n_rows, n_columns)
        Numbers (bool is written as 0/1).  A 1-D array is one CSV column.
    header : sequence of str, optional
        CSV column names (quoted where needed), one per column.  An ``.npy`` has no
        column names: it is ignored there.

    Returns
    -------
    pathlib.Path
        The path written.  CSV floats are written with 17 (float64) or 9 (float32)
        significant digits, so ``read_table`` gives back the same values.
    """
    ext = _extension(path, _WRITE_EXTENSIONS, "write")
    a = np.asarray(array)
    if a.dtype.kind not in "biuf":
        raise ValueError(f"write_table writes numbers; got an array of {a.dtype}")
    if a.ndim not in (1, 2):
        raise ValueError(f"write_table writes 1-D or 2-D arrays; got shape {a.shape}")
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if ext == ".npy":
        with _atomic_write(path) as f:
            np.save(f, a, allow_pickle=False)
        return pathlib.Path(path)
    table = a.reshape(-1, 1) if a.ndim == 1 else a
    head = None
    if header is not None:
        if isinstance(header, str):
            header = [header]
        header = list(header)
        if len(header) != table.shape[1] or not all(isinstance(h, str) for h in header):
            raise ValueError(f"header must be {table.shape[1]} column name(s) (str); "
                             f"got {header!r}")
        buf = _stdio.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(header)
        head = buf.getvalue().encode("utf-8")
    with _atomic_write(path) as f:
        if head is not None:
            f.write(head)
        np.savetxt(f, table, fmt=_csv_format(table.dtype), delimiter=",",
                   newline="\n", encoding="utf-8")
    return pathlib.Path(path)
