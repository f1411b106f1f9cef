/*
 * Dispatch of the fastgmm C core.  The core (kernels_impl.h) is instantiated for
 * double and float once per instruction set, each in its own translation unit
 * compiled with that instruction set's flags (isa_base.c: the compiler's default
 * target; isa_avx2.c: -mavx2 -mfma; isa_avx512.c: -mavx512f/dq/bw/vl; setup.py
 * compiles them and defines FGMM_HAVE_AVX2 / FGMM_HAVE_AVX512 for those it built).
 * Whole units rather than per-function target attributes or `#pragma GCC target`
 * (which clang ignores): every helper, inlined or not, and every auto-vectorised
 * loop is compiled for the unit's instruction set by any GCC-compatible compiler,
 * and the vector width and register tiles follow the compiler's own __AVX2__ /
 * __AVX512F__ macros.  The units share no symbol but the prefixed ones declared in
 * dispatch.h (every helper is static), so no baseline caller can be linked to an
 * AVX-512 copy of a helper.
 *
 * This unit, compiled with the default target, picks a table per dtype and CPU; a
 * portable wheel thus uses the machine's vector units without -march=native.
 * Whole-program -ffast-math is never used: the log-sum-exp relies on IEEE infinities.
 */
#include "dispatch.h"
#include "layout.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(FGMM_NO_DISPATCH)
#define FGMM_X86_DISPATCH 1
#else
#undef FGMM_HAVE_AVX2
#undef FGMM_HAVE_AVX512
#endif

#define T_CAT2(a, b) a##b
#define T_CAT(a, b) T_CAT2(a, b)
#define ISA_CODE_base FGMM_ISA_BASELINE
#define ISA_CODE_avx2 FGMM_ISA_AVX2
#define ISA_CODE_avx512 FGMM_ISA_AVX512

/* A table whose kernels come from the instruction sets named per kernel. */
#define TABLE(suf, em, score, km, near)                         \
    {                                                           \
        T_CAT(fgmm_em_rows##suf##_, em),                        \
        T_CAT(fgmm_score_rows##suf##_, score),                  \
        T_CAT(fgmm_kmeans_rows##suf##_, km),                    \
        T_CAT(fgmm_nearest_update##suf##_, near)                \
    }
#define CODES(em, score, km, near)                                                  \
    {                                                                               \
        T_CAT(ISA_CODE_, em), T_CAT(ISA_CODE_, score), T_CAT(ISA_CODE_, km),        \
        T_CAT(ISA_CODE_, near)                                                      \
    }

/* Per kernel and dtype (em_rows, score_rows, kmeans_rows, nearest_update), the
 * instruction set the AVX-512 table takes it from: avx512 where that build measured
 * faster than AVX2, else avx2.  Measured with benchmarks/isa_kernels.py (one thread,
 * medians of 11 interleaved runs, K=16, D=2, 16, 64; Xeon Sapphire Rapids, GCC 13):
 * avx512/avx2 time em 0.68-0.84, score 0.48-0.72, kmeans 0.72-0.84, nearest 0.95-1.29
 * (memory-bound, and its rows are assembled lane by lane: no gain from wider lanes). */
#define AVX512_D avx512, avx512, avx512, avx2
#define AVX512_F avx512, avx512, avx512, avx2

#define TABLE_X(suf, ...) TABLE(suf, __VA_ARGS__)
#define CODES_X(...) CODES(__VA_ARGS__)

static const fgmm_kernels *const baseline_tables[2] = {&fgmm_kernels_d_base,
                                                       &fgmm_kernels_f_base};
static const int baseline_codes[FGMM_N_KERNELS] = CODES(base, base, base, base);
#ifdef FGMM_HAVE_AVX2
static const fgmm_kernels *const avx2_tables[2] = {&fgmm_kernels_d_avx2,
                                                   &fgmm_kernels_f_avx2};
static const int avx2_codes[FGMM_N_KERNELS] = CODES(avx2, avx2, avx2, avx2);
#endif
#ifdef FGMM_HAVE_AVX512
static const fgmm_kernels avx512_d = TABLE_X(_d, AVX512_D);
static const fgmm_kernels avx512_f = TABLE_X(_f, AVX512_F);
static const fgmm_kernels *const avx512_tables[2] = {&avx512_d, &avx512_f};
static const int avx512_codes[2][FGMM_N_KERNELS] = {CODES_X(AVX512_D), CODES_X(AVX512_F)};
#endif

const char *fgmm_isa_name(int isa)
{
    static const char *const names[FGMM_N_ISA] = {"baseline", "avx2", "avx512"};
    return isa >= 0 && isa < FGMM_N_ISA ? names[isa] : NULL;
}

int fgmm_isa_compiled(int isa)
{
    switch (isa) {
    case FGMM_ISA_BASELINE: return 1;
#ifdef FGMM_HAVE_AVX2
    case FGMM_ISA_AVX2: return 1;
#endif
#ifdef FGMM_HAVE_AVX512
    case FGMM_ISA_AVX512: return 1;
#endif
    default: return 0;
    }
}

int fgmm_isa_supported(int isa)
{
    if (!fgmm_isa_compiled(isa)) return 0;
#ifdef FGMM_X86_DISPATCH
    /* __builtin_cpu_supports also requires the OS to save the vector state
     * (XGETBV) for AVX and AVX-512. */
    switch (isa) {
    case FGMM_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case FGMM_ISA_AVX512:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
               && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
               && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    default: break;
    }
#endif
    return isa == FGMM_ISA_BASELINE;
}

int fgmm_isa_best(void)
{
    for (int isa = FGMM_N_ISA - 1; isa > FGMM_ISA_BASELINE; isa--)
        if (fgmm_isa_supported(isa)) return isa;
    return FGMM_ISA_BASELINE;
}

const fgmm_kernels *fgmm_kernels_for_isa(int dtype, int isa)
{
    if ((dtype != FGMM_FLOAT64 && dtype != FGMM_FLOAT32) || !fgmm_isa_supported(isa))
        return NULL;
    const int t = dtype == FGMM_FLOAT64 ? 0 : 1;
    switch (isa) {
#ifdef FGMM_HAVE_AVX2
    case FGMM_ISA_AVX2: return avx2_tables[t];
#endif
#ifdef FGMM_HAVE_AVX512
    case FGMM_ISA_AVX512: return avx512_tables[t];
#endif
    default: return baseline_tables[t];
    }
}

const fgmm_kernels *fgmm_kernels_for(int dtype)
{
    return fgmm_kernels_for_isa(dtype, fgmm_isa_best());
}

int fgmm_kernel_isa(int dtype, int isa, int kernel)
{
    if ((dtype != FGMM_FLOAT64 && dtype != FGMM_FLOAT32) || kernel < 0
        || kernel >= FGMM_N_KERNELS || !fgmm_isa_compiled(isa))
        return -1;
    switch (isa) {
#ifdef FGMM_HAVE_AVX2
    case FGMM_ISA_AVX2: return avx2_codes[kernel];
#endif
#ifdef FGMM_HAVE_AVX512
    case FGMM_ISA_AVX512: return avx512_codes[dtype == FGMM_FLOAT64 ? 0 : 1][kernel];
#endif
    default: return baseline_codes[kernel];
    }
}

/* ---- build facts --------------------------------------------------------------- */
const char *fgmm_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(__VERSION__)
    return __VERSION__;
#else
    return "unknown";
#endif
}

long fgmm_openmp_version(void)
{
#ifdef _OPENMP
    return (long)_OPENMP;
#else
    return 0;
#endif
}

/* ---- layouts and sizes (independent of the instruction set) -------------------- */
int fgmm_stats_layout_init(int D, int K, int cov_type, fgmm_stats_layout *layout)
{
    return layout ? fgmm_stats_offsets(D, K, cov_type, layout) : FGMM_EINVAL;
}

static size_t dtype_size(int dtype)
{
    return dtype == FGMM_FLOAT64 ? sizeof(double) : dtype == FGMM_FLOAT32 ? sizeof(float) : 0;
}

size_t fgmm_em_scratch_bytes(int dtype, int D, int K)
{
    if (D < 1 || K < 1 || !dtype_size(dtype)) return 0;
    return fgmm_em_scratch(D, K).total * dtype_size(dtype) + FGMM_SCRATCH_ALIGN;
}

size_t fgmm_kmeans_scratch_bytes(int dtype, int D, int K)
{
    if (D < 1 || K < 1 || !dtype_size(dtype)) return 0;
    return fgmm_kmeans_scratch(D).total * dtype_size(dtype) + FGMM_SCRATCH_ALIGN;
}

size_t fgmm_nearest_scratch_bytes(int D)
{
    if (D < 1) return 0;
    return fgmm_nearest_scratch(D).total * sizeof(double) + FGMM_SCRATCH_ALIGN;
}
