# Design: the OpenMP shim.  Compiles with or without OpenMP (then everything runs
# serially); answers whether OpenMP was compiled in and resolves the thread count.

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define FGMM_HAVE_OPENMP 1
    static int fgmm_omp_max_threads(void) { return omp_get_max_threads(); }
    #else
    #define FGMM_HAVE_OPENMP 0
    static int fgmm_omp_max_threads(void) { return 1; }
    #endif
    """
    int FGMM_HAVE_OPENMP
    int fgmm_omp_max_threads() nogil


def openmp_enabled():
    """True when fastgmm was compiled with OpenMP (parallel kernels)."""
    return bool(FGMM_HAVE_OPENMP)


def effective_n_threads(n_threads=None):
    """Number of threads the kernels will use.

    ``None`` means what OpenMP would use: ``OMP_NUM_THREADS`` or the number of
    cores, lowered by any active ``threadpoolctl`` OpenMP limit.  A positive int is
    taken as is (capped at 1 without OpenMP).
    """
    if n_threads is None:
        return max(1, fgmm_omp_max_threads())
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int,)) and not (
            hasattr(n_threads, "__index__")):
        raise ValueError(f"n_threads must be None or a positive int, got {n_threads!r}")
    n = int(n_threads)
    if n < 1:
        raise ValueError(f"n_threads must be None or a positive int, got {n_threads!r}")
    return n if FGMM_HAVE_OPENMP else 1
