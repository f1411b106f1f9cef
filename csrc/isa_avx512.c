/* The C core for AVX-512 (F, DQ, BW, VL) + AVX2 + FMA, compiled with those -m flags
 * and 512-bit auto-vectorisation (setup.py, ISA_FLAGS). */
#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__AVX512BW__) \
    || !defined(__AVX512VL__) || !defined(__FMA__)
#error "isa_avx512.c must be compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma"
#endif
#include "dispatch.h"
#define FGMM_EXPORT_KERNELS 1
#define ISA _avx512
#include "instantiate.h"
