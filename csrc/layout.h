/*
 * Memory layouts of the C core, each defined once: the statistics vector (shared with
 * Python through fgmm_stats_layout_init) and the per-thread scratch of the EM/score
 * and k-means kernels (offsets in elements of the working precision).  The kernels
 * carve their buffers with these offsets and the size functions return their totals,
 * so a buffer cannot be sized by one rule and used by another.
 */
#ifndef FASTGMM_LAYOUT_H
#define FASTGMM_LAYOUT_H

#include "fastgmm.h"

static inline int fgmm_is_full(int cov_type)
{
    return cov_type == FGMM_FULL || cov_type == FGMM_TIED;
}

static inline int fgmm_valid_sizes(int D, int K, int cov_type)
{
    return D >= 1 && K >= 1 && cov_type >= FGMM_FULL && cov_type <= FGMM_SPHERICAL;
}

/* Values of s2 per component: packed upper triangle (full, tied) or a diagonal. */
static inline ptrdiff_t fgmm_s2_length(int D, int cov_type)
{
    return fgmm_is_full(cov_type) ? (ptrdiff_t)D * (D + 1) / 2 : (ptrdiff_t)D;
}

static inline int fgmm_stats_offsets(int D, int K, int cov_type, fgmm_stats_layout *l)
{
    if (!fgmm_valid_sizes(D, K, cov_type)) return FGMM_EINVAL;
    static const int scalars[] = {FGMM_STAT_LOGLIK, FGMM_STAT_WEIGHT,
                                  FGMM_STAT_RESP_ENTROPY};
    ptrdiff_t at = 0;
    for (size_t f = 0; f < sizeof scalars / sizeof scalars[0]; f++)
        l->offset[scalars[f]] = at++;
    l->offset[FGMM_STAT_NK] = at;
    at += K;
    l->offset[FGMM_STAT_S1] = at;
    at += (ptrdiff_t)K * D;
    l->offset[FGMM_STAT_S2] = at;
    at += (ptrdiff_t)K * fgmm_s2_length(D, cov_type);
    l->offset[FGMM_N_STAT_FIELDS] = at;
    return FGMM_OK;
}

/* Scratch buffers are used from their first FGMM_SCRATCH_ALIGN-byte boundary (every
 * row of B elements then starts on a cache line, so no vector load straddles two);
 * the byte sizes in kernels.c include that much slack. */
#define FGMM_SCRATCH_ALIGN 64
static inline void *fgmm_align_scratch(void *p)
{
    const uintptr_t a = FGMM_SCRATCH_ALIGN;
    return (void *)(((uintptr_t)p + a - 1) / a * a);
}

/* EM/score scratch, B = FGMM_BLOCK points per block:
 *   xt, diff, rd : D x B  (transposed block, centred block, r-scaled block)
 *   L            : K x B  (log-probabilities, then weighted responsibilities)
 *   w, ll, tmp, ent, zero_row, rc : B each
 *   gram         : D x D  (syrk's output)
 *   coef         : K x (2D + 1) + 2D  (the diagonal E-step's per-block coefficients,
 *                  the block's centre and spread)
 *   idx          : B int32 stored in B slots of the working precision */
typedef struct {
    size_t xt, diff, rd, L, w, ll, tmp, ent, zero_row, rc, gram, coef, idx, total;
} fgmm_em_scratch_layout;

static inline fgmm_em_scratch_layout fgmm_em_scratch(int D, int K)
{
    const size_t B = FGMM_BLOCK, d = (size_t)D, k = (size_t)K;
    fgmm_em_scratch_layout s;
    s.xt = 0;
    s.diff = s.xt + d * B;
    s.rd = s.diff + d * B;
    s.L = s.rd + d * B;
    s.w = s.L + k * B;
    s.ll = s.w + B;
    s.tmp = s.ll + B;
    s.ent = s.tmp + B;
    s.zero_row = s.ent + B;
    s.rc = s.zero_row + B;
    s.gram = s.rc + B;
    s.coef = s.gram + d * d;
    s.idx = s.coef + k * (2 * d + 1) + 2 * d;
    s.total = s.idx + B;
    return s;
}

/* k-means scratch: xt (D x B), the best distance per point (B) and the block's
 * labels (B integers of the working precision's width). */
typedef struct {
    size_t xt, best, lab, total;
} fgmm_kmeans_scratch_layout;

static inline fgmm_kmeans_scratch_layout fgmm_kmeans_scratch(int D)
{
    fgmm_kmeans_scratch_layout s;
    s.xt = 0;
    s.best = (size_t)D * FGMM_BLOCK;
    s.lab = s.best + FGMM_BLOCK;
    s.total = s.lab + FGMM_BLOCK;
    return s;
}

/* k-means++ (nearest_update) scratch: a block's distances, in double (B). */
typedef struct {
    size_t dist, total;
} fgmm_nearest_scratch_layout;

static inline fgmm_nearest_scratch_layout fgmm_nearest_scratch(int D)
{
    fgmm_nearest_scratch_layout s;
    (void)D;
    s.dist = 0;
    s.total = FGMM_BLOCK;
    return s;
}

#endif /* FASTGMM_LAYOUT_H */
