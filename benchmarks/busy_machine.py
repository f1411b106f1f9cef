"""A fit on a busy machine: wall time beside 0, 1 and 2 busy processes, as a ratio
to the quiet fit measured in the same round, with the fit's CPU time.

The fit (N x D float64 blobs, K components, `--iters` EM iterations with tol=0,
'random_from_data' initialisation unless `--init kmeans`) runs in a fresh child
process per measurement, so OpenMP reads the wait policy given to it (`--policies`:
`default` = OMP_WAIT_POLICY and GOMP_SPINCOUNT unset, `passive` =
OMP_WAIT_POLICY=passive, `spinN` = GOMP_SPINCOUNT=N).  A busy process is a pure-Python
spin loop (`--busy numpy`: a loop of small NumPy sums), one per busy core.  Each
round runs every (busy count, policy) once, in a rotated order; the table gives
medians over rounds and, per row, the median of the per-round ratios to that
round's quiet fit with the same policy (back-to-back ratios: the other load on a
shared machine moves both).  `CPU/wall` is the fit process's CPU seconds per
wall second (2.0 = two cores all the time).  The machine's load average is printed
before and after: on a machine other people use, read the ratios, not the seconds.

    python benchmarks/busy_machine.py                 # 1e6 x 12, K=8, 20 iterations
    python benchmarks/busy_machine.py --quick         # smaller and fewer rounds
    python benchmarks/busy_machine.py --policies default,passive,spin10000
    python benchmarks/busy_machine.py --builds old=/tmp/old,new=.   # A/B two builds
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
from fastgmm import GaussianMixture
n, d, k, iters, threads, init = {n}, {d}, {k}, {iters}, {threads}, "{init}"
rng = np.random.RandomState(0)
X = rng.randn(n, d) + 4 * rng.randn(k, d)[rng.randint(k, size=n)]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    GaussianMixture(k, max_iter=1, tol=0, init_params="random_from_data", random_state=0,
                    n_threads=threads).fit(X[:20000])  # warm: imports, thread pool
print("ready", flush=True)
sys.stdin.readline()  # the parent starts the busy processes, then says go
g = GaussianMixture(k, max_iter=iters, tol=0, init_params=init, random_state=0,
                    n_threads=threads)
c0, t0 = cpu(), time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    g.fit(X)
wall, used = time.perf_counter() - t0, cpu() - c0
print(json.dumps(dict(wall=wall, cpu=used, lower_bound=g.lower_bound_)), flush=True)
"""

BUSY = {
    "python": "while True:\n    pass\n",
    "numpy": "import numpy as np\na = np.ones(4096)\nwhile True:\n    a.sum()\n",
}


def policy_env(policy, pythonpath=None):
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.path.abspath(pythonpath)
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("GOMP_SPINCOUNT", None)
    if policy == "passive":
        env["OMP_WAIT_POLICY"] = "passive"
    elif policy == "active":
        env["OMP_WAIT_POLICY"] = "active"
    elif policy.startswith("spin"):
        env["GOMP_SPINCOUNT"] = policy[4:]
    elif policy != "default":
        raise SystemExit(f"unknown policy {policy!r}")
    return env


def one_fit(args, build, policy, n_busy):
    code = CHILD.format(n=args.n, d=args.d, k=args.k, iters=args.iters,
                        threads=args.threads if args.threads else "None", init=args.init)
    child = subprocess.Popen([sys.executable, "-c", code],
                             env=policy_env(policy, args.builds.get(build)),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    busy = []
    try:
        assert child.stdout.readline().strip() == "ready"
        busy = [subprocess.Popen([sys.executable, "-c", BUSY[args.busy]])
                for _ in range(n_busy)]
        time.sleep(0.3 if n_busy else 0.0)  # let the spinners get going
        child.stdin.write("go\n")
        child.stdin.flush()
        out = json.loads(child.stdout.readline())
        child.wait()
        return out
    finally:
        for b in busy:
            b.kill()
            b.wait()
        if child.poll() is None:
            child.kill()
            child.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--d", type=int, default=12)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--init", default="random_from_data")
    ap.add_argument("--threads", type=int, default=0, help="0: fastgmm's default")
    ap.add_argument("--busy-counts", default="0,1,2")
    ap.add_argument("--busy", choices=sorted(BUSY), default="python")
    ap.add_argument("--policies", default="default,passive")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--builds", default="",
                    help="LABEL=DIR,...: also compare builds (DIR put first on PYTHONPATH)")
    ap.add_argument("--quick", action="store_true", help="N=2e5, 3 rounds")
    ap.add_argument("--json", help="write the raw measurements here")
    args = ap.parse_args()
    if args.quick:
        args.n, args.rounds = 200_000, 3
    counts = [int(c) for c in args.busy_counts.split(",")]
    policies = args.policies.split(",")
    args.builds = dict(b.split("=", 1) for b in args.builds.split(",") if b) or {"-": None}
    cases = [(v, p, b) for v in args.builds for p in policies for b in counts]
    print(f"# fit N={args.n:,} D={args.d} K={args.k}, {args.iters} iterations, tol=0, "
          f"init={args.init}, threads={args.threads or 'default'}; busy process: "
          f"{args.busy} spin; {os.cpu_count()} CPUs; load average before "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    runs = {c: [] for c in cases}
    for r in range(args.rounds):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for case in order:
            runs[case].append(one_fit(args, *case))
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(
            f"{v}/{p}/{b}: {runs[(v, p, b)][-1]['wall']:.2f}s" for v, p, b in cases),
            flush=True)
    print(f"\nload average after {os.getloadavg()[0]:.2f}\n")
    print("| build | busy processes | wait policy | wall s (median) | ratio to quiet "
          "(median of rounds) | ratio range | fit CPU s | CPU/wall |")
    print("|---|---|---|---|---|---|---|---|")
    for v, p in [(v, p) for v in args.builds for p in policies]:
        quiet = [x["wall"] for x in runs[(v, p, 0)]] if 0 in counts else None
        for b in counts:
            walls = [x["wall"] for x in runs[(v, p, b)]]
            cpus = [x["cpu"] for x in runs[(v, p, b)]]
            if quiet:
                ratios = [w / q for w, q in zip(walls, quiet)]
                ratio = f"{statistics.median(ratios):.2f}x"
                spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
            else:
                ratio = spread = "-"
            print(f"| {v} | {b} | {p} | {statistics.median(walls):.2f} | {ratio} | {spread} | "
                  f"{statistics.median(cpus):.2f} | "
                  f"{statistics.median(c / w for c, w in zip(cpus, walls)):.2f} |")
    bounds = {round(x["lower_bound"], 12) for v in runs.values() for x in v}
    print(f"\nlower bounds agree across all runs: {len(bounds) == 1}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"/".join(map(str, c)): v for c, v in runs.items()}, f, indent=1)


if __name__ == "__main__":
    main()
