"""The command line (fastgmm.cli), run as ``python -m fastgmm`` in subprocesses.

Every subprocess imports numpy, scipy and fastgmm (about a second), so the runs are
batched: the model file is fitted once, then the commands that read it, the error
cases and the --help pages each run as one batch of concurrent subprocesses, and
the tests check their recorded results.
"""
import io
import math
import os
import struct
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from subprocess import PIPE, run

import numpy as np
import pytest

import fastgmm
from fastgmm import GaussianMixture
from fastgmm.io import read_table

# A model fitted on named columns warns when it is given a plain array (as the CLI's
# models are, here in the tests); the CLI itself silences that warning.
pytestmark = pytest.mark.filterwarnings(
    "ignore:X does not have valid feature names:UserWarning")

COMMANDS = ("fit", "predict", "score", "select", "outliers", "plot", "demo", "info")


def cli(args, cwd, env=None, timeout=120):
    """Run ``python -m fastgmm *args`` in cwd: (returncode, stdout, stderr)."""
    full_env = dict(os.environ)
    full_env.pop("FASTGMM_PROGRESS_DELAY", None)
    full_env.setdefault("OMP_NUM_THREADS", "2")
    full_env.update(env or {})
    p = run([sys.executable, "-m", "fastgmm", *map(str, args)], cwd=cwd, stdout=PIPE,
            stderr=PIPE, text=True, env=full_env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def cli_many(cases, cwd):
    """{name: (rc, stdout, stderr)} of {name: args}, run concurrently."""
    workers = max(2, min(len(cases), (os.cpu_count() or 2) + 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {name: pool.submit(cli, args, cwd) for name, args in cases.items()}
    return {name: f.result() for name, f in futures.items()}


def blobs(n=300, seed=0):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.randn(n, 2), rng.randn(n, 2) + [6, 0],
                      rng.randn(n, 2) + [0, 6]])


def check_png(path):
    """A complete PNG: signature, chunks with valid CRCs, IHDR first, IEND last.
    Returns (width, height)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    assert any(kind == b"IDAT" for kind, _ in chunks)
    return struct.unpack(">II", chunks[0][1][:8])


# ---------------------------------------------------------------- the data
@pytest.fixture(scope="module")
def work(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    X = blobs()
    np.save(d / "x.npy", X)
    noise = np.random.RandomState(1).rand(len(X))
    with open(d / "x.csv", "w") as f:
        f.write("a,b,c\n")
        for (a, b), c in zip(X, noise):
            f.write(f"{float(a)!r},{float(b)!r},{float(c)!r}\n")
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
        pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": noise}).to_parquet(
            d / "x.parquet")
    except ImportError:
        pass
    np.save(d / "one_d.npy", np.arange(10.0))
    Xn = X.copy()
    Xn[7, 1] = np.nan
    np.save(d / "nan.npy", Xn)
    (d / "nan.csv").write_text("a,b\n1,2\n3,\n5,6\n")
    (d / "text.csv").write_text("a,b\n1,x\n2,3\n")
    (d / "x.txt").write_text("1,2\n3,4\n")
    (d / "garbage.npz").write_bytes(b"this is not a zip archive" * 20)
    np.savez(d / "arrays.npz", a=np.zeros(3))
    np.save(d / "collapsed.npy", np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], 20,
                                           axis=0))
    np.save(d / "three_cols.npy", np.random.RandomState(2).randn(50, 3))
    return d


@pytest.fixture(scope="module")
def fitted(work):
    """``fit x.csv --columns a,b -k 3 -o model.npz`` once, then every command that
    reads the model (and the other happy paths) as one concurrent batch."""
    fit = cli(["fit", "x.csv", "--columns", "a,b", "-k", "3", "--random-state", "0",
               "-o", "model.npz"], work)
    assert fit[0] == 0, fit
    d32 = ["fit", "x.npy", "-k", "2", "--covariance-type", "diag", "--dtype",
           "float32", "--tol", "1e-4", "--reg-covar", "1e-5", "--max-iter", "50",
           "--n-init", "2", "--init-params", "k-means++", "--random-state", "3",
           "--threads", "1", "-q", "-o", "m32.npz"]
    batch = {
        "fit32": d32,
        "predict": ["predict", "model.npz", "x.csv", "-o", "labels.npy"],
        "proba": ["predict", "model.npz", "x.npy", "--proba", "-o", "proba.csv"],
        "summary": ["predict", "model.npz", "x.csv"],
        "score": ["score", "model.npz", "x.csv", "-o", "-"],
        "score_npy": ["score", "model.npz", "x.npy", "-o", "logp.npy"],
        "select": ["select", "x.npy", "--k", "1-4", "--covariance-types", "full,diag",
                   "--random-state", "0", "-o", "best.npz", "--plot", "crit.png"],
        "select_jobs": ["select", "x.npy", "--k", "1-4", "--covariance-types",
                        "full,diag", "--random-state", "0", "--jobs", "3", "-q",
                        "-o", "best3.npz"],
        "outliers": ["outliers", "x.npy", "-k", "3", "--contamination", "0.02",
                     "--random-state", "0", "-o", "flags.csv"],
        "plot": ["plot", "model.npz", "x.csv", "-o", "pic.png", "--dims", "b,a"],
        "info": ["info"],
        "demo": ["demo", "--n-samples", "3000", "--n-features", "2",
                 "--n-components", "3", "--covariance-type", "diag"],
    }
    if (work / "x.parquet").exists():
        batch["parquet"] = ["fit", "x.parquet", "-k", "3", "--columns", "b,a",
                            "--random-state", "0", "-o", "parquet.npz", "-q"]
    runs = cli_many(batch, work)
    runs["fit"] = fit
    return runs


def X_ab(work):
    """Columns a, b of x.csv as the CLI reads them (fastgmm.io.read_table)."""
    X, names = read_table(work / "x.csv", ["a", "b"])
    assert names == ["a", "b"]
    return X


def read_csv_exactly(path):
    """(header, values) of a CSV the CLI wrote, parsed by Python's float (exact,
    whatever the installed pandas does)."""
    lines = path.read_text().splitlines()
    return lines[0].split(","), np.array([line.split(",") for line in lines[1:]],
                                         dtype=np.float64)


def ok(result):
    rc, out, err = result
    assert rc == 0, (out, err)
    assert "Traceback" not in err
    return out, err


# ---------------------------------------------------------------- happy paths
def test_fit_writes_a_model_that_reproduces_the_fit(work, fitted):
    out, err = ok(fitted["fit"])
    assert err == ""
    assert "GaussianMixture: 3 component(s), full covariance, 2 feature(s), 900 rows" \
        in out
    assert "columns: a, b" in out and "wrote model.npz" in out and "BIC" in out
    model = fastgmm.load(work / "model.npz")
    X = X_ab(work)
    ref = GaussianMixture(3, random_state=0).fit(X)
    np.testing.assert_array_equal(model.means_, ref.means_)
    np.testing.assert_array_equal(model.predict(X), ref.predict(X))
    assert list(model.feature_names_in_) == ["a", "b"]
    assert f"lower bound {float(ref.lower_bound_):.6f}" in out


def test_fit_options_reach_the_estimator_float32_and_quiet(work, fitted):
    out, err = ok(fitted["fit32"])
    assert out == "" and err == ""                       # -q with -o: silent
    model = fastgmm.load(work / "m32.npz")
    X = np.load(work / "x.npy").astype(np.float32)
    kw = dict(covariance_type="diag", tol=1e-4, reg_covar=1e-5, max_iter=50, n_init=2,
              init_params="k-means++", random_state=3, n_threads=1)
    ref = GaussianMixture(2, **kw).fit(X)
    assert model.means_.dtype == np.float32
    assert {k: model.get_params()[k] for k in kw} == kw
    np.testing.assert_array_equal(model.means_, ref.means_)
    assert not hasattr(model, "feature_names_in_")      # an .npy has no names


def test_fit_parquet(work, fitted):
    if "parquet" not in fitted:
        pytest.skip("writing the .parquet input needs pandas and pyarrow")
    ok(fitted["parquet"])
    model = fastgmm.load(work / "parquet.npz")
    assert list(model.feature_names_in_) == ["b", "a"]
    X = np.load(work / "x.npy")[:, ::-1]       # the values the .parquet holds
    ref = GaussianMixture(3, random_state=0).fit(X)
    np.testing.assert_array_equal(model.means_, ref.means_)


def test_predict_labels_picks_the_model_columns_by_name(work, fitted):
    out, _ = ok(fitted["predict"])
    assert "wrote labels.npy: 900 labels" in out
    model = fastgmm.load(work / "model.npz")
    labels = np.load(work / "labels.npy")
    assert labels.dtype == np.int64
    # x.csv has columns a, b, c: the model was fitted on a, b and uses them
    np.testing.assert_array_equal(labels, model.predict(X_ab(work)))


def test_predict_proba_csv(work, fitted):
    ok(fitted["proba"])
    model = fastgmm.load(work / "model.npz")
    names, P = read_csv_exactly(work / "proba.csv")
    assert names == ["proba_0", "proba_1", "proba_2"]
    np.testing.assert_array_equal(P, model.predict_proba(np.load(work / "x.npy")))


def test_predict_without_output_prints_a_summary(work, fitted):
    out, _ = ok(fitted["summary"])
    counts = np.bincount(fastgmm.load(work / "model.npz").predict(X_ab(work)),
                         minlength=3)
    assert out.splitlines()[0] == "900 rows, 3 components"
    for k, c in enumerate(counts):
        assert any(line.split()[:2] == [str(k), str(c)] for line in out.splitlines())


def test_score_to_stdout_and_npy(work, fitted):
    out, _ = ok(fitted["score"])
    lines = out.splitlines()
    assert lines[0] == "log_density"
    model = fastgmm.load(work / "model.npz")
    expected = model.score_samples(X_ab(work))
    np.testing.assert_array_equal(np.array(lines[1:], dtype=float), expected)
    ok(fitted["score_npy"])
    np.testing.assert_array_equal(np.load(work / "logp.npy"),
                                  model.score_samples(np.load(work / "x.npy")))


def test_select_prints_the_table_and_saves_the_best(work, fitted):
    out, _ = ok(fitted["select"])
    lines = out.splitlines()
    rows = [line for line in lines if line[:1] in ("*", " ") and line[1:5].strip()
            .isdigit()]
    assert len(rows) == 8                                # K 1-4 x full, diag
    best = [line for line in rows if line.startswith("*")]
    assert len(best) == 1
    k, cov = int(best[0].split()[1]), best[0].split()[2]
    assert k == 3
    bics = [float(line.lstrip("*").split()[2]) for line in rows]
    assert float(best[0].split()[3]) == min(bics)
    assert f"best: K=3, {cov} covariance (lowest BIC" in out
    model = fastgmm.load(work / "best.npz")
    X = np.load(work / "x.npy")
    assert (model.n_components, model.covariance_type) == (k, cov)
    ref = GaussianMixture(k, covariance_type=cov, random_state=0).fit(X)
    np.testing.assert_array_equal(model.predict(X), ref.predict(X))
    assert check_png(work / "crit.png")[0] > 100


def test_select_jobs_changes_nothing_but_where_fits_run(work, fitted):
    ok(fitted["select_jobs"])
    one, three = fastgmm.load(work / "best.npz"), fastgmm.load(work / "best3.npz")
    for a in ("weights_", "means_", "precisions_cholesky_", "lower_bound_"):
        np.testing.assert_array_equal(getattr(three, a), getattr(one, a))


def test_outliers_flags_about_the_contamination(work, fitted):
    out, _ = ok(fitted["outliers"])
    names, flags = read_csv_exactly(work / "flags.csv")
    assert names == ["outlier"]
    flags = flags.ravel()
    assert set(np.unique(flags)) <= {0.0, 1.0}
    n = len(flags)
    assert math.ceil(0.02 * n) <= flags.sum() <= 0.02 * n + 3
    det = fastgmm.GaussianMixtureOutlierDetector(contamination=0.02, n_components=3,
                                                 random_state=0)
    np.testing.assert_array_equal(flags == 1,
                                  det.fit_predict(np.load(work / "x.npy")) == -1)
    assert f"{int(flags.sum())} of 900 rows" in out and "wrote flags.csv" in out


def test_plot_writes_a_png(work, fitted):
    out, _ = ok(fitted["plot"])
    assert "wrote pic.png" in out
    width, height = check_png(work / "pic.png")
    assert width >= 300 and height >= 300


def test_info(fitted):
    out, _ = ok(fitted["info"])
    import scipy
    assert out.startswith(f"fastgmm {fastgmm.__version__} ")
    assert f"OpenMP: {'on' if fastgmm.openmp_enabled() else 'OFF'}" in out
    assert "threads: " in out
    assert f"numpy {np.__version__}" in out and f"scipy {scipy.__version__}" in out
    assert "C core instruction set: " in out


def test_info_reports_what_the_c_core_tells(monkeypatch, capsys):
    # a build whose C core answers build_info() (fastgmm._core): its answer is shown
    import fastgmm.cli as cli_module
    build = {"compiler": "gcc 13.3.0", "openmp": 201511, "isa": "avx512",
             "isa_compiled": ["baseline", "avx2", "avx512"],
             "isa_supported": ["baseline", "avx2", "avx512"], "isa_requested": None,
             "kernels": {"float64": {"em_rows": "avx512", "score_rows": "avx2"}}}
    monkeypatch.setattr(cli_module, "_build_info", lambda: build)
    assert cli_module.main(["info"]) == 0
    out = capsys.readouterr().out
    assert ("C core instruction set: avx512 (chosen at run time; compiled: baseline, "
            "avx2, avx512; this CPU runs: baseline, avx2, avx512)") in out
    assert "float64 kernels: em_rows avx512, score_rows avx2" in out
    assert "C compiler: gcc 13.3.0" in out
    # without it: inferred, and said so
    monkeypatch.setattr(cli_module, "_build_info", lambda: None)
    assert cli_module.main(["info"]) == 0
    line = [x for x in capsys.readouterr().out.splitlines()
            if x.startswith("C core instruction set: ")][0]
    assert "not reported" in line or "baseline (portable C" in line


def test_demo_small(fitted):
    out, _ = ok(fitted["demo"])
    assert out.startswith("fastgmm demo: 3,000 samples, 2 features, 3 components "
                          "(diag)")
    share = float(out.split("samples assigned to their true component: ")[1]
                  .split("%")[0])
    assert share > 80
    assert len(out.splitlines()) == 9


# ---------------------------------------------------------------- errors
ERRORS = {
    # name: (args, exit status, text in the error line)
    "missing_input": (["fit", "nope.csv", "-k", "2"], 2, "'nope.csv': no such file"),
    "missing_model": (["predict", "nope.npz", "x.npy"], 2,
                      "'nope.npz': no such model file"),
    "bad_column": (["fit", "x.csv", "-k", "2", "--columns", "a,zz"], 2,
                   "has no column 'zz'"),
    "bad_column_index": (["fit", "x.npy", "-k", "2", "--columns", "0,5"], 2,
                         "out of range"),
    "wrong_shape": (["fit", "one_d.npy", "-k", "2"], 2, "has shape (10,)"),
    "nan_npy": (["fit", "nan.npy", "-k", "2"], 2, "data row 8, column 1 holds nan"),
    "nan_csv": (["fit", "nan.csv", "-k", "1"], 2, "data row 2, column 'b' holds nan"),
    "not_numeric": (["fit", "text.csv", "-k", "1"], 2, "column 'b' is not numeric"),
    "unknown_input_ext": (["fit", "x.txt", "-k", "2"], 2, "unknown extension '.txt'"),
    "unknown_output_ext": (["predict", "model.npz", "x.npy", "-o", "out.txt"], 2,
                           "unknown extension '.txt'"),
    "unknown_model_ext": (["fit", "x.npy", "-k", "2", "-o", "m.pkl"], 2,
                          "unknown extension '.pkl'"),
    "no_output_dir": (["fit", "x.npy", "-k", "2", "-o", "nodir/m.npz"], 2,
                      "does not exist"),
    "corrupt_model": (["predict", "garbage.npz", "x.npy"], 2,
                      "not an .npz (ZIP) archive"),
    "not_a_model": (["score", "arrays.npz", "x.npy"], 2, "not a fastgmm model"),
    "truncated_model": (["predict", "truncated.npz", "x.npy"], 2, "truncated.npz"),
    "feature_mismatch": (["predict", "model.npz", "three_cols.npy"], 2,
                         "has 3 column(s) but the model 'model.npz' was fitted on 2"),
    "too_many_components": (["fit", "x.npy", "-k", "5000"], 2, "needs at least 5000"),
    "select_k_above_rows": (["select", "three_cols.npy", "--k", "40-60"], 2,
                            "needs at least 60"),
    "plot_bad_dims": (["plot", "model.npz", "x.csv", "-o", "p.png", "--dims", "0,5"],
                      2, "dims must be two different feature indices"),
    "ill_defined": (["fit", "collapsed.npy", "-k", "3", "--reg-covar", "0",
                     "--random-state", "0"], 1, "ill-defined empirical covariance"),
    # argparse's own errors, on one line too (more in test_argument_errors)
    "missing_k": (["fit", "x.npy"], 2, "required: -k/--n-components"),
    "unknown_command": (["fitt"], 2, "invalid choice: 'fitt'"),
}


@pytest.fixture(scope="module")
def errors(work, fitted):
    data = (work / "model.npz").read_bytes()
    (work / "truncated.npz").write_bytes(data[:len(data) // 2])
    cases = {name: args for name, (args, _, _) in ERRORS.items()}
    cases["debug"] = ERRORS["ill_defined"][0] + ["--debug"]
    cases["help"] = ["--help"]
    cases["help_fit"] = ["fit", "--help"]
    return cli_many(cases, work)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_is_one_line_with_its_exit_status(errors, name):
    _, status, text = ERRORS[name]
    rc, out, err = errors[name]
    assert rc == status, err
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1, err      # one line
    assert err.startswith("fastgmm: error: ") and text in err, err


def test_debug_shows_the_traceback(errors):
    rc, _, err = errors["debug"]
    assert rc == 1
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1].startswith("fastgmm: error: Fitting the mixture model "
                                           "failed")


HELP_OPTIONS = {"fit": "--covariance-type", "predict": "--proba", "score": "MODEL",
                "select": "--criterion", "outliers": "--contamination", "plot": "--pca",
                "demo": "--n-samples", "info": "--quiet"}


def test_help(errors):
    rc, out, err = errors["help"]
    assert rc == 0 and err == ""
    assert out.startswith("usage: python -m fastgmm ")
    for c in COMMANDS:
        assert c in out
    assert "Exit status" in out
    rc, out, err = errors["help_fit"]
    assert rc == 0 and err == ""
    assert out.startswith("usage: python -m fastgmm fit ")
    for option in ("INPUT", "-k K", "--columns", "--dtype", "--tol", "--reg-covar",
                   "--max-iter", "--n-init", "--init-params", "--random-state",
                   "--threads", "-o MODEL.npz", "--quiet", "--debug"):
        assert option in out, option


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "fit"])
def test_help_of_each_command(command, capsys):
    # in-process (the same parser as the subprocess above, without its start-up)
    from fastgmm.cli import main
    assert main([command, "--help"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("usage: ")
    assert f" {command} " in out.splitlines()[0] + " "
    assert HELP_OPTIONS[command] in out and "--debug" in out


@pytest.mark.parametrize("args, text", [
    (["fit", "x.npy", "-k", "0"], "argument -k/--n-components: must be an integer >= 1,"
                                  " got 0"),
    (["fit", "x.npy", "-k", "2", "--tol", "-1"], "argument --tol: must be a finite "
                                                 "number >= 0"),
    (["fit", "x.npy", "-k", "2", "--dtype", "int8"],
     "argument --dtype: invalid choice"),
    (["fit", "x.npy", "-k", "2", "--columns", "a,,b"], "argument --columns: expected"),
    (["select", "x.npy", "--k", "5-2"], "1 <= LOW <= HIGH"),
    (["select", "x.npy", "--k", "1-3,2"], "given twice: [2]"),
    (["select", "x.npy", "--covariance-types", "full,oval"],
     "unknown covariance type 'oval'"),
    (["select", "x.npy", "--jobs", "0"], "argument --jobs: must be an integer >= 1"),
    (["outliers", "x.npy", "--contamination", "0.7"], "in (0, 0.5]"),
    (["plot", "m.npz", "x.npy", "-o", "p.png", "--dims", "0"], "expected two features"),
    ([], "required: COMMAND"),
])
def test_argument_errors(args, text, capsys):
    from fastgmm.cli import main
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("fastgmm: error: ") and text in err, err
    assert "--help'" in err


def test_select_that_fails_everywhere_exits_1(work):
    rc, out, err = cli(["select", "collapsed.npy", "--k", "1-2", "--covariance-types",
                        "full", "--reg-covar", "0", "--random-state", "0"], work)
    assert rc == 1 and out == ""
    lines = err.splitlines()
    assert all(line.startswith("fastgmm: warning: select: the fit with")
               for line in lines[:-1]) and len(lines) == 3
    assert lines[-1].startswith("fastgmm: error: Every fit of the grid failed")


# ---------------------------------------------------------------- progress
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_only_on_a_terminal_and_not_with_quiet(work):
    import subprocess

    def on_tty(*extra):
        master, slave = os.openpty()
        env = dict(os.environ, FASTGMM_PROGRESS_DELAY="0", OMP_NUM_THREADS="2")
        p = subprocess.Popen([sys.executable, "-m", "fastgmm", "fit", "x.npy", "-k",
                              "3", "--random-state", "0", *extra], cwd=work,
                             stdout=PIPE, stderr=slave, env=env)
        os.close(slave)
        out = p.stdout.read()
        p.wait(timeout=120)
        err = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
        return p.returncode, out.decode(), err.decode()

    rc, out, err = on_tty()
    assert rc == 0 and "GaussianMixture: 3 component(s)" in out
    assert "\rfit K=3 full" in err
    assert err.endswith("\r")                           # the line is erased at the end
    rc, out, err = on_tty("--quiet", "-o", "quiet.npz")
    assert rc == 0 and err == "" and out == ""
    assert (work / "quiet.npz").exists()
    # a pipe is not a terminal: nothing but the summary
    rc, out, err = cli(["fit", "x.npy", "-k", "3", "--random-state", "0"], work,
                       env={"FASTGMM_PROGRESS_DELAY": "0"})
    assert rc == 0 and err == ""


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


class _Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_line_updater():
    from fastgmm._base import EMProgress
    from fastgmm.cli import Progress
    stream, clock = _FakeTTY(), _Clock()
    p = Progress("fit K=3 full", stream=stream, delay=1.0, refresh=0.5, n_init=2,
                 max_iter=100, width=100, clock=clock)
    p._run = lambda: None                               # no background thread here
    with p:
        assert p(EMProgress(0, 1, -5.0, math.inf)) is None   # never stops EM
        assert stream.getvalue() == ""                  # not within the first second
        clock.now += 1.5
        p(EMProgress(0, 7, -3.25, 1.5e-3))
        line = stream.getvalue()
        assert line == ("\rfit K=3 full  init 1/2  iter 7/100  lower bound "
                        "-3.250000  change 1.50e-03  1.5 s")
        clock.now += 0.1
        p(EMProgress(0, 8, -3.24, 1e-3))
        assert stream.getvalue() == line                # throttled
        clock.now += 0.5
        p(EMProgress(1, 2, -3.2, 2e-2))
        last = stream.getvalue()[len(line):]
        assert last.startswith("\rfit K=3 full  init 2/2  iter 2/100")
        shown = len(last) - 1
        # a narrow terminal: the least useful parts go first, the elapsed time stays
        assert p.text(3.0, width=40) == "fit K=3 full  iter 2/100  3.0 s"
        assert p.text(3.0, width=24) == "iter 2/100  3.0 s"
    assert stream.getvalue().endswith("\r" + " " * shown + "\r")   # erased
    quiet = _FakeTTY()
    q = Progress("x", stream=quiet, enabled=False, delay=0, clock=clock)
    with q:
        q(EMProgress(0, 1, -1.0, 1.0))
    assert quiet.getvalue() == ""
    piped = io.StringIO()                               # not a terminal
    with Progress("x", stream=piped, delay=0) as r:
        r(EMProgress(0, 1, -1.0, 1.0))
    assert piped.getvalue() == "" and not r.enabled


def test_main_module_only_calls_cli_main():
    import fastgmm.__main__ as m
    import fastgmm.cli
    assert m.main is fastgmm.cli.main
