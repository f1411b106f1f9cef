/*
 * Instantiates the fastgmm C core (kernels_impl.h) for double and float, once for
 * baseline x86-64 (SSE2) and once for AVX2+FMA, and hands out the table of kernels
 * matching a dtype and the CPU's features.  A portable wheel thus uses the machine's
 * vector units without -march=native.  The target pragma applies to every helper in
 * the instantiation, so nothing on the hot path silently runs the baseline code.
 * Whole-program -ffast-math is never used: the log-sum-exp relies on IEEE infinities.
 */
#include "fastgmm.h"
#include "layout.h"
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
#endif

const fgmm_kernels *fgmm_kernels_for(int dtype)
{
#ifdef FGMM_X86_DISPATCH
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return dtype == FGMM_FLOAT64 ? &kernels_d_avx2
               : dtype == FGMM_FLOAT32 ? &kernels_f_avx2 : NULL;
#endif
    return dtype == FGMM_FLOAT64 ? &kernels_d_base
           : dtype == FGMM_FLOAT32 ? &kernels_f_base : NULL;
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
    if (D < 1 || K < 1) return 0;
    return fgmm_em_scratch(D, K).total * dtype_size(dtype);
}

size_t fgmm_kmeans_scratch_bytes(int dtype, int D, int K)
{
    if (D < 1 || K < 1) return 0;
    return fgmm_kmeans_scratch(D).total * dtype_size(dtype);
}
