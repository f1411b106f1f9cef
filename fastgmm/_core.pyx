# Design: every pass over X, in the one extension that links the C core.
#
# em_pass: one read of X gives the weighted log-likelihood and every sufficient
#   statistic (N_k, first and second moments around the current means, the entropy
#   of the responsibilities) for the M-step, as the statistics vector whose layout
#   the C core defines (stats_layout).
# score_pass: per-row outputs (weighted log-probabilities, responsibilities,
#   log-likelihood, labels) written straight into caller-allocated arrays.
# kmeans_pass / nearest_pass: the Lloyd assignment step and the k-means++ potential
#   of a candidate center, for fastgmm's own k-means initialiser.
#
# Blocks of rows run across OpenMP threads with the GIL released (_parallel: one
# scratch per thread, per-chunk partials reduced in chunk order, so results do not
# depend on the thread count).  X keeps its dtype (the `floating` fused type picks the
# C core's kernel table once per call) and its memory order (the C core reads it
# through (row, column) strides).  Nothing of size N x K is allocated by a pass.
#
# Instruction set: the C core carries baseline, AVX2 and AVX-512 builds of every
#   kernel (csrc/kernels.c).  At import the best one this CPU runs is chosen, or the
#   one FASTGMM_ISA=baseline|avx2|avx512 names (for tests and bug reports; a name the
#   CPU cannot run, or an unknown one, warns and keeps the best).  build_info() tells
#   what was compiled in and what runs.
#
# These functions are private but still check that the arrays they are given agree
# with each other (cheap shape checks, ValueError), so no Python call can make the C
# core read outside an array; the meaning of the values is validated one level up
# (fastgmm.kernels).
import os
import warnings

import numpy as np

from cython cimport floating
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memset

from ._csrc cimport (
    FGMM_FLOAT32, FGMM_FLOAT64, FGMM_FULL, FGMM_N_ISA, FGMM_N_KERNELS,
    fgmm_compiler, fgmm_isa_best, fgmm_isa_compiled, fgmm_isa_name,
    fgmm_isa_supported, fgmm_kernel_isa, fgmm_kernels_for_isa, fgmm_openmp_version, FGMM_TIED, FGMM_DIAG, FGMM_SPHERICAL,
    FGMM_OK, FGMM_N_STAT_FIELDS, FGMM_STAT_LOGLIK, FGMM_STAT_WEIGHT,
    FGMM_STAT_RESP_ENTROPY, FGMM_STAT_NK, FGMM_STAT_S1, FGMM_STAT_S2, fgmm_blas_fn,
    fgmm_em_scratch_bytes, fgmm_kernels, fgmm_kmeans_scratch_bytes,
    fgmm_nearest_scratch_bytes,
    fgmm_params, fgmm_stats_layout, fgmm_stats_layout_init)
from ._linalg cimport cov_size
from ._parallel cimport map_over_rows, reduce_over_rows
from scipy.linalg.cython_blas cimport dsyrk, dtrmm, ssyrk, strmm

COV_CODES = {"full": FGMM_FULL, "tied": FGMM_TIED, "diag": FGMM_DIAG,
             "spherical": FGMM_SPHERICAL}

# Statistics fields in the C core's order: name -> (field code, rank), rank 0 a
# scalar, 1 one value per component (K,), 2 a row per component (K, -1).
_STAT_FIELDS = {
    "loglik_sum": (FGMM_STAT_LOGLIK, 0),
    "weight_sum": (FGMM_STAT_WEIGHT, 0),
    "resp_entropy_sum": (FGMM_STAT_RESP_ENTROPY, 0),
    "nk": (FGMM_STAT_NK, 1),
    "s1": (FGMM_STAT_S1, 2),
    "s2": (FGMM_STAT_S2, 2),
}
if len(_STAT_FIELDS) != FGMM_N_STAT_FIELDS:
    raise ImportError("fastgmm: _core's statistics fields disagree with csrc/fastgmm.h")


def stats_layout(int n_features, int n_components, int cov_type):
    """Where each statistic lives in the vector em_pass returns.

    Returns
    -------
    dict name -> (start, stop, rank) in vector order (rank 0: a scalar, 1: (K,),
    2: (K, -1)), plus the total length under the key ``"size"``.
    """
    cdef fgmm_stats_layout layout
    if fgmm_stats_layout_init(n_features, n_components, cov_type, &layout) != FGMM_OK:
        raise ValueError(f"invalid statistics layout: n_features={n_features}, "
                         f"n_components={n_components}, cov_type={cov_type}")
    out = {name: (layout.offset[code], layout.offset[code + 1], rank)
           for name, (code, rank) in _STAT_FIELDS.items()}
    out["size"] = layout.offset[FGMM_N_STAT_FIELDS]
    return out


# ------------------------------------------------------------------ instruction set
ISA_NAMES = tuple(fgmm_isa_name(i).decode() for i in range(FGMM_N_ISA))
_KERNEL_NAMES = ("em_rows", "score_rows", "kmeans_rows", "nearest_update")
if len(_KERNEL_NAMES) != FGMM_N_KERNELS:
    raise ImportError("fastgmm: _core's kernel names disagree with csrc/fastgmm.h")

cdef int _isa = fgmm_isa_best()
_isa_requested = None


def _isa_code(name):
    try:
        return ISA_NAMES.index(name)
    except ValueError:
        raise ValueError(f"unknown instruction set {name!r}; expected one of "
                         f"{', '.join(ISA_NAMES)}") from None


def _set_isa(name):
    """Run every later pass with the kernels of instruction set `name` (a name of
    ISA_NAMES); returns the previous name.  ValueError for an unknown name or one
    this CPU cannot run.  For tests and benchmarks: not thread-safe against passes
    running in other threads."""
    global _isa
    cdef int code = _isa_code(name)
    if not fgmm_isa_supported(code):
        raise ValueError(
            f"instruction set {name!r} is not available here ("
            + ("this CPU cannot run it" if fgmm_isa_compiled(code)
               else "not compiled into this build") + "); available: "
            + ", ".join(available_isas()))
    previous = ISA_NAMES[_isa]
    _isa = code
    return previous


def available_isas():
    """Names of the instruction sets compiled in that this CPU runs, best last."""
    return [n for i, n in enumerate(ISA_NAMES) if fgmm_isa_supported(i)]


def _isa_from_environment():
    global _isa_requested
    value = os.environ.get("FASTGMM_ISA", "").strip().lower()
    if not value or value in ("auto", "best"):
        return
    _isa_requested = value
    try:
        _set_isa(value)
    except ValueError as e:
        warnings.warn(f"fastgmm: FASTGMM_ISA={value!r} ignored: {e}; using "
                      f"{ISA_NAMES[_isa]}", RuntimeWarning, stacklevel=2)


_isa_from_environment()


def build_info():
    """How the C core was built and which of its kernels run on this machine.

    Returns
    -------
    dict with
      compiler : str, the C compiler and its version (its __VERSION__ /
          __clang_version__ when it compiled the core)
      openmp : int or None, the _OPENMP date the core was compiled with (None: none)
      isa_compiled : list of the instruction sets built in ("baseline", "avx2",
          "avx512")
      isa_supported : list of those this CPU can run
      isa_requested : str or None, FASTGMM_ISA's value if set
      isa : str, the instruction set chosen at run time
      kernels : {"float64": {kernel: isa}, "float32": {...}}, the instruction set each
          kernel of the chosen table was compiled for (the AVX-512 table takes a kernel
          from AVX2 where that measured faster)
    """
    omp = fgmm_openmp_version()
    kernels = {}
    for dtype_name, dtype in (("float64", FGMM_FLOAT64), ("float32", FGMM_FLOAT32)):
        kernels[dtype_name] = {name: ISA_NAMES[fgmm_kernel_isa(dtype, _isa, k)]
                               for k, name in enumerate(_KERNEL_NAMES)}
    return {
        "compiler": fgmm_compiler().decode().strip(),
        "openmp": int(omp) if omp else None,
        "isa_compiled": [n for i, n in enumerate(ISA_NAMES) if fgmm_isa_compiled(i)],
        "isa_supported": available_isas(),
        "isa_requested": _isa_requested,
        "isa": ISA_NAMES[_isa],
        "kernels": kernels,
    }


ctypedef struct PassCtx:
    const fgmm_kernels *kern
    fgmm_params params
    const void *X
    Py_ssize_t row_stride
    Py_ssize_t col_stride
    int n_features
    int n_clusters             # k-means passes
    const void *centers        # IN, K x D in X's dtype (candidates for nearest_pass)
    const double *sample_weight
    void *weighted_logprob     # OUT, N x K or NULL (X's dtype)
    void *resp                 # OUT, N x K or NULL (X's dtype)
    void *loglik               # OUT, N or NULL (X's dtype)
    double *min_dist           # OUT (kmeans_pass, optional) / INOUT (nearest_pass)
    int64_t *label             # OUT, N or NULL
    int32_t *cluster           # OUT, N (k-means labels)
    int update                 # nearest_pass: fold the candidate into min_dist


cdef int _em_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                   double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    return c.kern.em_rows(&c.params, c.X, c.row_stride, c.col_stride,
                          c.sample_weight, r0, r1, scratch, partial)


cdef int _score_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                      double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    return c.kern.score_rows(&c.params, c.X, c.row_stride, c.col_stride, r0, r1,
                             scratch, c.weighted_logprob, c.resp, c.loglik, c.label)


cdef int _kmeans_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1, void *scratch,
                       double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    return c.kern.kmeans_rows(c.X, c.row_stride, c.col_stride, c.n_features,
                              c.n_clusters, c.centers, c.sample_weight, r0, r1,
                              scratch, c.cluster, c.min_dist, partial)


cdef int _nearest_chunk(const void *vctx, Py_ssize_t r0, Py_ssize_t r1,
                        void *scratch, double *partial) noexcept nogil:
    cdef const PassCtx *c = <const PassCtx *>vctx
    return c.kern.nearest_update(c.X, c.row_stride, c.col_stride, c.n_features,
                                 c.n_clusters, c.centers, c.sample_weight, r0, r1, scratch,
                                 c.min_dist, c.update, partial)


cdef int _fill_x(PassCtx *ctx, const floating[:, :] X, const double[::1] sample_weight,
                 int n_threads) except -1:
    """Zero ctx and point it at X (and the weights) after checking their shapes."""
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must have at least one row and one column; got shape "
                         f"({X.shape[0]}, {X.shape[1]})")
    if X.shape[1] > 1 << 30:
        raise ValueError(f"X has {X.shape[1]} features; at most 2**30 are supported")
    if sample_weight is not None and sample_weight.shape[0] != X.shape[0]:
        raise ValueError(f"sample_weight has {sample_weight.shape[0]} entries for "
                         f"{X.shape[0]} rows of X")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1; got {n_threads}")
    memset(ctx, 0, sizeof(PassCtx))
    ctx.kern = fgmm_kernels_for_isa(FGMM_FLOAT64 if floating is double else FGMM_FLOAT32,
                                    _isa)
    if ctx.kern == NULL:
        raise RuntimeError(f"fastgmm: no kernels for instruction set {ISA_NAMES[_isa]}")
    ctx.X = &X[0, 0]
    ctx.row_stride = X.strides[0] // <Py_ssize_t>sizeof(floating)
    ctx.col_stride = X.strides[1] // <Py_ssize_t>sizeof(floating)
    ctx.n_features = <int>X.shape[1]
    ctx.sample_weight = &sample_weight[0] if sample_weight is not None else NULL
    return 0


cdef Py_ssize_t _prec_size(int cov_type, Py_ssize_t K, Py_ssize_t D) except -1:
    cdef Py_ssize_t n = cov_size(cov_type, K, D)
    if n >= 0:
        return n
    raise ValueError(f"unknown covariance code {cov_type}")


cdef size_t _fill_params(PassCtx *ctx, const floating[:, :] X,
                         const floating[:, ::1] means_hi,
                         const floating[:, ::1] means_lo, const floating[::1] prec,
                         const floating[::1] log_norm, int cov_type,
                         bint use_blas) except 0:
    """Point ctx.params at the packed parameters; returns scratch bytes per thread.

    With use_blas, full/tied products at large D go through scipy's BLAS (the
    caller keeps BLAS single-threaded: see fastgmm._blas)."""
    cdef Py_ssize_t K = means_hi.shape[0], D = X.shape[1]
    if K < 1 or K > 1 << 30:
        raise ValueError(f"n_components must be in [1, 2**30]; got {K}")
    if (means_hi.shape[1] != D or means_lo.shape[0] != K or means_lo.shape[1] != D
            or log_norm.shape[0] != K or prec.shape[0] != _prec_size(cov_type, K, D)):
        raise ValueError(
            f"packed parameters do not match X ({D} features) and {K} components: "
            f"means_hi ({means_hi.shape[0]}, {means_hi.shape[1]}), "
            f"means_lo ({means_lo.shape[0]}, {means_lo.shape[1]}), "
            f"prec ({prec.shape[0]},), log_norm ({log_norm.shape[0]},)")
    ctx.params.dtype = FGMM_FLOAT64 if floating is double else FGMM_FLOAT32
    ctx.params.n_features = <int>D
    ctx.params.n_components = <int>K
    ctx.params.cov_type = cov_type
    ctx.params.means_hi = &means_hi[0, 0]
    ctx.params.means_lo = &means_lo[0, 0]
    ctx.params.prec = &prec[0]
    ctx.params.log_norm = &log_norm[0]
    if use_blas:
        if floating is double:
            ctx.params.trmm = <fgmm_blas_fn>dtrmm
            ctx.params.syrk = <fgmm_blas_fn>dsyrk
        else:
            ctx.params.trmm = <fgmm_blas_fn>strmm
            ctx.params.syrk = <fgmm_blas_fn>ssyrk
    return fgmm_em_scratch_bytes(ctx.params.dtype, <int>D, <int>K)


def em_pass(const floating[:, :] X, const double[::1] sample_weight,
            const floating[:, ::1] means_hi, const floating[:, ::1] means_lo,
            const floating[::1] prec, const floating[::1] log_norm,
            int cov_type, int n_threads, bint use_blas=True, bint resp_entropy=False,
            const floating[:, ::1] hard_centers=None):
    """Fused E-step and sufficient statistics over all rows of X.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, any strides
    sample_weight : ndarray (n_samples,) float64, or None for unit weights
    means_hi, means_lo, prec, log_norm : packed parameters in X's dtype
        (see ``fastgmm.kernels.GMMParameters.pack``)
    cov_type : int, one of the COV_CODES values
    n_threads : int, OpenMP threads
    use_blas : bool, BLAS-3 products for full/tied at n_features >= FGMM_BLAS_MIN_D
    resp_entropy : bool, also accumulate resp_entropy_sum (else it stays 0)
    hard_centers : ndarray (n_components, n_features) in X's dtype, optional
        Instead of the E-step, responsibility 1 for each row's nearest centre
        (k-means labels); the statistics are then those of that hard partition
        around means_hi + means_lo (loglik_sum 0; prec and log_norm unused).

    Returns
    -------
    stats : ndarray (stats_layout(...)["size"],) float64, the statistics vector.
    """
    cdef PassCtx ctx
    _fill_x(&ctx, X, sample_weight, n_threads)
    cdef size_t scratch_bytes = _fill_params(&ctx, X, means_hi, means_lo, prec,
                                             log_norm, cov_type, use_blas)
    ctx.params.resp_entropy = resp_entropy
    if hard_centers is not None:
        if (hard_centers.shape[0] != ctx.params.n_components
                or hard_centers.shape[1] != ctx.params.n_features):
            raise ValueError(f"hard_centers must have shape ({ctx.params.n_components}, "
                             f"{ctx.params.n_features}); got ({hard_centers.shape[0]}, "
                             f"{hard_centers.shape[1]})")
        ctx.params.hard_centers = &hard_centers[0, 0]
    cdef fgmm_stats_layout layout
    if fgmm_stats_layout_init(ctx.params.n_features, ctx.params.n_components, cov_type,
                              &layout) != FGMM_OK:
        raise ValueError(f"invalid statistics layout: n_features="
                         f"{ctx.params.n_features}, n_components="
                         f"{ctx.params.n_components}, cov_type={cov_type}")
    return reduce_over_rows(_em_chunk, &ctx, X.shape[0], layout.offset[FGMM_N_STAT_FIELDS],
                            scratch_bytes, n_threads)


def score_pass(const floating[:, :] X,
               const floating[:, ::1] means_hi, const floating[:, ::1] means_lo,
               const floating[::1] prec, const floating[::1] log_norm,
               int cov_type, int n_threads, floating[:, ::1] weighted_logprob=None,
               floating[:, ::1] resp=None, floating[::1] loglik=None,
               int64_t[::1] label=None, bint use_blas=True):
    """Per-row scores of X under packed parameters, written into the given outputs.

    Outputs (any may be None), real ones in X's dtype: weighted_logprob and resp
    (n_samples, n_components), loglik (n_samples,), label (n_samples,) int64 (-1 for a row of
    zero density under every component).
    """
    cdef PassCtx ctx
    cdef const double[::1] unit_weights = None
    _fill_x(&ctx, X, unit_weights, n_threads)
    cdef size_t scratch_bytes = _fill_params(&ctx, X, means_hi, means_lo, prec,
                                             log_norm, cov_type, use_blas)
    cdef Py_ssize_t N = X.shape[0], K = ctx.params.n_components
    if ((weighted_logprob is not None and (weighted_logprob.shape[0] != N
                                           or weighted_logprob.shape[1] != K))
            or (resp is not None and (resp.shape[0] != N or resp.shape[1] != K))
            or (loglik is not None and loglik.shape[0] != N)
            or (label is not None and label.shape[0] != N)):
        raise ValueError(f"score outputs must have shape ({N}, {K}) (weighted_logprob, "
                         f"resp) or ({N},) (loglik, label)")
    ctx.weighted_logprob = &weighted_logprob[0, 0] if weighted_logprob is not None else NULL
    ctx.resp = &resp[0, 0] if resp is not None else NULL
    ctx.loglik = &loglik[0] if loglik is not None else NULL
    ctx.label = &label[0] if label is not None else NULL
    map_over_rows(_score_chunk, &ctx, N, scratch_bytes, n_threads)


cdef int _fill_centers(PassCtx *ctx, const floating[:, :] X,
                       const floating[:, ::1] centers) except -1:
    if centers.shape[0] < 1 or centers.shape[1] != X.shape[1]:
        raise ValueError(f"centers must have shape (n_clusters >= 1, {X.shape[1]}); "
                         f"got ({centers.shape[0]}, {centers.shape[1]})")
    ctx.centers = &centers[0, 0]
    ctx.n_clusters = <int>centers.shape[0]
    return 0


def kmeans_pass(const floating[:, :] X, const floating[:, ::1] centers,
                const double[::1] sample_weight, int32_t[::1] label,
                double[::1] min_dist, int n_threads):
    """Assign every row of X to its nearest center.

    Parameters
    ----------
    X : ndarray (n_samples, n_features), float32 or float64, any strides
    centers : ndarray (n_clusters, n_features), X's dtype, C order
    sample_weight : ndarray (n_samples,) float64 or None
    label : OUT ndarray (n_samples,) int32, or None (labels not kept: O(1) memory)
    min_dist : OUT ndarray (n_samples,) float64 or None (squared distances)
    n_threads : int

    Returns
    -------
    partial : ndarray (1 + K + K*D,) float64
        ``[inertia, weights (K), sums (K x D)]``.
    """
    cdef PassCtx ctx
    _fill_x(&ctx, X, sample_weight, n_threads)
    _fill_centers(&ctx, X, centers)
    cdef Py_ssize_t N = X.shape[0]
    if ((label is not None and label.shape[0] != N)
            or (min_dist is not None and min_dist.shape[0] != N)):
        raise ValueError(f"label and min_dist must have {N} entries")
    ctx.cluster = &label[0] if label is not None else NULL
    ctx.min_dist = &min_dist[0] if min_dist is not None else NULL
    cdef int dtype = FGMM_FLOAT64 if floating is double else FGMM_FLOAT32
    cdef size_t scratch = fgmm_kmeans_scratch_bytes(dtype, ctx.n_features, ctx.n_clusters)
    cdef Py_ssize_t size = 1 + centers.shape[0] * (1 + centers.shape[1])
    return reduce_over_rows(_kmeans_chunk, &ctx, N, size, scratch, n_threads)


def nearest_pass(const floating[:, :] X, const floating[:, ::1] centers,
                 const double[::1] sample_weight, double[::1] min_dist, bint update,
                 int n_threads):
    """Weighted k-means++ potentials of candidate centers (n_candidates, n_features).

    Returns a float64 array: entry t is sum_i w_i min(min_dist_i, |x_i - c_t|^2),
    all candidates from one read of X.  With ``update`` (one candidate only) the
    minimum is also stored into min_dist (INOUT, (n_samples,) float64).
    """
    cdef PassCtx ctx
    _fill_x(&ctx, X, sample_weight, n_threads)
    _fill_centers(&ctx, X, centers)
    if min_dist.shape[0] != X.shape[0]:
        raise ValueError(f"min_dist must have {X.shape[0]} entries")
    if update and centers.shape[0] != 1:
        raise ValueError(f"update needs exactly one candidate center; got "
                         f"{centers.shape[0]}")
    ctx.min_dist = &min_dist[0]
    ctx.update = update
    cdef size_t scratch = fgmm_nearest_scratch_bytes(ctx.n_features)
    return reduce_over_rows(_nearest_chunk, &ctx, X.shape[0], ctx.n_clusters, scratch,
                            n_threads)
