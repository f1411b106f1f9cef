# Design: nogil OpenMP kernels of fastgmm's own k-means (the 'kmeans' initialiser).
#
# kmeans_pass: one Lloyd assignment step: every row gets its nearest center (label,
#   optionally its squared distance) and the pass returns the weighted inertia,
#   cluster weights and per-cluster coordinate sums, accumulated in double per chunk
#   and reduced in chunk order (bitwise identical for any thread count).
# nearest_pass: the k-means++ seeding step: weighted potential sum_i w_i min(d_i, |x_i-c|^2)
#   of a candidate center c, optionally folding c into the running min distances.
import numpy as np

from cython cimport floating
from libc.stdint cimport int32_t

from ._csrc cimport (
    fgmm_kmeans_scratch_size_d, fgmm_kmeans_scratch_size_f, fgmm_kmeans_rows_d,
    fgmm_kmeans_rows_f, fgmm_nearest_update_d, fgmm_nearest_update_f)
from ._parallel cimport reduce_over_rows


ctypedef struct KmCtx:
    bint is_double
    const void *X
    Py_ssize_t row_stride
    Py_ssize_t col_stride
    int n_features
    int n_clusters
    const void *centers        # IN, K x D in X's dtype (one center for nearest_pass)
    const double *sample_weight
    int32_t *label             # OUT, N
    double *min_dist           # OUT (kmeans_pass, optional) / INOUT (nearest_pass)
    int update                 # nearest_pass: fold the candidate into min_dist


cdef void _kmeans_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                        double *partial) noexcept nogil:
    cdef const KmCtx *c = <const KmCtx *>vctx
    if c.is_double:
        fgmm_kmeans_rows_d(<const double *>c.X, c.row_stride, c.col_stride,
                           c.n_features, c.n_clusters, <const double *>c.centers,
                           c.sample_weight, r0, r1, <double *>scratch, c.label,
                           c.min_dist, partial)
    else:
        fgmm_kmeans_rows_f(<const float *>c.X, c.row_stride, c.col_stride,
                           c.n_features, c.n_clusters, <const float *>c.centers,
                           c.sample_weight, r0, r1, <float *>scratch, c.label,
                           c.min_dist, partial)


cdef void _nearest_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1,
                         void *scratch, double *partial) noexcept nogil:
    cdef const KmCtx *c = <const KmCtx *>vctx
    if c.is_double:
        partial[0] += fgmm_nearest_update_d(
            <const double *>c.X, c.row_stride, c.col_stride, c.n_features,
            <const double *>c.centers, c.sample_weight, r0, r1, c.min_dist, c.update)
    else:
        partial[0] += fgmm_nearest_update_f(
            <const float *>c.X, c.row_stride, c.col_stride, c.n_features,
            <const float *>c.centers, c.sample_weight, r0, r1, c.min_dist, c.update)


cdef void _fill_ctx(KmCtx *ctx, const floating[:, :] X, const floating[:, ::1] centers,
                    const double[::1] sample_weight):
    ctx.X = &X[0, 0]
    ctx.row_stride = X.strides[0] // sizeof(floating)
    ctx.col_stride = X.strides[1] // sizeof(floating)
    ctx.n_features = <int>X.shape[1]
    ctx.n_clusters = <int>centers.shape[0]
    ctx.centers = &centers[0, 0]
    ctx.sample_weight = &sample_weight[0] if sample_weight is not None else NULL
    ctx.is_double = floating is double
    ctx.label = NULL
    ctx.min_dist = NULL
    ctx.update = 0


def kmeans_pass(const floating[:, :] X, const floating[:, ::1] centers,
                const double[::1] sample_weight, int32_t[::1] label,
                double[::1] min_dist, int n_threads):
    """Assign every row of X to its nearest center.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, any strides
    centers : ndarray (n_clusters, n_features), X's dtype, C order
    sample_weight : ndarray (n_samples,) float64 or None
    label : OUT ndarray (n_samples,) int32
    min_dist : OUT ndarray (n_samples,) float64 or None (squared distances)
    n_threads : int

    Returns
    -------
    partial : ndarray (1 + K + K*D,) float64
        ``[inertia, weights (K), sums (K x D)]``.
    """
    cdef KmCtx ctx
    _fill_ctx(&ctx, X, centers, sample_weight)
    ctx.label = &label[0]
    ctx.min_dist = &min_dist[0] if min_dist is not None else NULL
    cdef size_t scratch
    if floating is double:
        scratch = fgmm_kmeans_scratch_size_d(ctx.n_features, ctx.n_clusters) * sizeof(double)
    else:
        scratch = fgmm_kmeans_scratch_size_f(ctx.n_features, ctx.n_clusters) * sizeof(float)
    cdef Py_ssize_t size = 1 + centers.shape[0] * (1 + centers.shape[1])
    return reduce_over_rows(_kmeans_chunk, &ctx, X.shape[0], size, scratch, n_threads)


def nearest_pass(const floating[:, :] X, const floating[:, ::1] center,
                 const double[::1] sample_weight, double[::1] min_dist, bint update,
                 int n_threads):
    """Weighted k-means++ potential of one candidate center (1, n_features).

    Returns sum_i w_i min(min_dist_i, |x_i - c|^2); with ``update`` also stores
    the minimum into min_dist (INOUT, (n_samples,) float64).
    """
    cdef KmCtx ctx
    _fill_ctx(&ctx, X, center, sample_weight)
    ctx.min_dist = &min_dist[0]
    ctx.update = update
    return float(reduce_over_rows(_nearest_chunk, &ctx, X.shape[0], 1, 8, n_threads)[0])
