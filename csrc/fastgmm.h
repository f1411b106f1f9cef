/*
 * fastgmm C core: per-block kernels for Gaussian-mixture EM and k-means.
 *
 * Every function works on a contiguous range of rows [row_begin, row_end) of a
 * strided matrix X (n_rows x n_features, strides in elements, so C and Fortran
 * order are read in place).  Rows are processed in blocks of FGMM_BLOCK: a block is
 * first transposed into per-thread scratch (features x points), so every inner loop
 * runs over points, contiguously, and vectorises.
 *
 * No function allocates, touches globals or calls Python: they are reentrant and
 * are called from inside OpenMP regions with one scratch buffer per thread.
 * Each operation has one implementation (kernels_impl.h), instantiated for float
 * (suffix _f) and double (suffix _d).  Sufficient statistics, log-likelihood sums and
 * k-means sums are always accumulated in double.
 */
#ifndef FASTGMM_H
#define FASTGMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rows per block: a block's transposed rows and its K log-probabilities stay in L1/L2. */
#define FGMM_BLOCK 128

enum fgmm_cov_type {
    FGMM_FULL = 0,      /* one upper-triangular precision Cholesky factor per component */
    FGMM_TIED = 1,      /* full kernel, every component pointing at the same factor    */
    FGMM_DIAG = 2,      /* per-feature precision square roots                          */
    FGMM_SPHERICAL = 3  /* one precision square root per component                     */
};

/* Below this many features the register-tiled C loops beat a BLAS call per block. */
#define FGMM_BLAS_MIN_D 64

/* A responsibility below this (relative to the point's weight) is left out of the
 * statistics (see stats_block): < 1 ulp for any component of weight > 1e-14. */
#define FGMM_NEGLIGIBLE 1e-30

/* Status codes: kernels never abort; the Python layer turns codes into exceptions. */
#define FGMM_OK 0

/*
 * Component parameters in the working precision of X.
 *   means_hi, means_lo : K x D.  mean = hi + lo, hi the nearest working-precision
 *       value; x - hi is exact for x near the mean (Sterbenz), so float32 data far
 *       from the origin keeps its full relative precision around each component.
 *   prec : full/tied: K x D x D, row-major, TRANSPOSED upper factor: prec[k][j][i] =
 *       U_k[i][j] for i <= j (the lower part is never read), precision = U U^T;
 *       diag: K x D (sqrt of precisions); spherical: K.
 *   log_norm : K, log(weight_k) + log det U_k - D/2 log(2 pi); -inf for weight 0.
 */
#define FGMM_DECLARE(REAL, SUF)                                                        \
/* BLAS level-3 routines, Fortran interface (scipy.linalg.cython_blas provides them). */ \
typedef void (*fgmm_trmm##SUF##_t)(char *side, char *uplo, char *transa, char *diag,   \
                                   int *m, int *n, REAL *alpha, REAL *a, int *lda,     \
                                   REAL *b, int *ldb);                                 \
typedef void (*fgmm_syrk##SUF##_t)(char *uplo, char *trans, int *n, int *k,            \
                                   REAL *alpha, REAL *a, int *lda, REAL *beta,         \
                                   REAL *c, int *ldc);                                 \
typedef struct {                                                                       \
    int n_features;                                                                    \
    int n_components;                                                                  \
    int cov_type;                                                                      \
    const REAL *means_hi;                                                              \
    const REAL *means_lo;                                                              \
    const REAL *prec;                                                                  \
    const REAL *log_norm;                                                              \
    /* Optional (NULL: C loops).  For full/tied with n_features >= FGMM_BLAS_MIN_D     \
     * the per-block products run as trmm (log-density) and syrk (scatter); the       \
     * caller must keep BLAS single-threaded inside the OpenMP region. */             \
    fgmm_trmm##SUF##_t trmm;                                                           \
    fgmm_syrk##SUF##_t syrk;                                                           \
} fgmm_params##SUF;                                                                    \
                                                                                       \
/* Elements of scratch (of type REAL) one thread needs for the EM and score kernels. */ \
size_t fgmm_em_scratch_size##SUF(int n_features, int n_components);                    \
                                                                                       \
/* Length in doubles of one statistics partial:                                        \
 *   [loglik_sum, weight_sum, nk (K), s1 (K x D), s2 (K x S)]                           \
 * with S = D(D+1)/2 (full, tied: upper triangle, rows packed) or D (diag, sph.).      \
 * s1, s2 are moments of the weighted responsibilities around means_hi + means_lo.     \
 */                                                                                    \
size_t fgmm_stats_size##SUF(int n_features, int n_components, int cov_type);           \
                                                                                       \
/* Fused E-step + sufficient statistics over rows [row_begin, row_end).                 \
 * IN X, sample_weight (NULL: all ones), params; TMP scratch; INOUT partial (adds).     \
 * Returns FGMM_OK. */                                                                 \
int fgmm_em_rows##SUF(const fgmm_params##SUF *params,                                  \
                      const REAL *X, ptrdiff_t row_stride, ptrdiff_t col_stride,       \
                      const double *sample_weight,                                     \
                      ptrdiff_t row_begin, ptrdiff_t row_end,                          \
                      REAL *scratch, double *partial);                                 \
                                                                                       \
/* Scoring over rows [row_begin, row_end); every output is optional (NULL) and is       \
 * indexed by global row:                                                              \
 *   OUT weighted_logprob (N x K): log w_k + log N(x | k)                               \
 *   OUT resp (N x K): posterior probabilities                                          \
 *   OUT loglik (N): log sum_k w_k N(x | k)                                             \
 *   OUT label (N): argmax_k of the weighted log-probability                            \
 */                                                                                    \
void fgmm_score_rows##SUF(const fgmm_params##SUF *params,                              \
                          const REAL *X, ptrdiff_t row_stride, ptrdiff_t col_stride,   \
                          ptrdiff_t row_begin, ptrdiff_t row_end, REAL *scratch,       \
                          double *weighted_logprob, double *resp, double *loglik,      \
                          int64_t *label);                                             \
                                                                                       \
/* Elements of scratch (REAL) for the k-means kernel. */                               \
size_t fgmm_kmeans_scratch_size##SUF(int n_features, int n_clusters);                  \
                                                                                       \
/* One Lloyd assignment step over rows [row_begin, row_end).                            \
 * IN centers (K x D, working precision), sample_weight (NULL: ones);                  \
 * OUT label (N, global rows), min_dist (N, optional);                                  \
 * INOUT partial (doubles): [inertia, counts (K), sums (K x D)], weighted.             \
 */                                                                                    \
void fgmm_kmeans_rows##SUF(const REAL *X, ptrdiff_t row_stride, ptrdiff_t col_stride,  \
                           int n_features, int n_clusters, const REAL *centers,        \
                           const double *sample_weight,                                \
                           ptrdiff_t row_begin, ptrdiff_t row_end, REAL *scratch,      \
                           int32_t *label, double *min_dist, double *partial);         \
                                                                                       \
/* k-means++ helper: min_dist[i] = min(min_dist[i], |x_i - c|^2) if update != 0, and    \
 * returns sum_i w_i min(min_dist[i], |x_i - c|^2) over the rows either way. */         \
double fgmm_nearest_update##SUF(const REAL *X, ptrdiff_t row_stride,                   \
                                ptrdiff_t col_stride, int n_features, const REAL *c,   \
                                const double *sample_weight,                           \
                                ptrdiff_t row_begin, ptrdiff_t row_end,                \
                                double *min_dist, int update);

FGMM_DECLARE(double, _d)
FGMM_DECLARE(float, _f)

#undef FGMM_DECLARE

#ifdef __cplusplus
}
#endif

#endif /* FASTGMM_H */
