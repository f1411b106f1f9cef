/* The C core for the compiler's default target (baseline x86-64: SSE2), compiled
 * with no -m flag of its own; kernels.c dispatches.  See setup.py (ISA_FLAGS). */
#include "dispatch.h"
#define FGMM_EXPORT_KERNELS 1
#define ISA _base
#include "instantiate.h"
