/*
 * Per-kernel benchmark of the C core, one thread, no Python: every instruction set
 * compiled in runs the same kernel on the same data back to back.
 * Built and driven by benchmarks/isa_kernels.py (which also runs it under callgrind).
 *
 *   isa_bench KERNEL COV DTYPE D K N REPS ISA[,ISA...]
 *     KERNEL em|score|kmeans|nearest   COV full|tied|diag|spherical
 *     DTYPE float64|float32            ISA baseline|avx2|avx512
 *   prints one line per ISA: "isa seconds_median checksum" (the checksum lets the
 *   driver see that the instruction sets agree).
 *
 * Data: K blobs (centers 3 * N(0,1), unit noise), parameters near the blobs (means
 * off by 0.3 N(0,1), unit precisions, equal weights): a separated, realistic case.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fastgmm.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((rng_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double nrand(void) { return sqrt(-2 * log(urand())) * cos(6.283185307179586 * urand()); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    int kernel, dtype, D, K, N;
    const fgmm_kernels *kern;
    fgmm_params params;
    void *X, *centers, *scratch, *out_real;
    double *partial, *min_dist;
    int64_t *label64;
    int32_t *label32;
    size_t partial_len;
} job;

/* The measured region (callgrind: --toggle-collect=run_once). */
__attribute__((noinline)) int run_once(job *j)
{
    switch (j->kernel) {
    case 0:
        return j->kern->em_rows(&j->params, j->X, j->D, 1, NULL, 0, j->N, j->scratch,
                                j->partial);
    case 1:
        return j->kern->score_rows(&j->params, j->X, j->D, 1, 0, j->N, j->scratch, NULL,
                                   NULL, j->out_real, j->label64);
    case 2:
        return j->kern->kmeans_rows(j->X, j->D, 1, j->D, j->K, j->centers, NULL, 0, j->N,
                                    j->scratch, j->label32, j->min_dist, j->partial);
    default:
        return j->kern->nearest_update(j->X, j->D, 1, j->D, 1, j->centers, NULL, 0, j->N,
                                       j->scratch, j->min_dist, 1, j->partial);
    }
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: isa_bench KERNEL COV DTYPE D K N REPS ISA[,ISA...]\n");
        return 2;
    }
    static const char *kernels[] = {"em", "score", "kmeans", "nearest"};
    static const char *covs[] = {"full", "tied", "diag", "spherical"};
    job j;
    memset(&j, 0, sizeof j);
    j.kernel = -1;
    for (int i = 0; i < 4; i++) if (!strcmp(argv[1], kernels[i])) j.kernel = i;
    int cov = -1;
    for (int i = 0; i < 4; i++) if (!strcmp(argv[2], covs[i])) cov = i;
    j.dtype = !strcmp(argv[3], "float32") ? FGMM_FLOAT32 : FGMM_FLOAT64;
    j.D = atoi(argv[4]); j.K = atoi(argv[5]); j.N = atoi(argv[6]);
    const int reps = atoi(argv[7]);
    if (j.kernel < 0 || cov < 0 || j.D < 1 || j.K < 1 || j.N < 1 || reps < 1) return 2;
    const int D = j.D, K = j.K, N = j.N, f32 = j.dtype == FGMM_FLOAT32;
    const size_t es = f32 ? sizeof(float) : sizeof(double);

    /* data and parameters, generated in double */
    double *centers = malloc(sizeof(double) * K * D), *Xd = malloc(sizeof(double) * N * D);
    for (int i = 0; i < K * D; i++) centers[i] = 3 * nrand();
    for (int n = 0; n < N; n++) {
        const int k = (int)(urand() * K) % K;
        for (int i = 0; i < D; i++) Xd[(size_t)n * D + i] = centers[k * D + i] + nrand();
    }
    const int S = cov == 0 ? K * D * D : cov == 1 ? D * D : cov == 2 ? K * D : K;
    double *means = malloc(sizeof(double) * K * D), *prec = calloc(S, sizeof(double));
    double *lognorm = malloc(sizeof(double) * K);
    for (int i = 0; i < K * D; i++) means[i] = centers[i] + 0.3 * nrand();
    if (cov <= 1)
        for (int k = 0; k < (cov == 0 ? K : 1); k++)
            for (int i = 0; i < D; i++) prec[(size_t)k * D * D + i * D + i] = 1;
    else
        for (int i = 0; i < S; i++) prec[i] = 1;
    for (int k = 0; k < K; k++) lognorm[k] = log(1.0 / K) - 0.5 * D * log(2 * M_PI);
#define CONVERT(dst, src, n)                                                  \
    do {                                                                      \
        dst = malloc(es * (n));                                               \
        for (size_t q = 0; q < (size_t)(n); q++) {                            \
            if (f32) ((float *)dst)[q] = (float)src[q];                       \
            else ((double *)dst)[q] = src[q];                                 \
        }                                                                     \
    } while (0)
    void *mh, *ml, *pr, *ln;
    double *zeros = calloc((size_t)K * D, sizeof(double));
    CONVERT(j.X, Xd, (size_t)N * D);
    CONVERT(mh, means, K * D);
    CONVERT(ml, zeros, K * D);
    CONVERT(pr, prec, S);
    CONVERT(ln, lognorm, K);
    CONVERT(j.centers, means, K * D);
    j.params = (fgmm_params){j.dtype, D, K, cov, mh, ml, pr, ln, 0, NULL, NULL};
    fgmm_stats_layout sl;
    fgmm_stats_layout_init(D, K, cov, &sl);
    j.partial_len = (size_t)sl.offset[FGMM_N_STAT_FIELDS] + 1 + K + (size_t)K * D;
    j.partial = calloc(j.partial_len, sizeof(double));
    size_t sb = fgmm_em_scratch_bytes(j.dtype, D, K), kb = fgmm_kmeans_scratch_bytes(j.dtype, D, K);
    const size_t nbytes = fgmm_nearest_scratch_bytes(D);
    if (kb > sb) sb = kb;
    j.scratch = malloc(sb > nbytes ? sb : nbytes);
    j.out_real = malloc(es * N);
    j.label64 = malloc(sizeof(int64_t) * N);
    j.label32 = malloc(sizeof(int32_t) * N);
    j.min_dist = malloc(sizeof(double) * N);

    /* the instruction sets run interleaved, rep by rep (ABCABC...), so a change of
     * clock or load in the middle of the run hits them alike */
    int isa_list[FGMM_N_ISA], n_isa = 0;
    const fgmm_kernels *tables[FGMM_N_ISA];
    char *isas = argv[8];
    for (char *name = strtok(isas, ","); name; name = strtok(NULL, ",")) {
        int isa = -1;
        for (int i = 0; i < FGMM_N_ISA; i++)
            if (!strcmp(name, fgmm_isa_name(i))) isa = i;
        const fgmm_kernels *t = isa >= 0 ? fgmm_kernels_for_isa(j.dtype, isa) : NULL;
        if (!t) {
            printf("%s unavailable\n", name);
            continue;
        }
        if (n_isa < FGMM_N_ISA) {
            isa_list[n_isa] = isa;
            tables[n_isa++] = t;
        }
    }
    double *times = malloc(sizeof(double) * reps * (n_isa ? n_isa : 1));
    double checks[FGMM_N_ISA];
    for (int r = 0; r < reps; r++) {
        for (int q = 0; q < n_isa; q++) {
            j.kern = tables[q];
            for (int n = 0; n < N; n++) j.min_dist[n] = INFINITY;
            memset(j.partial, 0, j.partial_len * sizeof(double));
            const double t0 = now();
            if (run_once(&j) != FGMM_OK) {
                printf("%s error\n", fgmm_isa_name(isa_list[q]));
                return 1;
            }
            times[q * reps + r] = now() - t0;
            double check = 0;
            for (size_t e = 0; e < j.partial_len; e++) check += j.partial[e];
            if (j.kernel == 1)
                for (int n = 0; n < N; n++)
                    check += f32 ? ((float *)j.out_real)[n] : ((double *)j.out_real)[n];
            checks[q] = check;
        }
    }
    for (int q = 0; q < n_isa; q++) {
        qsort(times + q * reps, reps, sizeof(double), cmp_double);
        printf("%s %.6e %.12e\n", fgmm_isa_name(isa_list[q]), times[q * reps + reps / 2],
               checks[q]);
    }
    return 0;
}
