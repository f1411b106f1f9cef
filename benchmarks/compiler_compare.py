"""The C core built by different compilers (GCC against clang by default), per kernel
pass, per instruction set: instruction counts under callgrind and wall times.

Builds benchmarks/isa_bench.c against csrc/ once per compiler, with setup.py's flags
(benchmarks/isa_kernels.py's build(): every instruction-set unit with its own flags),
all builds before anything is measured, then for every kernel x D x dtype x
instruction set this CPU runs (one thread, K=--k, covariance --cov for em/score):

  * instructions per pass (callgrind Ir of one kernel call over N rows; exact and
    repeatable, so the primary figure on a shared machine; valgrind has no AVX-512,
    so that path gets wall times only);
  * the wall time of a pass over a larger N: --rounds rounds, each running every
    compiler's driver once (the order alternates from round to round), each driver
    reporting the median of --reps interleaved passes; the figure is the median over
    the rounds, and the ratio is the median of the per-round ratios (neighbouring runs,
    so a change of load hits both), with its range over the rounds, and the ratio of
    the fastest rounds (min over rounds, each compiler: the least disturbed runs).

Ratios are against the first compiler.  Output: markdown on stdout (and --json FILE).

    python benchmarks/compiler_compare.py                         # gcc vs clang
    python benchmarks/compiler_compare.py --no-time               # counts only
    python benchmarks/compiler_compare.py --compilers gcc,clang-17 --kernels em
"""
import argparse
import concurrent.futures
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import isa_kernels as ik  # noqa: E402  (build, rows_for, run_time, run_callgrind)


def compiler_version(cc):
    r = subprocess.run([cc, "--version"], capture_output=True, text=True)
    return r.stdout.splitlines()[0].strip() if r.returncode == 0 and r.stdout else cc


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else float("nan")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compilers", default="gcc,clang",
                    help="comma-separated; ratios are against the first")
    ap.add_argument("--src", default=ik.ROOT, help="checkout whose csrc/ is measured")
    ap.add_argument("--cflags", default="", help="extra flags, every compiler")
    ik.add_grid_arguments(ap, kernels="em,score,kmeans")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="callgrind runs at once (counts do not depend on load)")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--no-time", action="store_true")
    ap.add_argument("--target", type=float, default=1.2,
                    help="ratio flagged in the table (default 1.2)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    ccs = a.compilers.split(",")
    use_cg = not a.no_callgrind
    if use_cg and shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (or pass --no-callgrind)")
    tmp = tempfile.mkdtemp()
    try:
        # ---- every build first: nothing is timed while a compiler runs
        exes = {}
        for cc in ccs:
            out = os.path.join(tmp, cc.replace(os.sep, "_"))
            os.makedirs(out)
            exes[cc] = ik.build(a.src, cc, out, a.cflags.split())
        per_cc = [ik.supported_isas(exes[cc]) for cc in ccs]
        isas = a.isas.split(",") if a.isas else [i for i in per_cc[0]
                                                 if all(i in p for p in per_cc)]
        cells = [(kernel, d, dtype) for kernel in a.kernels.split(",")
                 for d in map(int, a.dims.split(",")) for dtype in a.dtypes.split(",")]
        versions = {cc: compiler_version(cc) for cc in ccs}

        # ---- callgrind: instructions per pass (in parallel: counts ignore load)
        counts, n_cg = {}, {}
        if use_cg:
            cg_isas = [i for i in isas if i != "avx512"]
            jobs = []
            for kernel, d, dtype in cells:
                n = n_cg[kernel, d, dtype] = ik.rows_for(kernel, d, a.k, True)
                for isa in cg_isas:
                    for cc in ccs:
                        jobs.append((kernel, d, dtype, isa, cc, n))
            with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
                futs = {job: pool.submit(ik.run_callgrind, exes[job[4]], job[0], a.cov,
                                         job[2], job[1], a.k, job[5], job[3])
                        for job in jobs}
                for job, fut in futs.items():
                    counts[job[:5]] = fut.result()
            print(f"# callgrind done ({len(jobs)} runs)", file=sys.stderr, flush=True)

        # ---- wall time, one compiler after the other in each round
        times, ratios, n_time, checks, best = {}, {}, {}, {}, {}
        if not a.no_time:
            for kernel, d, dtype in cells:
                n = n_time[kernel, d, dtype] = ik.rows_for(kernel, d, a.k, False)
                rounds = []
                for r in range(a.rounds):
                    order = ccs if r % 2 == 0 else ccs[::-1]
                    res = {cc: ik.run_time(exes[cc], kernel, a.cov, dtype, d, a.k, n,
                                           a.reps, isas) for cc in order}
                    rounds.append(res)
                for isa in isas:
                    for cc in ccs:
                        ts = [res[cc][isa][0] for res in rounds]
                        times[kernel, d, dtype, isa, cc] = statistics.median(ts)
                        best[kernel, d, dtype, isa, cc] = min(ts)
                        checks[kernel, d, dtype, isa, cc] = rounds[0][cc][isa][1]
                        ratios[kernel, d, dtype, isa, cc] = [
                            res[cc][isa][0] / res[ccs[0]][isa][0] for res in rounds]
                print(f"# timed {kernel} D={d} {dtype}", file=sys.stderr, flush=True)

        # ---- the table
        ref, others = ccs[0], ccs[1:]
        print("# " + "; ".join(f"{cc}: {versions[cc]}" for cc in ccs))
        print(f"# K={a.k}, cov={a.cov} (em, score), one thread, flags as setup.py "
              f"(-O3 -fno-trapping-math -fno-math-errno -fopenmp-simd + per-ISA -m flags)"
              + (f" + {a.cflags}" if a.cflags else ""))
        if use_cg:
            print("# Ir: callgrind instructions per pass over N_cg rows (exact)")
        if not a.no_time:
            print(f"# ms: wall time per pass over N_t rows, median of {a.rounds} rounds x "
                  f"median of {a.reps} passes; ratio: median of the per-round ratios "
                  f"[min-max]; best: ratio of the fastest rounds")
        head = ["kernel", "D", "dtype", "ISA"]
        if use_cg:
            head += ["N_cg"] + [f"Ir {cc}" for cc in ccs] + [f"Ir {cc}/{ref}"
                                                             for cc in others]
        if not a.no_time:
            head += ["N_t"] + [f"ms {cc}" for cc in ccs] + [
                f"{what} {cc}/{ref}" for cc in others for what in ("time", "best")]
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        flag = lambda x: f"**{x:.3f}**" if x > a.target else f"{x:.3f}"  # noqa: E731
        rows, summary = [], {}
        for kernel, d, dtype in cells:
            for isa in isas:
                key = (kernel, d, dtype, isa)
                row = dict(kernel=kernel, d=d, dtype=dtype, isa=isa)
                out = [kernel, str(d), dtype, isa]
                if use_cg:
                    if isa == "avx512":
                        out += ["-"] * (1 + len(ccs) + len(others))
                    else:
                        ir = {cc: counts[key + (cc,)] for cc in ccs}
                        row.update(n_cg=n_cg[kernel, d, dtype], ir=ir)
                        out += [str(n_cg[kernel, d, dtype])] + [f"{ir[cc]:,}" for cc in ccs]
                        for cc in others:
                            x = ir[cc] / ir[ref]
                            summary.setdefault(("Ir", isa, cc), []).append(x)
                            out.append(flag(x))
                if not a.no_time:
                    t = {cc: times[key + (cc,)] for cc in ccs}
                    rr = {cc: ratios[key + (cc,)] for cc in others}
                    tb = {cc: best[key + (cc,)] for cc in ccs}
                    row.update(n_t=n_time[kernel, d, dtype], seconds=t, best_seconds=tb,
                               time_ratios=rr,
                               checksum={cc: checks[key + (cc,)] for cc in ccs})
                    out += [str(n_time[kernel, d, dtype])] + [f"{1e3 * t[cc]:.3f}"
                                                              for cc in ccs]
                    for cc in others:
                        x = statistics.median(rr[cc])
                        summary.setdefault(("time", isa, cc), []).append(x)
                        out.append(f"{flag(x)} [{min(rr[cc]):.2f}-{max(rr[cc]):.2f}]")
                        xb = tb[cc] / tb[ref]
                        summary.setdefault(("time (best)", isa, cc), []).append(xb)
                        out.append(flag(xb))
                    c0 = checks[key + (ref,)]
                    tol = 1e-6 if dtype == "float64" else 1e-2
                    for cc in others:
                        c1 = checks[key + (cc,)]
                        if abs(c1 - c0) > tol * (abs(c0) + 1):
                            print(f"# WARNING {kernel} D={d} {dtype} {isa}: checksums "
                                  f"differ ({ref} {c0!r}, {cc} {c1!r})", file=sys.stderr)
                rows.append(row)
                print("| " + " | ".join(out) + " |", flush=True)
        print()
        print(f"Geometric mean (max) of the {'/'.join(others)}/{ref} ratios "
              f"over kernels x D x dtype:")
        for (what, isa, cc), xs in sorted(summary.items()):
            over = sum(x > a.target for x in xs)
            print(f"- {what}, {isa}, {cc}/{ref}: {geomean(xs):.3f} (max {max(xs):.3f}; "
                  f"{over} of {len(xs)} above {a.target})")
        if a.json:
            with open(a.json, "w") as f:
                json.dump(dict(compilers=versions, k=a.k, cov=a.cov, isas=isas,
                               rows=rows), f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
