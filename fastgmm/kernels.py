"""fastgmm's kernels as a public, composable API.

The estimator is built on exactly these three steps, and so can other tools
(out-of-core or distributed fits, other estimators):

1. ``sufficient_statistics(X_block, params, sample_weight)`` maps a block of rows and
   the current parameters to the block's log-likelihood and sufficient statistics in
   one parallel pass over the block;
2. statistics of blocks computed with the same parameters add up: ``s1 + s2``;
3. ``m_step(total, reg_covar)`` maps summed statistics to new parameters.

Example: an out-of-core EM iteration::

    total = sum(sufficient_statistics(block, params) for block in blocks)
    params = m_step(total, reg_covar=1e-6)
    mean_loglik = total.mean_log_likelihood   # of the *old* params
"""
from dataclasses import dataclass, field

import numpy as np

from . import _mstep
from ._blas import single_threaded_blas
from ._em import em_pass, score_pass
from ._openmp import effective_n_threads
from ._validation import COVARIANCE_TYPES, check_array, check_sample_weight

_COV_CODE = {"full": 0, "tied": 1, "diag": 2, "spherical": 3}


@dataclass
class GMMParameters:
    """Mixture parameters in scikit-learn's parametrisation (float64).

    weights (K,); means (K, D); precisions_cholesky: full (K, D, D) upper
    triangular U with precision U U^T, tied (D, D), diag (K, D), spherical (K,).
    """
    weights: np.ndarray
    means: np.ndarray
    precisions_cholesky: np.ndarray
    covariance_type: str = "full"

    @property
    def n_components(self):
        return self.means.shape[0]

    @property
    def n_features(self):
        return self.means.shape[1]

    def pack(self, dtype):
        """Kernel layout in the working dtype: (means_hi, means_lo, prec, log_norm).

        means_hi is the mean rounded to dtype and means_lo the rest, so kernels
        centre points exactly near each mean; prec holds U transposed (the C core
        reads columns of U contiguously); log_norm = log w + log det U - D/2 log 2pi.
        """
        dtype = np.dtype(dtype)
        means = np.asarray(self.means, dtype=np.float64)
        hi = np.ascontiguousarray(means, dtype=dtype)
        lo = np.ascontiguousarray(means - hi.astype(np.float64), dtype=dtype)
        U = np.asarray(self.precisions_cholesky, dtype=np.float64)
        if self.covariance_type in ("full", "tied"):
            U = np.triu(U)  # the C core multiplies the zeros below the diagonal
        if self.covariance_type == "full":
            prec = np.transpose(U, (0, 2, 1))
        elif self.covariance_type == "tied":
            prec = U.T
        else:
            prec = U
        log_det = _mstep.log_det_cholesky(U, self.covariance_type, self.n_features)
        with np.errstate(divide="ignore"):
            log_w = np.log(np.asarray(self.weights, dtype=np.float64))
        log_norm = log_w + log_det - 0.5 * self.n_features * np.log(2 * np.pi)
        return (hi, lo, np.ascontiguousarray(prec, dtype=dtype).ravel(),
                np.ascontiguousarray(log_norm, dtype=dtype))


@dataclass
class SufficientStatistics:
    """Responsibility-weighted statistics of a set of rows (all float64).

    loglik_sum : sum_i w_i log p(x_i) under the parameters used
    weight_sum : sum_i w_i
    nk (K,) : sum_i w_i r_ik
    s1 (K, D) : sum_i w_i r_ik (x_i - shift_k)
    s2 (K, S) : sum_i w_i r_ik of (x_i - shift_k)(x_i - shift_k)^T, its upper triangle
        packed by rows (full, tied) or its diagonal (diag, spherical)
    shift (K, D) : the means the moments are taken around
    eps : machine epsilon of the data's dtype (scikit-learn's ``nk + 10 eps``)
    """
    loglik_sum: float
    weight_sum: float
    nk: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    shift: np.ndarray
    covariance_type: str
    eps: float = field(default=float(np.finfo(np.float64).eps))

    def __add__(self, other):
        if other == 0:  # so that sum() works
            return self
        if (self.covariance_type != other.covariance_type
                or not np.array_equal(self.shift, other.shift)):
            raise ValueError("Only statistics computed with the same parameters add up.")
        return SufficientStatistics(
            self.loglik_sum + other.loglik_sum, self.weight_sum + other.weight_sum,
            self.nk + other.nk, self.s1 + other.s1, self.s2 + other.s2, self.shift,
            self.covariance_type, max(self.eps, other.eps))

    __radd__ = __add__

    @property
    def mean_log_likelihood(self):
        """Weighted mean log-likelihood: scikit-learn's lower bound."""
        return self.loglik_sum / self.weight_sum

    @classmethod
    def from_vector(cls, vec, shift, covariance_type, eps):
        K, D = shift.shape
        S = _mstep.s2_length(D, covariance_type)
        nk = vec[2:2 + K]
        s1 = vec[2 + K:2 + K + K * D].reshape(K, D)
        s2 = vec[2 + K + K * D:2 + K + K * D + K * S].reshape(K, S)
        return cls(float(vec[0]), float(vec[1]), nk, s1, s2, shift, covariance_type, eps)


def _check_params(params, n_features):
    if params.covariance_type not in COVARIANCE_TYPES:
        raise ValueError(f"Unknown covariance_type {params.covariance_type!r}")
    if params.n_features != n_features:
        raise ValueError(f"X has {n_features} features, but the parameters are for "
                         f"{params.n_features} features.")


def sufficient_statistics(X, params, sample_weight=None, n_threads=None):
    """One fused E-step pass: log-likelihood and sufficient statistics of X.

    Parameters
    ----------
    X : array-like (n_samples, n_features); float32 is kept as float32
    params : GMMParameters
    sample_weight : array-like (n_samples,) of non-negative weights, optional
    n_threads : int or None (None: what OpenMP would use)

    Returns
    -------
    SufficientStatistics, additive over blocks of rows.
    """
    X = check_array(X)
    w = check_sample_weight(sample_weight, X.shape[0])
    _check_params(params, X.shape[1])
    with single_threaded_blas():
        return _sufficient_statistics(X, params, w, effective_n_threads(n_threads))


def _sufficient_statistics(X, params, w, n_threads):
    """sufficient_statistics for validated inputs (the estimator's inner loop; the
    caller holds single_threaded_blas())."""
    hi, lo, prec, log_norm = params.pack(X.dtype)
    vec = em_pass(X, w, hi, lo, prec, log_norm, _COV_CODE[params.covariance_type],
                  n_threads)
    shift = hi.astype(np.float64) + lo.astype(np.float64)
    return SufficientStatistics.from_vector(vec, shift, params.covariance_type,
                                            float(np.finfo(X.dtype).eps))


def m_step(stats, reg_covar=1e-6):
    """New parameters from summed statistics.

    Returns
    -------
    params : GMMParameters (weights normalised to sum 1)
    covariances : ndarray, the shape of scikit-learn's ``covariances_``
    """
    nk, means, cov = _mstep.estimate_gaussian_parameters(
        stats.nk, stats.s1, stats.s2, stats.shift, stats.covariance_type, reg_covar,
        stats.eps)
    prec_chol = _mstep.precision_cholesky(cov, stats.covariance_type)
    return GMMParameters(nk / nk.sum(), means, prec_chol, stats.covariance_type), cov


def score(X, params, n_threads=None, weighted_logprob=False, resp=False,
          loglik=False, label=False):
    """Per-row scores of X: any of the weighted log-probabilities (N, K),
    responsibilities (N, K), log-likelihood (N,) and labels (N,), in that order."""
    X = check_array(X)
    _check_params(params, X.shape[1])
    with single_threaded_blas():
        return _score(X, params, effective_n_threads(n_threads), weighted_logprob,
                      resp, loglik, label)


def _score(X, params, n_threads, weighted_logprob=False, resp=False, loglik=False,
           label=False):
    n, K = X.shape[0], params.n_components
    outs = {
        "weighted_logprob": np.empty((n, K)) if weighted_logprob else None,
        "resp": np.empty((n, K)) if resp else None,
        "loglik": np.empty(n) if loglik else None,
        "label": np.empty(n, dtype=np.int64) if label else None,
    }
    hi, lo, prec, log_norm = params.pack(X.dtype)
    score_pass(X, hi, lo, prec, log_norm, _COV_CODE[params.covariance_type],
               n_threads, **outs)
    return tuple(v for v in outs.values() if v is not None)
