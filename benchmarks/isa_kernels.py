"""Per-kernel, per-instruction-set benchmark of the C core (no Python in the loop).

Builds benchmarks/isa_bench.c against csrc/ (each instruction-set unit with its
setup.py flags) and runs every kernel for each instruction set this CPU has, one
thread, back to back in one process:

    python benchmarks/isa_kernels.py                       # timings (medians), ratios
    python benchmarks/isa_kernels.py --callgrind           # instruction counts (exact,
                                                           # repeatable; no AVX-512 in
                                                           # valgrind)
    python benchmarks/isa_kernels.py --cc clang            # another compiler
    python benchmarks/isa_kernels.py --src /tmp/variant    # another checkout's csrc/

Grid: --kernels em,score,kmeans,nearest x --dims 2,16,64 x --dtypes float64,float32,
K=--k (16), covariance --cov (full) for em/score.  Output: a markdown table on stdout
(and --json FILE).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# as setup.py (BASE_FLAGS, ISA_UNITS)
BASE_FLAGS = ["-O3", "-std=gnu99", "-fno-trapping-math", "-fno-math-errno",
              "-fopenmp-simd", "-fPIC"]
ISA_UNITS = [
    ("baseline", "isa_base.c", [], None),
    ("avx2", "isa_avx2.c", ["-mavx2", "-mfma"], "FGMM_HAVE_AVX2"),
    ("avx512", "isa_avx512.c",
     ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl",
      "-mprefer-vector-width=512"], "FGMM_HAVE_AVX512"),
]
# rows per kernel call: about `budget` multiply-adds (the kernel's leading cost), so a
# call takes ~5-50 ms (timing) or a few seconds under callgrind
def rows_for(kernel, d, k, callgrind):
    budget = 3e6 if callgrind else 1.5e8
    cost = {"em": k * (d * d + 24 * d + 40), "score": k * (d * d + 8 * d + 30),
            "kmeans": 2 * k * d + 4 * d, "nearest": 4 * d + 8}[kernel]
    return int(min(400_000, max(1_024, budget / cost)))


def build(src, cc, out_dir, extra=(), isa_extra=None):
    csrc = os.path.join(src, "csrc")
    objs, macros = [], []
    for name, unit, flags, macro in ISA_UNITS:
        obj = os.path.join(out_dir, f"isa_{name}.o")
        more = (isa_extra or {}).get(name, [])
        r = subprocess.run([cc, *BASE_FLAGS, *extra, *flags, *more, "-I", csrc, "-c",
                            os.path.join(csrc, unit), "-o", obj],
                           capture_output=True, text=True)
        if r.returncode:
            print(f"# {cc} could not build {name}: {r.stderr.strip()[:200]}",
                  file=sys.stderr)
            continue
        objs.append(obj)
        if macro:
            macros.append(f"-D{macro}=1")
    exe = os.path.join(out_dir, "isa_bench")
    subprocess.run([cc, *BASE_FLAGS, *extra, *macros, "-I", csrc,
                    os.path.join(csrc, "kernels.c"), os.path.join(HERE, "isa_bench.c"),
                    *objs, "-o", exe, "-lm"], check=True)
    return exe


def supported_isas(exe):
    out = subprocess.run([exe, "nearest", "full", "float64", "2", "1", "64", "1",
                          "baseline,avx2,avx512"], capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[0] for line in out.splitlines()
            if "unavailable" not in line]


def run_time(exe, kernel, cov, dtype, d, k, n, reps, isas):
    out = subprocess.run([exe, kernel, cov, dtype, str(d), str(k), str(n), str(reps),
                          ",".join(isas)], capture_output=True, text=True,
                         check=True).stdout
    res = {}
    for line in out.splitlines():
        name, t, check = line.split()
        res[name] = (float(t), float(check))
    return res


def run_callgrind(exe, kernel, cov, dtype, d, k, n, isa):
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--toggle-collect=run_once",
                            f"--callgrind-out-file={tmp}/cg.out", exe, kernel, cov,
                            dtype, str(d), str(k), str(n), "1", isa],
                           capture_output=True, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
    if r.returncode or not m:
        raise RuntimeError(r.stderr[-2000:])
    return int(m.group(1))


def add_grid_arguments(ap, kernels):
    """The kernel x D x dtype x ISA grid's options (shared with compiler_compare)."""
    ap.add_argument("--kernels", default=kernels)
    ap.add_argument("--dims", default="2,16,64")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--isas", default=None, help="default: all this CPU runs")
    ap.add_argument("--cov", default="full")
    ap.add_argument("--k", type=int, default=16)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=ROOT, help="checkout whose csrc/ is measured")
    ap.add_argument("--cc", default=os.environ.get("CC", "gcc"))
    ap.add_argument("--cflags", default="", help="extra compiler flags")
    ap.add_argument("--isa-cflags", action="append", default=[],
                    help="ISA:FLAGS, extra flags for one unit (e.g. "
                         "avx512:-DFGMM_TILE_REGS=16)")
    add_grid_arguments(ap, kernels="em,score,kmeans,nearest")
    ap.add_argument("--n", type=int, default=None, help="rows (default per D)")
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    if a.callgrind and shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    tmp = tempfile.mkdtemp()
    try:
        isa_extra = {}
        for item in a.isa_cflags:
            name, _, flags = item.partition(":")
            isa_extra.setdefault(name, []).extend(flags.split())
        exe = build(a.src, a.cc, tmp, a.cflags.split(), isa_extra)
        isas = a.isas.split(",") if a.isas else supported_isas(exe)
        if a.callgrind:
            isas = [i for i in isas if i != "avx512"]   # valgrind has no AVX-512
        unit = "instructions (callgrind Ir)" if a.callgrind else "ms (median)"
        print(f"# {a.cc}, {unit}, K={a.k}, cov={a.cov} (em, score), one thread")
        head = "| kernel | D | dtype | N | " + " | ".join(isas)
        ref = "avx2" if "avx2" in isas else isas[0]
        if not a.callgrind and len(isas) > 1:
            head += " | " + " | ".join(f"{i}/{ref}" for i in isas if i != ref)
        print(head + " |")
        print("|" + "---|" * (head.count("|") - 1))
        rows = []
        for kernel in a.kernels.split(","):
            for d in map(int, a.dims.split(",")):
                for dtype in a.dtypes.split(","):
                    n = a.n or rows_for(kernel, d, a.k, a.callgrind)
                    if a.callgrind:
                        res = {i: run_callgrind(exe, kernel, a.cov, dtype, d, a.k, n, i)
                               for i in isas}
                        cells = [f"{res[i]:,}" for i in isas]
                    else:
                        res = run_time(exe, kernel, a.cov, dtype, d, a.k, n, a.reps, isas)
                        cells = [f"{1e3 * res[i][0]:.3f}" for i in isas]
                        cells += [f"{res[i][0] / res[ref][0]:.2f}" for i in isas if i != ref]
                        res = {i: v[0] for i, v in res.items()}
                    rows.append(dict(kernel=kernel, d=d, dtype=dtype, n=n, **res))
                    print(f"| {kernel} | {d} | {dtype} | {n} | " + " | ".join(cells)
                          + " |", flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(dict(cc=a.cc, callgrind=a.callgrind, k=a.k, cov=a.cov,
                               rows=rows), f, indent=1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
