"""scikit-learn's own GaussianMixture tests, run against fastgmm.

``sklearn/mixture/tests/test_gaussian_mixture.py`` and ``test_mixture.py`` of the
installed scikit-learn run in a subprocess (``pytest --pyargs``) with the
``sklearn_substitute`` plugin (``tests/sklearn_substitute.py``), which replaces
``sklearn.mixture.GaussianMixture`` by ``fastgmm.GaussianMixture`` before they are
imported and deselects the tests listed in its ``EXCLUDED`` (tests of scikit-learn's
private internals, each with its reason).  Every other test must pass, float32
variants included (``SKLEARN_RUN_FLOAT32_TESTS=1``).

The array-API tests of scikit-learn skip themselves unless ``SCIPY_ARRAY_API=1`` and
an array library is installed, as in scikit-learn's own default run; the variable is
removed here so the outcome does not depend on the caller's environment (with it,
``test_gaussian_mixture_raises_where_array_api_not_implemented`` expects the
NotImplementedError that scikit-learn raises for 'kmeans' under
``array_api_dispatch``; fastgmm has no array-API dispatch and fits).  Any skip for
another reason fails this test.

Runs in a few seconds (the subprocess ~5 s on 2 cores).
"""
import importlib.util
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import sklearn

TESTS_DIR = Path(__file__).resolve().parent
MODULES = ["sklearn.mixture.tests.test_gaussian_mixture",
           "sklearn.mixture.tests.test_mixture"]
PREFIX = "sklearn_substitute:"

# The plugin's EXCLUDED entries, pinned here so that the exclusion list cannot grow
# unnoticed: adding an entry there fails this test until it is added here too.
EXPECTED_EXCLUDED = {
    "test_gaussian_mixture.py::test_suffstat_sk_full",
    "test_gaussian_mixture.py::test_suffstat_sk_tied",
    "test_gaussian_mixture.py::test_suffstat_sk_diag",
    "test_gaussian_mixture.py::test_gaussian_suffstat_sk_spherical",
    "test_gaussian_mixture.py::test_compute_log_det_cholesky",
    "test_gaussian_mixture.py::test_gaussian_mixture_log_probabilities",
    "test_gaussian_mixture.py::test_gaussian_mixture_precisions_init",
    "test_gaussian_mixture.py::"
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters",
}


def _run(tmp_path):
    for module in MODULES:
        assert importlib.util.find_spec(module) is not None, (
            f"{module} is not installed with scikit-learn {sklearn.__version__} "
            "(a scikit-learn build without its tests?)")
    # an empty ini of our own: neither this project's pytest options nor any
    # configuration file above the working directory apply to the run
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    junit = tmp_path / "junit.xml"
    env = dict(os.environ)
    env["SKLEARN_RUN_FLOAT32_TESTS"] = "1"
    env.pop("SCIPY_ARRAY_API", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(TESTS_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    cmd = [sys.executable, "-m", "pytest", "--pyargs", *MODULES,
           "-p", "sklearn_substitute", "-p", "no:cacheprovider",
           "-c", str(ini), "--rootdir", str(Path(sklearn.__file__).parent.parent),
           "-q", "-rfEs", "--tb=short", f"--junitxml={junit}"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    return proc, proc.stdout + proc.stderr, junit


def _junit_results(junit):
    """[(test id, outcome, message)] for every test that ran (not deselected)."""
    results = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                outcome = tag
                message = (el.get("message") or el.text or "").strip()
                break
        results.append((test_id, outcome, message))
    return results


def _summary_counts(output):
    """pytest's final counts, e.g. {'passed': 64, 'skipped': 270, 'deselected': 17}."""
    for line in reversed(output.splitlines()):
        if re.search(r"\bin [\d.]+s\b", line) and re.search(
                r"\d+ (passed|failed|errors?|skipped|deselected)", line):
            return {kind.rstrip("s") if kind.startswith("error") else kind: int(n)
                    for n, kind in re.findall(r"(\d+) ([a-z]+)", line)}
    return None


def test_sklearn_own_gaussian_mixture_tests_pass_on_fastgmm(tmp_path):
    proc, output, junit = _run(tmp_path)
    tail = output[-6000:]
    counts = _summary_counts(output)
    assert counts is not None and junit.exists(), (
        f"the scikit-learn test run did not finish (exit code {proc.returncode}):\n"
        f"{tail}")

    # the substitution happened, in both test modules
    substituted = [line for line in output.splitlines()
                   if line.startswith(f"{PREFIX} GaussianMixture is fastgmm's in test "
                                      "modules:")]
    assert substituted and all(m in substituted[0] for m in MODULES), (
        f"fastgmm's class was not verified in both test modules:\n{tail}")

    # nothing failed, nothing errored; the messages name each failing test
    results = _junit_results(junit)
    bad = [f"{outcome.upper()} {test_id}: "
           + " | ".join(line.strip() for line in message.splitlines()[:3])[:400]
           for test_id, outcome, message in results if outcome in ("failure", "error")]
    assert not bad and counts.get("failed", 0) == 0 and counts.get("error", 0) == 0, (
        f"{len(bad)} of scikit-learn's GaussianMixture tests fail on fastgmm "
        f"({counts}):\n  " + "\n  ".join(bad) + f"\n\n--- output tail ---\n{tail}")
    assert proc.returncode == 0, f"exit code {proc.returncode}:\n{tail}"

    # skips: only scikit-learn's array-API tests, for want of an array library
    other_skips = [f"{test_id}: {message}" for test_id, outcome, message in results
                   if outcome == "skipped" and "array_api" not in message.lower()]
    assert not other_skips, "tests skipped for other reasons:\n  " + "\n  ".join(
        other_skips)
    assert counts.get("passed", 0) >= 60, counts

    # exclusions: exactly the pinned entries, each matching something, and pytest
    # deselected exactly what they matched
    entries = dict(re.findall(r"^\s+(\S+::\S+) \[(\d+) deselected\]: ", output, re.M))
    assert set(entries) == EXPECTED_EXCLUDED, (
        "the exclusion list of tests/sklearn_substitute.py changed: "
        f"added {sorted(set(entries) - EXPECTED_EXCLUDED)}, "
        f"removed {sorted(EXPECTED_EXCLUDED - set(entries))}")
    unmatched = [key for key, n in entries.items() if int(n) == 0]
    assert not unmatched, (f"excluded entries that match no test (renamed or removed "
                           f"in scikit-learn {sklearn.__version__}?): {unmatched}")
    m = re.search(rf"^{PREFIX} excluded (\d+) tests by (\d+) entries", output, re.M)
    assert m is not None, tail
    excluded = int(m.group(1))
    assert excluded == sum(int(n) for n in entries.values())
    assert counts.get("deselected", 0) == excluded, (
        f"pytest deselected {counts.get('deselected', 0)} tests but the exclusion "
        f"list matches {excluded}")
