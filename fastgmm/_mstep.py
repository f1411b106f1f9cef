"""M-step: summed sufficient statistics -> weights, means, covariances, precision
Cholesky factors.  Small K x D x D work in NumPy/SciPy, always in float64.

Statistics are moments around a shift c_k (the means the E-step used), so
``mean = c + s1/nk`` and ``cov = s2/nk - d d^T`` with ``d = s1/nk`` small: no
``E[xx^T] - mu mu^T`` cancellation, even for data far from the origin.
Conventions follow scikit-learn's GaussianMixture (``nk + 10 eps``, ``reg_covar`` on
the diagonal, the same "ill-defined empirical covariance" failure).
"""
import functools

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

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


@functools.lru_cache(maxsize=16)
def _cached_triu_indices(n_features):
    rows, cols = np.triu_indices(n_features)
    rows.flags.writeable = cols.flags.writeable = False   # shared by every call
    return rows, cols


def _triu_indices(n_features):
    """np.triu_indices, cached where computing it is the M-step's visible cost (small
    D, once per EM iteration) and the cache stays small (<= 16 x 0.5 MB)."""
    if n_features <= 256:
        return _cached_triu_indices(n_features)
    return np.triu_indices(n_features)


def unpack_symmetric(packed, n_features):
    """(..., D(D+1)/2) packed upper rows -> (..., D, D) symmetric matrices."""
    iu = _triu_indices(n_features)
    out = np.zeros(packed.shape[:-1] + (n_features, n_features))
    out[..., iu[0], iu[1]] = packed
    out[..., iu[1], iu[0]] = packed
    return out


def estimate_gaussian_parameters(nk, s1, s2, shift, covariance_type, reg_covar, eps):
    """Unnormalised weights (nk + 10 eps), means and covariances from moments.

    nk (K,), s1 (K, D): sum_i r_ik (x_i - c_k); s2 (K, S): sum_i r_ik of the packed
    upper triangle (full/tied) or the diagonal (diag/spherical) of
    (x_i - c_k)(x_i - c_k)^T; shift c (K, D).
    """
    nk = np.asarray(nk, dtype=np.float64) + 10 * eps
    n_features = s1.shape[1]
    d = s1 / nk[:, None]
    means = shift + d
    if covariance_type in ("full", "tied"):
        scatter = unpack_symmetric(s2, n_features) - nk[:, None, None] * (
            d[:, :, None] * d[:, None, :])
        if covariance_type == "full":
            cov = scatter / nk[:, None, None]
        else:
            cov = scatter.sum(axis=0) / nk.sum()
        cov[..., np.arange(n_features), np.arange(n_features)] += reg_covar
    else:
        cov = s2 / nk[:, None] - d * d + reg_covar
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


def precision_cholesky(covariances, covariance_type):
    """Upper-triangular U with precision = U U^T (full/tied), or 1/sqrt(cov)."""
    if covariance_type in ("full", "tied"):
        covs = covariances if covariance_type == "full" else covariances[None]
        if not np.isfinite(covs).all():
            raise ValueError(ILL_DEFINED)
        out = np.empty_like(covs)
        for k, cov in enumerate(covs):
            # cov = L L^T  =>  precision = L^-T L^-1 = U U^T with U = (L^-1)^T
            chol, info = lapack.dpotrf(cov, lower=True, clean=True)
            if info != 0:
                raise ValueError(ILL_DEFINED)
            inv, info = lapack.dtrtri(chol, lower=True)
            if info != 0:
                raise ValueError(ILL_DEFINED)
            out[k] = inv.T
        return out if covariance_type == "full" else out[0]
    if not np.isfinite(covariances).all() or (covariances <= 0).any():
        raise ValueError(ILL_DEFINED)
    return 1.0 / np.sqrt(covariances)


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
