/*
 * Generic implementation of the fastgmm C core, instantiated once per precision.
 *
 * The includer defines:
 *   REAL        float or double (the working precision of X and of the kernels)
 *   SUF         _f or _d (precision suffix of every name)
 *   ISA         _base, _avx2, _avx512 (instruction-set suffix; kernels.c dispatches)
 *   UINT, SINT  unsigned and signed integers of REAL's width (bit manipulation in
 *               exp, k-means labels in vectors)
 *   MANT_BITS   explicit mantissa bits of REAL (23 or 52)
 *   EXP_CUTOFF  below this exp() returns 0 (keeps 2^n normal, see fexp)
 *   EXP_NCOEF   Taylor coefficients used by fexp
 *   SQRT        sqrt or sqrtf
 *   LOG_NTERMS  atanh series terms used by flog
 * and optionally FGMM_EXPORT_KERNELS: the four kernels and the table then have
 * external linkage as fgmm_<kernel><SUF><ISA> (what the isa_*.c units do, so that
 * kernels.c can pick each kernel from the instruction set that runs it fastest).
 *
 * The instruction set is the one the translation unit is compiled for (isa_*.c are
 * compiled with their own -m flags, see setup.py): the vector width follows the
 * compiler's predefined macros, so every helper, inlined or not, and every
 * auto-vectorised loop targets the same ISA on any compiler.
 *
 * Memory layout: a block of at most FGMM_BLOCK rows is transposed into Xt (D x B,
 * "features x points") so that every inner loop walks points contiguously.  Loops
 * over points run in strips of STRIP elements (two vectors) whose accumulators stay
 * in registers; a block's tail is zero-padded to a whole strip (padding rows carry
 * weight 0 and are never written out).
 */
#include <float.h>
#include <math.h>
#include <string.h>
#include "layout.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define CAT3(a, b, c) CAT(CAT(a, b), c)
#define FN(name) CAT3(name, SUF, ISA)
#define PARAMS FN(tparams)
#ifdef FGMM_EXPORT_KERNELS
#define KERNEL(name) CAT(fgmm_, FN(name))
#define KERNEL_LINKAGE
#else
#define KERNEL(name) FN(name)
#define KERNEL_LINKAGE static
#endif

#define B FGMM_BLOCK

/* Vector registers of the target: width in bytes and how many there are.  Register
 * tiles are sized from them so that every accumulator stays in a register:
 *   SSE2 (baseline x86-64): 16 x 16 bytes;  AVX2: 16 x 32;  AVX-512: 32 x 64. */
#ifndef FGMM_VBYTES
#if defined(__AVX512F__)
#define FGMM_VBYTES 64
#define FGMM_NVREGS 32
#elif defined(__AVX__)
#define FGMM_VBYTES 32
#define FGMM_NVREGS 16
#else
#define FGMM_VBYTES 16
#define FGMM_NVREGS 16
#endif
#endif
#ifndef FGMM_NVREGS
#define FGMM_NVREGS 16
#endif
/* Registers the tiles below are sized for (benchmarks may override it). */
#ifndef FGMM_TILE_REGS
#define FGMM_TILE_REGS FGMM_NVREGS
#endif

/* Vector of REAL that may sit at any REAL-aligned address (GCC/clang extension). */
typedef REAL FN(vec) __attribute__((vector_size(FGMM_VBYTES), aligned(sizeof(REAL))));
#define VL ((int)(FGMM_VBYTES / sizeof(REAL)))
/* Two vectors: enough independent accumulators to hide the FMA latency. */
#define STRIP (2 * VL)
/* Integer vector of REAL's width: labels ride along the values they are the argmin
 * or argmax of, and a comparison of two vecs gives one of these (-1 true, 0 false). */
typedef SINT FN(ivec) __attribute__((vector_size(FGMM_VBYTES), aligned(sizeof(REAL))));

/* The statistics (sums over the points that matter to one component, squeezed out of
 * a block: often a handful) run on vectors of at most 32 bytes: padding a handful of
 * points to a strip of 512-bit vectors (16 doubles, 32 floats) would multiply the
 * O(D^2) scatter's work.  With AVX-512 they still get its 32 registers (VL). */
#if FGMM_VBYTES > 32
#define FGMM_SVBYTES 32
#else
#define FGMM_SVBYTES FGMM_VBYTES
#endif
typedef REAL FN(svec) __attribute__((vector_size(FGMM_SVBYTES), aligned(sizeof(REAL))));
#define SVL ((int)(FGMM_SVBYTES / sizeof(REAL)))
#define SSTRIP (2 * SVL)

/* Columns of U per pass of maha_cols: 2*NJ accumulators + 2 diff vectors + 2 sums
 * + a broadcast: 13 registers with NJ = 4 (of 16), 21 with NJ = 8 (of 32). */
#if FGMM_TILE_REGS >= 32
#define MAHA_NJ 8
#else
#define MAHA_NJ 4
#endif

static inline int FN(round_up_strip)(int n) { return (n + STRIP - 1) / STRIP * STRIP; }
static inline int FN(round_up_sstrip)(int n) { return (n + SSTRIP - 1) / SSTRIP * SSTRIP; }

/* BLAS level-3 routines of this precision (Fortran interface). */
typedef void (*FN(trmm_t))(char *side, char *uplo, char *transa, char *diag, int *m,
                           int *n, REAL *alpha, REAL *a, int *lda, REAL *b, int *ldb);
typedef void (*FN(syrk_t))(char *uplo, char *trans, int *n, int *k, REAL *alpha,
                           REAL *a, int *lda, REAL *beta, REAL *c, int *ldc);

/* fgmm_params seen in this precision: the typed view every helper below reads. */
typedef struct {
    int n_features, n_components, cov_type;
    const REAL *means_hi, *means_lo, *prec, *log_norm;
    FN(trmm_t) trmm;
    FN(syrk_t) syrk;
} PARAMS;

/* The typed view of p, or FGMM_EINVAL for sizes, codes or pointers that cannot be
 * right (the cheap guard against a wrong call reading outside the arrays). */
static int FN(typed_params)(const fgmm_params *p, PARAMS *t)
{
    if (!p || !fgmm_valid_sizes(p->n_features, p->n_components, p->cov_type)
        || !p->means_hi || !p->means_lo || !p->prec || !p->log_norm)
        return FGMM_EINVAL;
    t->n_features = p->n_features;
    t->n_components = p->n_components;
    t->cov_type = p->cov_type;
    t->means_hi = (const REAL *)p->means_hi;
    t->means_lo = (const REAL *)p->means_lo;
    t->prec = (const REAL *)p->prec;
    t->log_norm = (const REAL *)p->log_norm;
    t->trmm = (FN(trmm_t))p->trmm;
    t->syrk = (FN(syrk_t))p->syrk;
    return FGMM_OK;
}

/* ------------------------------------------------------------------------------ */
/* exp for x <= 0, vectorisable by gcc (no libm call, no table lookup).            */
/* exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 (ln 2 split hi + lo so   */
/* r is exact), exp(r) by Taylor/Horner on |r| <= ln2 / 2, 2^n added to the exponent */
/* bits.  n is read from the low mantissa bits of x / ln2 + 1.5 * 2^MANT_BITS.      */
/* Below EXP_CUTOFF (where 2^n would leave the normal range) the result is 0, which  */
/* is also what -inf (a component of weight 0) must give.  Error: ~1 ulp.           */
/* ------------------------------------------------------------------------------ */
static inline REAL FN(fexp)(REAL x)
{
    static const REAL coef[EXP_NCOEF] = {
#if EXP_NCOEF == 14
        (REAL)(1.0 / 6227020800.0), (REAL)(1.0 / 479001600.0),
        (REAL)(1.0 / 39916800.0), (REAL)(1.0 / 3628800.0),
        (REAL)(1.0 / 362880.0), (REAL)(1.0 / 40320.0),
#endif
        (REAL)(1.0 / 5040.0), (REAL)(1.0 / 720.0), (REAL)(1.0 / 120.0),
        (REAL)(1.0 / 24.0), (REAL)(1.0 / 6.0), (REAL)0.5, (REAL)1.0, (REAL)1.0};
    const REAL shifter = (REAL)(1.5 * (double)((UINT)1 << MANT_BITS));
    const REAL xc = x < (REAL)EXP_CUTOFF ? (REAL)EXP_CUTOFF : x;
    const REAL t = xc * (REAL)1.4426950408889634 + shifter;
    const REAL n = t - shifter;
    REAL r = xc - n * (REAL)0.693145751953125;   /* ln2 hi: exact product */
    r = r - n * (REAL)1.4286068203094172321e-06; /* ln2 lo */
    REAL p = coef[0];
#pragma GCC unroll 16
    for (int c = 1; c < EXP_NCOEF; c++) p = p * r + coef[c];
    UINT tb, pb;
    memcpy(&tb, &t, sizeof tb);
    memcpy(&pb, &p, sizeof pb);
    pb += tb << MANT_BITS; /* the shifter's own bits shift out; n << MANT_BITS remains */
    memcpy(&p, &pb, sizeof p);
    return x < (REAL)EXP_CUTOFF ? (REAL)0 : p;
}

/* log for finite x >= 1 (the log-sum-exp's sum, whose largest term is 1),
 * vectorisable: x = 2^e m with m in [sqrt(1/2), sqrt(2)), e read from the exponent
 * bits; log m = 2 atanh(z) = 2 (z + z^3/3 + z^5/5 + ...), z = (m - 1)/(m + 1),
 * |z| <= 0.1716, summed to LOG_NTERMS odd terms (error ~1 ulp). */
static inline REAL FN(flog)(REAL x)
{
    UINT xb;
    memcpy(&xb, &x, sizeof xb);
    const int ebits = (int)(8 * sizeof(REAL)) - 1 - MANT_BITS;
    const UINT mant_mask = ((UINT)1 << MANT_BITS) - 1;
    const UINT bias = ((UINT)1 << (ebits - 1)) - 1;
    /* m in [1, 2): exponent bits replaced by the bias */
    UINT mb = (xb & mant_mask) | (bias << MANT_BITS);
    REAL m;
    memcpy(&m, &mb, sizeof m);
    /* exponent field -> REAL without an int conversion (none is vectorised on AVX2):
     * OR it into the mantissa of 2^MANT_BITS and subtract 2^MANT_BITS */
    const REAL two_mant = (REAL)(double)((UINT)1 << MANT_BITS);
    UINT tb;
    memcpy(&tb, &two_mant, sizeof tb);
    tb |= (xb >> MANT_BITS) & (((UINT)1 << ebits) - 1);
    REAL e;
    memcpy(&e, &tb, sizeof e);
    e = e - two_mant - (REAL)bias;
    const REAL big = m > (REAL)1.4142135623730951;
    m = big ? m * (REAL)0.5 : m;
    e += big;
    const REAL z = (m - 1) / (m + 1), z2 = z * z;
    REAL p = (REAL)1 / (2 * LOG_NTERMS - 1);
#pragma GCC unroll 16
    for (int t = LOG_NTERMS - 2; t >= 0; t--) p = p * z2 + (REAL)1 / (2 * t + 1);
    return e * (REAL)0.69314718055994530942 + 2 * z * p;
}

/* ------------------------------------------------------------------------------ */
/* Block loading                                                                   */
/* ------------------------------------------------------------------------------ */

/* Xt[i*B + p] = X[r0 + p, i] for p < nb, 0 for nb <= p < npad.  Columns stored
 * contiguously (Fortran order) are copied column by column; otherwise VL rows at a
 * time, each vector of Xt assembled from VL rows (one store per vector instead of
 * VL scattered ones).  TYPE/VTYPE/NL: the destination's element and vector types and
 * lanes. */
#define LOAD_BLOCK_BODY(TYPE, VTYPE, NL)                                              \
    do {                                                                            \
        int p = 0;                                                                  \
        if (rs != 1) {                                                              \
            for (; p + (NL) <= nb; p += (NL)) {                                     \
                const REAL *restrict rows = X + (r0 + p) * rs;                      \
                for (int i = 0; i < D; i++) {                                       \
                    VTYPE v;                                                        \
                    for (int l = 0; l < (NL); l++)                                  \
                        v[l] = (TYPE)rows[(ptrdiff_t)l * rs + (ptrdiff_t)i * cs];   \
                    *(VTYPE *)(Xt + (ptrdiff_t)i * B + p) = v;                      \
                }                                                                   \
            }                                                                       \
        }                                                                           \
        for (int i = 0; i < D; i++) {                                               \
            const REAL *restrict col = X + r0 * rs + (ptrdiff_t)i * cs;             \
            TYPE *restrict dst = Xt + (ptrdiff_t)i * B;                             \
            for (int q = p; q < nb; q++) dst[q] = (TYPE)col[(ptrdiff_t)q * rs];     \
            for (int q = nb; q < npad; q++) dst[q] = 0;                             \
        }                                                                           \
    } while (0)

static void FN(load_block)(const REAL *restrict X, ptrdiff_t rs, ptrdiff_t cs, int D,
                           ptrdiff_t r0, int nb, REAL *restrict Xt)
{
    const int npad = FN(round_up_strip)(nb);
    LOAD_BLOCK_BODY(REAL, FN(vec), VL);
}

/* w[p] = sample weight of row r0 + p (1 without weights), 0 on padding. */
static void FN(load_weights)(const double *restrict sw, ptrdiff_t r0, int nb,
                             REAL *restrict w)
{
    const int npad = FN(round_up_strip)(nb);
    for (int p = 0; p < nb; p++) w[p] = sw ? (REAL)sw[r0 + p] : (REAL)1;
    for (int p = nb; p < npad; p++) w[p] = 0;
}

/* diff[i][p] = (Xt[i][p] - hi[i]) - lo[i]: the first subtraction is exact near the mean. */
static inline void FN(center)(const REAL *restrict Xt, int D, int npad,
                              const REAL *restrict hi, const REAL *restrict lo,
                              REAL *restrict diff)
{
    for (int i = 0; i < D; i++) {
        const REAL h = hi[i], l = lo[i];
        const REAL *restrict x = Xt + (ptrdiff_t)i * B;
        REAL *restrict d = diff + (ptrdiff_t)i * B;
        for (int p = 0; p < npad; p += STRIP) { /* whole strips: no vectoriser epilogue */
            *(FN(vec) *)(d + p) = (*(const FN(vec) *)(x + p) - h) - l;
            *(FN(vec) *)(d + p + VL) = (*(const FN(vec) *)(x + p + VL) - h) - l;
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* Squared Mahalanobis distances for one component                                 */
/* ------------------------------------------------------------------------------ */

/* maha[p] = || diff_p^T U ||^2 = sum_j (sum_{i<=j} diff[i][p] U[i][j])^2,
 * with Ut[j*D + i] = U[i][j] (zero for i > j).  Columns of U go MAHA_NJ at a time
 * over a strip of two vectors of points: 2*MAHA_NJ independent accumulators hide
 * the FMA latency and each diff load feeds 2*MAHA_NJ FMAs.  Rows i > j inside a
 * group multiply U's zeros (cheaper than a branch).  Always inlined with a constant
 * nj, so the accumulator arrays are registers. */
static inline __attribute__((always_inline)) void FN(maha_cols)(
    const REAL *restrict diff, int D, int p0, const REAL *restrict Ut, int j0, int nj,
    FN(vec) *m0, FN(vec) *m1)
{
    typedef FN(vec) vec;
    vec a0[MAHA_NJ], a1[MAHA_NJ];
    for (int u = 0; u < nj; u++) a0[u] = a1[u] = (vec){0};
    const int iend = j0 + nj;
    for (int i = 0; i < iend; i++) {
        const REAL *restrict d = diff + (ptrdiff_t)i * B + p0;
        const vec d0 = *(const vec *)d, d1 = *(const vec *)(d + VL);
        for (int u = 0; u < nj; u++) {
            const REAL uu = Ut[(ptrdiff_t)(j0 + u) * D + i];
            a0[u] += d0 * uu;
            a1[u] += d1 * uu;
        }
    }
    for (int u = 0; u < nj; u++) {
        *m0 += a0[u] * a0[u];
        *m1 += a1[u] * a1[u];
    }
}

static inline void FN(maha_full)(const REAL *restrict diff, int D, int npad,
                                 const REAL *restrict Ut, REAL *restrict maha)
{
    typedef FN(vec) vec;
    const int DJ = D - D % MAHA_NJ;
    for (int p0 = 0; p0 < npad; p0 += STRIP) {
        vec m0 = (vec){0}, m1 = (vec){0};
        for (int j0 = 0; j0 < DJ; j0 += MAHA_NJ)
            FN(maha_cols)(diff, D, p0, Ut, j0, MAHA_NJ, &m0, &m1);
        switch (D - DJ) { /* constant widths: the accumulators stay in registers */
#define MAHA_TAIL(n) \
        case n: \
            if (n < MAHA_NJ) FN(maha_cols)(diff, D, p0, Ut, DJ, n, &m0, &m1); \
            break;
        MAHA_TAIL(1) MAHA_TAIL(2) MAHA_TAIL(3) MAHA_TAIL(4) MAHA_TAIL(5) MAHA_TAIL(6)
        MAHA_TAIL(7)
#undef MAHA_TAIL
        default: break;
        }
        *(vec *)(maha + p0) = m0;
        *(vec *)(maha + p0 + VL) = m1;
    }
}

/* maha_full through BLAS: diff (npad x D, column-major, ld B) := diff U in place by
 * trmm (prec holds U column-major, upper), then maha[p] = sum_j diff[j][p]^2.
 * diff is consumed; stats_block recomputes it. */
static void FN(maha_blas)(const PARAMS *restrict pm, REAL *restrict diff, int D,
                          int npad, const REAL *restrict Ut, REAL *restrict maha)
{
    char side = 'R', uplo = 'U', trans = 'N', unit = 'N';
    int m = npad, n = D, lda = D, ldb = B;
    REAL one = 1;
    pm->trmm(&side, &uplo, &trans, &unit, &m, &n, &one, (REAL *)Ut, &lda, diff, &ldb);
    for (int p = 0; p < npad; p++) maha[p] = 0;
    for (int j = 0; j < D; j++) {
        const REAL *restrict y = diff + (ptrdiff_t)j * B;
        for (int p = 0; p < npad; p++) maha[p] += y[p] * y[p];
    }
}

/* Diagonal precision: maha[p] = sum_i ((x[i][p] - mean_i) s_i)^2 straight from Xt
 * (centring fused in, accumulators in registers, no diff written); spherical passes
 * the same s for every feature (s_stride 0). */
static inline void FN(maha_diag)(const REAL *restrict Xt, int D, int npad,
                                 const REAL *restrict hi, const REAL *restrict lo,
                                 const REAL *restrict ps, int s_stride,
                                 REAL *restrict maha)
{
    typedef FN(vec) vec;
    for (int p0 = 0; p0 < npad; p0 += STRIP) {
        vec m0 = (vec){0}, m1 = (vec){0};
        for (int i = 0; i < D; i++) {
            const REAL h = hi[i], l = lo[i], sc = ps[i * s_stride];
            const REAL *restrict x = Xt + (ptrdiff_t)i * B + p0;
            const vec t0 = ((*(const vec *)x - h) - l) * sc;
            const vec t1 = ((*(const vec *)(x + VL) - h) - l) * sc;
            m0 += t0 * t0;
            m1 += t1 * t1;
        }
        *(vec *)(maha + p0) = m0;
        *(vec *)(maha + p0 + VL) = m1;
    }
}

/* Diagonal and spherical precisions, float64: the E-step by expansion around the
 * block's own centre.
 *
 * With mu the mean of the block's rows (per feature), y = x - mu, delta_k = m_k - mu
 * and s_k the square root of component k's precision (one value per feature, or one
 * for all of them when spherical):
 *   log_norm_k - maha_k(x)/2 = sum_i (a_ki y_i^2 + b_ki y_i) + c_k,
 *   a_ki = -s_ki^2 / 2,   b_ki = s_ki^2 delta_ki,
 *   c_k  = log_norm_k - 1/2 sum_i (s_ki delta_ki)^2.
 * y and y^2 are formed once per point and feature and shared by every component, so
 * a (point, component, feature) costs two FMAs where the direct form needs two
 * subtractions, a multiplication and an FMA; DG_KC components at a time keep their
 * accumulators in registers (a register-tiled product of [y^2 y] with [a; b]).
 *
 * Error analysis.  The sum of the 2D products (started at 0; c_k is added last,
 * rounding once as the direct form's constant does) is a recursive sum of 2D terms
 * each rounded once, so its absolute error is at most (2D + 1) eps times the sum of
 * their magnitudes (Higham, Accuracy and Stability, 2nd ed., section 4.2):
 *   err_k = (2D + 1) eps sum_i s_ki^2 (y_i^2/2 + |y_i delta_ki|)
 *        <= (D + 1) eps sum_i s_ki^2 (|y_i| + |delta_ki|)^2,
 * plus the rounding of a, b (relative eps each) which the same bound absorbs; the
 * direct form's error is ~eps maha_k(x).  The cancellation is bounded by the
 * distances *from the block's centre*, never from the origin: an offset shared by the
 * data and the means (1e4, 1e6, ...) costs nothing, where expanding around 0 (as
 * scikit-learn does) loses (offset / sigma)^2.  What is left is the spread of the
 * block and of the means in units of each component's sigma: data spanning R sigma
 * per feature give err <= eps D^2 R^2 (5e-11 nats at D = 16, R = 30, float64).  The
 * kernel computes that bound for the block (with the block's largest |y_i|) and uses
 * the expansion only when max_k err_k <= FGMM_EXPANSION_MAX_ERR; otherwise (wide
 * blocks: a spread of ~100 sigma at D = 16, less at larger D; and float32, whose eps
 * makes the bound ~1e-4) the block takes the direct form.  So the expansion never
 * costs more than 1e-9 nats.  One consequence: a row's last bits depend on the block
 * it is scored in (its centre, and which form the block takes): score(X)[1:] and
 * score(X[1:]) may differ by round-off (~1e-14), as results computed with BLAS do
 * for different blockings; never by more than the bound.
 *
 * Returns 1 when L was filled, 0 when the block needs the direct form. */
#define FGMM_EXPANSION_MAX_ERR 1e-9
#if FGMM_TILE_REGS >= 32
#define DG_KC 8
#else
#define DG_KC 4
#endif

/* Lane-wise maximum (a NaN in b is not taken). */
static inline FN(vec) FN(vmax)(FN(vec) a, FN(vec) b)
{
    const FN(ivec) m = (FN(ivec))(b > a);
    return (FN(vec))(((FN(ivec))b & m) | ((FN(ivec))a & ~m));
}

/* Horizontal sum of a vector, lanes in order. */
static inline REAL FN(hsum_vec)(FN(vec) v)
{
    REAL t = 0;
    for (int l = 0; l < VL; l++) t += v[l];
    return t;
}

/* L[k][p0 .. p0 + STRIP) for components k0 .. k0 + kc - 1 (kc a constant at every
 * call, so the 2*kc accumulators stay in registers). */
static inline __attribute__((always_inline)) void FN(diag_tile)(
    const REAL *restrict Y, const REAL *restrict Y2, int D, int K, int p0,
    const REAL *restrict coef, int k0, const int kc, REAL *restrict L)
{
    typedef FN(vec) vec;
    const REAL *restrict a = coef, *restrict b = coef + (ptrdiff_t)K * D;
    const REAL *restrict c = coef + 2 * (ptrdiff_t)K * D;
    vec u0[DG_KC], u1[DG_KC];
    /* the sum starts at 0 and the constant comes last: its size never enters the
     * rounding of the 2D products (the bound below counts only those) */
    for (int j = 0; j < kc; j++) u0[j] = u1[j] = (vec){0};
    for (int i = 0; i < D; i++) {
        const vec y0 = *(const vec *)(Y + (ptrdiff_t)i * B + p0);
        const vec y1 = *(const vec *)(Y + (ptrdiff_t)i * B + p0 + VL);
        const vec q0 = *(const vec *)(Y2 + (ptrdiff_t)i * B + p0);
        const vec q1 = *(const vec *)(Y2 + (ptrdiff_t)i * B + p0 + VL);
        for (int j = 0; j < kc; j++) {
            const REAL aj = a[(ptrdiff_t)(k0 + j) * D + i];
            const REAL bj = b[(ptrdiff_t)(k0 + j) * D + i];
            u0[j] = u0[j] + q0 * aj;   /* one FMA each (separate statements, */
            u0[j] = u0[j] + y0 * bj;   /* so no compiler pairs the products first) */
            u1[j] = u1[j] + q1 * aj;
            u1[j] = u1[j] + y1 * bj;
        }
    }
    for (int j = 0; j < kc; j++) {
        *(vec *)(L + (ptrdiff_t)(k0 + j) * B + p0) = u0[j] + c[k0 + j];
        *(vec *)(L + (ptrdiff_t)(k0 + j) * B + p0 + VL) = u1[j] + c[k0 + j];
    }
}

static int FN(diag_logprob_expanded)(const PARAMS *restrict pm,
                                     const REAL *restrict Xt, int nb, int npad,
                                     REAL *restrict Y, REAL *restrict Y2,
                                     REAL *restrict coef, REAL *restrict L)
{
    if (sizeof(REAL) != sizeof(double)) return 0; /* float32: the bound never holds */
    const int D = pm->n_features, K = pm->n_components;
    const int spherical = pm->cov_type == FGMM_SPHERICAL;
    REAL *restrict mu = coef + (ptrdiff_t)K * (2 * D + 1), *restrict ymax = mu + D;
    typedef FN(vec) vec;
    for (int i = 0; i < D; i++) {
        const REAL *restrict x = Xt + (ptrdiff_t)i * B;
        REAL *restrict y = Y + (ptrdiff_t)i * B, *restrict q = Y2 + (ptrdiff_t)i * B;
        /* whole strips, vectors only (Xt's padding holds zeros, which add nothing) */
        vec s0 = (vec){0}, s1 = (vec){0};
        for (int p = 0; p < npad; p += STRIP) {
            s0 += *(const vec *)(x + p);
            s1 += *(const vec *)(x + p + VL);
        }
        const REAL m = FN(hsum_vec)(s0 + s1) / nb;
        for (int p = 0; p < npad; p += STRIP) {
            *(vec *)(y + p) = *(const vec *)(x + p) - m;
            *(vec *)(y + p + VL) = *(const vec *)(x + p + VL) - m;
        }
        for (int p = nb; p < npad; p++) y[p] = 0; /* padding: 0 adds nothing below */
        vec b0 = (vec){0}, b1 = (vec){0};
        for (int p = 0; p < npad; p += STRIP) {
            const vec v0 = *(const vec *)(y + p), v1 = *(const vec *)(y + p + VL);
            const vec w0 = v0 * v0, w1 = v1 * v1;
            *(vec *)(q + p) = w0;
            *(vec *)(q + p + VL) = w1;
            b0 = FN(vmax)(b0, w0);   /* the largest y^2 */
            b1 = FN(vmax)(b1, w1);
        }
        const vec bb = FN(vmax)(b0, b1);
        REAL big = 0;
        for (int l = 0; l < VL; l++) big = bb[l] > big ? bb[l] : big;
        mu[i] = m;
        ymax[i] = SQRT(big);
    }
    REAL *restrict a = coef, *restrict b = coef + (ptrdiff_t)K * D;
    REAL *restrict c = coef + 2 * (ptrdiff_t)K * D;
    double worst = 0;
    for (int k = 0; k < K; k++) {
        const REAL *hi = pm->means_hi + (ptrdiff_t)k * D, *lo = pm->means_lo + (ptrdiff_t)k * D;
        double csum = 0, err = 0;
        for (int i = 0; i < D; i++) {
            const double s = pm->prec[spherical ? k : (ptrdiff_t)k * D + i];
            const double s2 = s * s;
            const double delta = ((double)hi[i] - (double)mu[i]) + (double)lo[i];
            a[(ptrdiff_t)k * D + i] = (REAL)(-0.5 * s2);
            b[(ptrdiff_t)k * D + i] = (REAL)(s2 * delta);
            csum += s2 * delta * delta;
            const double reach = (double)ymax[i] + fabs(delta);
            err += s2 * reach * reach;
        }
        c[k] = (REAL)((double)pm->log_norm[k] - 0.5 * csum);
        worst = err > worst ? err : worst;
    }
    /* the bound of the comment above; NaN/inf (never from valid input) fail it too */
    if (!((D + 1) * DBL_EPSILON * worst <= FGMM_EXPANSION_MAX_ERR)) return 0;
    const int KT = K - K % DG_KC;
    for (int p0 = 0; p0 < npad; p0 += STRIP) {
        for (int k0 = 0; k0 < KT; k0 += DG_KC)
            FN(diag_tile)(Y, Y2, D, K, p0, coef, k0, DG_KC, L);
        switch (K - KT) { /* constant widths: the accumulators stay in registers */
#define DG_TAIL(n) \
        case n: \
            if (n < DG_KC) FN(diag_tile)(Y, Y2, D, K, p0, coef, KT, n, L); \
            break;
        DG_TAIL(1) DG_TAIL(2) DG_TAIL(3) DG_TAIL(4) DG_TAIL(5) DG_TAIL(6) DG_TAIL(7)
#undef DG_TAIL
        default: break;
        }
    }
    return 1;
}
#undef DG_KC

/* L[k][p] = log_norm[k] - maha_k(p) / 2 for every component k (diff, rd, coef:
 * scratch). */
static void FN(weighted_logprob_block)(const PARAMS *restrict pm,
                                       const REAL *restrict Xt, int nb, int npad,
                                       REAL *restrict diff, REAL *restrict rd,
                                       REAL *restrict coef, REAL *restrict L)
{
    const int D = pm->n_features, K = pm->n_components;
    if ((pm->cov_type == FGMM_DIAG || pm->cov_type == FGMM_SPHERICAL)
        && FN(diag_logprob_expanded)(pm, Xt, nb, npad, diff, rd, coef, L))
        return;
    for (int k = 0; k < K; k++) {
        REAL *restrict Lk = L + (ptrdiff_t)k * B;
        const REAL *hi = pm->means_hi + (ptrdiff_t)k * D;
        const REAL *lo = pm->means_lo + (ptrdiff_t)k * D;
        switch (pm->cov_type) {
        case FGMM_FULL:
        case FGMM_TIED: {
            const REAL *Uk = pm->prec + (pm->cov_type == FGMM_FULL ? (ptrdiff_t)k * D * D : 0);
            FN(center)(Xt, D, npad, hi, lo, diff);
            if (pm->trmm && D >= FGMM_BLAS_MIN_D)
                FN(maha_blas)(pm, diff, D, npad, Uk, Lk);
            else
                FN(maha_full)(diff, D, npad, Uk, Lk);
            break;
        }
        case FGMM_DIAG:
            FN(maha_diag)(Xt, D, npad, hi, lo, pm->prec + (ptrdiff_t)k * D, 1, Lk);
            break;
        default: /* spherical */
            FN(maha_diag)(Xt, D, npad, hi, lo, pm->prec + k, 0, Lk);
        }
        const REAL c = pm->log_norm[k];
        for (int p = 0; p < npad; p++) Lk[p] = c - (REAL)0.5 * Lk[p];
    }
}

/* Log-sum-exp over components, per point.  On return
 *   L[k][p] = w[p] * responsibility of k for p, ll[p] = log sum_k exp(L[k][p]),
 *   ent[p] = w[p] * sum_k r_kp log r_kp (the negated entropy of the responsibilities).
 * With m = max_k L[k][p], e_k = exp(L[k][p] - m), s = sum_k e_k:
 *   sum_k r_k log r_k = (1/s) sum_k e_k (L[k][p] - m) - log s,
 * one extra FMA per exp.  Terms below EXP_CUTOFF (e_k = 0, L possibly -inf) are
 * skipped rather than multiplied, since 0 * -inf is NaN.  want_entropy is a constant
 * at every (always inlined) call, so the plain pass carries none of this work.
 * A point with zero density everywhere gets ll = -inf, zero responsibilities and
 * ent = 0. */
static inline __attribute__((always_inline)) void FN(normalize_block)(
    REAL *restrict L, int K, int npad, const REAL *restrict w, REAL *restrict ll,
    REAL *restrict sum, REAL *restrict ent, const int want_entropy)
{
    for (int p = 0; p < npad; p++) ll[p] = L[p];
    for (int k = 1; k < K; k++) {
        const REAL *restrict Lk = L + (ptrdiff_t)k * B;
        for (int p = 0; p < npad; p++) ll[p] = Lk[p] > ll[p] ? Lk[p] : ll[p];
    }
    for (int p = 0; p < npad; p++) {
        if (!(ll[p] > -(REAL)INFINITY)) ll[p] = 0; /* all -inf: exp gives 0 below */
        sum[p] = 0;
        ent[p] = 0;
    }
    for (int k = 0; k < K; k++) {
        REAL *restrict Lk = L + (ptrdiff_t)k * B;
        for (int p = 0; p < npad; p++) {
            const REAL x = Lk[p] - ll[p];
            const REAL e = FN(fexp)(x);
            Lk[p] = e;
            sum[p] += e;
            if (want_entropy) ent[p] += x > (REAL)EXP_CUTOFF ? e * x : (REAL)0;
        }
    }
    for (int p = 0; p < npad; p++) {
        const REAL s = sum[p];
        const REAL log_s = s > 0 ? FN(flog)(s) : (REAL)0; /* s >= 1 or 0 */
        ll[p] = s > 0 ? ll[p] + log_s : -(REAL)INFINITY;
        if (want_entropy) ent[p] = s > 0 ? w[p] * (ent[p] / s - log_s) : (REAL)0;
        sum[p] = s > 0 ? w[p] / s : (REAL)0;
    }
    for (int k = 0; k < K; k++) {
        REAL *restrict Lk = L + (ptrdiff_t)k * B;
        for (int p = 0; p < npad; p++) Lk[p] *= sum[p];
    }
}

/* ------------------------------------------------------------------------------ */
/* Sufficient statistics                                                           */
/* ------------------------------------------------------------------------------ */

/* Horizontal sum of a vector. */
static inline REAL FN(hsum)(FN(svec) v)
{
    REAL s = 0;
    for (int l = 0; l < SVL; l++) s += v[l];
    return s;
}

/* sum_p a[p] b[p] over whole strips (n a multiple of SSTRIP): two independent vector
 * accumulators, so consecutive FMAs do not wait on each other's latency. */
static inline REAL FN(dot)(const REAL *restrict a, const REAL *restrict b, int n)
{
    typedef FN(svec) vec;
    vec s0 = (vec){0}, s1 = (vec){0};
    for (int p = 0; p < n; p += SSTRIP) {
        s0 += *(const vec *)(a + p) * *(const vec *)(b + p);
        s1 += *(const vec *)(a + p + SVL) * *(const vec *)(b + p + SVL);
    }
    return FN(hsum)(s0 + s1);
}

/* a[p] = r[p] d[p] for a whole number of strips; returns sum_p a[p]. */
static inline REAL FN(scale_sum)(const REAL *restrict r, const REAL *restrict d,
                                 REAL *restrict a, int n)
{
    typedef FN(svec) vec;
    vec s0 = (vec){0}, s1 = (vec){0};
    for (int p = 0; p < n; p += SSTRIP) {
        const vec a0 = *(const vec *)(r + p) * *(const vec *)(d + p);
        const vec a1 = *(const vec *)(r + p + SVL) * *(const vec *)(d + p + SVL);
        *(vec *)(a + p) = a0;
        *(vec *)(a + p + SVL) = a1;
        s0 += a0;
        s1 += a1;
    }
    return FN(hsum)(s0 + s1);
}

/* sum_p r[p] over whole strips */
static inline REAL FN(strip_sum)(const REAL *restrict r, int n)
{
    typedef FN(svec) vec;
    vec s0 = (vec){0}, s1 = (vec){0};
    for (int p = 0; p < n; p += SSTRIP) {
        s0 += *(const vec *)(r + p);
        s1 += *(const vec *)(r + p + SVL);
    }
    return FN(hsum)(s0 + s1);
}

/* Packed upper triangle of A B^T added into s2 (double):
 *   s2[i][j] += sum_p a_i[p] b_j[p],  j >= i,  a = r*diff, b = diff (D x npad).
 * A GEMM whose inner dimension is the points: tiles of TI rows of A x TJ rows of B
 * keep TI*TJ vector accumulators in registers (TI+TJ loads per TI*TJ FMAs), one
 * horizontal sum per pair per block.  Rows past D read zero_row; their results are
 * dropped, as are the j < i pairs of tiles that straddle the diagonal. */
#if FGMM_TILE_REGS >= 32
#define TI 4 /* 16 accumulators + 4 + 1 of 32 registers */
#define TJ 4
#else
#define TI 2 /* 8 accumulators + 4 + 1 of 16 registers */
#define TJ 4
#endif
static inline __attribute__((always_inline)) void FN(scatter_tiles)(
    const REAL *restrict A, const REAL *restrict Bm, int D, int npad,
    const REAL *restrict zero_row, double *restrict s2, const int ti, const int tj)
{
    typedef FN(svec) vec;
    for (int i0 = 0; i0 < D; i0 += ti) {
        const REAL *a[TI];
        for (int t = 0; t < ti; t++)
            a[t] = i0 + t < D ? A + (ptrdiff_t)(i0 + t) * B : zero_row;
        for (int j0 = i0 - i0 % tj; j0 < D; j0 += tj) {
            const REAL *b[TJ];
            for (int u = 0; u < tj; u++)
                b[u] = j0 + u < D ? Bm + (ptrdiff_t)(j0 + u) * B : zero_row;
            vec acc[TI][TJ];
            for (int t = 0; t < ti; t++)
                for (int u = 0; u < tj; u++) acc[t][u] = (vec){0};
            for (int p = 0; p < npad; p += SVL) {
                vec bv[TJ];
                for (int u = 0; u < tj; u++) bv[u] = *(const vec *)(b[u] + p);
                for (int t = 0; t < ti; t++) {
                    const vec av = *(const vec *)(a[t] + p);
                    for (int u = 0; u < tj; u++) acc[t][u] += av * bv[u];
                }
            }
            for (int t = 0; t < ti; t++) {
                const int i = i0 + t;
                for (int u = 0; u < tj; u++) {
                    const int j = j0 + u;
                    if (i >= D || j >= D || j < i) continue;
                    /* row i of the packed upper triangle starts at i*D - i(i-1)/2 */
                    s2[(ptrdiff_t)i * D - (ptrdiff_t)i * (i - 1) / 2 + (j - i)] +=
                        FN(hsum)(acc[t][u]);
                }
            }
        }
    }
}

/* D <= 2: one 2 x 2 tile (3 of its 4 pairs used) rather than a TI x TJ one. */
static void FN(scatter_upper)(const REAL *restrict A, const REAL *restrict Bm, int D,
                              int npad, const REAL *restrict zero_row,
                              double *restrict s2)
{
    if (D <= 2)
        FN(scatter_tiles)(A, Bm, D, npad, zero_row, s2, 2, 2);
    else
        FN(scatter_tiles)(A, Bm, D, npad, zero_row, s2, TI, TJ);
}
#undef TI
#undef TJ

/* Statistics of one component over n points (a whole number of SSTRIPs):
 *   nk += sum_p r_p,  s1 += sum_p r_p d_p,  s2 += sum_p r_p d_p d_p^T (packed upper)
 *   or sum_p r_p d_p^2 (diag, spherical), with d = diff (D x n, row stride B).
 * Sums run in REAL over at most B points, then add into double. */
static void FN(stats_component)(const PARAMS *restrict pm, const REAL *restrict r,
                                int n, REAL *restrict diff, REAL *restrict rd,
                                const REAL *restrict zero_row, REAL *restrict gram,
                                double *restrict nk, double *restrict s1k,
                                double *restrict s2k)
{
    const int D = pm->n_features;
    const int full = pm->cov_type == FGMM_FULL || pm->cov_type == FGMM_TIED;
    *nk += FN(strip_sum)(r, n);
    for (int i = 0; i < D; i++)
        s1k[i] += FN(scale_sum)(r, diff + (ptrdiff_t)i * B, rd + (ptrdiff_t)i * B, n);
    if (full && pm->syrk && D >= FGMM_BLAS_MIN_D) {
        /* rd := sqrt(r) d, then C = rd^T rd by syrk (upper, column-major D x D) */
        for (int i = 0; i < D; i++) {
            const REAL *restrict d = diff + (ptrdiff_t)i * B;
            REAL *restrict a = rd + (ptrdiff_t)i * B;
            for (int p = 0; p < n; p++) a[p] = SQRT(r[p]) * d[p];
        }
        char uplo = 'U', trans = 'T';
        int nn = D, kk = n, lda = B, ldc = D;
        REAL one = 1, zero = 0;
        pm->syrk(&uplo, &trans, &nn, &kk, &one, rd, &lda, &zero, gram, &ldc);
        ptrdiff_t e = 0;
        for (int i = 0; i < D; i++)
            for (int j = i; j < D; j++, e++) s2k[e] += gram[(ptrdiff_t)j * D + i];
    } else if (full) {
        FN(scatter_upper)(rd, diff, D, n, zero_row, s2k);
    } else {
        for (int i = 0; i < D; i++)
            s2k[i] += FN(dot)(rd + (ptrdiff_t)i * B, diff + (ptrdiff_t)i * B, n);
    }
}

/* Sufficient statistics of a block for every component k; L[k] holds the
 * responsibilities times the sample weights w.
 *
 * Points whose responsibility for k is below FGMM_NEGLIGIBLE (relative to their
 * weight) are left out of k's sums: for any component of weight above 1e-14 that
 * changes its statistics by less than one ulp.  Where few points matter (separated
 * clusters: most points belong to one or two components) the others are squeezed
 * out, so the O(D^2) scatter runs on the points that count; otherwise the whole
 * block is summed (negligible terms included).  Below FGMM_COMPACT_MIN_D features
 * the sums are cheaper than the compaction: blocks are always summed whole. */
#define FGMM_COMPACT_MIN_D 6
static void FN(stats_block)(const PARAMS *restrict pm, const REAL *restrict Xt,
                            int npad, const REAL *restrict L, const REAL *restrict w,
                            REAL *restrict diff, REAL *restrict rd,
                            const REAL *restrict zero_row, REAL *restrict gram,
                            REAL *restrict rc, int32_t *restrict idx,
                            double *restrict nk, double *restrict s1,
                            double *restrict s2)
{
    const int D = pm->n_features, K = pm->n_components;
    const int full = pm->cov_type == FGMM_FULL || pm->cov_type == FGMM_TIED;
    const ptrdiff_t S = full ? (ptrdiff_t)D * (D + 1) / 2 : D;
    for (int k = 0; k < K; k++) {
        const REAL *restrict r = L + (ptrdiff_t)k * B;
        const REAL *restrict hi = pm->means_hi + (ptrdiff_t)k * D;
        const REAL *restrict lo = pm->means_lo + (ptrdiff_t)k * D;
        int m = npad;
        if (D >= FGMM_COMPACT_MIN_D) {
            m = 0;
            for (int p = 0; p < npad; p++) { /* branch-free compaction of the indices */
                idx[m] = p;
                m += r[p] > (REAL)FGMM_NEGLIGIBLE * w[p];
            }
            if (m == 0) continue;
        }
        const REAL *rr = r;
        int n = npad;
        if (4 * m <= 3 * npad) {
            n = FN(round_up_sstrip)(m);
            for (int j = 0; j < m; j++) rc[j] = r[idx[j]];
            for (int j = m; j < n; j++) rc[j] = 0;
            for (int i = 0; i < D; i++) {
                const REAL h = hi[i], l = lo[i];
                const REAL *restrict x = Xt + (ptrdiff_t)i * B;
                REAL *restrict d = diff + (ptrdiff_t)i * B;
                for (int j = 0; j < m; j++) d[j] = (x[idx[j]] - h) - l;
                for (int j = m; j < n; j++) d[j] = 0;
            }
            rr = rc;
        } else {
            FN(center)(Xt, D, npad, hi, lo, diff);
        }
        FN(stats_component)(pm, rr, n, diff, rd, zero_row, gram, nk + k,
                            s1 + (ptrdiff_t)k * D, s2 + (ptrdiff_t)k * S);
    }
}

/* ------------------------------------------------------------------------------ */
/* k-means kernels                                                                 */
/* ------------------------------------------------------------------------------ */

/* Clusters per register tile: 2*KM_KC accumulators + 2 point vectors + a broadcast
 * + 2 differences: 13 of 16 registers with 4, 21 of 32 with 8. */
#if FGMM_TILE_REGS >= 32
#define KM_KC 8
#else
#define KM_KC 4
#endif

/* For the strip of points at p0 and clusters k0 .. k0+kc-1: dist = |x_p - c_k|^2
 * summed directly (no |x|^2 - 2 x.c + |c|^2 cancellation), feature by feature, with
 * 2*kc accumulators in registers; then best/lab (the strip's running minimum and its
 * cluster) take every strictly smaller distance, clusters in increasing order, so the
 * first of equal minima wins.  Always inlined with a constant kc. */
static inline __attribute__((always_inline)) void FN(kmeans_tile)(
    const REAL *restrict Xt, int D, int p0, const REAL *restrict centers, int k0,
    const int kc, REAL *restrict best, SINT *restrict lab)
{
    typedef FN(vec) vec;
    typedef FN(ivec) ivec;
    vec a0[KM_KC], a1[KM_KC];
    for (int c = 0; c < kc; c++) a0[c] = a1[c] = (vec){0};
    const REAL *restrict ck = centers + (ptrdiff_t)k0 * D;
    for (int i = 0; i < D; i++) {
        const REAL *restrict x = Xt + (ptrdiff_t)i * B + p0;
        const vec x0 = *(const vec *)x, x1 = *(const vec *)(x + VL);
        for (int c = 0; c < kc; c++) {
            const REAL ci = ck[(ptrdiff_t)c * D + i];
            const vec t0 = x0 - ci, t1 = x1 - ci;
            a0[c] += t0 * t0;
            a1[c] += t1 * t1;
        }
    }
    vec b0 = *(vec *)(best + p0), b1 = *(vec *)(best + p0 + VL);
    ivec l0 = *(ivec *)(lab + p0), l1 = *(ivec *)(lab + p0 + VL);
    for (int c = 0; c < kc; c++) {
        const ivec m0 = (ivec)(a0[c] < b0), m1 = (ivec)(a1[c] < b1);
        const SINT k = (SINT)(k0 + c);
        b0 = (vec)(((ivec)a0[c] & m0) | ((ivec)b0 & ~m0));
        b1 = (vec)(((ivec)a1[c] & m1) | ((ivec)b1 & ~m1));
        l0 = (m0 & k) | (l0 & ~m0);
        l1 = (m1 & k) | (l1 & ~m1);
    }
    *(vec *)(best + p0) = b0;
    *(vec *)(best + p0 + VL) = b1;
    *(ivec *)(lab + p0) = l0;
    *(ivec *)(lab + p0 + VL) = l1;
}

/* Nearest centre (lab) and its squared distance (best) for the npad points of the
 * transposed block Xt: register tiles of KM_KC clusters, the tail at a constant width. */
static void FN(nearest_labels)(const REAL *restrict Xt, int D, int K, int npad,
                               const REAL *restrict centers, REAL *restrict best,
                               SINT *restrict lab)
{
    const int KT = K - K % KM_KC;
    for (int p = 0; p < npad; p++) {
        best[p] = (REAL)INFINITY;
        lab[p] = 0;
    }
    for (int p0 = 0; p0 < npad; p0 += STRIP) {
        for (int k0 = 0; k0 < KT; k0 += KM_KC)
            FN(kmeans_tile)(Xt, D, p0, centers, k0, KM_KC, best, lab);
        switch (K - KT) { /* constant widths: the accumulators stay in registers */
#define KM_TAIL(n) \
        case n: \
            if (n < KM_KC) FN(kmeans_tile)(Xt, D, p0, centers, KT, n, best, lab); \
            break;
        KM_TAIL(1) KM_TAIL(2) KM_TAIL(3) KM_TAIL(4) KM_TAIL(5) KM_TAIL(6) KM_TAIL(7)
#undef KM_TAIL
        default: break;
        }
    }
}

/* ------------------------------------------------------------------------------ */
/* EM and scoring kernels (the fgmm_kernels entries; see fastgmm.h)                */
/* ------------------------------------------------------------------------------ */

KERNEL_LINKAGE int KERNEL(em_rows)(const fgmm_params *params, const void *Xv, ptrdiff_t row_stride,
                       ptrdiff_t col_stride, const double *sample_weight,
                       ptrdiff_t row_begin, ptrdiff_t row_end, void *scratch,
                       double *partial)
{
    PARAMS pm;
    fgmm_stats_layout sl;
    if (FN(typed_params)(params, &pm) != FGMM_OK || !Xv || !scratch || !partial
        || fgmm_stats_offsets(pm.n_features, pm.n_components, pm.cov_type, &sl) != FGMM_OK)
        return FGMM_EINVAL;
    const REAL *X = (const REAL *)Xv;
    const int D = pm.n_features, K = pm.n_components;
    const fgmm_em_scratch_layout so = fgmm_em_scratch(D, K);
    REAL *const base = (REAL *)fgmm_align_scratch(scratch);
    REAL *Xt = base + so.xt, *diff = base + so.diff, *rd = base + so.rd, *L = base + so.L;
    REAL *w = base + so.w, *ll = base + so.ll, *tmp = base + so.tmp, *ent = base + so.ent;
    REAL *zero_row = base + so.zero_row, *rc = base + so.rc, *gram = base + so.gram;
    REAL *coef = base + so.coef;
    int32_t *idx = (int32_t *)(base + so.idx);
    double *nk = partial + sl.offset[FGMM_STAT_NK], *s1 = partial + sl.offset[FGMM_STAT_S1];
    double *s2 = partial + sl.offset[FGMM_STAT_S2];
    const REAL *hard = (const REAL *)params->hard_centers;
    for (int p = 0; p < B; p++) zero_row[p] = 0;
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += B) {
        const int nb = (int)(row_end - r0 < B ? row_end - r0 : B);
        const int npad = FN(round_up_strip)(nb);
        FN(load_block)(X, row_stride, col_stride, D, r0, nb, Xt);
        FN(load_weights)(sample_weight, r0, nb, w);
        if (hard) {
            /* responsibility 1 (times the weight) for the nearest centre; ll and
             * ent are 0, so the block adds nothing to loglik or the entropy */
            SINT *lab = (SINT *)ll;   /* ll's B slots are free: refilled below */
            FN(nearest_labels)(Xt, D, K, npad, hard, tmp, lab);
            for (int k = 0; k < K; k++) {
                REAL *restrict Lk = L + (ptrdiff_t)k * B;
                for (int p = 0; p < npad; p++) Lk[p] = lab[p] == k ? w[p] : (REAL)0;
            }
            for (int p = 0; p < npad; p++) ll[p] = ent[p] = 0;
        } else {
            FN(weighted_logprob_block)(&pm, Xt, nb, npad, diff, rd, coef, L);
            if (params->resp_entropy)
                FN(normalize_block)(L, K, npad, w, ll, tmp, ent, 1);
            else
                FN(normalize_block)(L, K, npad, w, ll, tmp, ent, 0);
        }
        double block_ll = 0, block_w = 0, block_ent = 0;
        for (int p = 0; p < nb; p++) {
            if (w[p] != 0) { /* a zero-weight row is absent, even at ll = -inf */
                block_ll += (double)w[p] * (double)ll[p];
                block_w += (double)w[p];
                block_ent += (double)ent[p];
            }
        }
        partial[sl.offset[FGMM_STAT_LOGLIK]] += block_ll;
        partial[sl.offset[FGMM_STAT_WEIGHT]] += block_w;
        partial[sl.offset[FGMM_STAT_RESP_ENTROPY]] += block_ent;
        FN(stats_block)(&pm, Xt, npad, L, w, diff, rd, zero_row, gram, rc, idx, nk, s1, s2);
    }
    return FGMM_OK;
}

KERNEL_LINKAGE int KERNEL(score_rows)(const fgmm_params *params, const void *Xv, ptrdiff_t row_stride,
                          ptrdiff_t col_stride, ptrdiff_t row_begin, ptrdiff_t row_end,
                          void *scratch, void *weighted_logprob_v, void *resp_v,
                          void *loglik_v, int64_t *label)
{
    PARAMS pm;
    REAL *weighted_logprob = weighted_logprob_v, *resp = resp_v, *loglik = loglik_v;
    if (FN(typed_params)(params, &pm) != FGMM_OK || !Xv || !scratch) return FGMM_EINVAL;
    const REAL *X = (const REAL *)Xv;
    const int D = pm.n_features, K = pm.n_components;
    const fgmm_em_scratch_layout so = fgmm_em_scratch(D, K);
    REAL *const base = (REAL *)fgmm_align_scratch(scratch);
    REAL *Xt = base + so.xt, *diff = base + so.diff, *rd = base + so.rd, *L = base + so.L;
    REAL *w = base + so.w, *ll = base + so.ll, *tmp = base + so.tmp, *ent = base + so.ent;
    REAL *coef = base + so.coef;
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += B) {
        const int nb = (int)(row_end - r0 < B ? row_end - r0 : B);
        const int npad = FN(round_up_strip)(nb);
        FN(load_block)(X, row_stride, col_stride, D, r0, nb, Xt);
        FN(load_weights)(NULL, r0, nb, w);
        FN(weighted_logprob_block)(&pm, Xt, nb, npad, diff, rd, coef, L);
        if (weighted_logprob)
            for (int p = 0; p < nb; p++)
                for (int k = 0; k < K; k++)
                    weighted_logprob[(r0 + p) * K + k] = L[(ptrdiff_t)k * B + p];
        if (label) {
            /* argmax over k, a vector of points at a time; strictly greater, so the
             * first of equal maxima wins */
            typedef FN(vec) vec;
            typedef FN(ivec) ivec;
            SINT *restrict am = (SINT *)ll; /* ll's B slots are free until normalize */
            for (int p0 = 0; p0 < npad; p0 += VL) {
                vec bv = *(const vec *)(L + p0);
                ivec bk = (ivec){0};
                for (int k = 1; k < K; k++) {
                    const vec v = *(const vec *)(L + (ptrdiff_t)k * B + p0);
                    const ivec m = (ivec)(v > bv);
                    bv = (vec)(((ivec)v & m) | ((ivec)bv & ~m));
                    bk = (m & (SINT)k) | (bk & ~m);
                }
                /* no component with positive density: no label (the caller raises) */
                const ivec pos = (ivec)(bv > -(REAL)INFINITY);
                *(ivec *)(am + p0) = (bk & pos) | ((SINT)-1 & ~pos);
            }
            for (int p = 0; p < nb; p++) label[r0 + p] = (int64_t)am[p];
        }
        if (resp || loglik) {
            FN(normalize_block)(L, K, npad, w, ll, tmp, ent, 0);
            if (loglik)
                for (int p = 0; p < nb; p++) loglik[r0 + p] = ll[p];
            if (resp)
                for (int p = 0; p < nb; p++)
                    for (int k = 0; k < K; k++)
                        resp[(r0 + p) * K + k] = L[(ptrdiff_t)k * B + p];
        }
    }
    return FGMM_OK;
}

KERNEL_LINKAGE int KERNEL(kmeans_rows)(const void *Xv, ptrdiff_t row_stride, ptrdiff_t col_stride,
                           int n_features, int n_clusters, const void *centers_v,
                           const double *sample_weight, ptrdiff_t row_begin,
                           ptrdiff_t row_end, void *scratch, int32_t *label,
                           double *min_dist, double *partial)
{
    if (n_features < 1 || n_clusters < 1 || !Xv || !centers_v || !scratch || !partial)
        return FGMM_EINVAL;
    const REAL *X = (const REAL *)Xv, *centers = (const REAL *)centers_v;
    const int D = n_features, K = n_clusters;
    const fgmm_kmeans_scratch_layout so = fgmm_kmeans_scratch(D);
    REAL *const base = (REAL *)fgmm_align_scratch(scratch);
    REAL *Xt = base + so.xt, *best = base + so.best;
    SINT *lab = (SINT *)(base + so.lab);
    double *counts = partial + 1, *sums = counts + K;
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += B) {
        const int nb = (int)(row_end - r0 < B ? row_end - r0 : B);
        const int npad = FN(round_up_strip)(nb);
        FN(load_block)(X, row_stride, col_stride, D, r0, nb, Xt);
        FN(nearest_labels)(Xt, D, K, npad, centers, best, lab);
        /* the inertia in a register (the same additions in the same order as into
         * partial[0], which the compiler must otherwise reload for every row) */
        double inertia = partial[0];
        for (int p = 0; p < nb; p++) {
            const double w = sample_weight ? sample_weight[r0 + p] : 1.0;
            const int k = (int)lab[p];
            const double bd = (double)best[p];
            if (label) label[r0 + p] = k;
            if (min_dist) min_dist[r0 + p] = bd;
            inertia += w * bd;
            counts[k] += w;
            double *restrict sk = sums + (ptrdiff_t)k * D;
            const REAL *restrict xr = X + (r0 + p) * row_stride;
            for (int i = 0; i < D; i++) sk[i] += w * (double)xr[(ptrdiff_t)i * col_stride];
        }
        partial[0] = inertia;
    }
    return FGMM_OK;
}
#undef KM_KC

/* Vector of doubles of the target's width: k-means++ distances are computed in double
 * for either dtype (as the potential they add up to). */
typedef double FN(dvec) __attribute__((vector_size(FGMM_VBYTES), aligned(sizeof(double))));
#define DVL ((int)(FGMM_VBYTES / sizeof(double)))

/* m[p] = sum_i (x_pi - c_i)^2 in double, features in order (as a row-by-row loop
 * would sum them), for the rows p < nb of the block at X (row stride rs, column stride
 * cs): 2*DVL rows at a time, each feature's vector assembled straight from the rows
 * (a transposition in registers: no block is stored); the tail row by row.  Always
 * inlined, so rs == 1 (columns contiguous) compiles to plain vector loads. */
static inline __attribute__((always_inline)) void FN(nearest_block)(
    const REAL *restrict X, const ptrdiff_t rs, ptrdiff_t cs, int D, int nb,
    const REAL *restrict c, double *restrict m)
{
    typedef FN(dvec) dvec;
    int p0 = 0;
    for (; p0 + 2 * DVL <= nb; p0 += 2 * DVL) {
        const REAL *restrict rows = X + p0 * rs;
        dvec d0 = (dvec){0}, d1 = (dvec){0};
        for (int i = 0; i < D; i++) {
            const double ci = (double)c[i];
            dvec x0, x1;
            for (int l = 0; l < DVL; l++) {
                x0[l] = (double)rows[(ptrdiff_t)l * rs + (ptrdiff_t)i * cs];
                x1[l] = (double)rows[(ptrdiff_t)(l + DVL) * rs + (ptrdiff_t)i * cs];
            }
            const dvec t0 = x0 - ci, t1 = x1 - ci;
            d0 += t0 * t0;
            d1 += t1 * t1;
        }
        *(dvec *)(m + p0) = d0;
        *(dvec *)(m + p0 + DVL) = d1;
    }
    for (int p = p0; p < nb; p++) {
        const REAL *restrict xr = X + p * rs;
        double d = 0;
        for (int i = 0; i < D; i++) {
            const double t = (double)xr[(ptrdiff_t)i * cs] - (double)c[i];
            d += t * t;
        }
        m[p] = d;
    }
}

KERNEL_LINKAGE int KERNEL(nearest_update)(const void *Xv, ptrdiff_t row_stride, ptrdiff_t col_stride,
                              int n_features, int n_centers, const void *centers_v,
                              const double *sample_weight, ptrdiff_t row_begin,
                              ptrdiff_t row_end, void *scratch, double *min_dist,
                              int update, double *partial)
{
    if (n_features < 1 || n_centers < 1 || (update && n_centers != 1) || !Xv
        || !centers_v || !scratch || !min_dist || !partial)
        return FGMM_EINVAL;
    const REAL *X = (const REAL *)Xv, *centers = (const REAL *)centers_v;
    const int D = n_features;
    double *restrict m = (double *)fgmm_align_scratch(scratch) + fgmm_nearest_scratch(D).dist;
    for (ptrdiff_t r0 = row_begin; r0 < row_end; r0 += B) {
        const int nb = (int)(row_end - r0 < B ? row_end - r0 : B);
        const REAL *Xb = X + r0 * row_stride;
        /* the block's rows stay in L1 while every candidate is measured against them */
        for (int t = 0; t < n_centers; t++) {
            const REAL *c = centers + (ptrdiff_t)t * D;
            if (row_stride == 1)
                FN(nearest_block)(Xb, 1, col_stride, D, nb, c, m);
            else
                FN(nearest_block)(Xb, row_stride, col_stride, D, nb, c, m);
            /* min with the current distances; the potential summed in row order */
            double total = partial[t];
            for (int p = 0; p < nb; p++) {
                const double md = min_dist[r0 + p];
                const double v = m[p] < md ? m[p] : md;
                if (update) min_dist[r0 + p] = v;
                total += (sample_weight ? sample_weight[r0 + p] : 1.0) * v;
            }
            partial[t] = total;
        }
    }
    return FGMM_OK;
}
#undef DVL
#undef LOAD_BLOCK_BODY

/* This instantiation's table (kernels_d_avx2, kernels_f_base, ...). */
KERNEL_LINKAGE const fgmm_kernels KERNEL(kernels) = {
    KERNEL(em_rows), KERNEL(score_rows), KERNEL(kmeans_rows), KERNEL(nearest_update)
};

#undef B
#undef STRIP
#undef VL
#undef SSTRIP
#undef SVL
#undef FGMM_SVBYTES
#undef MAHA_NJ
#undef KERNEL
#undef KERNEL_LINKAGE
#undef PARAMS
#undef FN
#undef CAT3
#undef CAT
#undef CAT2

/* the includer's parameters are consumed */
#undef REAL
#undef SUF
#undef UINT
#undef SINT
#undef MANT_BITS
#undef EXP_CUTOFF
#undef EXP_NCOEF
#undef SQRT
#undef LOG_NTERMS
