# Design: deterministic parallel passes over the rows of a matrix.
#
# Rows are cut into chunks of CHUNK_ROWS (a multiple of the C core's block).  A
# reduction pass gives every chunk its own zeroed partial buffer, runs the chunks
# across OpenMP threads (prange, GIL released, one malloc'ed scratch per thread) and
# then adds the partials into the total in chunk order.  Chunks run in waves of at
# most `wave` chunks so that partial memory stays under PARTIAL_BUDGET bytes.  Chunk
# boundaries, wave size and summation order depend only on (n_rows, partial_len),
# never on the number of threads or on which thread finished first, so results are
# bitwise identical for any thread count.  Between waves the GIL is taken briefly to
# check for signals, so Ctrl-C interrupts a long pass within one wave (a wave is at
# most MAX_WAVE chunks: tens of milliseconds at typical sizes).
import numpy as np

from cython.parallel cimport parallel, prange
from libc.stdlib cimport free, malloc
from libc.string cimport memset
from cpython.exc cimport PyErr_CheckSignals

from ._csrc cimport FGMM_BLOCK, FGMM_ENOMEM, FGMM_OK

cdef Py_ssize_t CHUNK_ROWS = 8 * FGMM_BLOCK
cdef Py_ssize_t PARTIAL_BUDGET = 32 * 1024 * 1024
cdef Py_ssize_t MAX_WAVE = 64


def plan_waves(Py_ssize_t n_rows, Py_ssize_t partial_len):
    """Chunking of a reduction pass: (chunk_rows, n_chunks, wave).

    Depends only on its arguments, which is what makes passes deterministic.
    """
    cdef Py_ssize_t n_chunks = (n_rows + CHUNK_ROWS - 1) // CHUNK_ROWS
    cdef Py_ssize_t wave = PARTIAL_BUDGET // (8 * max(partial_len, 1))
    wave = max(1, min(wave, MAX_WAVE))
    # An even (or multiple-of-8) wave splits evenly over 2 (or 8, 16) threads.
    if wave >= 8:
        wave -= wave % 8
    elif wave >= 2:
        wave -= wave % 2
    return CHUNK_ROWS, n_chunks, max(1, min(wave, n_chunks))


cdef void _run_wave(chunk_fn_t fn, const void *ctx, Py_ssize_t first_chunk,
                    Py_ssize_t n_wave, Py_ssize_t chunk_rows, Py_ssize_t n_rows,
                    double *partials, Py_ssize_t partial_len, size_t scratch_bytes,
                    int n_threads, int *status) noexcept nogil:
    """Run the wave's chunks; status[c] receives chunk c's fgmm_status (one slot
    per chunk, so no two threads ever write the same word)."""
    cdef void *scratch
    cdef Py_ssize_t c, r0, r1
    with parallel(num_threads=n_threads):
        scratch = malloc(scratch_bytes)
        for c in prange(n_wave, schedule='dynamic'):
            if scratch == NULL:
                status[c] = FGMM_ENOMEM
            else:
                r0 = (first_chunk + c) * chunk_rows
                r1 = min(r0 + chunk_rows, n_rows)
                status[c] = fn(ctx, r0, r1, scratch,
                               partials + c * partial_len if partials != NULL else NULL)
        free(scratch)


cdef int _check_status(const int[::1] status) except -1:
    """Raise the exception for the first failed chunk's code."""
    cdef Py_ssize_t c
    for c in range(status.shape[0]):
        if status[c] == FGMM_ENOMEM:
            raise MemoryError("fastgmm: could not allocate per-thread scratch")
        if status[c] != FGMM_OK:
            raise ValueError(f"fastgmm: a kernel refused its arguments (status "
                             f"{status[c]}: sizes, covariance code or a missing "
                             "buffer); this is a bug in the caller of the C core")
    return 0


cdef object reduce_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                             Py_ssize_t partial_len, size_t scratch_bytes,
                             int n_threads):
    """Sum of fn's partials over all rows, in chunk order (float64, partial_len)."""
    cdef Py_ssize_t chunk_rows, n_chunks, wave
    chunk_rows, n_chunks, wave = plan_waves(n_rows, partial_len)
    total = np.zeros(partial_len, dtype=np.float64)
    partials = np.empty((wave, partial_len), dtype=np.float64)
    status = np.zeros(wave, dtype=np.intc)
    cdef double[::1] tot = total
    cdef double[:, ::1] part = partials
    cdef int[::1] st = status
    cdef Py_ssize_t w0, nw, c, e
    for w0 in range(0, n_chunks, wave):
        nw = min(wave, n_chunks - w0)
        with nogil:
            memset(&part[0, 0], 0, nw * partial_len * sizeof(double))
            _run_wave(fn, ctx, w0, nw, chunk_rows, n_rows, &part[0, 0], partial_len,
                      scratch_bytes, <int>min(n_threads, nw), &st[0])
            # ordered reduction: the same sums in the same order for any thread count
            for c in range(nw):
                for e in range(partial_len):
                    tot[e] += part[c, e]
        _check_status(st[:nw])
        PyErr_CheckSignals()  # raises KeyboardInterrupt after Ctrl-C
    return total


cdef int map_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                       size_t scratch_bytes, int n_threads) except -1:
    """Run fn over all rows in parallel, in waves of MAX_WAVE chunks (signals are
    checked between waves); fn writes per-row outputs only."""
    cdef Py_ssize_t n_chunks = (n_rows + CHUNK_ROWS - 1) // CHUNK_ROWS
    cdef Py_ssize_t w0, nw
    status = np.zeros(MAX_WAVE, dtype=np.intc)
    cdef int[::1] st = status
    for w0 in range(0, n_chunks, MAX_WAVE):
        nw = min(MAX_WAVE, n_chunks - w0)
        with nogil:
            _run_wave(fn, ctx, w0, nw, CHUNK_ROWS, n_rows, NULL, 0, scratch_bytes,
                      <int>max(1, min(n_threads, nw)), &st[0])
        _check_status(st[:nw])
        PyErr_CheckSignals()
    return 0
