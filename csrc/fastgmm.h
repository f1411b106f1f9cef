/*
 * fastgmm C core: per-block kernels for Gaussian-mixture EM and k-means.
 *
 * Every kernel works on a contiguous range of rows [row_begin, row_end) of a
 * strided matrix X (n_rows x n_features, strides in elements, so C and Fortran
 * order are read in place).  Rows are processed in blocks of FGMM_BLOCK: a block is
 * first transposed into per-thread scratch (features x points), so every inner loop
 * runs over points, contiguously, and vectorises.
 *
 * No function allocates, touches globals or calls Python: they are reentrant and
 * are called from inside OpenMP regions with one scratch buffer per thread.
 * Each operation has one implementation (kernels_impl.h), instantiated for float
 * and double and for each instruction set (kernels.c); callers reach it through a
 * table of kernels chosen once per pass by fgmm_kernels_for(dtype), so every
 * signature is written once here and once in the implementation.  Sufficient
 * statistics, log-likelihood sums and k-means sums are always accumulated in double.
 *
 * Kernels trust the Python layer's validation but still check what a wrong call
 * could turn into an out-of-bounds access (sizes, the covariance code) and return
 * FGMM_EINVAL instead of touching memory; the Python layer turns codes into
 * exceptions.
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

/* Working precision of X and of the packed parameters. */
enum fgmm_dtype { FGMM_FLOAT64 = 0, FGMM_FLOAT32 = 1 };

/* Status codes: kernels never abort; the Python layer turns codes into exceptions. */
enum fgmm_status {
    FGMM_OK = 0,
    FGMM_EINVAL = 1,  /* sizes or covariance code out of range, a required NULL pointer */
    FGMM_ENOMEM = 2   /* (set by the callers) per-thread scratch could not be allocated */
};

/* Below this many features the register-tiled C loops beat a BLAS call per block. */
#define FGMM_BLAS_MIN_D 64

/* A responsibility below this (relative to the point's weight) is left out of the
 * statistics (see stats_block): < 1 ulp for any component of weight > 1e-14. */
#define FGMM_NEGLIGIBLE 1e-30

/* BLAS level-3 routines, Fortran interface (scipy.linalg.cython_blas provides them),
 * as untyped pointers: the float or double routine matching the parameters' dtype. */
typedef void (*fgmm_blas_fn)(void);

/*
 * Component parameters in the working precision of X (all arrays of that dtype).
 *   means_hi, means_lo : K x D.  mean = hi + lo, hi the nearest working-precision
 *       value; x - hi is exact for x near the mean (Sterbenz), so float32 data far
 *       from the origin keeps its full relative precision around each component.
 *   prec : full: K x D x D, tied: D x D, row-major, TRANSPOSED upper factor:
 *       prec[k][j][i] = U_k[i][j] for i <= j (zero below), precision = U U^T;
 *       diag: K x D (sqrt of precisions); spherical: K.
 *   log_norm : K, log(weight_k) + log det U_k - D/2 log(2 pi); -inf for weight 0.
 */
typedef struct {
    int dtype;
    int n_features;
    int n_components;
    int cov_type;
    const void *means_hi;
    const void *means_lo;
    const void *prec;
    const void *log_norm;
    /* em_rows accumulates resp_entropy_sum only when this is non-zero (it costs an
     * FMA per exp, ~10% of a pass at small D); otherwise that field is left alone. */
    int resp_entropy;
    /* Optional (NULL: C loops).  For full/tied with n_features >= FGMM_BLAS_MIN_D
     * the per-block products run as trmm (log-density) and syrk (scatter); the
     * caller must keep BLAS single-threaded inside the OpenMP region. */
    fgmm_blas_fn trmm;
    fgmm_blas_fn syrk;
    /* Optional (NULL: the E-step).  K x D centres in the working precision: em_rows
     * then gives each row responsibility 1 for its nearest centre (the first of equal
     * distances, as kmeans_rows labels it) instead of evaluating the Gaussians, and
     * accumulates the same statistics around means_hi + means_lo (loglik_sum stays 0;
     * prec and log_norm are not read).  The k-means initialisation's moments in one
     * pass, with no per-row labels stored. */
    const void *hard_centers;
} fgmm_params;

/*
 * The statistics vector (doubles), one layout for kernels and Python alike:
 *   [loglik_sum, weight_sum, resp_entropy_sum, nk (K), s1 (K x D), s2 (K x S)]
 *   loglik_sum       sum_i w_i log p(x_i)
 *   weight_sum       sum_i w_i
 *   resp_entropy_sum sum_i w_i sum_k r_ik log r_ik   (minus the entropy; <= 0;
 *                    only with params.resp_entropy)
 *   nk               sum_i w_i r_ik
 *   s1               sum_i w_i r_ik (x_i - c_k)
 *   s2               sum_i w_i r_ik (x_i - c_k)(x_i - c_k)^T, upper triangle packed
 *                    by rows (full, tied: S = D(D+1)/2) or its diagonal (S = D)
 * with c_k = means_hi + means_lo.  A new statistic is a new field here.
 */
enum fgmm_stat_field {
    FGMM_STAT_LOGLIK, FGMM_STAT_WEIGHT, FGMM_STAT_RESP_ENTROPY,
    FGMM_STAT_NK, FGMM_STAT_S1, FGMM_STAT_S2,
    FGMM_N_STAT_FIELDS
};

/* offset[f] is where field f starts; offset[FGMM_N_STAT_FIELDS] is the length. */
typedef struct {
    ptrdiff_t offset[FGMM_N_STAT_FIELDS + 1];
} fgmm_stats_layout;

/* Fills *layout; FGMM_EINVAL for sizes < 1 or an unknown covariance code. */
int fgmm_stats_layout_init(int n_features, int n_components, int cov_type,
                           fgmm_stats_layout *layout);

/* Bytes of scratch one thread needs for the EM/score kernels, the k-means
 * assignment (kmeans_rows) and the k-means++ step (nearest_update); 0 for invalid
 * sizes. */
size_t fgmm_em_scratch_bytes(int dtype, int n_features, int n_components);
size_t fgmm_kmeans_scratch_bytes(int dtype, int n_features, int n_clusters);
size_t fgmm_nearest_scratch_bytes(int n_features);

/*
 * The kernels of one precision (X, parameters, centers and scratch in that dtype),
 * each returning an fgmm_status.
 */
typedef struct {
    /* Fused E-step + sufficient statistics over rows [row_begin, row_end).
     * IN params, X, sample_weight (N, NULL: all ones); TMP scratch;
     * INOUT partial: the statistics vector above, added to. */
    int (*em_rows)(const fgmm_params *params, const void *X, ptrdiff_t row_stride,
                   ptrdiff_t col_stride, const double *sample_weight,
                   ptrdiff_t row_begin, ptrdiff_t row_end, void *scratch,
                   double *partial);

    /* Scoring over rows [row_begin, row_end); every output is optional (NULL) and
     * is indexed by global row; the real outputs are in the working precision:
     *   OUT weighted_logprob (N x K): log w_k + log N(x | k)
     *   OUT resp (N x K): posterior probabilities (0 where loglik is -inf)
     *   OUT loglik (N): log sum_k w_k N(x | k)
     *   OUT label (N): argmax_k of the weighted log-probability, -1 where every
     *       component has zero density */
    int (*score_rows)(const fgmm_params *params, const void *X, ptrdiff_t row_stride,
                      ptrdiff_t col_stride, ptrdiff_t row_begin, ptrdiff_t row_end,
                      void *scratch, void *weighted_logprob, void *resp,
                      void *loglik, int64_t *label);

    /* One Lloyd assignment step over rows [row_begin, row_end).
     * IN centers (K x D, working precision), sample_weight (NULL: ones);
     * OUT label (N, global rows, optional), min_dist (N, optional);
     * INOUT partial (doubles): [inertia, counts (K), sums (K x D)], weighted. */
    int (*kmeans_rows)(const void *X, ptrdiff_t row_stride, ptrdiff_t col_stride,
                       int n_features, int n_clusters, const void *centers,
                       const double *sample_weight, ptrdiff_t row_begin,
                       ptrdiff_t row_end, void *scratch, int32_t *label,
                       double *min_dist, double *partial);

    /* k-means++ step for n_centers candidates c_t (n_centers x D, working
     * precision): m_it = min(min_dist[i], |x_i - c_t|^2) (computed in double);
     * INOUT partial[t] += sum_i w_i m_it (rows in order); with update != 0 (one
     * candidate only, else FGMM_EINVAL) min_dist = m_i0.  The candidates share one
     * read of each block of rows: the greedy seeding's trials cost one pass, not
     * one each.  TMP scratch (fgmm_nearest_scratch_bytes). */
    int (*nearest_update)(const void *X, ptrdiff_t row_stride, ptrdiff_t col_stride,
                          int n_features, int n_centers, const void *centers,
                          const double *sample_weight, ptrdiff_t row_begin,
                          ptrdiff_t row_end, void *scratch, double *min_dist,
                          int update, double *partial);
} fgmm_kernels;

/* Instruction sets the kernels are built for (x86-64; elsewhere only BASELINE).
 * Each is a separately compiled instantiation of the same code (isa_*.c):
 *   BASELINE  what the compiler targets by default (x86-64: SSE2)
 *   AVX2      AVX2 + FMA (Haswell, Zen 1 and later)
 *   AVX512    AVX-512 F/DQ/BW/VL + AVX2 + FMA (Skylake-SP, Ice Lake, Zen 4 and later);
 *             a kernel that measured no faster than its AVX2 build is taken from
 *             AVX2 inside this table (fgmm_kernel_isa tells which). */
enum fgmm_isa { FGMM_ISA_BASELINE = 0, FGMM_ISA_AVX2 = 1, FGMM_ISA_AVX512 = 2, FGMM_N_ISA = 3 };

/* Kernels of a table, in their order (for fgmm_kernel_isa). */
enum fgmm_kernel_id {
    FGMM_KERNEL_EM_ROWS, FGMM_KERNEL_SCORE_ROWS, FGMM_KERNEL_KMEANS_ROWS,
    FGMM_KERNEL_NEAREST_UPDATE, FGMM_N_KERNELS
};

/* "baseline", "avx2", "avx512"; NULL for an unknown code. */
const char *fgmm_isa_name(int isa);
/* Non-zero if the instruction set was compiled into this library. */
int fgmm_isa_compiled(int isa);
/* Non-zero if it was compiled in and this CPU (and OS) can run it. */
int fgmm_isa_supported(int isa);
/* The best supported instruction set (what fgmm_kernels_for uses). */
int fgmm_isa_best(void);
/* The kernels for dtype in instruction set isa; NULL for an unknown dtype or an
 * instruction set that is not compiled in or that this CPU cannot run. */
const fgmm_kernels *fgmm_kernels_for_isa(int dtype, int isa);
/* The kernels for dtype on this CPU (fgmm_isa_best()), NULL for an unknown dtype. */
const fgmm_kernels *fgmm_kernels_for(int dtype);
/* The instruction set that kernel (an fgmm_kernel_id) of table (dtype, isa) was
 * compiled for, -1 for unknown arguments or an instruction set not compiled in. */
int fgmm_kernel_isa(int dtype, int isa, int kernel);

/* Build facts for bug reports: the C compiler (its __VERSION__, with "clang " in
 * front for clang) and the _OPENMP date it compiled the core with (0: none). */
const char *fgmm_compiler(void);
long fgmm_openmp_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTGMM_H */
