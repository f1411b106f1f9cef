"""The scripts of examples/ run from start to picture (their --quick mode).

Each script runs as a subprocess, as a user runs it (``python examples/NAME.py
--quick --out DIR``, from another working directory, with matplotlib's Agg
backend; the five at once); each test checks one script's exit code, the PNG it
wrote and key lines of what it printed.  The pictures kept in examples/images (made by the full mode) are
checked to be there and small.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")      # the data sets and the photograph ship with it
Image = pytest.importorskip("PIL.Image")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = ["image_segmentation", "anomaly_detection", "customer_segmentation",
         "ellipses", "initialisation"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run the five scripts at once, each as ``python examples/NAME.py --quick
    --out DIR`` from another working directory with matplotlib's Agg backend.

    Five processes share the machine's cores, so each gets one OpenMP thread
    (fastgmm's results do not depend on the thread count).  Returns name ->
    (exit code, stdout, stderr, path of the picture).
    """
    base = tmp_path_factory.mktemp("examples")
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    started = {}
    try:
        for name in NAMES:
            log, err = base / f"{name}.out", base / f"{name}.err"
            with open(log, "w") as stdout, open(err, "w") as stderr:
                proc = subprocess.Popen(
                    [sys.executable, str(EXAMPLES / f"{name}.py"), "--quick",
                     "--out", str(base / name)],
                    cwd=base, env=env, stdout=stdout, stderr=stderr)
            started[name] = proc, log, err
        results = {}
        for name, (proc, log, err) in started.items():
            code = proc.wait(timeout=300)
            results[name] = (code, log.read_text(), err.read_text(),
                             base / name / f"{name}.png")
        return results
    finally:
        for proc, _, _ in started.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def run_example(runs, name):
    """The stdout and picture of a script that ran to its end."""
    code, stdout, stderr, path = runs[name]
    assert code == 0, (f"examples/{name}.py --quick exited with {code}\n"
                       f"{stdout}\n{stderr}")
    assert path.is_file(), f"no picture at {path}\n{stdout}"
    assert f"picture: {path}" in stdout
    return stdout, path


def check_picture(path, min_size=(400, 200)):
    """A PNG of a reasonable size that is not blank."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    with Image.open(path) as image:
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        colours = image.convert("RGB").getcolors(1 << 16)
    assert colours is not None and len(colours) > 16, "the picture is nearly blank"


def grab(pattern, text):
    match = re.search(pattern, text, re.MULTILINE)
    assert match, f"no line matching {pattern!r} in:\n{text}"
    return match


def test_image_segmentation(runs):
    out, png = run_example(runs, "image_segmentation")
    check_picture(png)
    grab(r"^image: 214 x 320 = 68,480 pixels, 4 colours$", out)
    grab(r"^fit: [\d.]+ s \(\d+ EM iterations, converged=True, "
         r"means_ dtype float32\); predict: [\d.]+ s$", out)
    assert len(re.findall(r"^  component +\d+: #[0-9a-f]{6} ", out, re.M)) == 4


def test_anomaly_detection(runs):
    out, png = run_example(runs, "anomaly_detection")
    check_picture(png)
    # contamination 0.02 of 569 rows: the lowest ceil(0.02 * 569) = 12 are flagged
    assert int(grab(r"^flagged: (\d+) of 569 rows", out).group(1)) == 12
    grab(r"^malignant among the flagged: \d+% \(of all rows: 37%\)$", out)
    assert len(re.findall(r"^  row +\d+  log-density", out, re.M)) == 5


def test_customer_segmentation(runs):
    out, png = run_example(runs, "customer_segmentation")
    check_picture(png)
    K = int(grab(r"^chosen: K=(\d+) segments, covariance_type='(\w+)'", out).group(1))
    assert 2 <= K <= 6
    grab(r"^ +K +full +tied +diag +spherical$", out)          # the BIC table
    sizes = grab(r"^ +size((?: +\d+)+)$", out).group(1).split()
    assert len(sizes) == K + 1 and sum(map(int, sizes[:-1])) == int(sizes[-1]) == 178
    assert len(re.findall(r"^  segment \d+: (high|low) ", out, re.M)) == K


def test_ellipses(runs):
    out, png = run_example(runs, "ellipses")
    check_picture(png)
    bic = {m.group(1): float(m.group(2)) for m in re.finditer(
        r"^ +(full|tied|diag|spherical) +\d+ +([\d.]+) ", out, re.M)}
    assert sorted(bic) == ["diag", "full", "spherical", "tied"]
    assert min(bic, key=bic.get) == "full"      # the blobs are tilted ellipses


def test_initialisation(runs):
    out, png = run_example(runs, "initialisation")
    check_picture(png)
    best = float(grab(r"^best lower bound found: (-[\d.]+); per setting:$", out)
                 .group(1))
    rows = re.findall(r"^ *(kmeans|k-means\+\+|random|random_from_data) +(\d) +"
                      r"(-[\d.]+) +(-[\d.]+) +\d+/\d+ ", out, re.M)
    assert len(rows) == 8
    assert all(float(worst) <= float(median) <= best + 1e-3
               for _, _, median, worst in rows)
    median = {(init, int(n)): float(m) for init, n, m, _ in rows}
    # 'random' stops at tol on the saddle where every component is the data's mean
    assert median["random", 1] < median["kmeans", 1] - 1.0
    grab(r"^'random' with tol=1e-5 instead of 1e-3: lower bound -[\d.]+ after "
         r"\d+ iterations$", out)


@pytest.mark.parametrize("name", NAMES)
def test_kept_picture_is_small(name):
    """examples/images holds each full-mode picture, small enough to keep."""
    path = EXAMPLES / "images" / f"{name}.png"
    assert path.is_file(), f"run `python examples/{name}.py` to make {path}"
    assert path.stat().st_size <= 110_000
    check_picture(path, min_size=(600, 250))
