"""M-step: summed sufficient statistics -> weights, means, covariances, precision
Cholesky factors.  Small K x D x D work, always in float64: the loops and LAPACK
calls are compiled (fastgmm._linalg), this module gives them their shapes.

Statistics are moments around a shift c_k (the means the E-step used), so
``mean = c + s1/nk`` and ``cov = s2/nk - d d^T`` with ``d = s1/nk`` small: no
``E[xx^T] - mu mu^T`` cancellation, even for data far from the origin.
Conventions follow scikit-learn's GaussianMixture (``nk + 10 eps``, ``reg_covar`` on
the diagonal, the same "ill-defined empirical covariance" failure).
"""
import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from . import _linalg
from ._core import COV_CODES

ILL_DEFINED = (
    "Fitting the mixture model failed because some components have ill-defined "
    "empirical covariance (for instance caused by singleton or collapsed samples). "
    "Try to decrease the number of components, increase reg_covar, or scale the "
    "input data.")


def s2_length(n_features, covariance_type):
    """Values of s2 per component: packed upper triangle or a diagonal."""
    if covariance_type in ("full", "tied"):
        return n_features * (n_features + 1) // 2
    return n_features


def cov_shape(n_components, n_features, covariance_type):
    """Shape of scikit-learn's covariances_ (and precisions_cholesky_)."""
    K, D = n_components, n_features
    shapes = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}
    if covariance_type not in shapes:
        raise ValueError(f"invalid covariance_type {covariance_type!r}")
    return shapes[covariance_type]


def estimate_gaussian_parameters(nk, s1, s2, shift, covariance_type, reg_covar, eps):
    """Unnormalised weights (nk + 10 eps), means and covariances from moments.

    nk (K,), s1 (K, D): sum_i r_ik (x_i - c_k); s2 (K, S): sum_i r_ik of the packed
    upper triangle (full/tied) or the diagonal (diag/spherical) of
    (x_i - c_k)(x_i - c_k)^T; shift c (K, D).  In NumPy terms, with d = s1/nk:
    ``means = c + d``; full: ``cov_k = (s2_k - nk_k d_k d_k^T) / nk_k + reg I``;
    tied: ``sum_k (s2_k - nk_k d_k d_k^T) / sum_k nk_k + reg I``; diag:
    ``s2 / nk - d^2 + reg``; spherical: its mean over the features (compiled:
    fastgmm._linalg.gaussian_moments).
    """
    f64 = np.float64
    nk = np.ascontiguousarray(nk, dtype=f64)
    shift = np.ascontiguousarray(shift, dtype=f64)
    K, D = shift.shape
    nk_eps, means = np.empty(K), np.empty((K, D))
    cov = np.empty(cov_shape(K, D, covariance_type))
    _linalg.gaussian_moments(nk, np.ascontiguousarray(s1, dtype=f64),
                             np.ascontiguousarray(s2, dtype=f64), shift,
                             COV_CODES[covariance_type], reg_covar, eps, nk_eps, means,
                             cov.reshape(-1))
    return nk_eps, means, cov


def precision_cholesky(covariances, covariance_type):
    """Upper-triangular U with precision = U U^T (full/tied), or 1/sqrt(cov).

    Raises ValueError (scikit-learn's ill-defined covariance message) when a
    covariance is not finite or not positive definite.
    """
    cov = np.ascontiguousarray(covariances, dtype=np.float64)
    out = np.empty_like(cov)
    n_features = cov.shape[-1] if cov.ndim else 1
    check_factor_status(_linalg.precision_cholesky(
        cov.reshape(-1), COV_CODES[covariance_type], n_features, out.reshape(-1)))
    return out


def check_factor_status(status):
    """Raise for a status of the compiled Cholesky factorisations: 1, a covariance
    not finite or not positive definite (scikit-learn's error); 2, an argument
    LAPACK refused (never expected: a bug)."""
    if status == 1:
        raise ValueError(ILL_DEFINED)
    if status:
        raise RuntimeError(f"fastgmm: internal error: LAPACK refused an argument "
                           f"of the Cholesky factorisation (status {status})")


def ill_defined_components(covariances, covariance_type):
    """Indices of the components whose covariance is not positive definite (for
    'tied', [0] when the shared covariance is not)."""
    if covariance_type in ("full", "tied"):
        covs = covariances if covariance_type == "full" else covariances[None]
        bad = [k for k, c in enumerate(covs)
               if not np.isfinite(c).all() or lapack.dpotrf(c, lower=True)[1] != 0]
        return np.asarray(bad, dtype=np.intp)
    return np.flatnonzero(~np.isfinite(covariances) | (covariances <= 0)
                          if covariances.ndim == 1 else
                          (~np.isfinite(covariances) | (covariances <= 0)).any(axis=1))


def precision_cholesky_from_precisions(precisions, covariance_type):
    """U upper with U U^T = precision (Cholesky of the row/column-reversed matrix)."""
    if covariance_type in ("full", "tied"):
        mats = precisions if covariance_type == "full" else precisions[None]
        out = np.stack([np.flip(linalg.cholesky(np.flip(m), lower=True)) for m in mats])
        return out if covariance_type == "full" else out[0]
    return np.sqrt(precisions)


def precisions_from_cholesky(prec_chol, covariance_type):
    if covariance_type == "full":
        return np.einsum("kij,klj->kil", prec_chol, prec_chol)
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol ** 2


def covariances_from_cholesky(prec_chol, covariance_type):
    """Inverse of the precisions (used when EM never ran, e.g. max_iter=0)."""
    if covariance_type in ("full", "tied"):
        mats = prec_chol if covariance_type == "full" else prec_chol[None]
        eye = np.eye(mats.shape[-1])
        inv = [linalg.solve_triangular(u, eye, lower=False) for u in mats]  # U^-1
        out = np.stack([v.T @ v for v in inv])  # (U U^T)^-1 = U^-T U^-1
        return out if covariance_type == "full" else out[0]
    return 1.0 / prec_chol ** 2


def log_det_cholesky(prec_chol, covariance_type, n_features):
    """log det U per component (a scalar for tied)."""
    if covariance_type == "full":
        return np.log(np.diagonal(prec_chol, axis1=1, axis2=2)).sum(axis=1)
    if covariance_type == "tied":
        return np.log(np.diag(prec_chol)).sum()
    if covariance_type == "diag":
        return np.log(prec_chol).sum(axis=1)
    return n_features * np.log(prec_chol)


def n_parameters(n_components, n_features, covariance_type):
    cov = {"full": n_components * n_features * (n_features + 1) / 2.0,
           "diag": n_components * n_features,
           "tied": n_features * (n_features + 1) / 2.0,
           "spherical": n_components}[covariance_type]
    return int(cov + n_features * n_components + n_components - 1)
