# Design: deterministic parallel passes over the rows of a matrix.
#
# Rows are cut into chunks of CHUNK_ROWS (a multiple of the C core's block); chunk
# boundaries depend only on n_rows.  A pass is ONE OpenMP parallel region: each thread
# mallocs its scratch, then repeatedly claims the next chunk (an atomic counter, so
# chunks are claimed in increasing order), runs it and claims again; no barrier
# until the region ends, so no thread waits for another while there is work.
#
# Reductions (reduce_over_rows).  A chunk adds its statistics into a zeroed partial
# buffer, a SLOT of a ring of n_slots; chunk c uses slot c % n_slots.  When a chunk is
# done its slot is marked ready and the thread tries to become the (single) reducer:
# the reducer adds ready slots into the total in CHUNK ORDER (chunk r only after
# chunk r - 1), each addition element by element, and frees the slot.  So the total
# is, bit for bit, ((0 + p_0) + p_1) + ... + p_{n-1} with p_c the chunk's partial,
# whatever the thread count, the slot count or which thread ran or reduced what:
# results are bitwise identical for any number of threads.  The ring lets chunks
# finish out of order: a thread may claim chunk c once chunk c - n_slots has been
# reduced (its slot is free); only a thread that is n_slots - n_threads chunks ahead
# of a straggler waits, passively (sched_yield, then sleeps of 20 us growing to
# ~1 ms), never spinning.  The reduction is serial but overlaps the other threads'
# chunks; it costs one pass over a partial per chunk, 1-3% of the chunk's work at
# any D and K (partial length ~ K D^2 / 2 doubles against ~2 * 1024 K D^2 flops).
#
# Memory.  Besides the total, the slots take n_slots * partial_bytes where
#   n_slots = min(n_chunks, max(T + 1, min(PARTIAL_BUDGET // partial_bytes,
#                                          max(MAX_SLOTS = 64, 4T))))
# (T = threads, 1 slot when T = 1): at most max(PARTIAL_BUDGET, (T + 1) *
# partial_bytes).  Small partials get a deep ring (up to max(64, 4T) chunks of slack
# against stragglers inside 32 MiB); a large partial (D=384, K=64 full: 38 MB) gets
# T + 1 slots, one per thread plus one, because every thread needs a partial to work
# at all: the price of all cores busy is T + 1 partials (n_threads bounds it).
# Per thread: its scratch (the C core's fgmm_em_scratch_bytes).
#
# Signals.  The thread that called the pass (OpenMP thread 0) takes the GIL for a
# moment, at most every SIGNAL_INTERVAL seconds between its chunks (and while it
# waits for a slot), and checks for signals; after Ctrl-C every thread stops
# claiming chunks, finishes the one it runs, and the pass raises KeyboardInterrupt.
# Only a pass called from the main Python thread checks (elsewhere Python never
# runs signal handlers).
#
# Map passes (map_over_rows: per-row outputs only) are the same region without
# partials.  Errors: a failed chunk stops the claiming of new chunks and the pass
# raises for the failed chunk with the lowest index.
import threading

import numpy as np

from libc.string cimport memset

from ._csrc cimport FGMM_BLOCK, FGMM_ENOMEM, FGMM_OK

cdef Py_ssize_t CHUNK_ROWS = 8 * FGMM_BLOCK
cdef Py_ssize_t PARTIAL_BUDGET = 32 * 1024 * 1024
cdef Py_ssize_t MAX_SLOTS = 64
cdef double SIGNAL_INTERVAL = 0.02

cdef extern from *:
    """
    #include <stdlib.h>
    #include <string.h>
    #ifdef _OPENMP
    #include <omp.h>
    #endif
    #if defined(_WIN32)
    #include <windows.h>
    #else
    #include <sched.h>
    #include <time.h>
    #endif

    typedef int (*fgmm_chunk_fn_c)(const void *, Py_ssize_t, Py_ssize_t, void *,
                                   double *);

    /* Sequentially consistent atomics on Py_ssize_t (the scheduler's shared words). */
    #if defined(__GNUC__) || defined(__clang__)
    static inline Py_ssize_t fgmm_ld(Py_ssize_t *p)
    { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
    static inline void fgmm_st(Py_ssize_t *p, Py_ssize_t v)
    { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
    static inline Py_ssize_t fgmm_fadd(Py_ssize_t *p, Py_ssize_t v)
    { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
    static inline int fgmm_cas(Py_ssize_t *p, Py_ssize_t expected, Py_ssize_t desired)
    { return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST); }
    #else  /* other compilers: one OpenMP critical section (with its flushes) */
    static Py_ssize_t fgmm_ld(Py_ssize_t *p)
    { Py_ssize_t v;
      #pragma omp critical(fgmm_atomic)
      v = *(volatile Py_ssize_t *)p;
      return v; }
    static void fgmm_st(Py_ssize_t *p, Py_ssize_t v)
    {
      #pragma omp critical(fgmm_atomic)
      *(volatile Py_ssize_t *)p = v;
    }
    static Py_ssize_t fgmm_fadd(Py_ssize_t *p, Py_ssize_t v)
    { Py_ssize_t old;
      #pragma omp critical(fgmm_atomic)
      { old = *(volatile Py_ssize_t *)p; *(volatile Py_ssize_t *)p = old + v; }
      return old; }
    static int fgmm_cas(Py_ssize_t *p, Py_ssize_t expected, Py_ssize_t desired)
    { int ok;
      #pragma omp critical(fgmm_atomic)
      { ok = *(volatile Py_ssize_t *)p == expected;
        if (ok) *(volatile Py_ssize_t *)p = desired; }
      return ok; }
    #endif

    typedef struct {
        /* the pass */
        fgmm_chunk_fn_c fn;
        const void *ctx;
        Py_ssize_t n_rows, chunk_rows, n_chunks;
        Py_ssize_t partial_len;      /* 0: a map pass (no partials) */
        Py_ssize_t n_slots;
        size_t scratch_bytes;
        double *total;               /* partial_len doubles, zeroed */
        double *slots;               /* n_slots x partial_len */
        Py_ssize_t *ready;           /* n_slots: 1 + the chunk whose partial is ready */
        int n_threads;
        int check_signals;           /* thread 0 may take the GIL to check signals */
        double signal_interval;
        /* shared scheduler state */
        Py_ssize_t next_chunk;       /* next chunk to claim */
        Py_ssize_t next_reduce;      /* chunks [0, next_reduce) are in the total */
        Py_ssize_t reducing;         /* 1 while a thread reduces */
        Py_ssize_t stop;             /* error or interrupt: claim no more chunks */
        /* outcome */
        Py_ssize_t err_chunk;        /* lowest failed chunk, -1 if none */
        int err_code;
        int interrupted;             /* PyErr_CheckSignals raised (exception set) */
        /* instrumentation: waits for a free slot (all threads together) */
        Py_ssize_t n_waits;
    } fgmm_pass;

    static double fgmm_now(void)
    {
    #ifdef _OPENMP
        return omp_get_wtime();
    #elif defined(_WIN32)
        return (double)GetTickCount64() * 1e-3;
    #else
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    #endif
    }

    /* Passive wait: give the core away (a yield, then sleeps of 20 us doubling up to
       1.28 ms), so that a waiting thread never takes cycles from other processes. */
    static void fgmm_backoff(int *round)
    {
        int r = (*round)++;
    #if defined(_WIN32)
        Sleep(r < 2 ? 0 : 1);
    #else
        if (r < 2) { sched_yield(); return; }
        r -= 2;
        struct timespec ts = {0, 20000L << (r < 6 ? r : 6)};
        nanosleep(&ts, NULL);
    #endif
    }

    static int fgmm_check_signals(void)
    {
        PyGILState_STATE g = PyGILState_Ensure();
        int rc = PyErr_CheckSignals();
        PyGILState_Release(g);
        return rc;
    }

    static void fgmm_fail(fgmm_pass *p, Py_ssize_t chunk, int code)
    {
    #ifdef _OPENMP
        #pragma omp critical(fgmm_pass_error)
    #endif
        {
            if (p->err_chunk < 0 || chunk < p->err_chunk) {
                p->err_chunk = chunk;
                p->err_code = code;
            }
        }
        fgmm_st(&p->stop, 1);
    }

    /* Add ready partials into the total in chunk order, for as long as the next one
       is ready; one reducer at a time.  No ready partial is ever left behind: a
       thread publishes (ready store) before it tries to become the reducer, and the
       reducer re-checks after it lets go (all seq_cst), so either the reducer sees
       the publication or the publisher becomes the reducer. */
    static void fgmm_drain(fgmm_pass *p)
    {
        const Py_ssize_t ns = p->n_slots, len = p->partial_len;
        for (;;) {
            if (!fgmm_cas(&p->reducing, 0, 1)) return;
            Py_ssize_t r = fgmm_ld(&p->next_reduce);
            while (r < p->n_chunks && fgmm_ld(&p->ready[r % ns]) == r + 1) {
                double *restrict t = p->total;
                const double *restrict q = p->slots + (r % ns) * len;
                for (Py_ssize_t e = 0; e < len; e++) t[e] += q[e];
                r++;
                fgmm_st(&p->next_reduce, r);
            }
            fgmm_st(&p->reducing, 0);
            if (r >= p->n_chunks || fgmm_ld(&p->ready[r % ns]) != r + 1) return;
        }
    }

    static void fgmm_worker(fgmm_pass *p, int tid)
    {
        const int master = tid == 0 && p->check_signals;
        double last_check = master ? fgmm_now() : 0.0;
        void *scratch = malloc(p->scratch_bytes > 0 ? p->scratch_bytes : 1);
        if (scratch == NULL) {
            fgmm_fail(p, fgmm_ld(&p->next_chunk), FGMM_ENOMEM);
            return;
        }
        for (;;) {
            if (fgmm_ld(&p->stop)) break;
            const Py_ssize_t c = fgmm_fadd(&p->next_chunk, 1);
            if (c >= p->n_chunks) break;
            double *partial = NULL;
            if (p->partial_len > 0) {
                /* chunk c's slot is free once chunk c - n_slots is in the total */
                int round = 0, waited = 0;
                while (fgmm_ld(&p->next_reduce) + p->n_slots <= c) {
                    if (fgmm_ld(&p->stop)) goto out;
                    if (master && fgmm_now() - last_check >= p->signal_interval) {
                        last_check = fgmm_now();
                        if (fgmm_check_signals() != 0) {
                            p->interrupted = 1;
                            fgmm_st(&p->stop, 1);
                            goto out;
                        }
                    }
                    waited = 1;
                    fgmm_backoff(&round);
                }
                if (waited) fgmm_fadd(&p->n_waits, 1);
                partial = p->slots + (c % p->n_slots) * p->partial_len;
                memset(partial, 0, (size_t)p->partial_len * sizeof(double));
            }
            const Py_ssize_t r0 = c * p->chunk_rows;
            const Py_ssize_t r1 = r0 + p->chunk_rows < p->n_rows ? r0 + p->chunk_rows
                                                                 : p->n_rows;
            const int rc = p->fn(p->ctx, r0, r1, scratch, partial);
            if (rc != FGMM_OK) {
                fgmm_fail(p, c, rc);
                break;
            }
            if (partial != NULL) {
                fgmm_st(&p->ready[c % p->n_slots], c + 1);
                fgmm_drain(p);
            }
            if (master && fgmm_now() - last_check >= p->signal_interval) {
                last_check = fgmm_now();
                if (fgmm_check_signals() != 0) {
                    p->interrupted = 1;
                    fgmm_st(&p->stop, 1);
                    break;
                }
            }
        }
    out:
        free(scratch);
    }

    /* The whole pass: one parallel region.  Call without the GIL. */
    static void fgmm_run_pass(fgmm_pass *p)
    {
        p->next_chunk = 0;
        p->next_reduce = 0;
        p->reducing = 0;
        p->stop = 0;
        p->err_chunk = -1;
        p->err_code = FGMM_OK;
        p->interrupted = 0;
        p->n_waits = 0;
        if (p->n_chunks < 1) return;
    #ifdef _OPENMP
        #pragma omp parallel num_threads(p->n_threads) if (p->n_threads > 1)
        fgmm_worker(p, omp_get_thread_num());
    #else
        fgmm_worker(p, 0);
    #endif
        /* a no-op by the argument in fgmm_drain; kept as a belt */
        if (p->partial_len > 0 && !p->stop) fgmm_drain(p);
    }
    """
    ctypedef struct fgmm_pass:
        chunk_fn_t fn
        const void *ctx
        Py_ssize_t n_rows, chunk_rows, n_chunks, partial_len, n_slots
        size_t scratch_bytes
        double *total
        double *slots
        Py_ssize_t *ready
        int n_threads
        int check_signals
        double signal_interval
        Py_ssize_t next_reduce
        Py_ssize_t err_chunk
        int err_code
        int interrupted
        Py_ssize_t n_waits
    void fgmm_run_pass(fgmm_pass *p) nogil


cdef struct Plan:
    Py_ssize_t chunk_rows, n_chunks, n_threads, n_slots


cdef Plan _plan(Py_ssize_t n_rows, Py_ssize_t partial_len, int n_threads) noexcept:
    cdef Plan plan
    plan.chunk_rows = CHUNK_ROWS
    plan.n_chunks = (n_rows + CHUNK_ROWS - 1) // CHUNK_ROWS
    plan.n_threads = max(1, min(<Py_ssize_t>n_threads, plan.n_chunks))
    cdef Py_ssize_t T = plan.n_threads
    cdef Py_ssize_t budget_slots = PARTIAL_BUDGET // (8 * max(partial_len, 1))
    cdef Py_ssize_t slots = 1
    if partial_len > 0 and T > 1:
        slots = max(T + 1, min(budget_slots, max(MAX_SLOTS, 4 * T)))
    plan.n_slots = max(1, min(slots, plan.n_chunks))
    if partial_len <= 0:
        plan.n_slots = 0
    return plan


def plan_pass(Py_ssize_t n_rows, Py_ssize_t partial_len, int n_threads):
    """How a pass runs: (chunk_rows, n_chunks, threads, slots).

    Chunk boundaries depend only on ``n_rows`` (what makes passes deterministic);
    threads and slots (partial buffers: memory ``slots * partial_len * 8`` bytes; 0
    for a map pass, ``partial_len=0``) only change the schedule, never a bit.
    """
    cdef Plan p = _plan(n_rows, partial_len, n_threads)
    return p.chunk_rows, p.n_chunks, p.n_threads, p.n_slots


def _set_limits(partial_budget=None, max_slots=None, signal_interval=None):
    """Testing hook: change PARTIAL_BUDGET (bytes), MAX_SLOTS or SIGNAL_INTERVAL
    (seconds) for the passes that follow; returns the previous values (to restore).
    None leaves a value as it is.  Results never depend on the first two."""
    global PARTIAL_BUDGET, MAX_SLOTS, SIGNAL_INTERVAL
    old = (PARTIAL_BUDGET, MAX_SLOTS, SIGNAL_INTERVAL)
    if partial_budget is not None:
        PARTIAL_BUDGET = max(0, <Py_ssize_t>partial_budget)
    if max_slots is not None:
        MAX_SLOTS = max(1, <Py_ssize_t>max_slots)
    if signal_interval is not None:
        SIGNAL_INTERVAL = max(0.0, <double>signal_interval)
    return old


# waits for a free slot in the last reduction pass of this process (any Python
# thread): a diagnostic for tests and benchmarks, not synchronised
cdef Py_ssize_t _last_pass_waits = 0


def last_pass_waits():
    """How many times threads of the most recent reduction pass waited for a slot
    (chunks whose thread found the ring full behind a straggler)."""
    return _last_pass_waits


cdef inline bint _on_main_thread():
    return threading.get_ident() == threading.main_thread().ident


cdef int _raise_for(fgmm_pass *p) except -1:
    """Turn the pass's outcome into an exception (or return 0)."""
    if p.interrupted:
        return -1  # PyErr_CheckSignals left its exception (KeyboardInterrupt) set
    if p.err_chunk >= 0:
        if p.err_code == FGMM_ENOMEM:
            raise MemoryError("fastgmm: could not allocate per-thread scratch")
        raise ValueError(f"fastgmm: a kernel refused its arguments (status "
                         f"{p.err_code}: sizes, covariance code or a missing "
                         "buffer); this is a bug in the caller of the C core")
    return 0


cdef void _fill(fgmm_pass *p, chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                Plan *plan, Py_ssize_t partial_len, size_t scratch_bytes,
                bint check_signals) noexcept:
    memset(p, 0, sizeof(fgmm_pass))
    p.fn = fn
    p.ctx = ctx
    p.n_rows = n_rows
    p.chunk_rows = plan.chunk_rows
    p.n_chunks = plan.n_chunks
    p.partial_len = partial_len
    p.n_slots = plan.n_slots
    p.scratch_bytes = scratch_bytes
    p.n_threads = <int>plan.n_threads
    p.check_signals = check_signals
    p.signal_interval = SIGNAL_INTERVAL


cdef object reduce_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                             Py_ssize_t partial_len, size_t scratch_bytes,
                             int n_threads):
    """Sum of fn's partials over all rows, in chunk order (float64, partial_len)."""
    global _last_pass_waits
    if partial_len < 1:
        raise ValueError(f"partial_len must be >= 1; got {partial_len}")
    cdef Plan plan = _plan(n_rows, partial_len, n_threads)
    total = np.zeros(partial_len, dtype=np.float64)
    slots = np.empty((max(plan.n_slots, 1), partial_len), dtype=np.float64)
    ready = np.zeros(max(plan.n_slots, 1), dtype=np.intp)
    cdef double[::1] tot = total
    cdef double[:, ::1] sl = slots
    cdef Py_ssize_t[::1] rd = ready
    cdef fgmm_pass p
    _fill(&p, fn, ctx, n_rows, &plan, partial_len, scratch_bytes, _on_main_thread())
    p.total = &tot[0]
    p.slots = &sl[0, 0]
    p.ready = &rd[0]
    with nogil:
        fgmm_run_pass(&p)
    _raise_for(&p)
    _last_pass_waits = p.n_waits
    if p.next_reduce != plan.n_chunks:
        raise RuntimeError(f"fastgmm: internal error: {p.next_reduce} of "
                           f"{plan.n_chunks} chunks reduced")
    return total


cdef int map_over_rows(chunk_fn_t fn, const void *ctx, Py_ssize_t n_rows,
                       size_t scratch_bytes, int n_threads) except -1:
    """Run fn over all rows in parallel (one region; signals checked by the
    calling thread between its chunks); fn writes per-row outputs only."""
    cdef Plan plan = _plan(n_rows, 0, n_threads)
    cdef fgmm_pass p
    _fill(&p, fn, ctx, n_rows, &plan, 0, scratch_bytes, _on_main_thread())
    with nogil:
        fgmm_run_pass(&p)
    return _raise_for(&p)
