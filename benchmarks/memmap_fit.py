"""Out-of-core fits: a float32 memmap on disk, fitted in place.

Writes N x D float32 blobs to a file (once; reused if present), fits
GaussianMixture on np.memmap of it and reports seconds per EM iteration and the peak
anonymous memory (RssAnon, sampled every 5 ms; the file's pages are RssFile, not
counted) of the fitting process, next to the file's size.

    python benchmarks/memmap_fit.py                    # 1e8 x 8 float32: a 3.2 GB file
    python benchmarks/memmap_fit.py --n 1200000000 --d 2  # N x D > 2**31 elements
    python benchmarks/memmap_fit.py --quick            # 2e6 x 8, for a smoke run

With --check (on by default when N x D > 2**31) the fitted model's statistics over the
whole memmap -- one kernel pass whose row offsets pass 2**31 elements -- are compared
with the sum of the same statistics over slices of at most 2**28 rows (each slice's
offsets stay small), and so is score(X): 64-bit indexing shown end to end, not assumed.
"""
import argparse
import os
import tempfile
import threading
import time

import numpy as np

from fastgmm import GaussianMixture


def rss_anon():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def write_blobs(path, n, d, k, seed=0, chunk=2_000_000):
    X = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, d))
    rng = np.random.RandomState(seed)
    centers = rng.uniform(-10, 10, size=(k, d)).astype(np.float32)
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        X[a:b] = centers[rng.randint(k, size=b - a)]
        X[a:b] += rng.standard_normal(size=(b - a, d)).astype(np.float32)
    X.flush()
    del X


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000_000)
    ap.add_argument("--d", type=int, default=8)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--init", default="kmeans")
    ap.add_argument("--dir", default=tempfile.gettempdir())
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--check", action=argparse.BooleanOptionalAction, default=None,
                    help="compare whole-array statistics with sliced ones "
                         "(default: when N x D > 2**31)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.iters = 2_000_000, 2
    path = os.path.join(args.dir, f"fastgmm_memmap_{args.n}x{args.d}.f32")
    size = args.n * args.d * 4
    if not (os.path.exists(path) and os.path.getsize(path) == size):
        t0 = time.perf_counter()
        write_blobs(path, args.n, args.d, args.k)
        print(f"wrote {path} ({size / 1e9:.2f} GB) in {time.perf_counter() - t0:.0f} s")
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(args.n, args.d))
    peak = [rss_anon()]
    base = peak[0]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.005):
            peak[0] = max(peak[0], rss_anon())

    threading.Thread(target=sample, daemon=True).start()
    times = {}
    for iters in (1, 1 + args.iters):
        g = GaussianMixture(args.k, max_iter=iters, tol=0, random_state=0,
                            init_params=args.init)
        t0 = time.perf_counter()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g.fit(X)
        times[iters] = time.perf_counter() - t0
    stop.set()
    per_iter = (times[1 + args.iters] - times[1]) / args.iters
    print(f"N={args.n:,} D={args.d} K={args.k} float32 memmap ({size / 1e9:.2f} GB, "
          f"N*D={args.n * args.d:,} elements): init + 1 iteration {times[1]:.1f} s, "
          f"{per_iter:.2f} s per EM iteration; peak RssAnon growth "
          f"{(peak[0] - base) / 1e6:.0f} MB; lower bound {g.lower_bound_:.4f}")
    if args.check if args.check is not None else args.n * args.d > 2**31:
        check_64bit_offsets(g, X)


def check_64bit_offsets(g, X, rows_per_slice=2**28):
    """Whole-array kernel passes against slice-by-slice ones (see the docstring)."""
    from fastgmm.kernels import GMMParameters, sufficient_statistics
    params = GMMParameters(g.weights_, g.means_, g.precisions_cholesky_,
                           g.covariance_type)
    t0 = time.perf_counter()
    whole = sufficient_statistics(X, params)
    whole_score = g.score(X)
    sliced, score_sum = None, 0.0
    for a in range(0, X.shape[0], rows_per_slice):
        part = X[a:a + rows_per_slice]
        s = sufficient_statistics(part, params)
        sliced = s if sliced is None else sliced + s
        score_sum += g.score(part) * part.shape[0]
    sliced_score = score_sum / X.shape[0]

    def rel(a, b):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
    errors = {"nk": rel(whole.nk, sliced.nk),
              "s1": rel(whole.s1, sliced.s1), "s2": rel(whole.s2, sliced.s2),
              "mean log-likelihood": rel(whole.mean_log_likelihood,
                                         sliced.mean_log_likelihood),
              "score(X)": rel(whole_score, sliced_score)}
    print(f"64-bit offsets check ({time.perf_counter() - t0:.0f} s): whole array vs "
          f"{-(-X.shape[0] // rows_per_slice)} slices, relative differences "
          + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))
    print(f"nk sum {whole.nk.sum():.6e} (rows {X.shape[0]:.6e})")
    if max(errors.values()) > 1e-6 or abs(whole.nk.sum() - X.shape[0]) > 1e-6 * X.shape[0]:
        raise SystemExit("64-bit offsets check FAILED")


if __name__ == "__main__":
    main()
