# Design: the OpenMP shim.  Compiles with or without OpenMP (then everything runs
# serially); answers whether OpenMP was compiled in and resolves the thread count.
#
# Thread-count policy for n_threads=None: what OpenMP would use (OMP_NUM_THREADS, or
# the CPUs in the process's affinity mask, lowered by a threadpoolctl limit), and,
# when OMP_NUM_THREADS is not set, no more than a cgroup CPU quota allows (a
# container given 2 CPUs of a 64-core host: 64 threads would each be throttled, and
# the passes would wait for the slowest).  This is scikit-learn's policy
# (_openmp_effective_n_threads with loky's cpu_count).
#
# Wait policy: how idle OpenMP threads wait is read by the OpenMP runtime once, when
# it is loaded (libgomp: OMP_WAIT_POLICY, GOMP_SPINCOUNT), i.e. before this module's
# code runs; fastgmm/__init__.py sets the passive default before importing any
# extension (see wait_policy()).
import math
import os

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


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def cgroup_cpu_limit(proc_cgroup="/proc/self/cgroup", root="/sys/fs/cgroup"):
    """CPUs a cgroup CPU quota allows this process (a float), or None for no quota.

    cgroup v2 (``cpu.max``: "quota period") and v1 (``cpu.cfs_quota_us`` /
    ``cpu.cfs_period_us``); the smallest quota on the way from the process's cgroup
    up to the root counts (inside a container the root is the container's cgroup).
    """
    text = _read(proc_cgroup)
    if text is None:
        return None
    limits = []
    for line in text.splitlines():
        parts = line.strip().split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # v2
            pairs = [("", "cpu.max", None)]
        elif "cpu" in controllers.split(","):  # v1
            pairs = [(d, "cpu.cfs_quota_us", "cpu.cfs_period_us")
                     for d in (controllers, "cpu", "cpu,cpuacct", "cpuacct,cpu")]
        else:
            continue
        for sub, quota_file, period_file in pairs:
            base = os.path.join(root, sub) if sub else root
            if not os.path.isdir(base):
                continue
            rel = path.strip("/")
            while True:
                d = os.path.join(base, rel) if rel else base
                if period_file is None:
                    words = (_read(os.path.join(d, quota_file)) or "").split()
                    if len(words) == 2 and words[0] != "max":
                        try:
                            q, p = int(words[0]), int(words[1])
                            if q > 0 and p > 0:
                                limits.append(q / p)
                        except ValueError:
                            pass
                else:
                    q, p = _read(os.path.join(d, quota_file)), _read(os.path.join(d, period_file))
                    try:
                        q, p = int(q), int(p)
                        if q > 0 and p > 0:
                            limits.append(q / p)
                    except (TypeError, ValueError):
                        pass
                if not rel:
                    break
                rel = os.path.dirname(rel)
            break  # the first controller directory that exists
    return min(limits) if limits else None


_quota_threads = -1  # not read yet; then None (no quota) or an int >= 1


def _cpu_quota_threads():
    global _quota_threads
    if _quota_threads == -1:
        try:
            limit = cgroup_cpu_limit()
        except Exception:  # never let an odd /sys stop a fit
            limit = None
        _quota_threads = None if limit is None else max(1, math.ceil(limit))
    return _quota_threads


def effective_n_threads(n_threads=None):
    """Number of threads the kernels will use.

    ``None`` means what OpenMP would use: ``OMP_NUM_THREADS`` or the number of
    cores, lowered by any active ``threadpoolctl`` OpenMP limit and, when
    ``OMP_NUM_THREADS`` is not set, by a cgroup CPU quota (containers).  A positive
    int is taken as is (capped at 1 without OpenMP).
    """
    if n_threads is None:
        n = max(1, fgmm_omp_max_threads())
        if "OMP_NUM_THREADS" not in os.environ:
            quota = _cpu_quota_threads()
            if quota is not None:
                n = min(n, quota)
        return n
    if isinstance(n_threads, bool) or not isinstance(n_threads, (int,)) and not (
            hasattr(n_threads, "__index__")):
        raise ValueError(f"n_threads must be None or a positive int, got {n_threads!r}")
    n = int(n_threads)
    if n < 1:
        raise ValueError(f"n_threads must be None or a positive int, got {n_threads!r}")
    return n if FGMM_HAVE_OPENMP else 1


# the environment when this module (so the OpenMP runtime) was loaded
_WAIT_ENV = {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}


def wait_policy():
    """How idle OpenMP threads wait, as the environment told the runtime when it was
    loaded: ``{"OMP_WAIT_POLICY": ..., "GOMP_SPINCOUNT": ...}`` (None where unset)."""
    return dict(_WAIT_ENV)
