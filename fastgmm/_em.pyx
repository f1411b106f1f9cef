# Design: the EM and scoring passes over X.
#
# em_pass: one read of X gives the weighted log-likelihood and every sufficient
#   statistic (N_k, first and second moments around the current means) for the
#   M-step.  Blocks of rows run across OpenMP threads with the GIL released; each
#   chunk of rows adds into its own partial buffer, reduced in chunk order
#   (_parallel.reduce_over_rows), so results do not depend on the thread count.
#   Extra memory: one scratch per thread (block x (3D + K) values) plus the partials;
#   nothing of size N x K.
# score_pass: per-row outputs (weighted log-probabilities, responsibilities,
#   log-likelihood, labels) written straight into caller-allocated arrays.
#
# X keeps its dtype (float32 or float64, the `floating` fused type) and its memory
# order: the C core reads it through (row, column) strides.
import numpy as np

from cython cimport floating
from libc.stdint cimport int64_t

from ._csrc cimport (
    fgmm_params_d, fgmm_params_f, fgmm_em_scratch_size_d, fgmm_em_scratch_size_f,
    fgmm_stats_size_d, fgmm_em_rows_d, fgmm_em_rows_f, fgmm_score_rows_d,
    fgmm_score_rows_f)
from ._parallel cimport reduce_over_rows, map_over_rows
from scipy.linalg.cython_blas cimport dsyrk, dtrmm, ssyrk, strmm


ctypedef struct PassCtx:
    bint is_double
    fgmm_params_d pd
    fgmm_params_f pf
    const void *X
    Py_ssize_t row_stride
    Py_ssize_t col_stride
    const double *sample_weight
    double *weighted_logprob   # OUT, N x K or NULL
    double *resp               # OUT, N x K or NULL
    double *loglik             # OUT, N or NULL
    int64_t *label             # OUT, N or NULL


cdef void _em_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                    double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    if c.is_double:
        fgmm_em_rows_d(&c.pd, <const double *>c.X, c.row_stride, c.col_stride,
                       c.sample_weight, r0, r1, <double *>scratch, partial)
    else:
        fgmm_em_rows_f(&c.pf, <const float *>c.X, c.row_stride, c.col_stride,
                       c.sample_weight, r0, r1, <float *>scratch, partial)


cdef void _score_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                       double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    if c.is_double:
        fgmm_score_rows_d(&c.pd, <const double *>c.X, c.row_stride, c.col_stride,
                          r0, r1, <double *>scratch, c.weighted_logprob, c.resp,
                          c.loglik, c.label)
    else:
        fgmm_score_rows_f(&c.pf, <const float *>c.X, c.row_stride, c.col_stride,
                          r0, r1, <float *>scratch, c.weighted_logprob, c.resp,
                          c.loglik, c.label)


cdef size_t _fill_ctx(PassCtx *ctx, const floating[:, :] X,
                      const floating[:, ::1] means_hi, const floating[:, ::1] means_lo,
                      const floating[::1] prec, const floating[::1] log_norm,
                      int cov_type, bint use_blas):
    """Point ctx at X and the packed parameters; returns scratch bytes per thread.

    With use_blas, full/tied products at large D go through scipy's BLAS (the
    caller keeps BLAS single-threaded: see fastgmm._blas)."""
    cdef int D = <int>X.shape[1]
    cdef int K = <int>means_hi.shape[0]
    ctx.X = &X[0, 0]
    ctx.row_stride = X.strides[0] // sizeof(floating)
    ctx.col_stride = X.strides[1] // sizeof(floating)
    if floating is double:
        ctx.is_double = True
        ctx.pd = fgmm_params_d(D, K, cov_type, &means_hi[0, 0], &means_lo[0, 0],
                               &prec[0], &log_norm[0], NULL, NULL)
        if use_blas:
            ctx.pd.trmm = dtrmm
            ctx.pd.syrk = dsyrk
        return fgmm_em_scratch_size_d(D, K) * sizeof(double)
    else:
        ctx.is_double = False
        ctx.pf = fgmm_params_f(D, K, cov_type, &means_hi[0, 0], &means_lo[0, 0],
                               &prec[0], &log_norm[0], NULL, NULL)
        if use_blas:
            ctx.pf.trmm = strmm
            ctx.pf.syrk = ssyrk
        return fgmm_em_scratch_size_f(D, K) * sizeof(float)


def em_pass(const floating[:, :] X, const double[::1] sample_weight,
            const floating[:, ::1] means_hi, const floating[:, ::1] means_lo,
            const floating[::1] prec, const floating[::1] log_norm,
            int cov_type, int n_threads, bint use_blas=True):
    """Fused E-step and sufficient statistics over all rows of X.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, any strides
    sample_weight : ndarray (n_samples,) float64, or None for unit weights
    means_hi, means_lo, prec, log_norm : packed parameters in X's dtype
        (see ``fastgmm._params.pack``)
    cov_type : int, one of the FGMM_* covariance codes
    n_threads : int, OpenMP threads
    use_blas : bool, BLAS-3 products for full/tied at n_features >= FGMM_BLAS_MIN_D

    Returns
    -------
    stats : ndarray (stats_size,) float64
        ``[loglik_sum, weight_sum, nk (K), s1 (K*D), s2 (K*S)]``.
    """
    cdef PassCtx ctx
    cdef size_t scratch_bytes = _fill_ctx(&ctx, X, means_hi, means_lo, prec,
                                          log_norm, cov_type, use_blas)
    ctx.sample_weight = &sample_weight[0] if sample_weight is not None else NULL
    cdef Py_ssize_t size = fgmm_stats_size_d(<int>X.shape[1], <int>means_hi.shape[0],
                                             cov_type)
    return reduce_over_rows(_em_chunk, &ctx, X.shape[0], size, scratch_bytes, n_threads)


def score_pass(const floating[:, :] X,
               const floating[:, ::1] means_hi, const floating[:, ::1] means_lo,
               const floating[::1] prec, const floating[::1] log_norm,
               int cov_type, int n_threads, double[:, ::1] weighted_logprob=None,
               double[:, ::1] resp=None, double[::1] loglik=None,
               int64_t[::1] label=None, bint use_blas=True):
    """Per-row scores of X under packed parameters, written into the given outputs.

    Outputs (any may be None): weighted_logprob and resp (n_samples, n_components)
    float64, loglik (n_samples,) float64, label (n_samples,) int64.
    """
    cdef PassCtx ctx
    cdef size_t scratch_bytes = _fill_ctx(&ctx, X, means_hi, means_lo, prec,
                                          log_norm, cov_type, use_blas)
    ctx.sample_weight = NULL
    ctx.weighted_logprob = &weighted_logprob[0, 0] if weighted_logprob is not None else NULL
    ctx.resp = &resp[0, 0] if resp is not None else NULL
    ctx.loglik = &loglik[0] if loglik is not None else NULL
    ctx.label = &label[0] if label is not None else NULL
    map_over_rows(_score_chunk, &ctx, X.shape[0], scratch_bytes, n_threads)
