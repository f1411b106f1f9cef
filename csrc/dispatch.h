/*
 * Private to the C core: the symbols each instruction-set unit (isa_*.c) exports and
 * kernels.c assembles into the dispatch tables.  Included by both, so a kernel whose
 * definition drifts from its declaration here fails to compile.
 */
#ifndef FASTGMM_DISPATCH_H
#define FASTGMM_DISPATCH_H

#include "fastgmm.h"

typedef int fgmm_em_rows_fn(const fgmm_params *params, const void *X,
                            ptrdiff_t row_stride, ptrdiff_t col_stride,
                            const double *sample_weight, ptrdiff_t row_begin,
                            ptrdiff_t row_end, void *scratch, double *partial);
typedef int fgmm_score_rows_fn(const fgmm_params *params, const void *X,
                               ptrdiff_t row_stride, ptrdiff_t col_stride,
                               ptrdiff_t row_begin, ptrdiff_t row_end, void *scratch,
                               void *weighted_logprob, void *resp, void *loglik,
                               int64_t *label);
typedef int fgmm_kmeans_rows_fn(const void *X, ptrdiff_t row_stride,
                                ptrdiff_t col_stride, int n_features, int n_clusters,
                                const void *centers, const double *sample_weight,
                                ptrdiff_t row_begin, ptrdiff_t row_end, void *scratch,
                                int32_t *label, double *min_dist, double *partial);
typedef int fgmm_nearest_update_fn(const void *X, ptrdiff_t row_stride,
                                   ptrdiff_t col_stride, int n_features, int n_centers,
                                   const void *centers, const double *sample_weight,
                                   ptrdiff_t row_begin, ptrdiff_t row_end,
                                   void *scratch, double *min_dist, int update,
                                   double *partial);

/* fgmm_em_rows_d_avx2, ..., fgmm_kernels_f_avx2 for one instruction-set suffix. */
#define FGMM_DECLARE_ISA_PREC(suf, isa)                     \
    fgmm_em_rows_fn fgmm_em_rows##suf##isa;                 \
    fgmm_score_rows_fn fgmm_score_rows##suf##isa;           \
    fgmm_kmeans_rows_fn fgmm_kmeans_rows##suf##isa;         \
    fgmm_nearest_update_fn fgmm_nearest_update##suf##isa;   \
    extern const fgmm_kernels fgmm_kernels##suf##isa;
#define FGMM_DECLARE_ISA(isa) FGMM_DECLARE_ISA_PREC(_d, isa) FGMM_DECLARE_ISA_PREC(_f, isa)

FGMM_DECLARE_ISA(_base)
FGMM_DECLARE_ISA(_avx2)
FGMM_DECLARE_ISA(_avx512)

#endif /* FASTGMM_DISPATCH_H */
