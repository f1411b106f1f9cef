/* The C core for AVX2 + FMA, compiled with -mavx2 -mfma (setup.py, ISA_FLAGS). */
#if !defined(__AVX2__) || !defined(__FMA__)
#error "isa_avx2.c must be compiled with -mavx2 -mfma"
#endif
#include "dispatch.h"
#define FGMM_EXPORT_KERNELS 1
#define ISA _avx2
#include "instantiate.h"
