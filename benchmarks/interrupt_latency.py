"""Ctrl-C latency of a long fit: SIGINT sent to a child process fitting
N x D float32 data (K components, 'random_from_data' init, endless EM), time until
its KeyboardInterrupt handler runs.  Median over several interrupts at different
moments.  Usage: python benchmarks/interrupt_latency.py [--n 2000000 --d 16 --k 32]
"""
import argparse
import signal
import subprocess
import sys
import time

import numpy as np

CHILD = r"""
import sys, time
import numpy as np
from fastgmm import GaussianMixture
X = np.random.RandomState(0).randn({n}, {d}).astype(np.float32)
g = GaussianMixture({k}, max_iter=10_000, tol=0, init_params="{init}", random_state=0)
print("ready", flush=True)
try:
    g.fit(X)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter(), flush=True)
"""


def one(n, d, k, init, delay):
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(n=n, d=d, k=k, init=init)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        return float(child.stdout.readline().split()[1]) - sent
    finally:
        child.kill()
        child.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2_000_000)
    ap.add_argument("--d", type=int, default=16)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    for init in ("random_from_data", "kmeans"):
        lat = [one(args.n, args.d, args.k, init, 1.5 + 0.37 * r) for r in range(args.repeats)]
        print(f"{init:>16}: N={args.n:,} D={args.d} K={args.k} float32: median latency "
              f"{np.median(lat) * 1e3:.1f} ms (max {max(lat) * 1e3:.1f} ms, "
              f"{args.repeats} interrupts)")


if __name__ == "__main__":
    main()
