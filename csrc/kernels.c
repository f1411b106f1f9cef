/*
 * Instantiates the fastgmm C core (kernels_impl.h) for double and float, once for
 * baseline x86-64 (SSE2) and once for AVX2+FMA, and dispatches at run time on the
 * CPU's features.  A portable wheel thus uses the machine's vector units without
 * -march=native.  The target pragma applies to every helper in the instantiation,
 * so nothing on the hot path silently runs the baseline code.  Whole-program
 * -ffast-math is never used: the log-sum-exp relies on IEEE infinities.
 */
#include "fastgmm.h"
#include <math.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(FGMM_NO_DISPATCH)
#define FGMM_X86_DISPATCH 1
#endif

/* ---- instantiation: one per (precision, instruction set) ---------------------- */
#define ISA _base
#include "instantiate.h"
#undef ISA

#ifdef FGMM_X86_DISPATCH
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define ISA _avx2
#include "instantiate.h"
#undef ISA
#pragma GCC pop_options

static int fgmm_use_avx2(void)
{
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#define DISPATCH(name, args) (fgmm_use_avx2() ? name##_avx2 args : name##_base args)
#else
#define DISPATCH(name, args) (name##_base args)
#endif

/* ---- sizes (independent of precision and instruction set) -------------------- */
static size_t em_scratch_size(int D, int K)
{
    /* Xt, diff, rd (D x B); L (K x B); w, ll, tmp, zero row, rc (B); syrk's D x D;
     * compaction indices (B int32, in B REAL slots) */
    return (size_t)FGMM_BLOCK * (3 * (size_t)D + (size_t)K + 6) + (size_t)D * D;
}

static size_t stats_size(int D, int K, int cov_type)
{
    const size_t S = (cov_type == FGMM_FULL || cov_type == FGMM_TIED)
                         ? (size_t)D * ((size_t)D + 1) / 2 : (size_t)D;
    return 2 + (size_t)K * (1 + (size_t)D + S);
}

static size_t kmeans_scratch_size(int D, int K)
{
    (void)K;
    return (size_t)FGMM_BLOCK * ((size_t)D + 2);
}

/* ---- exported entry points, per precision -------------------------------------- */
#define DEFINE_ENTRY_POINTS(REAL, SUF)                                                \
size_t fgmm_em_scratch_size##SUF(int D, int K) { return em_scratch_size(D, K); }       \
size_t fgmm_stats_size##SUF(int D, int K, int c) { return stats_size(D, K, c); }       \
size_t fgmm_kmeans_scratch_size##SUF(int D, int K) { return kmeans_scratch_size(D, K); } \
                                                                                       \
int fgmm_em_rows##SUF(const fgmm_params##SUF *params, const REAL *X,                   \
                      ptrdiff_t row_stride, ptrdiff_t col_stride,                      \
                      const double *sample_weight, ptrdiff_t row_begin,                \
                      ptrdiff_t row_end, REAL *scratch, double *partial)               \
{                                                                                      \
    return DISPATCH(fgmm_em_rows##SUF, (params, X, row_stride, col_stride,             \
                    sample_weight, row_begin, row_end, scratch, partial));             \
}                                                                                      \
                                                                                       \
void fgmm_score_rows##SUF(const fgmm_params##SUF *params, const REAL *X,               \
                          ptrdiff_t row_stride, ptrdiff_t col_stride,                  \
                          ptrdiff_t row_begin, ptrdiff_t row_end, REAL *scratch,       \
                          double *weighted_logprob, double *resp, double *loglik,      \
                          int64_t *label)                                              \
{                                                                                      \
    DISPATCH(fgmm_score_rows##SUF, (params, X, row_stride, col_stride, row_begin,      \
             row_end, scratch, weighted_logprob, resp, loglik, label));                \
}                                                                                      \
                                                                                       \
void fgmm_kmeans_rows##SUF(const REAL *X, ptrdiff_t row_stride, ptrdiff_t col_stride,  \
                           int n_features, int n_clusters, const REAL *centers,        \
                           const double *sample_weight, ptrdiff_t row_begin,           \
                           ptrdiff_t row_end, REAL *scratch, int32_t *label,           \
                           double *min_dist, double *partial)                          \
{                                                                                      \
    DISPATCH(fgmm_kmeans_rows##SUF, (X, row_stride, col_stride, n_features,            \
             n_clusters, centers, sample_weight, row_begin, row_end, scratch, label,   \
             min_dist, partial));                                                      \
}                                                                                      \
                                                                                       \
double fgmm_nearest_update##SUF(const REAL *X, ptrdiff_t row_stride,                   \
                                ptrdiff_t col_stride, int n_features, const REAL *c,   \
                                const double *sample_weight, ptrdiff_t row_begin,      \
                                ptrdiff_t row_end, double *min_dist, int update)       \
{                                                                                      \
    return DISPATCH(fgmm_nearest_update##SUF, (X, row_stride, col_stride, n_features,  \
                    c, sample_weight, row_begin, row_end, min_dist, update));          \
}

DEFINE_ENTRY_POINTS(double, _d)
DEFINE_ENTRY_POINTS(float, _f)
