"""fastgmm's kernels as a public, composable API.

The estimators are built on exactly these steps, and so can other tools
(out-of-core, distributed or streaming fits, other estimators):

1. ``sufficient_statistics(X_block, params, sample_weight)`` maps a block of rows and
   the current parameters to the block's log-likelihood and sufficient statistics in
   one parallel pass over the block;
2. statistics add up (``s1 + s2``), scale (``s.scaled(0.5)``) and move to other
   centres (``s.recentered(means)``), so blocks, batches and workers combine;
3. ``m_step(total, reg_covar)`` maps summed statistics to new parameters.

This module is a trust boundary: every argument is validated once per call, cheaply
(shapes, dtypes, finiteness, positive factor diagonals), and a bad call raises a
ValueError or TypeError naming the problem; the C core below may then assume valid
input.

Example: an out-of-core EM iteration::

    total = sum(sufficient_statistics(block, params) for block in blocks)
    params, covariances = m_step(total, reg_covar=1e-6)
    mean_loglik = total.mean_log_likelihood   # of the *old* params
"""
import functools
import numbers
import types

import numpy as np

from . import _linalg, _mstep
from ._blas import single_threaded_blas
from ._core import COV_CODES, em_pass, score_pass, stats_layout
from ._openmp import effective_n_threads
from ._validation import COVARIANCE_TYPES, check_array, check_float, check_sample_weight

__all__ = ["GMMParameters", "SufficientStatistics", "sufficient_statistics", "m_step",
           "score"]


def _real_array(value, name):
    """A float64 copy of value (the caller's array is never kept or modified)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of real numbers; got {value!r}")
    try:
        if np.iscomplexobj(value):  # before the cast, which would drop the imaginary part
            raise TypeError(f"{name} must be real; got complex values")
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers ({exc})") from None


def _check_shape(arr, shape, name):
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")


def _check_finite(arr, name):
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinity")


class GMMParameters:
    """Validated mixture parameters in scikit-learn's parametrisation (float64).

    Parameters
    ----------
    weights : array-like (n_components,)
        Non-negative mixing weights with a positive sum (a weight of 0 switches a
        component off).
    means : array-like (n_components, n_features)
    precisions_cholesky : array-like
        Cholesky factors U of the precisions (precision = U U^T), as scikit-learn's
        ``precisions_cholesky_``: ``'full'`` (n_components, n_features, n_features)
        upper triangular, ``'tied'`` (n_features, n_features) upper triangular,
        ``'diag'`` (n_components, n_features), ``'spherical'`` (n_components,);
        diagonals strictly positive.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'

    Raises
    ------
    TypeError, ValueError
        Naming the argument that is not numeric, has the wrong shape, holds NaN or
        infinity, negative weights or a non-positive (or non-triangular) factor.

    Notes
    -----
    The arrays are private, read-only float64 copies: changing the caller's arrays
    afterwards changes nothing here.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.kernels import GMMParameters
    >>> p = GMMParameters([0.5, 0.5], [[0.0], [4.0]], [[[1.0]], [[2.0]]], "full")
    >>> p.n_components, p.n_features
    (2, 1)
    """

    __slots__ = ("weights", "means", "precisions_cholesky", "covariance_type")

    def __init__(self, weights, means, precisions_cholesky, covariance_type="full"):
        if not isinstance(covariance_type, str) or covariance_type not in COVARIANCE_TYPES:
            raise ValueError(f"covariance_type must be one of {list(COVARIANCE_TYPES)}; "
                             f"got {covariance_type!r}")
        w = _real_array(weights, "weights")
        m = _real_array(means, "means")
        u = _real_array(precisions_cholesky, "precisions_cholesky")
        if w.ndim != 1 or w.shape[0] < 1:
            raise ValueError(f"weights must have shape (n_components,); got {w.shape}")
        K = w.shape[0]
        if m.ndim != 2 or m.shape[1] < 1:
            raise ValueError(f"means must have shape (n_components, n_features); got "
                             f"{m.shape}")
        if m.shape[0] != K:
            raise ValueError(f"weights has {K} entries but means has {m.shape[0]} rows "
                             "(one per component each)")
        D = m.shape[1]
        expected = {"full": (K, D, D), "tied": (D, D), "diag": (K, D),
                    "spherical": (K,)}[covariance_type]
        if u.shape != expected:
            raise ValueError(f"precisions_cholesky ({covariance_type}) must have shape "
                             f"{expected} for {K} weights and means of {D} features; "
                             f"got {u.shape}")
        for arr, name in ((w, "weights"), (m, "means"), (u, "precisions_cholesky")):
            _check_finite(arr, name)
        if (w < 0).any() or not w.sum() > 0:
            raise ValueError("weights must be non-negative with a positive sum; got "
                             f"min {w.min():.6g}, sum {w.sum():.6g}")
        if covariance_type in ("full", "tied"):
            diag = np.diagonal(u, axis1=-2, axis2=-1)
            if np.tril(u, -1).any():
                raise ValueError("precisions_cholesky must be upper triangular (the "
                                 "Cholesky factor U with precision = U U^T)")
        else:
            diag = u
        if not (diag > 0).all():
            raise ValueError("precisions_cholesky must have a strictly positive "
                             f"diagonal; its smallest entry is {diag.min():.6g}")
        for arr in (w, m, u):
            arr.flags.writeable = False
        self.weights, self.means, self.precisions_cholesky = w, m, u
        self.covariance_type = covariance_type

    @classmethod
    def _from_m_step(cls, weights, means, precisions_cholesky, covariance_type):
        """Parameters an M-step computed (float64 arrays of the right shapes, finite,
        factors from LAPACK's Cholesky), taken without a copy or a check: the
        validation costs more than the M-step itself on small data, once per EM
        iteration.  Internal: anything from outside goes through ``__init__``."""
        self = object.__new__(cls)
        for arr in (weights, means, precisions_cholesky):
            arr.flags.writeable = False
        self.weights, self.means = weights, means
        self.precisions_cholesky, self.covariance_type = precisions_cholesky, covariance_type
        return self

    @property
    def n_components(self):
        return self.means.shape[0]

    @property
    def n_features(self):
        return self.means.shape[1]

    def __repr__(self):
        return (f"GMMParameters(n_components={self.n_components}, n_features="
                f"{self.n_features}, covariance_type={self.covariance_type!r})")

    def __eq__(self, other):
        if not isinstance(other, GMMParameters):
            return NotImplemented
        return (self.covariance_type == other.covariance_type
                and all(np.array_equal(getattr(self, a), getattr(other, a))
                        for a in ("weights", "means", "precisions_cholesky")))

    def __reduce__(self):
        return (GMMParameters, (self.weights, self.means, self.precisions_cholesky,
                                self.covariance_type))

    def pack(self, dtype):
        """The parameters in the C core's layout, in the working dtype.

        Parameters
        ----------
        dtype : float32 or float64, the dtype of the data to be scored

        Returns
        -------
        means_hi, means_lo : ndarray (K, D)
            The mean rounded to dtype and the rest, so kernels centre points exactly
            near each mean.
        prec : ndarray, 1-D
            U transposed (the C core reads columns of U contiguously), or the
            diagonal / spherical factors.
        log_norm : ndarray (K,)
            log w + log det U - D/2 log 2pi (-inf for a weight of 0).
        """
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64 (the kernels' "
                             f"precisions); got {dtype}")
        K, D = self.means.shape
        U = np.ascontiguousarray(self.precisions_cholesky, dtype=np.float64)
        hi, lo = np.empty((K, D), dtype), np.empty((K, D), dtype)
        prec, log_norm = np.empty(U.size, dtype), np.empty(K, dtype)
        _linalg.pack_params(np.ascontiguousarray(self.weights, dtype=np.float64),
                            np.ascontiguousarray(self.means, dtype=np.float64),
                            U.reshape(-1), COV_CODES[self.covariance_type], hi, lo,
                            prec, log_norm)
        return hi, lo, prec, log_norm


class SufficientStatistics:
    """Responsibility-weighted statistics of a set of rows (float64).

    The fields follow the C core's statistics layout (one definition, in
    ``csrc/fastgmm.h``); a field added there appears here as an attribute:

    loglik_sum : float, sum_i w_i log p(x_i) under the parameters used
    weight_sum : float, sum_i w_i
    resp_entropy_sum : float, sum_i w_i sum_k r_ik log r_ik (minus the entropy of
        the responsibilities, for ICL and variational bounds); NaN unless asked for
    nk : (K,) sum_i w_i r_ik
    s1 : (K, D) sum_i w_i r_ik (x_i - shift_k)
    s2 : (K, S) sum_i w_i r_ik of (x_i - shift_k)(x_i - shift_k)^T, its upper
        triangle packed by rows (full, tied: S = D(D+1)/2) or its diagonal
        (diag, spherical: S = D)

    Other attributes: ``shift`` (K, D), the centres of the moments (the means of the
    parameters used); ``covariance_type``; ``eps``, the machine epsilon of the data's
    dtype (scikit-learn's ``nk + 10 eps``).

    Statistics combine: ``a + b`` adds (b is first re-centred onto a's shift when
    the two differ, as stepwise EM needs), ``a.scaled(f)`` multiplies every sum by
    f, ``a.recentered(c)`` moves the moments to centres c exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.kernels import GMMParameters, sufficient_statistics, m_step
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> p = GMMParameters([0.5, 0.5], [[0.5], [10.5]], [[[1.0]], [[1.0]]])
    >>> s = sufficient_statistics(X[:2], p) + sufficient_statistics(X[2:], p)
    >>> np.round(s.nk, 6)
    array([2., 2.])
    >>> new, cov = m_step(s)
    >>> np.round(new.means, 6)
    array([[ 0.5],
           [10.5]])
    """

    __slots__ = ("vector", "shift", "covariance_type", "eps", "_layout")

    def __init__(self, vector, shift, covariance_type, eps):
        shift = np.array(shift, dtype=np.float64)
        if shift.ndim != 2:
            raise ValueError(f"shift must have shape (n_components, n_features); got "
                             f"{shift.shape}")
        K, D = shift.shape
        if covariance_type not in COV_CODES:
            raise ValueError(f"covariance_type must be one of {list(COVARIANCE_TYPES)}; "
                             f"got {covariance_type!r}")
        layout = _stats_layout(D, K, COV_CODES[covariance_type])
        vector = np.array(vector, dtype=np.float64)
        _check_shape(vector, (layout["size"],), "statistics vector")
        self.vector, self.shift, self.covariance_type = vector, shift, covariance_type
        self.eps = float(eps)
        self._layout = layout

    @classmethod
    def _from_pass(cls, vector, shift, covariance_type, eps):
        """Statistics a pass just computed (a fresh float64 vector of the layout's
        size, a float64 (K, D) shift), taken without copies or checks: they cost as
        much as the pass itself on small data, once per EM iteration.  Internal."""
        self = object.__new__(cls)
        K, D = shift.shape
        self.vector, self.shift, self.covariance_type = vector, shift, covariance_type
        self.eps = eps
        self._layout = _stats_layout(D, K, COV_CODES[covariance_type])
        return self

    @classmethod
    def from_fields(cls, shift, covariance_type, eps, **fields):
        """Statistics from named fields (any field left out is zero)."""
        K, D = np.shape(shift)
        layout = stats_layout(D, K, COV_CODES.get(covariance_type, -1))
        vector = np.zeros(layout["size"])
        for name, value in fields.items():
            if name not in layout or name == "size":
                raise ValueError(f"unknown statistic {name!r}")
            start, stop, _ = layout[name]
            vector[start:stop] = np.ravel(value)  # shape errors raise ValueError
        return cls(vector, shift, covariance_type, eps)

    def __getattr__(self, name):
        layout = object.__getattribute__(self, "_layout")
        if name not in layout or name == "size":
            raise AttributeError(name)
        start, stop, rank = layout[name]
        if rank == 0:
            return float(self.vector[start])
        view = self.vector[start:stop]  # a view: in-place updates reach the vector
        return view if rank == 1 else view.reshape(self.shift.shape[0], -1)

    @property
    def n_components(self):
        return self.shift.shape[0]

    @property
    def n_features(self):
        return self.shift.shape[1]

    @property
    def mean_log_likelihood(self):
        """Weighted mean log-likelihood: scikit-learn's lower bound."""
        return self.loglik_sum / self.weight_sum

    def _like(self, vector, shift=None):
        return SufficientStatistics(vector, self.shift if shift is None else shift,
                                    self.covariance_type, self.eps)

    def scaled(self, factor):
        """Every sum multiplied by ``factor`` (stepwise EM's decay).

        Parameters
        ----------
        factor : float >= 0

        Returns
        -------
        SufficientStatistics
        """
        factor = check_float(factor, "factor", 0.0)
        return self._like(self.vector * factor)

    def recentered(self, shift):
        """The same statistics as moments around other centres.

        With delta = old shift - new shift: s1' = s1 + nk delta and
        s2' = s2 + s1 delta^T + delta s1^T + nk delta delta^T (exact algebra; the
        M-step's result is unchanged up to round-off).

        Parameters
        ----------
        shift : array-like (n_components, n_features), finite

        Returns
        -------
        SufficientStatistics
        """
        shift = np.asarray(shift, dtype=np.float64)
        _check_shape(shift, self.shift.shape, "shift")
        _check_finite(shift, "shift")
        delta = self.shift - shift
        nk, s1, s2 = self.nk, self.s1, self.s2
        new = self.vector.copy()
        out = self._like(new, shift)
        out.s1[...] = s1 + nk[:, None] * delta
        if self.covariance_type in ("full", "tied"):
            iu = np.triu_indices(self.n_features)
            cross = s1[:, :, None] * delta[:, None, :]
            add = cross + np.transpose(cross, (0, 2, 1)) + nk[:, None, None] * (
                delta[:, :, None] * delta[:, None, :])
            out.s2[...] = s2 + add[:, iu[0], iu[1]]
        else:
            out.s2[...] = s2 + 2 * s1 * delta + nk[:, None] * delta * delta
        return out

    def __add__(self, other):
        if isinstance(other, numbers.Number) and other == 0:  # so that sum() works
            return self
        if not isinstance(other, SufficientStatistics):
            return NotImplemented
        if (self.covariance_type != other.covariance_type
                or self.shift.shape != other.shift.shape):
            raise ValueError("Statistics add up only for the same covariance_type, "
                             "n_components and n_features; got "
                             f"{self.covariance_type} {self.shift.shape} and "
                             f"{other.covariance_type} {other.shift.shape}")
        if not np.array_equal(self.shift, other.shift):
            other = other.recentered(self.shift)
        out = self._like(self.vector + other.vector)
        out.eps = max(self.eps, other.eps)
        return out

    __radd__ = __add__

    def __repr__(self):
        return (f"SufficientStatistics(n_components={self.n_components}, n_features="
                f"{self.n_features}, covariance_type={self.covariance_type!r}, "
                f"weight_sum={self.weight_sum:.6g})")


@functools.lru_cache(maxsize=64)
def _stats_layout(n_features, n_components, cov_code):
    """stats_layout, computed once per shape (shared: a read-only mapping)."""
    return types.MappingProxyType(stats_layout(n_features, n_components, cov_code))


_EPS = {np.float32: float(np.finfo(np.float32).eps),
        np.float64: float(np.finfo(np.float64).eps)}


def _check_params(params, n_features):
    if not isinstance(params, GMMParameters):
        raise TypeError(f"params must be a GMMParameters; got {type(params).__name__}")
    if params.n_features != n_features:
        raise ValueError(f"X has {n_features} features, but the params are for "
                         f"{params.n_features} features.")


def sufficient_statistics(X, params, sample_weight=None, n_threads=None,
                          resp_entropy=False):
    """One fused E-step pass: log-likelihood and sufficient statistics of X.

    Parameters
    ----------
    X : array-like (n_samples, n_features)
        float32 is kept as float32 (statistics still accumulate in float64).
    params : GMMParameters
    sample_weight : array-like (n_samples,), optional
        Non-negative weights; a weight of k counts the row k times.
    n_threads : int or None
        OpenMP threads (None: what OpenMP would use).  The result is bitwise the
        same for any value.
    resp_entropy : bool, default=False
        Also accumulate ``resp_entropy_sum`` (an extra ~10% at small n_features);
        otherwise that field is NaN (not computed).

    Returns
    -------
    SufficientStatistics
        Additive over blocks of rows computed with the same params.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.kernels import GMMParameters, sufficient_statistics
    >>> p = GMMParameters([1.0], [[0.0, 0.0]], [[1.0, 1.0]], "diag")
    >>> s = sufficient_statistics(np.zeros((3, 2)), p)
    >>> s.nk, s.weight_sum
    (array([3.]), 3.0)
    """
    X = check_array(X)
    _check_params(params, X.shape[1])
    w = check_sample_weight(sample_weight, X.shape[0])
    n_threads = effective_n_threads(n_threads)
    with single_threaded_blas():
        return _sufficient_statistics(X, params, w, n_threads, bool(resp_entropy))


def _sufficient_statistics(X, params, w, n_threads, resp_entropy=False):
    """sufficient_statistics for validated inputs (the estimators' inner loop; the
    caller holds single_threaded_blas())."""
    hi, lo, prec, log_norm = params.pack(X.dtype)
    cov_code = COV_CODES[params.covariance_type]
    vec = em_pass(X, w, hi, lo, prec, log_norm, cov_code, n_threads,
                  resp_entropy=resp_entropy)
    if not resp_entropy:
        vec[_stats_layout(X.shape[1], params.n_components, cov_code)
            ["resp_entropy_sum"][0]] = np.nan
    # the centres the pass measured from: hi + lo, which is the mean itself for
    # float64 data (lo = 0); a fresh array either way (statistics own their shift)
    shift = (np.array(params.means, dtype=np.float64) if X.dtype == np.float64
             else hi.astype(np.float64) + lo.astype(np.float64))
    return SufficientStatistics._from_pass(vec, shift, params.covariance_type,
                                           _EPS[X.dtype.type])


def m_step(stats, reg_covar=1e-6):
    """New parameters from summed statistics.

    Parameters
    ----------
    stats : SufficientStatistics
    reg_covar : float >= 0
        Added to the diagonal of every covariance (scikit-learn's convention).

    Returns
    -------
    params : GMMParameters (weights normalised to sum 1)
    covariances : ndarray, the shape of scikit-learn's ``covariances_``

    Raises
    ------
    ValueError
        When a component's covariance is not positive definite (scikit-learn's
        "ill-defined empirical covariance" message).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.kernels import GMMParameters, sufficient_statistics, m_step
    >>> X = np.array([[1.0], [3.0]])
    >>> p = GMMParameters([1.0], [[0.0]], [[[1.0]]])
    >>> new, cov = m_step(sufficient_statistics(X, p), reg_covar=0.0)
    >>> round(float(new.means[0, 0]), 9), round(float(cov[0, 0, 0]), 9)
    (2.0, 1.0)
    """
    if not isinstance(stats, SufficientStatistics):
        raise TypeError(f"stats must be a SufficientStatistics; got "
                        f"{type(stats).__name__}")
    reg_covar = check_float(reg_covar, "reg_covar", 0.0)
    if not all(np.isfinite(getattr(stats, f)).all() for f in ("nk", "s1", "s2", "shift")):
        raise ValueError("stats contains NaN or infinity in nk, s1, s2 or shift")
    if (stats.nk < 0).any():
        raise ValueError("stats has negative responsibility sums nk")
    params, cov = _m_step(stats, reg_covar)
    # statistics built by hand reach here too: the result goes through the checks
    # (the estimators' own loop, fed by the kernels, skips them)
    return GMMParameters(params.weights, params.means, params.precisions_cholesky,
                         params.covariance_type), cov


def _m_step(stats, reg_covar):
    """The M-step for statistics a pass produced (one compiled call)."""
    K, D = stats.shift.shape
    cov_type = stats.covariance_type
    weights, means = np.empty(K), np.empty((K, D))
    cov = np.empty(_mstep.cov_shape(K, D, cov_type))
    prec_chol = np.empty_like(cov)
    _mstep.check_factor_status(_linalg.m_step(
        stats.vector, np.ascontiguousarray(stats.shift), COV_CODES[cov_type],
        reg_covar, stats.eps, weights, means, cov.reshape(-1), prec_chol.reshape(-1)))
    return GMMParameters._from_m_step(weights, means, prec_chol, cov_type), cov


def score(X, params, n_threads=None, weighted_logprob=False, resp=False,
          loglik=False, label=False):
    """Per-row scores of X under params, in one parallel pass.

    Parameters
    ----------
    X : array-like (n_samples, n_features)
    params : GMMParameters
    n_threads : int or None
    weighted_logprob, resp, loglik, label : bool
        Which outputs to compute.

    Returns
    -------
    tuple of the requested arrays, in this order (real ones in X's dtype, float32
    or float64): weighted_logprob (n_samples, n_components), log w_k + log N(x | k);
    resp (n_samples, n_components), the responsibilities (a row of zero density
    under every component gets zeros); loglik (n_samples,), log p(x) (-inf for
    such a row); label (n_samples,) int64, the most probable component (-1 for
    such a row).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.kernels import GMMParameters, score
    >>> p = GMMParameters([0.5, 0.5], [[0.0], [4.0]], [1.0, 1.0], "spherical")
    >>> (labels,) = score(np.array([[0.1], [3.9]]), p, label=True)
    >>> labels
    array([0, 1])
    """
    X = check_array(X)
    _check_params(params, X.shape[1])
    n_threads = effective_n_threads(n_threads)
    with single_threaded_blas():
        return _score(X, params, n_threads, weighted_logprob, resp, loglik, label)


def _score(X, params, n_threads, weighted_logprob=False, resp=False, loglik=False,
           label=False):
    n, K = X.shape[0], params.n_components
    # real outputs in X's dtype: float32 data is scored in float32 (as scikit-learn)
    outs = {
        "weighted_logprob": np.empty((n, K), X.dtype) if weighted_logprob else None,
        "resp": np.empty((n, K), X.dtype) if resp else None,
        "loglik": np.empty(n, X.dtype) if loglik else None,
        "label": np.empty(n, dtype=np.int64) if label else None,
    }
    hi, lo, prec, log_norm = params.pack(X.dtype)
    score_pass(X, hi, lo, prec, log_norm, COV_CODES[params.covariance_type],
               n_threads, **outs)
    return tuple(v for v in outs.values() if v is not None)
