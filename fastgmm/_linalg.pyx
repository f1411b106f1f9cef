# Design: the M-step's small dense algebra (K x D x D at most), compiled.
#
# An EM iteration on small data (a few thousand rows) spends as long in the M-step's
# NumPy calls and in one LAPACK call per component as in the pass over X: fitting a
# grid of 40 models on 1,797 rows made ~540 M-steps, each ~20 NumPy temporaries and
# 2K scipy.linalg.lapack calls.  Here each step is one C loop, the GIL released:
#
# * gaussian_moments: moments around the shift -> nk + 10 eps, means, covariances.
#   The same element-wise operations in the same order as the NumPy formulation of
#   _mstep's docstring (so results are those bits wherever NumPy computes element by
#   element); the sums over components (tied) and features (spherical) run in order.
# * precision_cholesky: cov = L L^T (LAPACK dpotrf), U = L^-T (dtrtri) per component,
#   the same two LAPACK routines scipy.linalg.lapack would call.  A row-major
#   symmetric matrix read as column-major is itself, and LAPACK's column-major lower
#   factor read back row-major is its transpose: dpotrf('L') then dtrtri('L') on the
#   row-major buffer leave exactly U (upper) there, with no copy or transpose.
# * m_step: both, straight from the statistics vector of a pass, plus the weights:
#   the estimators' EM iteration makes this one call.
# * pack_params: the parameters in the C core's layout, in the data's dtype (see
#   kernels.GMMParameters.pack).
#
# Covariance codes are the C core's (csrc/fastgmm.h), so no string reaches C.
from cython cimport floating
from libc.math cimport INFINITY, isfinite, log, sqrt
from libc.limits cimport INT_MAX
from scipy.linalg.cython_lapack cimport dpotrf, dtrtri

from ._csrc cimport (FGMM_DIAG, FGMM_FULL, FGMM_N_STAT_FIELDS, FGMM_OK,
                     FGMM_SPHERICAL, FGMM_STAT_NK, FGMM_STAT_S1, FGMM_STAT_S2,
                     FGMM_TIED, fgmm_stats_layout)

cdef extern from "layout.h" nogil:
    int fgmm_stats_offsets(int D, int K, int cov_type, fgmm_stats_layout *l)

# log(2 pi), as np.log(2 * np.pi) computes it
cdef double LOG_2PI = 1.8378770664093453


cdef inline bint _is_triangular(int cov_type) noexcept nogil:
    return cov_type == FGMM_FULL or cov_type == FGMM_TIED


cdef Py_ssize_t cov_size(int cov_type, Py_ssize_t K, Py_ssize_t D) noexcept nogil:
    """Values of the covariances (or precision factors) of K components; -1 for an
    unknown code."""
    if cov_type == FGMM_FULL:
        return K * D * D
    if cov_type == FGMM_TIED:
        return D * D
    if cov_type == FGMM_DIAG:
        return K * D
    if cov_type == FGMM_SPHERICAL:
        return K
    return -1


def gaussian_moments(const double[::1] nk, const double[:, ::1] s1,
                     const double[:, ::1] s2, const double[:, ::1] shift, int cov_type,
                     double reg_covar, double eps, double[::1] nk_eps,
                     double[:, ::1] means, double[::1] cov):
    """nk + 10 eps, means and covariances (flat, C order) from shifted moments.

    nk (K,); s1 (K, D): sum r (x - c); s2 (K, S): the packed upper triangle (full,
    tied; S = D(D+1)/2) or the diagonal (diag, spherical; S = D) of sum r (x - c)
    (x - c)^T; shift c (K, D).  Outputs nk_eps (K,), means (K, D) and cov: K*D*D
    (full), D*D (tied), K*D (diag) or K (spherical) values.
    """
    cdef Py_ssize_t K = nk.shape[0], D = shift.shape[1]
    cdef Py_ssize_t S = D * (D + 1) // 2 if _is_triangular(cov_type) else D
    cdef Py_ssize_t n_cov = cov_size(cov_type, K, D)
    if n_cov < 0:
        raise ValueError(f"unknown covariance code {cov_type}")
    if (K < 1 or D < 1 or s1.shape[0] != K or s1.shape[1] != D or s2.shape[0] != K or s2.shape[1] != S
            or shift.shape[0] != K or nk_eps.shape[0] != K or means.shape[0] != K
            or means.shape[1] != D or cov.shape[0] != n_cov):
        raise ValueError("gaussian_moments: inconsistent shapes")
    with nogil:
        _gaussian_moments(&nk[0], &s1[0, 0], &s2[0, 0], &shift[0, 0], K, D, cov_type,
                          reg_covar, eps, &nk_eps[0], &means[0, 0], &cov[0])


cdef void _gaussian_moments(const double *nk, const double *s1, const double *s2,
                            const double *shift, Py_ssize_t K, Py_ssize_t D,
                            int cov_type, double reg, double eps, double *nk_eps,
                            double *means, double *cov) noexcept nogil:
    cdef Py_ssize_t k, i, j, e, S
    cdef double n, di, v, total
    cdef double *ck
    for k in range(K):
        nk_eps[k] = nk[k] + 10 * eps
        for i in range(D):
            # d = s1 / nk: kept in means until the shift is added back
            means[k * D + i] = s1[k * D + i] / nk_eps[k]
    if _is_triangular(cov_type):
        S = D * (D + 1) // 2
        if cov_type == FGMM_TIED:
            for e in range(D * D):
                cov[e] = 0
        for k in range(K):
            n = nk_eps[k]
            ck = cov + (k * D * D if cov_type == FGMM_FULL else 0)
            e = 0
            for i in range(D):
                di = means[k * D + i]
                for j in range(i, D):
                    # scatter = s2 - nk d d^T, symmetric by construction
                    v = s2[k * S + e] - n * (di * means[k * D + j])
                    if cov_type == FGMM_FULL:
                        v = v / n
                        ck[i * D + j] = v
                        ck[j * D + i] = v
                    else:
                        ck[i * D + j] += v
                    e += 1
        if cov_type == FGMM_TIED:
            total = 0
            for k in range(K):
                total += nk_eps[k]
            for i in range(D):
                for j in range(i, D):
                    cov[i * D + j] = cov[i * D + j] / total
                    cov[j * D + i] = cov[i * D + j]
        for k in range(K if cov_type == FGMM_FULL else 1):
            for i in range(D):
                cov[k * D * D + i * D + i] += reg
    else:
        for k in range(K):
            n = nk_eps[k]
            total = 0
            for i in range(D):
                di = means[k * D + i]
                v = s2[k * D + i] / n - di * di + reg
                if cov_type == FGMM_DIAG:
                    cov[k * D + i] = v
                else:
                    total += v
            if cov_type == FGMM_SPHERICAL:
                cov[k] = total / D
    for k in range(K):
        for i in range(D):
            means[k * D + i] = shift[k * D + i] + means[k * D + i]


def precision_cholesky(const double[::1] cov, int cov_type, Py_ssize_t n_features,
                       double[::1] out):
    """U (upper, precision = U U^T) per covariance (full, tied), or 1/sqrt(cov)
    (diag, spherical), written into out (the same flat size as cov).

    Returns 0, 1 when a covariance is not finite or not positive definite, or 2
    when LAPACK refused an argument (a bug); out is then partly written.
    """
    cdef Py_ssize_t n = cov.shape[0], D = n_features
    # n a multiple of D * D, tested without forming D * D (no overflow)
    if (out.shape[0] != n or cov_size(cov_type, 1, 1) < 0
            or (_is_triangular(cov_type)
                and (D < 1 or D > INT_MAX or n % D != 0 or (n // D) % D != 0))):
        raise ValueError("precision_cholesky: inconsistent shapes")
    if n == 0:
        return 0
    cdef int status
    with nogil:
        status = _precision_cholesky(&cov[0], n, D, cov_type, &out[0])
    return status


cdef int _precision_cholesky(const double *cov, Py_ssize_t n, Py_ssize_t D,
                             int cov_type, double *out) noexcept nogil:
    cdef Py_ssize_t e, i, j, k
    cdef int d = <int>D, info = 0
    cdef char lower = b'L', nonunit = b'N'
    for e in range(n):
        if not isfinite(cov[e]):
            return 1
    if not _is_triangular(cov_type):
        for e in range(n):
            if not cov[e] > 0:
                return 1
            out[e] = 1.0 / sqrt(cov[e])
        return 0
    cdef double *a
    for k in range(n // (D * D)):
        a = out + k * D * D
        # transposed, so that LAPACK's column-major view is cov itself and dpotrf
        # reads its lower triangle (as scipy.linalg.cholesky(lower=True) does: a
        # covariance from a matrix product may differ from symmetric in the last bit)
        for i in range(D):
            for j in range(D):
                a[j * D + i] = cov[k * D * D + i * D + j]
        dpotrf(&lower, &d, a, &d, &info)
        if info == 0:
            dtrtri(&lower, &nonunit, &d, a, &d, &info)
        if info < 0:
            return 2
        if info > 0:
            return 1
        for i in range(1, D):           # the strict lower part still holds cov
            for j in range(i):
                a[i * D + j] = 0
    return 0


def m_step(const double[::1] stats, const double[:, ::1] shift, int cov_type,
           double reg_covar, double eps, double[::1] weights, double[:, ::1] means,
           double[::1] cov, double[::1] prec_chol):
    """The M-step from a pass's statistics vector (the C core's layout): weights
    (nk + 10 eps, normalised), means, covariances and their precision factors.

    Returns precision_cholesky's status: 0, 1 (a covariance not finite or not
    positive definite) or 2 (LAPACK refused an argument); the outputs are then
    partly written.
    """
    cdef Py_ssize_t K = shift.shape[0], D = shift.shape[1], k
    cdef fgmm_stats_layout lay
    cdef Py_ssize_t n_cov = cov_size(cov_type, K, D)
    if (n_cov < 0 or K > INT_MAX or D > INT_MAX
            or fgmm_stats_offsets(<int>D, <int>K, cov_type, &lay) != FGMM_OK
            or stats.shape[0] != lay.offset[FGMM_N_STAT_FIELDS]
            or weights.shape[0] != K or means.shape[0] != K or means.shape[1] != D
            or cov.shape[0] != n_cov or prec_chol.shape[0] != n_cov):
        raise ValueError("m_step: inconsistent shapes")
    cdef int status
    cdef double total = 0
    with nogil:
        _gaussian_moments(&stats[lay.offset[FGMM_STAT_NK]],
                          &stats[lay.offset[FGMM_STAT_S1]],
                          &stats[lay.offset[FGMM_STAT_S2]], &shift[0, 0], K, D,
                          cov_type, reg_covar, eps, &weights[0], &means[0, 0], &cov[0])
        for k in range(K):
            total += weights[k]
        for k in range(K):
            weights[k] = weights[k] / total
        status = _precision_cholesky(&cov[0], n_cov, D, cov_type, &prec_chol[0])
    return status


def pack_params(const double[::1] weights, const double[:, ::1] means,
                const double[::1] prec_chol, int cov_type, floating[:, ::1] means_hi,
                floating[:, ::1] means_lo, floating[::1] prec, floating[::1] log_norm):
    """The C core's parameter layout, in the outputs' dtype (float32 or float64).

    means_hi, means_lo (K, D): the mean rounded to the dtype and the rest; prec: U
    transposed per component (full, tied: the kernels read U's columns
    contiguously) or the factors as they are; log_norm (K,): log w + log det U -
    D/2 log 2 pi (-inf for a weight of 0).
    """
    cdef Py_ssize_t K = means.shape[0], D = means.shape[1]
    cdef Py_ssize_t n = prec_chol.shape[0]
    if (K < 1 or D < 1 or weights.shape[0] != K or means_hi.shape[0] != K or means_hi.shape[1] != D
            or means_lo.shape[0] != K or means_lo.shape[1] != D
            or prec.shape[0] != n or log_norm.shape[0] != K
            or n != cov_size(cov_type, K, D) or n < 0):
        raise ValueError("pack_params: inconsistent shapes")
    with nogil:
        _pack_params(&weights[0], &means[0, 0], &prec_chol[0], K, D, cov_type,
                     &means_hi[0, 0], &means_lo[0, 0], &prec[0], &log_norm[0])


cdef void _pack_params(const double *weights, const double *means,
                       const double *U, Py_ssize_t K, Py_ssize_t D, int cov_type,
                       floating *hi, floating *lo, floating *prec,
                       floating *log_norm) noexcept nogil:
    cdef Py_ssize_t k, i, j, n_mats
    cdef double log_det, log_w
    for i in range(K * D):
        hi[i] = <floating>means[i]
        lo[i] = <floating>(means[i] - <double>hi[i])
    if _is_triangular(cov_type):
        n_mats = K if cov_type == FGMM_FULL else 1
        for k in range(n_mats):
            for i in range(D):
                for j in range(D):
                    prec[k * D * D + i * D + j] = <floating>U[k * D * D + j * D + i]
    else:
        for i in range(K * D if cov_type == FGMM_DIAG else K):
            prec[i] = <floating>U[i]
    for k in range(K):
        log_det = 0
        if cov_type == FGMM_FULL or cov_type == FGMM_TIED:
            j = k * D * D if cov_type == FGMM_FULL else 0
            for i in range(D):
                log_det += log(U[j + i * D + i])
        elif cov_type == FGMM_DIAG:
            for i in range(D):
                log_det += log(U[k * D + i])
        else:
            log_det = D * log(U[k])
        log_w = log(weights[k]) if weights[k] > 0 else -INFINITY
        log_norm[k] = <floating>(log_w + log_det - 0.5 * D * LOG_2PI)
