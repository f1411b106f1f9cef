"""scikit-learn's gallery examples for GaussianMixture, unchanged, on fastgmm's class.

The examples (``examples/mixture/*.py``) are not installed with scikit-learn; they
come from the sdist of the installed version, fetched and checksummed by
``.ci/fetch_sklearn_examples`` (this repository holds none of scikit-learn's code).
``FASTGMM_SKLEARN_EXAMPLES`` names the folder it filled (CI sets it); without it the
fetch script runs here into a temporary folder, and if that fails (no network) the
tests fail when ``CI`` is set and are skipped otherwise.

Each example runs twice in subprocesses (``tests/gallery_runner.py``, MPLBACKEND=Agg,
the two runs side by side): as it is, and with ``sklearn.mixture.GaussianMixture``
replaced by ``fastgmm.GaussianMixture`` before it starts.  The runner executes the
unchanged source cell by cell as sphinx-gallery does to build the gallery, so the
printed results are the ones the gallery page shows (``print`` output and the repr of
each cell's last expression: none of these examples prints otherwise), and it proves
the substitution by counting the instances and fits of each class (fastgmm run: only
fastgmm's class, as many instances and fits as scikit-learn's in the reference run).

Compared between the two runs:

* printed output -- equal after normalisation: memory addresses (``0x7f...``) are
  masked, numbers are compared to a relative tolerance of 1e-6 (integers exactly),
  every other character must be equal;
* the text drawn on the figures (titles, ``ax.text`` such as the accuracies of
  plot_gmm_covariances or the iteration counts of plot_gmm_init, legends,
  suptitles), as printed output, with ``Init Time <ratio>x`` of plot_gmm_init masked:
  it is a wall-clock ratio that differs between any two runs;
* the warnings raised (class name and message);
* the figures: same number, sizes, axes and numbers of drawn artists per axes, and
  the saved PNGs (60 dpi) differ by more than 32/255 in at most 0.2% of the pixels
  (the masked timing text alone changes about 0.05%; a permutation of the
  components would recolour the scatter plots and fail).

Examples: plot_gmm_covariances, plot_gmm_selection (GridSearchCV over 24 models by
BIC; needs pandas and seaborn), plot_gmm_pdf, plot_gmm_init, and plot_gmm and
plot_gmm_sin, whose BayesianGaussianMixture parts stay scikit-learn's (they run
after the GaussianMixture fit, with ``random_state=None`` in plot_gmm, so they also
check that fastgmm consumes the global random state exactly as scikit-learn does).
plot_concentration_prior uses only BayesianGaussianMixture and is not run.

OMP_NUM_THREADS=1 in both runs: two runs share two cores, and scikit-learn's KMeans
with OpenMP threads on a busy machine took 50 s instead of 4 s for plot_gmm_selection;
fastgmm's results do not depend on its thread count.  ``FASTGMM_GALLERY_OUT=DIR``
keeps the figures, outputs and reports in DIR/<example>/{sklearn,fastgmm}.
About 40 s of CPU in all (67 s wall measured on two cores shared with other work).
"""
import difflib
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sklearn

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).resolve().with_name("gallery_runner.py")
FETCH = ROOT / ".ci" / "fetch_sklearn_examples"

# example -> modules it imports beyond this project's test extra, masks for output
# that is expected to differ between any two runs ((regex, replacement), ...)
EXAMPLES = {
    "plot_gmm_covariances.py": ((), ()),
    "plot_gmm_selection.py": (("pandas", "seaborn"), ()),
    "plot_gmm_pdf.py": ((), ()),
    "plot_gmm_init.py": ((), ((r"Init Time \d+\.\d+x", "Init Time <ratio>x"),)),
    "plot_gmm.py": ((), ()),
    "plot_gmm_sin.py": ((), ()),
}
# examples/mixture scripts deliberately not run, with the reason
NOT_RUN = {"plot_concentration_prior.py": "BayesianGaussianMixture only"}

ADDRESS = (re.compile(r"\b0x[0-9a-fA-F]{6,}\b"), "0x<address>")
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
REL_TOL = 1e-6
PIXEL_LEVEL = 32 / 255      # a pixel differs when a channel differs by more
PIXEL_FRACTION = 0.002      # at most this fraction of the pixels may differ
TIMEOUT = 300


def _fail_or_skip(message):
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def examples_dir(tmp_path_factory):
    given = os.environ.get("FASTGMM_SKLEARN_EXAMPLES")
    if given:
        path = Path(given)
        if not path.is_dir():
            pytest.fail(f"FASTGMM_SKLEARN_EXAMPLES={given} is not a folder: run "
                        f".ci/fetch_sklearn_examples {given} first", pytrace=False)
    else:
        path = tmp_path_factory.mktemp("sklearn-examples") / "mixture"
        env = dict(os.environ, PYTHON=sys.executable)
        proc = subprocess.run(["bash", str(FETCH), str(path)], env=env, text=True,
                              capture_output=True, timeout=900)
        if proc.returncode != 0:
            message = (f"could not fetch scikit-learn {sklearn.__version__}'s gallery "
                       f"examples with {FETCH.relative_to(ROOT)} (network?), set "
                       "FASTGMM_SKLEARN_EXAMPLES to a folder it filled:\n"
                       + proc.stdout + proc.stderr)
            if "sha256 mismatch" in proc.stderr:
                pytest.fail(message, pytrace=False)
            _fail_or_skip(message)
    stamp = path / ".fetched"
    if stamp.exists():
        fetched = stamp.read_text().split()[0]
        if fetched != f"scikit-learn=={sklearn.__version__}":
            pytest.fail(f"{path} holds the examples of {fetched}, but scikit-learn "
                        f"{sklearn.__version__} is installed: run "
                        f".ci/fetch_sklearn_examples {path} again", pytrace=False)
    return path


def _normalise(text, masks=()):
    for pattern, replacement in (ADDRESS, *masks):
        text = re.sub(pattern, replacement, text)
    return text


def _differences(reference, candidate, masks=()):
    """'' when equal under the documented normalisation, else a readable diff."""
    a, b = _normalise(reference, masks), _normalise(candidate, masks)
    same = NUMBER.split(a) == NUMBER.split(b)
    numbers_a, numbers_b = NUMBER.findall(a), NUMBER.findall(b)
    bad = []
    if same and len(numbers_a) == len(numbers_b):
        for x, y in zip(numbers_a, numbers_b):
            if re.fullmatch(r"[-+]?\d+", x) or re.fullmatch(r"[-+]?\d+", y):
                if x != y:  # integers (counts, labels, sizes): exactly
                    bad.append((x, y))
            elif not math.isclose(float(x), float(y), rel_tol=REL_TOL, abs_tol=1e-12):
                bad.append((x, y))
        if not bad:
            return ""
    diff = "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), "scikit-learn",
                                          "fastgmm", lineterm="", n=1))
    numbers = f"\nnumbers differing beyond rel {REL_TOL}: {bad[:10]}" if bad else ""
    return diff[:4000] + numbers


def _figure_text(report):
    """The text drawn on the figures, one line per item."""
    lines = []
    for fig in report["figures"]:
        name = f"figure {fig['num']}"
        lines.append(f"{name} size {fig['size']}, {len(fig['axes'])} axes, "
                     f"suptitle {fig['suptitle']!r}, texts {fig['texts']!r}")
        for i, ax in enumerate(fig["axes"]):
            lines.append(f"{name} axes {i}: titles {ax['titles']!r}, "
                         f"labels {ax['xlabel']!r} {ax['ylabel']!r}, "
                         f"texts {ax['texts']!r}, legend {ax['legend']!r}, "
                         f"artists {ax['artists']}")
    return "\n".join(lines)


def _pixels(path_a, path_b):
    """(fraction of pixels differing by more than PIXEL_LEVEL, RMS in 0..1)."""
    import matplotlib.image as mpimg
    import numpy as np

    a, b = mpimg.imread(path_a)[..., :3], mpimg.imread(path_b)[..., :3]
    if a.shape != b.shape:
        return 1.0, float("inf")
    d = np.abs(a.astype(float) - b.astype(float))
    return float((d.max(axis=2) > PIXEL_LEVEL).mean()), float(np.sqrt((d ** 2).mean()))


def _run_both(script, out):
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    procs = {}
    for mode in ("sklearn", "fastgmm"):
        (out / mode).mkdir(parents=True, exist_ok=True)
        procs[mode] = subprocess.Popen(
            [sys.executable, str(RUNNER), "--mode", mode, "--out", str(out / mode),
             str(script)], cwd=out / mode, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    results = {}
    for mode, proc in procs.items():
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            for other in procs.values():
                other.kill()
            stdout, stderr = proc.communicate()
            pytest.fail(f"{script.name} ({mode}) ran over {TIMEOUT} s:\n{stderr[-3000:]}")
        (out / f"{mode}.stdout").write_text(stdout)
        (out / f"{mode}.stderr").write_text(stderr)
        report_file = out / mode / "report.json"
        report = json.loads(report_file.read_text()) if report_file.exists() else None
        results[mode] = (proc.returncode, stdout, stderr, report)
    return results


def test_examples_cover_every_gaussian_mixture_example(examples_dir):
    """A new GaussianMixture example in a later scikit-learn must be added here."""
    uses = {p.name for p in examples_dir.glob("plot_*.py")
            if re.search(r"(?<!Bayesian)GaussianMixture\b", p.read_text())}
    assert uses == set(EXAMPLES), (sorted(uses), sorted(EXAMPLES))
    assert set(NOT_RUN) <= {p.name for p in examples_dir.glob("plot_*.py")} - uses


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_gallery_example_same_results_on_fastgmm(example, examples_dir, tmp_path,
                                                  record_property):
    requires, masks = EXAMPLES[example]
    missing = [m for m in requires if importlib.util.find_spec(m) is None]
    if missing:
        _fail_or_skip(f"{example} imports {missing}, not installed "
                      f"(pip install {' '.join(missing)})")
    script = examples_dir / example
    assert script.exists(), f"{script} missing from the fetched examples"
    keep = os.environ.get("FASTGMM_GALLERY_OUT")
    out = Path(keep) / example[:-3] if keep else tmp_path
    results = _run_both(script, out)

    for mode, (rc, _, stderr, report) in results.items():
        assert rc == 0 and report is not None and report["error"] is None, (
            f"{example} failed on {mode}'s GaussianMixture (exit {rc}):\n"
            + ((report or {}).get("error") or stderr)[-4000:])
    sk, fg = results["sklearn"][3], results["fastgmm"][3]

    # the substitution happened, for every estimator the example built
    assert fg["substitution_proven"] and sk["substitution_proven"]
    assert fg["counts"]["sklearn"]["instances"] == 0
    assert fg["counts"]["fastgmm"]["modules"] == ["fastgmm.mixture"]
    assert fg["counts"]["fastgmm"]["instances"] == sk["counts"]["sklearn"]["instances"]
    assert fg["counts"]["fastgmm"]["fits"] == sk["counts"]["sklearn"]["fits"]

    printed = _differences(results["sklearn"][1], results["fastgmm"][1], masks)
    drawn = _differences(_figure_text(sk), _figure_text(fg), masks)
    warned = _differences(
        "\n".join(sorted(f"{w['category'].rsplit('.', 1)[-1]}: {w['message']}"
                         for w in sk["warnings"])),
        "\n".join(sorted(f"{w['category'].rsplit('.', 1)[-1]}: {w['message']}"
                         for w in fg["warnings"])), masks)
    pixels = {f["file"]: _pixels(out / "sklearn" / f["file"], out / "fastgmm" / f["file"])
              for f in sk["figures"]}
    summary = {
        "example": example,
        "printed_lines": len(results["sklearn"][1].splitlines()),
        "printed_equal": not printed, "figure_text_equal": not drawn,
        "warnings_equal": not warned, "warnings": len(sk["warnings"]),
        "figures": len(sk["figures"]),
        "pixels_differing": {k: round(v[0], 5) for k, v in pixels.items()},
        "rms": {k: round(v[1], 5) for k, v in pixels.items()},
        "seconds": {mode: round(results[mode][3]["seconds"], 2) for mode in results},
        "estimators": fg["counts"]["fastgmm"],
    }
    record_property("gallery", json.dumps(summary))
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print("gallery:", json.dumps(summary))

    assert not printed, f"{example}: printed output differs\n{printed}"
    assert not drawn, f"{example}: text drawn on the figures differs\n{drawn}"
    assert not warned, f"{example}: warnings differ\n{warned}"
    assert len(fg["figures"]) == len(sk["figures"])
    bad = {k: v for k, v in pixels.items() if v[0] > PIXEL_FRACTION}
    assert not bad, (f"{example}: figures differ in more than {PIXEL_FRACTION:.1%} of "
                     f"their pixels (fraction, RMS): {bad}; see {out}")
