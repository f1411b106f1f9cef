# Deterministic parallel passes over the rows of a matrix (see _parallel.pyx).

# Processes rows [row_begin, row_end) with the thread's scratch; adds into partial
# (NULL for passes that only write per-row outputs).  Returns an fgmm_status code.
ctypedef int (*chunk_fn_t)(const void *ctx, Py_ssize_t row_begin,
                           Py_ssize_t row_end, void *scratch,
                           double *partial) noexcept nogil

cdef object reduce_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                             Py_ssize_t partial_len, size_t scratch_bytes,
                             int n_threads)

cdef int map_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                       size_t scratch_bytes, int n_threads) except -1
