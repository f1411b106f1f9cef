"""Thread scaling: seconds per EM iteration for 1..N threads (N = os.cpu_count()).

For each shape (full covariance, float64 by default): an EM iteration is timed as
(t(1 + m iterations) - t(1 iteration)) / m of `GaussianMixture.fit` with tol=0 and
'random_from_data' initialisation (so initialisation is excluded, the M-step on one
core included), and the fused E-step pass alone (`fastgmm.kernels.
sufficient_statistics`).  Each cell is the median of `--repeats` measurements;
`util` is the process's CPU time / (wall time * threads) during the timed
iterations (1.00 = every thread busy all the time); `x` is the speed-up over 1
thread.  Printed as a markdown table (one per shape).

    python benchmarks/thread_scaling.py                  # all shapes, 1..N threads
    python benchmarks/thread_scaling.py --quick          # 1, 2, 4, ... N; 1 repeat
    python benchmarks/thread_scaling.py --threads 1,2,8,16 --shapes 1e5x128x32

On a shared machine the CPU time / wall time ratio shows what other processes took;
compare cells measured back to back rather than across runs.
"""
import argparse
import resource
import statistics
import time
import os
import warnings

import numpy as np

from fastgmm import GaussianMixture
from fastgmm.kernels import GMMParameters, sufficient_statistics

SHAPES = ["1e6x16x16", "1e5x128x32", "6000x384x64"]


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def parse_shape(s):
    n, d, k = s.lower().split("x")
    return int(float(n)), int(d), int(k)


def data(n, d, k, dtype):
    rng = np.random.RandomState(0)
    return (rng.randn(n, d) + 3.0 * rng.randn(k, d)[rng.randint(k, size=n)]).astype(dtype)


def fit(X, k, iters, threads):
    g = GaussianMixture(k, max_iter=iters, tol=0, init_params="random_from_data",
                        random_state=0, n_threads=threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c0, t0 = cpu(), time.perf_counter()
        g.fit(X)
        return time.perf_counter() - t0, cpu() - c0, g


def measure(X, k, threads, iters, repeats):
    """(s per iteration, util of the iterations, s per pass, util of the passes)."""
    per_iter, util_iter, per_pass, util_pass = [], [], [], []
    params = None
    for _ in range(repeats):
        w1, c1, g = fit(X, k, 1, threads)
        wm, cm, _ = fit(X, k, 1 + iters, threads)
        per_iter.append((wm - w1) / iters)
        util_iter.append(max(cm - c1, 0.0) / max((wm - w1) * threads, 1e-12))
        if params is None:
            params = GMMParameters(g.weights_, g.means_, g.precisions_cholesky_, "full")
        c0, t0 = cpu(), time.perf_counter()
        sufficient_statistics(X, params, n_threads=threads)
        w = time.perf_counter() - t0
        per_pass.append(w)
        util_pass.append((cpu() - c0) / (w * threads))
    med = statistics.median
    return med(per_iter), med(util_iter), med(per_pass), med(util_pass)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="comma-separated NxDxK (default: %(default)s)")
    ap.add_argument("--threads", help="comma-separated thread counts (default 1..N)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=3, help="timed iterations per fit")
    ap.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    ap.add_argument("--quick", action="store_true",
                    help="threads 1, 2, 4, ..., N; 1 repeat of 2 iterations")
    args = ap.parse_args()
    n_cpu = os.cpu_count() or 1
    if args.threads:
        threads = [int(t) for t in args.threads.split(",")]
    elif args.quick:
        threads = sorted({1 << i for i in range(n_cpu.bit_length()) if 1 << i <= n_cpu}
                         | {n_cpu})
    else:
        threads = list(range(1, n_cpu + 1))
    if args.quick:
        args.repeats, args.iters = 1, 2
    dtype = np.dtype(args.dtype)
    print(f"# thread scaling: {n_cpu} CPUs, {args.dtype}, full covariance, median of "
          f"{args.repeats}, {args.iters} timed iterations per fit; load average "
          f"{os.getloadavg()[0]:.2f} at start\n")
    for shape in args.shapes.split(","):
        n, d, k = parse_shape(shape)
        X = data(n, d, k, dtype)
        fit(X[:min(n, 5000)], k, 1, 1)  # warm-up: imports, thread pool
        print(f"## N={n:,} D={d} K={k}\n")
        print("| threads | s / iteration | x | util | s / E-step pass | x | util |")
        print("|---|---|---|---|---|---|---|")
        base = None
        for t in threads:
            it, ui, ps, up = measure(X, k, t, args.iters, args.repeats)
            base = base or (it, ps)
            print(f"| {t} | {it:.4f} | {base[0] / it:.2f} | {ui:.2f} | {ps:.4f} | "
                  f"{base[1] / ps:.2f} | {up:.2f} |", flush=True)
        print(f"\nload average at the end of this shape: {os.getloadavg()[0]:.2f}\n")


if __name__ == "__main__":
    main()
