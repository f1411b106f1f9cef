"""fastgmm against its peers, side by side, in one run.

Every library fits the same data from the same initial parameters (weights, means,
precisions where the peer accepts them) for a fixed number of EM iterations (tol=0).
Each (library, case) runs in its own process so peak memory is its own.  Time per
iteration excludes initialisation: (t(max_iter=n) - t(max_iter=1)) / (n - 1).

    python benchmarks/compare.py                 # the target cases (long: ~15 min)
    python benchmarks/compare.py --smoke         # tiny sizes: checks that it runs
    python benchmarks/compare.py --growth        # time per iteration vs N, K, D
    python benchmarks/compare.py --growth-large  # K=256, D=256, N=1e8 memmap: GFLOP/s
    python benchmarks/compare.py --threads       # thread scaling of the fused pass
    python benchmarks/compare.py --roofline      # GFLOP/s vs NumPy's matmul
    python benchmarks/compare.py --end-to-end    # default fit vs scikit-learn's
    python benchmarks/compare.py --case 1000000,8,16,full   # any case

Output: a markdown table on stdout, JSON (and PNG plots with matplotlib) in
benchmarks/results/.
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

TARGET_CASES = [
    dict(n=1_000_000, d=2, k=8, cov="full"),
    dict(n=1_000_000, d=16, k=16, cov="full"),
    dict(n=1_000_000, d=16, k=16, cov="diag"),
    dict(n=200_000, d=64, k=16, cov="full"),
    dict(n=100_000, d=128, k=32, cov="full"),
]
SMOKE_CASES = [dict(n=5000, d=3, k=4, cov="full"), dict(n=5000, d=3, k=4, cov="diag")]


# ------------------------------------------------------------------ data and inits
def make_case(case, dtype="float64", seed=0):
    """Blobs and shared initial parameters (weights, means, precisions)."""
    rng = np.random.RandomState(seed)
    n, d, k = case["n"], case["d"], case["k"]
    centers = rng.randn(k, d) * 3
    X = centers[rng.randint(k, size=n)] + rng.randn(n, d)
    X = X.astype(dtype)
    # every component starts near its own cluster: a well-posed problem for all
    # libraries (a random start can collapse a component, which float32 peers fail on)
    means = centers + 0.3 * rng.randn(k, d)
    var = 1.0
    weights = np.full(k, 1.0 / k)
    prec = {"full": np.tile(np.eye(d) / var, (k, 1, 1)), "tied": np.eye(d) / var,
            "diag": np.full((k, d), 1 / var), "spherical": np.full(k, 1 / var)}
    return X, dict(weights_init=weights, means_init=means,
                   precisions_init=prec[case["cov"]])


# ------------------------------------------------------------------ library adapters
def fit_fastgmm(X, init, case, n_iter, n_threads=None):
    from fastgmm import GaussianMixture
    g = GaussianMixture(case["k"], covariance_type=case["cov"], max_iter=n_iter, tol=0,
                        n_threads=n_threads, **init).fit(X)
    return g.lower_bound_


def fit_sklearn(X, init, case, n_iter, n_threads=None):
    from sklearn.mixture import GaussianMixture
    # random_from_data: the cheapest of scikit-learn's initialisers (its result is
    # overridden by the *_init parameters anyway)
    g = GaussianMixture(case["k"], covariance_type=case["cov"], max_iter=n_iter, tol=0,
                        init_params="random_from_data", random_state=0, **init).fit(X)
    return g.lower_bound_


def fit_gmmx(X, init, case, n_iter, n_threads=None):
    from gmmx import EMFitter, GaussianMixtureModelJax
    if case["cov"] != "full" or X.dtype != np.float32:
        raise NotImplementedError("gmmx here: full covariance, float32 only")
    f32 = np.float32
    model = GaussianMixtureModelJax.from_squeezed(
        means=init["means_init"].astype(f32),
        covariances=np.linalg.inv(init["precisions_init"]).astype(f32),
        weights=init["weights_init"].astype(f32))
    result = EMFitter(tol=0.0, max_iter=n_iter).fit(x=X, gmm=model)
    return float(result.log_likelihood)   # mean log-likelihood per sample


def fit_pomegranate(X, init, case, n_iter, n_threads=None):
    import torch
    from pomegranate.distributions import Normal
    from pomegranate.gmm import GeneralMixtureModel
    dt = torch.float64 if X.dtype == np.float64 else torch.float32
    cov = case["cov"]
    if cov not in ("full", "diag"):
        raise NotImplementedError("pomegranate: full and diag only")
    prec = init["precisions_init"]
    covs = np.linalg.inv(prec) if cov == "full" else 1.0 / prec
    dists = [Normal(means=torch.tensor(m, dtype=dt), covs=torch.tensor(c, dtype=dt),
                    covariance_type=cov) for m, c in zip(init["means_init"], covs)]
    model = GeneralMixtureModel(dists, priors=torch.tensor(init["weights_init"], dtype=dt),
                                max_iter=n_iter, tol=-np.inf)
    Xt = torch.from_numpy(X)
    model.fit(Xt)
    with torch.no_grad():
        return float(model.log_probability(Xt).mean())


def fit_torchgmm(X, init, case, n_iter, n_threads=None):
    import logging
    import torch
    from torchgmm.bayes import GaussianMixture
    logging.getLogger("lightning").setLevel(logging.ERROR)
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    if case["cov"] not in ("full", "diag", "spherical"):
        raise NotImplementedError("torchgmm: full, diag, spherical")
    dt = torch.float64 if X.dtype == np.float64 else torch.float32
    # torchgmm accepts initial means only (its covariances start from the data)
    g = GaussianMixture(case["k"], covariance_type=case["cov"],
                        init_means=torch.tensor(init["means_init"], dtype=dt),
                        convergence_tolerance=0.0,
                        trainer_params=dict(max_epochs=n_iter, enable_progress_bar=False,
                                            enable_model_summary=False, logger=False,
                                            enable_checkpointing=False))
    Xt = torch.from_numpy(X)
    g.fit(Xt)
    return float(-g.score(Xt)) if hasattr(g, "score") else float("nan")


JIT_COMPILED = {"gmmx"}
ADAPTERS = {"fastgmm": fit_fastgmm, "scikit-learn": fit_sklearn, "gmmx": fit_gmmx,
            "pomegranate": fit_pomegranate, "torchgmm": fit_torchgmm}
IMPORTS = {"fastgmm": "fastgmm", "scikit-learn": "sklearn", "gmmx": "gmmx",
           "pomegranate": "pomegranate", "torchgmm": "torchgmm"}


def available_libraries():
    libs = []
    for name, module in IMPORTS.items():
        try:
            __import__(module)
            libs.append(name)
        except Exception:
            pass
    return libs


# ------------------------------------------------------------------ worker process
def _status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ":"))


def reset_peak_rss():
    """Current RSS in bytes, after resetting the peak (Linux clear_refs), so that the
    data generation's temporaries do not hide the fit's own peak."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kb("VmRSS") * 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss():
    try:
        return _status_kb("VmHWM") * 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(lib, case, n_iter, dtype):
    """Per-iteration time as (t(n_iter) - t(1)) / (n_iter - 1): initialisation and
    one-off set-up (JIT compilation, validation) cancel out."""
    X, init = make_case(case, dtype)
    fit = ADAPTERS[lib]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(X[:2000], init, case, 2)                   # warm-up (imports)
        if lib in JIT_COMPILED:                        # compile for these shapes
            fit(X, init, case, 1)
            fit(X, init, case, n_iter)
        rss0 = reset_peak_rss()
        t0 = time.perf_counter()
        fit(X, init, case, 1)
        t_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        ll = fit(X, init, case, n_iter)
        t_fit = time.perf_counter() - t0
        peak = peak_rss()
    per_iter = max(t_fit - t_one, 1e-9) / (n_iter - 1)
    return dict(lib=lib, **case, dtype=dtype, n_iter=n_iter,
                t_init=max(t_one - per_iter, 0.0), s_per_iter=per_iter,
                extra_peak_mb=(peak - rss0) / 2**20, mean_loglik=float(ll),
                x_mb=X.nbytes / 1e6)


def run_isolated(lib, case, n_iter, dtype, timeout=600):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib,
           json.dumps(case), str(n_iter), dtype]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(lib=lib, **case, dtype=dtype, error=f"timed out after {timeout} s")
    if out.returncode != 0:
        err = out.stderr.strip()[-300:] or f"exit status {out.returncode} (killed?)"
        return dict(lib=lib, **case, dtype=dtype, error=err)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ reports
def machine():
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import fastgmm
    return dict(cpu=cpu, cores=os.cpu_count(), python=platform.python_version(),
                numpy=np.__version__, fastgmm=fastgmm.__version__,
                openmp=fastgmm.openmp_enabled(), threads=fastgmm.effective_n_threads())


def compare(cases, n_iter, dtypes, libs):
    rows = []
    for case in cases:
        for dtype in dtypes:
            for lib in libs:
                r = run_isolated(lib, case, n_iter, dtype)
                rows.append(r)
                print("  ", json.dumps(r), file=sys.stderr, flush=True)
    report(rows)
    return rows


def report(rows):
    """Markdown table of a comparison run."""
    print(f"\nMachine: {machine()}\n")
    print("| N | D | K | cov | dtype | library | s / iter | vs scikit-learn | "
          "extra peak MB | mean log-lik |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            reason = (r["error"].strip().splitlines() or ["killed"])[-1][:60]
            print(f"| {r['n']:,} | {r['d']} | {r['k']} | {r['cov']} | {r['dtype']} | "
                  f"{r['lib']} | failed: {reason} | | | |")
            continue
        ref = next((x for x in rows if x["lib"] == "scikit-learn" and "error" not in x
                    and all(x[c] == r[c] for c in ("n", "d", "k", "cov", "dtype"))), None)
        ratio = f"{ref['s_per_iter'] / r['s_per_iter']:.1f}x" if ref else "-"
        print(f"| {r['n']:,} | {r['d']} | {r['k']} | {r['cov']} | {r['dtype']} | "
              f"{r['lib']} | {r['s_per_iter']:.4f} | {ratio} | "
              f"{r['extra_peak_mb']:.0f} | {r['mean_loglik']:.6f} |")


def growth(n_iter, smoke):
    """Seconds per iteration vs N, K and D (fastgmm and scikit-learn)."""
    base = dict(n=100_000, d=8, k=8, cov="full")
    grids = {"n": [10_000, 100_000, 1_000_000, 10_000_000], "k": [2, 4, 8, 16, 32],
             "d": [2, 4, 8, 16, 32, 64]}
    if smoke:
        grids = {"n": [1000, 3000], "k": [2, 4], "d": [2, 4]}
        base["n"] = 2000
    rows = []
    for var, values in grids.items():
        for v in values:
            case = dict(base, **{var: v})
            for lib in ["fastgmm", "scikit-learn"]:
                if lib == "scikit-learn" and case["n"] > 1_000_000:
                    continue  # ~40 s per iteration and 4 GB: measured at 1e6 instead
                r = run_isolated(lib, case, n_iter, "float64")
                r["vary"] = var
                rows.append(r)
                print("  ", json.dumps(r), file=sys.stderr, flush=True)
    print("\n| vary | N | D | K | library | s / iter |\n|---|---|---|---|---|---|")
    for r in rows:
        if "error" not in r:
            print(f"| {r['vary']} | {r['n']:,} | {r['d']} | {r['k']} | {r['lib']} | "
                  f"{r['s_per_iter']:.5f} |")
    return rows


def pass_time(X, params, n_threads, repeat):
    from fastgmm.kernels import sufficient_statistics
    sufficient_statistics(X, params, n_threads=n_threads)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        sufficient_statistics(X, params, n_threads=n_threads)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _params(X, init, cov):
    from fastgmm import GaussianMixture
    g = GaussianMixture(init["means_init"].shape[0], covariance_type=cov, max_iter=0,
                        **init).fit(X[:1000])
    return g._kernel_params()


def threads(smoke):
    """Fused-pass time for 1..n_cores threads (medians of 5)."""
    import fastgmm
    case = dict(n=20_000 if smoke else 1_000_000, d=16, k=16, cov="full")
    X, init = make_case(case)
    params = _params(X, init, "full")
    counts = sorted({1, 2, 4, 8, 16, os.cpu_count()} & set(range(1, os.cpu_count() + 1)))
    t1 = None
    rows = []
    print("\n| threads | s / pass | speed-up |\n|---|---|---|")
    for t in counts:
        s = pass_time(X, params, t, 2 if smoke else 5)
        t1 = t1 or s
        rows.append(dict(threads=t, s_per_pass=s, speedup=t1 / s, **case))
        print(f"| {t} | {s:.4f} | {t1 / s:.2f}x |")
    return rows


def matmul_gflops(smoke):
    """NumPy's float64 matmul speed on this machine now (median of 5): the roof."""
    n_mm = 512 if smoke else 2048
    A = np.random.rand(n_mm, n_mm)
    A @ A
    t = []
    for _ in range(5):
        t0 = time.perf_counter()
        A @ A
        t.append(time.perf_counter() - t0)
    mm = 2 * n_mm ** 3 / np.median(t) / 1e9
    print(f"\nNumPy matmul ({n_mm}^3, float64): {mm:.1f} GFLOP/s")
    return mm


def roofline(smoke):
    """Achieved GFLOP/s of the fused pass (2 N K D^2 flops, full) vs NumPy matmul."""
    mm = matmul_gflops(smoke)
    rows = []
    print("| N | D | K | dtype | s / pass | GFLOP/s | % of matmul | ns / point-component |")
    print("|---|---|---|---|---|---|---|---|")
    cases = [dict(n=1_000_000, d=2, k=8), dict(n=1_000_000, d=16, k=16),
             dict(n=200_000, d=64, k=16), dict(n=100_000, d=128, k=32)]
    if smoke:
        cases = [dict(n=4000, d=2, k=8), dict(n=4000, d=16, k=4)]
    for c in cases:
        for dtype in ("float64", "float32"):
            case = dict(c, cov="full")
            X, init = make_case(case, dtype)
            params = _params(X, init, "full")
            s = pass_time(X, params, None, 2 if smoke else 5)
            gf = 2 * c["n"] * c["k"] * c["d"] ** 2 / s / 1e9
            ns = s / (c["n"] * c["k"]) * 1e9
            rows.append(dict(case, dtype=dtype, s_per_pass=s, gflops=gf, matmul_gflops=mm,
                             ns_per_point_component=ns))
            print(f"| {c['n']:,} | {c['d']} | {c['k']} | {dtype} | {s:.4f} | {gf:.1f} | "
                  f"{100 * gf / mm:.0f}% | {ns:.2f} |")
    return rows


def growth_large(smoke, memmap_dir):
    """The fused pass at large K, large D and N = 1e8 (a float32 memmap on disk), full
    covariance, each with its GFLOP/s (nominal 2 N K D^2) against matmul measured in
    the same run.  fastgmm only (scikit-learn needs an N x K x D temporary per
    component batch and minutes per iteration at these sizes)."""
    mm = matmul_gflops(smoke)
    cases = [dict(n=100_000, d=8, k=k) for k in (64, 128, 256)]
    cases += [dict(n=100_000, d=d, k=8) for d in (128, 256)]
    big = dict(n=100_000_000, d=8, k=8)
    if smoke:
        cases = [dict(n=4000, d=8, k=64), dict(n=2000, d=64, k=4)]
        big = dict(n=200_000, d=8, k=8)
    rows = []
    print("| N | D | K | dtype | data | s / pass | GFLOP/s | % of matmul |")
    print("|---|---|---|---|---|---|---|---|")

    def report(c, dtype, where, s):
        gf = 2 * c["n"] * c["k"] * c["d"] ** 2 / s / 1e9
        rows.append(dict(c, cov="full", dtype=dtype, data=where, s_per_pass=s, gflops=gf,
                         matmul_gflops=mm))
        print(f"| {c['n']:,} | {c['d']} | {c['k']} | {dtype} | {where} | {s:.4f} | "
              f"{gf:.1f} | {100 * gf / mm:.0f}% |", flush=True)

    for c in cases:
        for dtype in ("float64", "float32"):
            X, init = make_case(dict(c, cov="full"), dtype)
            params = _params(X, init, "full")
            report(c, dtype, "memory", pass_time(X, params, None, 2 if smoke else 3))
    # N = 1e8: the memmap benchmark's file (written once, reused), read in place
    from memmap_fit import write_blobs
    path = os.path.join(memmap_dir, f"fastgmm_memmap_{big['n']}x{big['d']}.f32")
    size = big["n"] * big["d"] * 4
    if not (os.path.exists(path) and os.path.getsize(path) == size):
        write_blobs(path, big["n"], big["d"], big["k"])
    X = np.memmap(path, dtype=np.float32, mode="r", shape=(big["n"], big["d"]))
    params = _params(np.asarray(X[:100_000]),
                     make_case(dict(big, n=1000, cov="full"))[1], "full")
    report(big, "float32", "memmap", pass_time(X, params, None, 1 if smoke else 2))
    return rows


def end_to_end(smoke):
    """Default fit, k-means initialisation included, same random_state: medians of 3."""
    from fastgmm import GaussianMixture
    from sklearn.mixture import GaussianMixture as SkGMM
    case = dict(n=5000 if smoke else 1_000_000, d=8, k=8, cov="full")
    X, _ = make_case(case)
    rows = []
    print("\n| library | fit seconds (median of 3) | n_iter | lower bound |\n|---|---|---|---|")
    for name, cls in [("fastgmm", GaussianMixture), ("scikit-learn", SkGMM)]:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            g = cls(case["k"], random_state=0).fit(X)
            times.append(time.perf_counter() - t0)
        rows.append(dict(lib=name, seconds=float(np.median(times)), n_iter=g.n_iter_,
                         lower_bound=g.lower_bound_, **case))
        print(f"| {name} | {np.median(times):.3f} | {g.n_iter_} | {g.lower_bound_:.6f} |")
    print(f"speed-up: {rows[1]['seconds'] / rows[0]['seconds']:.1f}x")
    return rows


def scoring(smoke):
    """predict / predict_proba / score_samples of one fitted model (same parameters
    on both sides), N=1e6 x 16, K=16 full: medians of 5, both dtypes."""
    from fastgmm import GaussianMixture
    from sklearn.mixture import GaussianMixture as SkGMM
    case = dict(n=5000 if smoke else 1_000_000, d=16, k=16, cov="full")
    rows = []
    print("\n| dtype | method | fastgmm s | scikit-learn s | speed-up |\n|---|---|---|---|---|")
    for dtype in ("float64", "float32"):
        X, init = make_case(case, dtype)
        ours = GaussianMixture(case["k"], max_iter=0, **init).fit(X[:2000])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = SkGMM(case["k"], max_iter=1, **init).fit(X[:2000])
        for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_",
                     "precisions_"):  # the very same parameters on both sides
            setattr(theirs, attr, getattr(ours, attr).astype(X.dtype))
        for method in ("predict", "predict_proba", "score_samples"):
            sec = {}
            for name, est in (("fastgmm", ours), ("scikit-learn", theirs)):
                getattr(est, method)(X[:1000])
                times = []
                for _ in range(2 if smoke else 5):
                    t0 = time.perf_counter()
                    getattr(est, method)(X)
                    times.append(time.perf_counter() - t0)
                sec[name] = float(np.median(times))
            rows.append(dict(case, dtype=dtype, method=method, fastgmm=sec["fastgmm"],
                             sklearn=sec["scikit-learn"]))
            print(f"| {dtype} | {method} | {sec['fastgmm']:.4f} | {sec['scikit-learn']:.4f} "
                  f"| {sec['scikit-learn'] / sec['fastgmm']:.1f}x |")
    return rows


def plot(kind, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    path = os.path.join(RESULTS, f"{kind}.png")
    if kind == "growth":
        fig, axes = plt.subplots(1, 3, figsize=(13, 4))
        for ax, var in zip(axes, ["n", "k", "d"]):
            for lib, style in [("fastgmm", "o-"), ("scikit-learn", "s--")]:
                pts = [(r[var], r["s_per_iter"]) for r in rows
                       if r.get("vary") == var and r["lib"] == lib and "error" not in r]
                if pts:
                    ax.loglog(*zip(*pts), style, label=lib)
            ax.set_xlabel(var.upper())
            ax.set_ylabel("seconds per EM iteration")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend()
        fig.suptitle("Cost growth (full covariance, float64; base N=1e5, D=8, K=8)")
    else:
        fig, ax = plt.subplots(figsize=(7, 4))
        libs = sorted({r["lib"] for r in rows if "error" not in r})
        labels = sorted({f"N={r['n']:,} D={r['d']} K={r['k']} {r['cov']}" for r in rows})
        width = 0.8 / max(len(libs), 1)
        for i, lib in enumerate(libs):
            vals = []
            for lab in labels:
                v = [r["s_per_iter"] for r in rows if "error" not in r and r["lib"] == lib
                     and f"N={r['n']:,} D={r['d']} K={r['k']} {r['cov']}" == lab
                     and r["dtype"] == "float64"]
                vals.append(v[0] if v else np.nan)
            ax.barh(np.arange(len(labels)) + i * width, vals, width, label=lib)
        ax.set_yticks(np.arange(len(labels)) + width * (len(libs) - 1) / 2)
        ax.set_yticklabels(labels, fontsize=8)
        ax.set_xscale("log")
        ax.set_xlabel("seconds per EM iteration (float64, log scale)")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", nargs=4, metavar=("LIB", "CASE", "N_ITER", "DTYPE"))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, checks it runs")
    ap.add_argument("--growth", action="store_true")
    ap.add_argument("--growth-large", action="store_true",
                    help="the fused pass at K=256, D=256 and N=1e8 (memmap), GFLOP/s")
    ap.add_argument("--memmap-dir", default=tempfile.gettempdir(),
                    help="where --growth-large keeps its 3.2 GB N=1e8 file")
    ap.add_argument("--threads", action="store_true")
    ap.add_argument("--roofline", action="store_true")
    ap.add_argument("--n-iter", type=int, default=10)
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--libs", default=None, help="comma list (default: all installed)")
    ap.add_argument("--case", action="append", metavar="N,D,K,COV",
                    help="compare on this case instead of the target cases (repeatable)")
    ap.add_argument("--report", metavar="LOG",
                    help="re-render a comparison from its stderr log (JSON lines)")
    ap.add_argument("--scoring", action="store_true",
                    help="predict / predict_proba / score_samples vs scikit-learn's")
    ap.add_argument("--end-to-end", action="store_true",
                    help="default fit (k-means init, tol=1e-3) vs scikit-learn's")
    args = ap.parse_args()
    if args.worker:
        lib, case, n_iter, dtype = args.worker
        print(json.dumps(worker(lib, json.loads(case), int(n_iter), dtype)))
        return
    os.makedirs(RESULTS, exist_ok=True)
    if args.report:
        with open(args.report) as f:
            rows = [json.loads(l) for l in f if l.strip().startswith("{")]
        report(rows)
        with open(os.path.join(RESULTS, "compare.json"), "w") as f:
            json.dump(dict(machine=machine(), rows=rows), f, indent=1)
        print(f"\nplot: {plot('compare', rows)}")
        return
    n_iter = 3 if args.smoke else args.n_iter
    kinds = [k for k in ("growth", "growth_large", "threads", "roofline", "end_to_end",
                         "scoring")
             if getattr(args, k)]
    if not kinds:
        kinds = ["compare"]
    for kind in kinds:
        if kind == "compare":
            libs = args.libs.split(",") if args.libs else available_libraries()
            cases = SMOKE_CASES if args.smoke else TARGET_CASES
            if args.case:
                cases = [dict(zip(("n", "d", "k"), map(int, c.split(",")[:3])),
                              cov=c.split(",")[3]) for c in args.case]
            rows = compare(cases, n_iter, args.dtypes.split(","), libs)
        elif kind == "growth":
            rows = growth(n_iter, args.smoke)
        elif kind == "growth_large":
            rows = growth_large(args.smoke, args.memmap_dir)
        elif kind == "threads":
            rows = threads(args.smoke)
        elif kind == "roofline":
            rows = roofline(args.smoke)
        elif kind == "scoring":
            rows = scoring(args.smoke)
        else:
            rows = end_to_end(args.smoke)
        with open(os.path.join(RESULTS, f"{kind}.json"), "w") as f:
            json.dump(dict(machine=machine(), rows=rows), f, indent=1)
        if kind in ("compare", "growth"):
            p = plot(kind, rows)
            if p:
                print(f"\nplot: {p}")
        if any("error" in r for r in rows if r.get("lib") == "fastgmm"):
            sys.exit("fastgmm failed in a benchmark case")


if __name__ == "__main__":
    main()
