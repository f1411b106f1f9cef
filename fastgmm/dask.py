"""Gaussian mixtures on Dask: EM over a dask Array or DataFrame, on a cluster or locally.

This module is imported only when a dask collection reaches an estimator
(``BaseMixture._make_source`` / ``_scores``), so fastgmm never imports dask otherwise;
it needs the ``dask`` extra (``pip install fastgmm[dask]``: dask[array,dataframe] and
distributed).

Example::

    from distributed import Client, LocalCluster
    import dask.array as da
    from fastgmm import GaussianMixture

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                           dashboard_address="127.0.0.1:0")  # loopback only
    client = Client(cluster)
    X = da.from_zarr("points.zarr")                   # or dd.read_parquet(...)
    g = GaussianMixture(8, random_state=0).fit(X)     # NumPy attributes
    labels = g.predict(X)                             # lazy; .compute() when needed

Without a client, dask's local scheduler runs the same graphs.

Fitting
-------
``GaussianMixture().fit(X)`` with X a ``dask.array.Array`` (or a dask DataFrame of
numeric columns, read as ``to_dask_array(lengths=True)``) runs the same EM driver as an
in-memory fit over a :class:`DaskSource`.  Every EM iteration is:

1. one ``blockwise`` layer over the row chunks of X (rechunked once to a single column
   chunk): the task ``_stats_block(chunk, weight_chunk, params...)`` runs the fused
   E-step kernel (``_core.em_pass``) on its chunk, where the chunk lives, and returns
   the chunk's statistics vector (float64, ``3 + K (1 + D + S)`` numbers,
   S = D(D+1)/2 for full/tied, D for diag/spherical);
2. a tree sum of those vectors: tasks add ``split_every`` vectors each, level by level,
   until at most ``split_every`` partial sums are left, which the client adds (the
   root, so the last level costs no task).  Statistics computed under the same
   parameters share one centre (the means), so they add as plain vectors;
3. on the client, the sum becomes a ``SufficientStatistics`` and the driver does the
   M-step, convergence test, verbose output and callback, exactly as in memory.

What crosses the wire per iteration: the graph (one task per chunk plus
``~n_chunks / (split_every - 1)`` sum tasks; tasks are module-level functions of this
module, their arguments NumPy arrays, ints and strings: never an estimator,
``GMMParameters``, ``SufficientStatistics`` or a Cython object); the packed parameters
(``GMMParameters.pack``: K(2D+1) + |prec| numbers) inside each task when they are small
(<= 64 KiB), else as one graph key that each worker fetches once; statistics vectors
to the sum tasks; at most ``split_every`` vectors to the client.  The data never moves:
the input is persisted once (below) and each task runs where its chunk is.  Each task
costs the scheduler around a millisecond, so chunks should hold well over 0.1 s of
kernel work each (e.g. >= 1e5 rows at D=16, K=16).

Equality with the in-memory fit: each chunk's statistics are the in-memory kernel's on
those rows, only summed in another order (a tree of chunk sums instead of one ordered
pass), so fitted attributes agree with the in-memory fit from the same initial
parameters to round-off (1e-10 relative in float64 in the tests; float32 data is scored
in float32 and accumulated in float64 on both sides).  The initial parameters are the
same when the initialiser reads the same rows: with at most ``init_max_samples`` rows
(default 2**20) :meth:`DaskSource.initialization_data` gathers all of them, in order,
so every ``init_params`` and ``random_state`` give exactly the in-memory
initialisation; on more rows it gathers a uniform sample, the initialiser (k-means
included) runs on that sample alone, and the fair comparison is then from given
``weights_init``/``means_init``/``precisions_init``.

Configuration (``dask.config``, e.g. ``dask.config.set({"fastgmm.persist": False})``):

``fastgmm.persist`` : "auto" (default), True or False
    "auto" persists X (and sample_weight) once at the start of fit when they take at
    most ``fastgmm.persist-memory-fraction`` (default 0.5) of the cluster's memory (the
    sum of the workers' memory limits, any worker without a limit counting as
    unlimited; with dask's local scheduler, of this machine's available memory).
    Otherwise every iteration recomputes the input's graph (e.g. reads its files
    again).  The persisted copy lives as long as the fit (and the lazy labels of
    ``fit_predict``).
``fastgmm.split-every`` : int, default 8
    Fan-in of the tree sum of the statistics.
``fastgmm.init-max-samples`` : int, default 2**20
    Rows gathered for initialisation when the estimator does not say.

Threads: the nanny sets ``OMP_NUM_THREADS=1`` in workers, so tasks never rely on the
OpenMP default: each task is given its thread count.  An explicit ``n_threads`` is used
as is in every task.  ``n_threads=None`` gives each task the CPUs of its host divided
by the Dask threads on that host (so one task per Dask thread never oversubscribes the
cores): with a distributed client, the CPUs each worker process may use (its affinity)
over the sum of ``nthreads`` of the workers on the same host; with the local threaded
scheduler, this machine's CPUs over the pool size (or over the number of chunks when
fewer); with the synchronous scheduler, all of them.  Results are identical for any
thread count.

Workers: before anything runs on a distributed cluster, every worker imports fastgmm
(``client.run``) and reports its version; a worker without fastgmm, where it fails to
import, or with another version makes ``fit`` (and lazy scoring) raise a RuntimeError
naming the workers and the fix, instead of tasks that fail or hang later.  Workers that
join later are not checked.

Validation: ``fit`` reads the (persisted) data once before EM to check it (finite
values; non-negative, finite weights with a positive sum), raising the in-memory
messages.  Lazy scoring checks each chunk when computed: NaN or infinity, or rows of
zero density under every component, raise ValueError at compute time naming the global
rows (or the chunk, when the chunk sizes are unknown).
"""
import itertools
import math
import os
import uuid
import warnings

try:
    import dask
    import dask.array as da
    import distributed
except ImportError as exc:  # pragma: no cover - exercised with the module hidden
    raise ImportError(
        "fastgmm's Dask support needs dask[array,dataframe] and distributed, which are "
        f"not installed ({exc}): pip install fastgmm[dask]") from exc

import numpy as np

from ._base import RowsShape
from ._core import COV_CODES, em_pass, score_pass, stats_layout
from ._validation import (_all_finite, _feature_names, check_random_state,
                          check_sample_weight, non_numeric_columns_error)
from .kernels import SufficientStatistics

__all__ = ["DaskSource", "lazy_scores", "checked_lazily", "checked_proba_lazily",
           "check_workers"]

_OUTPUTS = ("weighted_logprob", "resp", "loglik", "label")
_INLINE_PARAM_BYTES = 64 << 10
_DEFAULT_INIT_MAX_SAMPLES = 1 << 20

# A worker is probed without shipping any fastgmm code to it (it may not have fastgmm):
# builtins.eval of this constant expression pickles by reference everywhere.
_PROBE = ("(lambda fastgmm, os: (fastgmm.__version__, len(os.sched_getaffinity(0)) "
          "if hasattr(os, 'sched_getaffinity') else (os.cpu_count() or 1)))"
          "(__import__('fastgmm'), __import__('os'))")


# ---------------------------------------------------------------------- helpers
def _config(key, default):
    return dask.config.get("fastgmm." + key, default)


def _cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _active_client():
    """The distributed Client that computes dask collections now, or None when dask's
    local scheduler (threads, processes or sync) does."""
    scheduler = dask.base.get_scheduler()
    client = getattr(scheduler, "__self__", None)
    return client if isinstance(client, distributed.Client) else None


def _fastgmm_version():
    from . import __version__
    return __version__


_worker_cache = {}


def check_workers(client):
    """Check that every worker of ``client`` imports the client's fastgmm version.

    Returns ``{worker address: CPUs its process may use}``.  Raises RuntimeError naming
    each worker without fastgmm, where importing it fails, or with another version.
    The answer is cached per client and set of workers.
    """
    workers = client.scheduler_info(n_workers=-1)["workers"]
    key = (client.id, tuple(sorted(workers)))
    if key in _worker_cache:
        return _worker_cache[key]
    answers = client.run(eval, _PROBE, {}, on_error="return")
    version = _fastgmm_version()
    problems, cpus = [], {}
    for address in sorted(answers):
        answer = answers[address]
        if isinstance(answer, BaseException):
            problems.append(f"{address}: fastgmm does not import "
                            f"({type(answer).__name__}: {answer})")
        elif answer[0] != version:
            problems.append(f"{address}: fastgmm {answer[0]}")
        else:
            cpus[address] = int(answer[1])
    if problems:
        raise RuntimeError(
            f"fastgmm cannot run on {len(problems)} of {len(answers)} Dask worker(s) "
            f"(this client has fastgmm {version}): " + "; ".join(problems) + ". Install "
            f"the same fastgmm ({version}, e.g. `pip install fastgmm[dask]=={version}`) "
            "in every worker's environment and restart the workers.")
    if len(_worker_cache) > 16:
        _worker_cache.clear()
    _worker_cache[key] = cpus
    return cpus


def _thread_plan(client, n_threads, n_chunks):
    """Threads per task: an int, or {worker address: int} on a mixed cluster."""
    cpus = check_workers(client) if client is not None else None
    if n_threads is not None:
        return max(1, int(n_threads))
    if client is None:
        if dask.base.get_scheduler() is dask.local.get_sync:
            slots = 1
        else:
            slots = int(dask.config.get("num_workers", None) or _cpu_count())
        return max(1, _cpu_count() // max(1, min(slots, n_chunks)))
    workers = client.scheduler_info(n_workers=-1)["workers"]
    host_threads = {}
    for info in workers.values():
        host = info.get("host")
        host_threads[host] = host_threads.get(host, 0) + int(info.get("nthreads", 1))
    plan = {a: max(1, cpus[a] // max(1, host_threads.get(workers[a].get("host"), 1)))
            for a in cpus if a in workers}
    values = set(plan.values())
    return values.pop() if len(values) == 1 else (plan or 1)


def _task_threads(plan):
    """(In a task) the thread count ``plan`` gives this worker."""
    if isinstance(plan, int):
        return plan
    try:
        address = distributed.get_worker().address
    except ValueError:  # not in a worker (local scheduler)
        return 1
    return int(plan.get(address, 1))


def _kernel_ready(x):
    """A chunk the kernels accept (any strides, but a real ndarray)."""
    x = np.asarray(x)
    if not (x.flags.c_contiguous or x.flags.f_contiguous):
        x = np.ascontiguousarray(x)
    return x


def _packed(params, dtype):
    """(hi, lo, prec, log_norm, cov_code) for the kernels, in dtype."""
    hi, lo, prec, log_norm = params.pack(dtype)
    return hi, lo, prec, log_norm, COV_CODES[params.covariance_type]


def _param_kwargs(packed):
    """Task keyword arguments for packed parameters: inline when small, else one
    graph key (fetched once per worker, not once per task)."""
    hi, lo, prec, log_norm, cov_code = packed
    if hi.nbytes + lo.nbytes + prec.nbytes + log_norm.nbytes <= _INLINE_PARAM_BYTES:
        return dict(hi=hi, lo=lo, prec=prec, log_norm=log_norm, cov_code=cov_code)
    shared = dask.delayed(_bundle, pure=True)(hi, lo, prec, log_norm)
    return dict(bundle=shared, cov_code=cov_code)


def _bundle(hi, lo, prec, log_norm):
    return {"hi": hi, "lo": lo, "prec": prec, "log_norm": log_norm}


def _unpack(hi, lo, prec, log_norm, bundle):
    if bundle is not None:
        return bundle["hi"], bundle["lo"], bundle["prec"], bundle["log_norm"]
    return hi, lo, prec, log_norm


# ---------------------------------------------------------------------- task bodies
def _stats_block(x, w=None, *, hi=None, lo=None, prec=None, log_norm=None, bundle=None,
                 cov_code, threads, resp_entropy, size):
    """(1, size) statistics vector of one row chunk (a task)."""
    x = _kernel_ready(x)
    if x.shape[0] == 0:
        return np.zeros((1, size))
    if w is not None:
        w = np.ascontiguousarray(w, dtype=np.float64)
    hi, lo, prec, log_norm = _unpack(hi, lo, prec, log_norm, bundle)
    vec = em_pass(x, w, hi, lo, prec, log_norm, cov_code, _task_threads(threads),
                  resp_entropy=resp_entropy)
    return vec[None, :]


def _validate_block(x, w=None):
    """(1, 5) of one row chunk (a task): X finite, weights finite, their min, max and
    sum (0 where not finite or empty)."""
    x = np.asarray(x)
    finite_x = float(_all_finite(x)) if x.size else 1.0
    if w is None or np.size(w) == 0:
        return np.array([[finite_x, 1.0, 0.0, 0.0, 0.0]])
    w = np.asarray(w, dtype=np.float64)
    if not np.isfinite(w).all():
        return np.array([[finite_x, 0.0, 0.0, 0.0, 0.0]])
    return np.array([[finite_x, 1.0, w.min(), w.max(), w.sum()]])


def _score_block(x, *, hi=None, lo=None, prec=None, log_norm=None, bundle=None,
                 cov_code, threads, which, n_components, check_finite,
                 block_info=None):
    """The requested per-row outputs of one row chunk (a task): one array, or a tuple
    when several are asked for."""
    x = _kernel_ready(x)
    if check_finite and x.size and not _all_finite(x):
        raise ValueError(f"Input X contains NaN or infinity"
                         f"{_where(block_info, x.shape[0])}.")
    n = x.shape[0]
    shapes = {"weighted_logprob": ((n, n_components), x.dtype),
              "resp": ((n, n_components), x.dtype), "loglik": ((n,), x.dtype),
              "label": ((n,), np.int64)}
    outs = {k: (np.empty(*shapes[k]) if k in which else None) for k in _OUTPUTS}
    if n:
        hi, lo, prec, log_norm = _unpack(hi, lo, prec, log_norm, bundle)
        score_pass(x, hi, lo, prec, log_norm, cov_code, _task_threads(threads), **outs)
    result = tuple(outs[k] for k in which)
    return result[0] if len(result) == 1 else result


def _pick(parts, i):
    return parts[i]


def _block_start(block_info):
    """Global index of the block's first row, or None when the chunks are unknown."""
    try:
        start = block_info[None]["array-location"][0][0]
    except (TypeError, KeyError, IndexError):
        return None
    return int(start) if start is not None and not math.isnan(start) else None


def _block_index(block_info):
    try:
        return int(block_info[None]["chunk-location"][0])
    except (TypeError, KeyError, IndexError):
        return None


def _where(block_info, n):
    """' (in rows a to b)' of a block, or its chunk number when sizes are unknown."""
    start = _block_start(block_info)
    if start is not None:
        return f" (in rows {start} to {start + n - 1})"
    b = _block_index(block_info)
    return f" (in row chunk {b})" if b is not None else ""


def _raise_zero_density(bad, block_info, make_error):
    start = _block_start(block_info)
    if start is not None:
        raise make_error(bad + start)
    err = make_error(bad)
    b = _block_index(block_info)
    if b is not None and err.args and isinstance(err.args[0], str):
        err.args = (err.args[0] + f" (Row numbers count from the start of row chunk "
                    f"{b}: the chunk sizes of X are unknown.)",) + err.args[1:]
    raise err


def _check_labels_block(labels, make_error=None, block_info=None):
    bad = np.flatnonzero(labels < 0)
    if bad.size:
        _raise_zero_density(bad, block_info, make_error or _default_error())
    return labels


def _check_proba_block(resp, loglik, make_error=None, block_info=None):
    bad = np.flatnonzero(np.isneginf(np.ravel(loglik)))
    if bad.size:
        _raise_zero_density(bad, block_info, make_error or _default_error())
    return resp


def _default_error():
    from ._base import BaseMixture
    return BaseMixture._zero_density_error


def _worst_block(x, w=None, *, offset, m, hi, lo, prec, log_norm, cov_code, threads):
    """(log-densities, rows as float64, global indices) of the m rows of positive
    weight with the lowest log-density in one chunk (a task)."""
    x = _kernel_ready(x)
    n = x.shape[0]
    if n == 0:
        return np.empty(0), np.empty((0, x.shape[1])), np.empty(0, np.int64)
    loglik = np.empty(n, x.dtype)
    score_pass(x, hi, lo, prec, log_norm, cov_code, _task_threads(threads),
               loglik=loglik)
    loglik = loglik.astype(np.float64)
    if w is not None:
        loglik[np.asarray(w) == 0] = np.inf
    k = min(m, n)
    worst = np.argpartition(loglik, k - 1)[:k]
    return loglik[worst], np.asarray(x[worst], dtype=np.float64), worst + offset


def _take_rows(x, rows):
    return np.asarray(x)[rows]


def _sum_vectors(parts, last=False):
    """Sum of (1, L) statistics vectors (a task of the tree sum); the last one
    returns the (L,) vector."""
    total = np.array(parts[0], dtype=np.float64, copy=True)
    for part in parts[1:]:
        total += part
    return total[0] if last else total


def _tree_sum(parts, split_every):
    """(graph, keys) of the partial sums of the (1, L) blocks of ``parts`` (one column
    chunk): a fixed tree (so a fixed order) of tasks summing ``split_every`` vectors
    each, down to at most ``split_every`` partial sums; the client adds those (the
    root), so the last level costs no task and no transfer between workers."""
    from dask.highlevelgraph import HighLevelGraph
    split_every = max(2, split_every)
    keys = [(parts.name, i, 0) for i in range(parts.numblocks[0])]
    name = _unique("fastgmm-sum")
    dsk, level = {}, 0
    while len(keys) > split_every:
        new = []
        for j in range(0, len(keys), split_every):
            key = (name, level, j // split_every)
            dsk[key] = (_sum_vectors, list(keys[j:j + split_every]))
            new.append(key)
        keys, level = new, level + 1
    if not dsk:
        return parts.__dask_graph__(), keys
    return HighLevelGraph.from_collections(name, dsk, dependencies=[parts]), keys


def _compute_keys(graph, keys):
    """The values of ``keys`` in ``graph``, computed by the active scheduler (the
    distributed client's ``get``, or dask's local one) without the collection
    machinery of ``dask.compute`` (no optimisation: the graph is already minimal)."""
    scheduler = dask.base.get_scheduler() or dask.threaded.get
    return scheduler(graph, keys)


_PREFIX = uuid.uuid4().hex[:12]  # unique per process: keys never clash on a scheduler
_counter = itertools.count()


def _unique(name):
    return f"{name}-{_PREFIX}-{next(_counter)}"


# ---------------------------------------------------------------------- inputs
def _as_dask_array(X, name, lengths):
    """(2-D float32/float64 dask array, feature names or None) from a dask Array or
    DataFrame, lazily (a DataFrame's partition lengths are computed when
    ``lengths``)."""
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # dask DataFrame
        names = _feature_names(X)
        dtypes = list(X.dtypes)
        bad = []
        for column, dt in zip(X.columns, dtypes):
            kind = getattr(dt, "kind", "O")
            if kind == "c":
                raise ValueError(f"Complex data not supported: {name} column "
                                 f"{column!r} has dtype {dt}")
            if kind not in "biuf":
                bad.append((column, dt))
        if bad:
            raise non_numeric_columns_error(name, bad)
        f32 = np.dtype(np.float32)
        target = (np.float32 if dtypes and all(getattr(dt, "numpy_dtype", dt) == f32
                                               for dt in dtypes) else np.float64)
        if any(getattr(dt, "numpy_dtype", dt) != np.dtype(target) for dt in dtypes):
            X = X.astype(target)  # nullable NA -> NaN (reported by the NaN check)
        return X.to_dask_array(lengths=True if lengths else None), names
    if hasattr(X, "dtype") and hasattr(X, "to_dask_array"):  # dask Series
        raise ValueError(
            f"Expected a 2-dimensional container but got {type(X)} instead. Pass a "
            "DataFrame containing a single row (i.e. single sample) or a single column "
            "(i.e. single feature) instead.")
    if not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a dask Array or DataFrame; got "
                        f"{type(X).__name__}")
    dtype = X.dtype
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {dtype}")
    if dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {dtype}")
    if X.ndim != 2:
        if X.ndim == 1:
            raise ValueError(
                f"Expected 2D array, got 1D array instead: {name} has shape "
                f"{X.shape}. Reshape your data either using array.reshape(-1, 1) "
                "if your data has a single feature or array.reshape(1, -1) if it "
                "contains a single sample.")
        raise ValueError(f"Expected 2D array, got {name} with {X.ndim} dimensions "
                         f"(shape {X.shape}).")
    target = dtype if dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if dtype != target or not dtype.isnative:
        X = X.astype(target.newbyteorder("="))
    return X, None


def _is_dask(obj):
    return hasattr(obj, "__dask_graph__")


def _one_column_chunk(X):
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


def _known_rows(X):
    return not any(math.isnan(c) for c in X.chunks[0])


def _as_dask_weights(sample_weight, X, normalize=False):
    """sample_weight as a float64 dask array with X's row chunks, or None (an
    in-memory one is checked, and normalised when asked, here and now)."""
    if sample_weight is None:
        return None
    n = X.shape[0]
    if hasattr(sample_weight, "to_dask_array"):  # dask Series / one-column frame
        sample_weight = sample_weight.to_dask_array(lengths=True)
    if isinstance(sample_weight, da.Array):
        w = sample_weight
        if w.ndim == 2 and w.shape[1] == 1:
            w = w[:, 0]
        if w.ndim == 1 and not _known_rows(w):
            w = w.compute_chunk_sizes()
        if w.ndim != 1 or w.shape[0] != n:
            raise ValueError(f"sample_weight.shape == {w.shape}, expected ({n},)!")
        if w.chunks[0] != X.chunks[0]:
            raise ValueError(
                f"sample_weight's chunks {w.chunks[0]} differ from the row chunks of "
                f"X {X.chunks[0]}: give sample_weight the same chunks "
                "(sample_weight.rechunk((X.chunks[0],))).")
        if w.dtype.kind not in "biuf":
            raise ValueError("sample_weight must be an array of numbers")
        return w.astype(np.float64) if w.dtype != np.float64 else w
    w = (check_sample_weight(sample_weight, n, normalize=True) if normalize
         else check_sample_weight(sample_weight, n))  # as in memory
    return da.from_array(w, chunks=(X.chunks[0],))


def _memory_budget(client):
    """Bytes the input may take when persisted (see fastgmm.persist-memory-fraction)."""
    fraction = float(_config("persist-memory-fraction", 0.5))
    if client is None:
        import psutil
        return fraction * psutil.virtual_memory().available
    limits = [int(info.get("memory_limit") or 0)
              for info in client.scheduler_info(n_workers=-1)["workers"].values()]
    if not limits or any(limit == 0 for limit in limits):  # no limit set: unknown
        return math.inf
    return fraction * sum(limits)


def _should_persist(nbytes, client):
    setting = _config("persist", "auto")
    if isinstance(setting, str) and setting.lower() == "auto":
        return nbytes <= _memory_budget(client)
    if isinstance(setting, str):
        return setting.lower() in ("true", "1", "yes")
    return bool(setting)


# ---------------------------------------------------------------------- the source
class DaskSource(RowsShape):
    """Statistics source of the EM driver over a dask array (see the module notes).

    Build it with :meth:`from_input`.  X is a 2-D float32/float64 dask array with one
    column chunk and known row chunks (persisted when it fits); sample_weight a float64
    dask array with X's row chunks, or None.
    """

    def __init__(self, X, sample_weight, n_threads, client, threads,
                 init_max_samples=None, persisted=False):
        self.X = X
        self.sample_weight = sample_weight
        self.n_threads = n_threads
        self.client = client
        self.threads = threads
        self.init_max_samples = (_config("init-max-samples", _DEFAULT_INIT_MAX_SAMPLES)
                                 if init_max_samples is None else init_max_samples)
        self.persisted = persisted
        self._init_cache = None

    @classmethod
    def from_input(cls, X, sample_weight=None, n_threads=None, *, init_max_samples=None,
                   normalize_weights=False):
        """(DaskSource, feature names or None) for a dask Array/DataFrame X.

        Converts X lazily (float32 stays float32, other numbers become float64, one
        column chunk), aligns sample_weight (a dask array with X's row chunks, or an
        in-memory array, wrapped), checks the workers' fastgmm, persists X when it fits
        (``fastgmm.persist``) and reads it once to validate it.

        n_threads : None or int
            Threads per task (None: the policy in the module notes).
        init_max_samples : int, optional
            Rows gathered for initialisation (default ``fastgmm.init-max-samples``).
        normalize_weights : bool
            Rescale the weights to a mean of 1, as ``check_sample_weight(...,
            normalize=True)`` does in memory (estimators whose fit depends only on the
            relative weights).
        """
        X, names = _as_dask_array(X, "X", lengths=True)
        if not _known_rows(X):
            X = X.compute_chunk_sizes()
        X = _one_column_chunk(X)
        n, d = X.shape
        w = _as_dask_weights(sample_weight, X, normalize_weights)
        if n < 2:
            raise ValueError(
                f"Found array with {n} sample(s) (shape={X.shape}) while a minimum of 2 "
                f"is required: X has n_samples = {n}.")
        if d == 0:
            raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a "
                             "minimum of 1 is required: X has no features.")
        client = _active_client()
        threads = _thread_plan(client, n_threads, X.numblocks[0])  # checks workers
        nbytes = X.nbytes + (w.nbytes if w is not None else 0)
        persisted = _should_persist(nbytes, client)
        if persisted:
            X, w = dask.persist(X, w) if w is not None else (X.persist(), None)
        source = cls(X, w, n_threads, client, threads, init_max_samples, persisted)
        # in-memory weights were checked and normalised by check_sample_weight already
        source._validate(normalize_weights and _is_dask(sample_weight))
        return source, names

    def _row_starts(self):
        return np.concatenate([[0], np.cumsum(self.X.chunks[0])]).astype(np.int64)

    # -- passes
    def _validate(self, normalize_weights=False):
        """Read X (and the weights) once: NaN or infinity, negative weights or weights
        of zero sum raise the in-memory messages.  With ``normalize_weights`` (dask
        weights) the weights are then rescaled to a mean of 1 as in memory
        (``check_sample_weight(normalize=True)``: through their max first)."""
        w = self.sample_weight
        args = (self.X, "ij") + ((w, "i") if w is not None else ())
        table = da.blockwise(_validate_block, "ij", *args, adjust_chunks={
            "i": 1, "j": 5}, dtype=np.float64, meta=np.empty((0, 0))).compute()
        starts = self._row_starts()
        bad = np.flatnonzero(table[:, 0] == 0)
        if bad.size:
            b = int(bad[0])
            raise ValueError(f"Input X contains NaN or infinity (in row chunk {b}, "
                             f"rows {starts[b]} to {starts[b + 1] - 1}).")
        if w is None:
            return
        if not (table[:, 1] == 1).all():
            raise ValueError("sample_weight contains NaN or infinity.")
        if (table[:, 2] < 0).any():
            raise ValueError("Negative values in sample_weight are not allowed.")
        top = table[:, 3].max()
        if not top > 0:
            raise ValueError("sample_weight must have a positive sum: the weights are "
                             "all zero.")
        if not normalize_weights:
            if not np.isfinite(table[:, 4].sum()):
                raise ValueError("sample_weight sums to infinity; rescale the weights.")
            return
        scaled = w / top
        mean = float(scaled.sum().compute()) / self.n_samples
        w = scaled / mean
        self.sample_weight = w.persist() if self.persisted else w

    def statistics(self, params, resp_entropy=False):
        """Sufficient statistics of every row under ``params``: one blockwise pass over
        the row chunks and a tree sum of their vectors; computed now."""
        packed = _packed(params, self.dtype)
        K, D = params.n_components, self.n_features
        cov_code = packed[4]
        layout = stats_layout(D, K, cov_code)
        size = layout["size"]
        args = (self.X, "ij") + ((self.sample_weight, "i")
                                 if self.sample_weight is not None else ())
        parts = da.blockwise(
            _stats_block, "ij", *args, adjust_chunks={"i": 1, "j": size},
            dtype=np.float64, meta=np.empty((0, 0)), concatenate=True,
            name=_unique("fastgmm-stats"),
            threads=self.threads, resp_entropy=bool(resp_entropy), size=size,
            **_param_kwargs(packed))
        graph, keys = _tree_sum(parts, int(_config("split-every", 8)))
        vec = _sum_vectors(_compute_keys(graph, keys), last=True)
        if not resp_entropy:
            vec[layout["resp_entropy_sum"][0]] = np.nan
        shift = packed[0].astype(np.float64) + packed[1].astype(np.float64)
        return SufficientStatistics(vec, shift, params.covariance_type,
                                    float(np.finfo(self.dtype).eps))

    def initialization_data(self, random_state=None, max_samples="default"):
        """(X, sample_weight) in memory for the initialisers.

        All rows, in order, when there are at most ``max_samples`` of them (default:
        ``init_max_samples`` of this source, 2**20 unless configured; None: all rows,
        which must then fit in this process's memory) -- then the
        initialisation is exactly the in-memory one.  Otherwise a uniform sample of
        about ``max_samples`` distinct rows (duplicates of ``max_samples`` draws with
        replacement removed), in row order, gathered chunk by chunk, with their weights;
        the rows are drawn from ``random_state`` when given (deterministic given it),
        else from a fixed seed (0), so a fit is deterministic given its random_state
        either way.
        """
        m = self.init_max_samples if isinstance(max_samples, str) else max_samples
        n = self.n_samples
        cacheable = random_state is None or m is None or n <= m
        if cacheable and self._init_cache is not None and self._init_cache[0] == m:
            return self._init_cache[1]
        w = self.sample_weight
        if m is None or n <= m:
            if w is None:
                X, W = self.X.compute(), None
            else:
                X, W = dask.compute(self.X, w)
        else:
            rs = np.random.RandomState(0) if random_state is None else \
                check_random_state(random_state)
            rows = np.unique(rs.randint(0, n, size=m))
            starts = self._row_starts()
            blocks = self.X.to_delayed().ravel()
            wblocks = w.to_delayed().ravel() if w is not None else None
            take = dask.delayed(_take_rows, pure=True)
            parts, wparts = [], []
            for b in range(len(blocks)):
                lo, hi = np.searchsorted(rows, [starts[b], starts[b + 1]])
                if hi > lo:
                    local = rows[lo:hi] - starts[b]
                    parts.append(take(blocks[b], local))
                    if wblocks is not None:
                        wparts.append(take(wblocks[b], local))
            got = dask.compute(parts, wparts)
            X = np.concatenate(got[0])
            W = np.concatenate(got[1]) if wblocks is not None else None
        X = np.ascontiguousarray(X)
        if W is not None:
            W = np.ascontiguousarray(W, dtype=np.float64)
            if not W.sum() > 0:  # a sample of zero-weight rows only: unweighted
                W = None
        result = (X, W)
        if cacheable:
            self._init_cache = (m, result)
        return result

    def scores(self, params, **which):
        """Lazy per-row outputs (weighted_logprob, resp, loglik, label) under params,
        as dask arrays with X's row chunks (one task per chunk for all of them)."""
        return _lazy_outputs(self.X, params, self.threads, which, check_finite=False)

    def worst_explained_rows(self, params, m):
        """The m rows (of positive weight) with the lowest log-density under params,
        as float64 (m, n_features), most surprising first; each chunk sends back at
        most m candidates."""
        hi, lo, prec, log_norm, cov_code = _packed(params, self.dtype)
        starts = self._row_starts()
        blocks = self.X.to_delayed().ravel()
        wblocks = (self.sample_weight.to_delayed().ravel()
                   if self.sample_weight is not None else [None] * len(blocks))
        worst = dask.delayed(_worst_block, pure=True)
        tasks = [worst(b, wb, offset=int(starts[i]), m=m, hi=hi, lo=lo, prec=prec,
                       log_norm=log_norm, cov_code=cov_code, threads=self.threads)
                 for i, (b, wb) in enumerate(zip(blocks, wblocks))]
        got = dask.compute(*tasks)
        vals = np.concatenate([g[0] for g in got])
        rows = np.concatenate([g[1] for g in got])
        index = np.concatenate([g[2] for g in got])
        order = np.lexsort((index, vals))[:m]  # lowest first, ties by row order
        return rows[order]


# ---------------------------------------------------------------------- lazy scoring
def _lazy_outputs(X, params, threads, which, check_finite):
    names = tuple(k for k in _OUTPUTS if which.get(k))
    if not names:
        return ()
    for k in which:
        if k not in _OUTPUTS:
            raise TypeError(f"unknown score output {k!r}")
    packed = _packed(params, X.dtype)
    K = params.n_components
    kw = dict(threads=threads, which=names, n_components=K, check_finite=check_finite,
              **_param_kwargs(packed))

    def spec(k):
        if k == "label":
            return np.int64, (X.chunks[0],)
        if k == "loglik":
            return X.dtype, (X.chunks[0],)
        return X.dtype, (X.chunks[0], (K,))

    if len(names) == 1:
        dtype, chunks = spec(names[0])
        return (X.map_blocks(_score_block, dtype=dtype, chunks=chunks,
                             drop_axis=None if len(chunks) == 2 else 1,
                             meta=np.empty((0,) * len(chunks), dtype),
                             name=_unique("fastgmm-score"), **kw),)
    # one task per chunk computes every output (a tuple, in a 1-D "array" of tuple
    # blocks); one cheap pick per output
    parts = X.map_blocks(_score_block, dtype=X.dtype, chunks=(X.chunks[0],),
                         drop_axis=1, meta=np.empty((0,), X.dtype),
                         name=_unique("fastgmm-scores"), **kw)
    out = []
    for i, k in enumerate(names):
        dtype, chunks = spec(k)
        index, new_axes = ("ij", {"j": K}) if len(chunks) == 2 else ("i", None)
        out.append(da.blockwise(_pick, index, parts, "i", i, None, new_axes=new_axes,
                                dtype=dtype, meta=np.empty((0,) * len(chunks), dtype),
                                name=_unique(f"fastgmm-{k}")))
    return tuple(out)


def lazy_scores(estimator, X, which):
    """The fitted ``estimator``'s per-row outputs on a dask X, as lazy dask arrays.

    ``which``: dict of the ``kernels.score`` flags (weighted_logprob, resp, loglik,
    label); returns the requested outputs in that order.  Nothing is computed (a
    DataFrame's partition lengths are not even asked for): each output has X's row
    chunks; a chunk with NaN or infinity raises ValueError when computed.  Only the
    estimator's parameters (as arrays) enter the graph.
    """
    Xd, names = _as_dask_array(X, "X", lengths=False)
    estimator._check_feature_names(names)
    if Xd.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {Xd.shape[1]} features, but {type(estimator).__name__} "
                         f"is expecting {estimator.n_features_in_} features as input.")
    Xd = _one_column_chunk(Xd)
    client = _active_client()
    threads = _thread_plan(client, getattr(estimator, "n_threads", None),
                           Xd.numblocks[0])
    return _lazy_outputs(Xd, estimator._kernel_params(), threads, which,
                         check_finite=True)


def sum_and_count(values):
    """(float sum, int count) of a 1-D dask array in one compute, also when its chunk
    sizes are unknown (e.g. scores of a dask DataFrame): what ``bic``/``aic`` need."""
    parts = values.map_blocks(_sum_count_block, dtype=np.float64, chunks=(
        (2,) * values.numblocks[0],), meta=np.empty((0,)))
    table = np.asarray(parts.compute()).reshape(-1, 2)
    return float(table[:, 0].sum()), int(table[:, 1].sum())


def _sum_count_block(values):
    values = np.asarray(values)
    return np.array([values.sum(dtype=np.float64), values.shape[0]], dtype=np.float64)


def checked_lazily(labels, check_fn=None, make_error=None):
    """Lazy labels that raise ValueError when computed if a chunk has a label < 0 (a
    row of zero density under every component).

    The error is ``make_error(global rows)`` (default:
    ``BaseMixture._zero_density_error``, the in-memory message).  ``check_fn``, the
    in-memory check, is never sent to the workers (it may hold an estimator); only a
    module-level ``make_error`` is.
    """
    return labels.map_blocks(_check_labels_block, make_error=make_error,
                             dtype=labels.dtype, meta=np.empty((0,), labels.dtype),
                             name=_unique("fastgmm-checked"))


def checked_proba_lazily(resp, loglik, make_error=None):
    """Lazy responsibilities that raise ``make_error(global rows)`` when computed if a
    chunk has a row of zero density (loglik -inf)."""
    return da.map_blocks(_check_proba_block, resp, loglik[:, None],
                         make_error=make_error, dtype=resp.dtype,
                         meta=np.empty((0, 0), resp.dtype),
                         name=_unique("fastgmm-checked-proba"))
