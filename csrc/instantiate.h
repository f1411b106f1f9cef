/*
 * Instantiates kernels_impl.h for double (suffix _d) and float (suffix _f) with the
 * instruction-set suffix ISA defined by the includer.  Included once by each
 * instruction-set unit isa_*.c (and by tests/c/check_math.c to test the math helpers
 * directly).
 * kernels_impl.h undefines its parameters when done.
 */
#define REAL double
#define SUF _d
#define UINT uint64_t
#define SINT int64_t
#define MANT_BITS 52
#define EXP_CUTOFF (-700.0)
#define EXP_NCOEF 14
#define SQRT sqrt
#define LOG_NTERMS 11
#include "kernels_impl.h"

#define REAL float
#define SUF _f
#define UINT uint32_t
#define SINT int32_t
#define MANT_BITS 23
#define EXP_CUTOFF (-80.0f)
#define EXP_NCOEF 8
#define SQRT sqrtf
#define LOG_NTERMS 5
#include "kernels_impl.h"
