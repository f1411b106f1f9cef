"""pytest plugin: run scikit-learn's own GaussianMixture tests against fastgmm.

Load it with ``-p sklearn_substitute`` (``tests/`` on ``PYTHONPATH``), e.g.::

    SKLEARN_RUN_FLOAT32_TESTS=1 PYTHONPATH=tests python -m pytest -p sklearn_substitute \
        --pyargs sklearn.mixture.tests.test_gaussian_mixture \
        sklearn.mixture.tests.test_mixture

``tests/test_sklearn_own_tests.py`` runs exactly this in a subprocess.

Substitution.  ``-p`` imports this module while pytest starts, before any conftest or
test module is imported.  At that point every already imported ``sklearn*`` module
attribute that *is* scikit-learn's ``GaussianMixture`` class is replaced by
``fastgmm.GaussianMixture`` -- above all ``sklearn.mixture.GaussianMixture`` and
``sklearn.mixture._gaussian_mixture.GaussianMixture``, the two places the tests can
import it from -- so ``from sklearn.mixture import GaussianMixture`` in a test module
binds fastgmm's class, and so do the estimator instances the tests build at import
time (``@pytest.mark.parametrize("estimator", [GaussianMixture(), ...])``),
``isinstance`` checks and anything that looks the class up through scikit-learn.
scikit-learn's private helpers (``_estimate_gaussian_parameters``, ...) stay
scikit-learn's.  After collection every collected test module's ``GaussianMixture``
is checked to be fastgmm's, and the run stops with a usage error if one is not:
a passing run can never have tested scikit-learn's own class.

Exclusions.  ``EXCLUDED`` maps ``"<test file>::<test function>"`` (every
parametrisation of the function) to the reason; only tests that exercise
scikit-learn's private internals are listed.  They are deselected (reported by
pytest as "deselected"), and the run's terminal summary lists every entry with its
reason and how many tests it deselected, ending with the line::

    sklearn_substitute: excluded <n> tests by <m> entries; unmatched entries: [...]

which ``test_sklearn_own_tests.py`` checks against the deselected count.
"""
import sys

import pytest

import fastgmm

# "<test file name>::<test function name>" -> why it cannot run against fastgmm.
EXCLUDED = {
    "test_gaussian_mixture.py::test_suffstat_sk_full":
        "tests scikit-learn's private _estimate_gaussian_covariances_full and "
        "_compute_precision_cholesky only (never constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_suffstat_sk_tied":
        "tests scikit-learn's private _estimate_gaussian_covariances_{full,tied} and "
        "_compute_precision_cholesky only (never constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_suffstat_sk_diag":
        "tests scikit-learn's private _estimate_gaussian_covariances_{full,diag} and "
        "_compute_precision_cholesky only (never constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_gaussian_suffstat_sk_spherical":
        "tests scikit-learn's private _estimate_gaussian_covariances_spherical and "
        "_compute_precision_cholesky only (never constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_compute_log_det_cholesky":
        "tests scikit-learn's private _compute_log_det_cholesky and "
        "_compute_precision_cholesky only (never constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_gaussian_mixture_log_probabilities":
        "tests scikit-learn's private _estimate_log_gaussian_prob only (never "
        "constructs GaussianMixture)",
    "test_gaussian_mixture.py::test_gaussian_mixture_precisions_init":
        "calls scikit-learn's private estimator methods GaussianMixture._set_parameters "
        "and GaussianMixture._initialize(X, resp), which fastgmm does not have",
    "test_gaussian_mixture.py::test_gaussian_mixture_all_init_does_not_estimate_"
    "gaussian_parameters":
        "counts calls to scikit-learn's private "
        "sklearn.mixture._gaussian_mixture._estimate_gaussian_parameters (mocked); "
        "fastgmm never calls it, so the count is 0 instead of n_iter_",
}

SUMMARY_PREFIX = "sklearn_substitute:"


def _substitute():
    """Point every imported reference to scikit-learn's GaussianMixture at fastgmm's.

    Returns (scikit-learn's original class, the 'module.attribute' names replaced).
    """
    import sklearn.mixture
    import sklearn.mixture._gaussian_mixture as gm_module

    original = gm_module.GaussianMixture
    if original is fastgmm.GaussianMixture:  # already substituted (plugin reloaded)
        return getattr(gm_module, "_sklearn_GaussianMixture", original), []
    early = sorted(n for n in sys.modules if n.startswith("sklearn.") and ".tests" in n)
    if early:
        # their import-time objects (parametrize instances) would stay scikit-learn's
        raise RuntimeError(f"{SUMMARY_PREFIX} scikit-learn test modules {early} were "
                           "imported before GaussianMixture could be substituted")
    patched = []
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "sklearn" or name.startswith("sklearn.")):
            continue
        for attr, value in list(vars(module).items()):
            if value is original:
                setattr(module, attr, fastgmm.GaussianMixture)
                patched.append(f"{name}.{attr}")
    gm_module._sklearn_GaussianMixture = original
    assert sklearn.mixture.GaussianMixture is fastgmm.GaussianMixture
    assert gm_module.GaussianMixture is fastgmm.GaussianMixture
    return original, patched


SKLEARN_GAUSSIAN_MIXTURE, PATCHED = _substitute()


def _key(item):
    """'<file name>::<function name>', the key of EXCLUDED (all parametrisations)."""
    function = getattr(item, "originalname", None) or item.name.split("[")[0]
    return f"{item.path.name}::{function}"


def pytest_configure(config):
    config._sklearn_substitute = {"matched": {key: 0 for key in EXCLUDED},
                                  "seen": set(), "modules": set()}


def pytest_collection_modifyitems(session, config, items):
    state = config._sklearn_substitute
    keep, deselected = [], []
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and module.__name__ not in state["seen"]:
            state["seen"].add(module.__name__)
            cls = getattr(module, "GaussianMixture", None)
            if cls is fastgmm.GaussianMixture:
                state["modules"].add(module.__name__)
            elif cls is not None:
                raise pytest.UsageError(
                    f"{SUMMARY_PREFIX} {module.__name__}.GaussianMixture is "
                    f"{cls.__module__}.{cls.__qualname__}, not fastgmm's class: the "
                    "substitution failed (was the test module imported before the "
                    "plugin?)")
        callspec = getattr(item, "callspec", None)
        for value in (callspec.params.values() if callspec is not None else ()):
            if isinstance(value, SKLEARN_GAUSSIAN_MIXTURE):
                raise pytest.UsageError(
                    f"{SUMMARY_PREFIX} {item.nodeid} is parametrised with scikit-learn's "
                    "own GaussianMixture instance: the substitution came too late")
        key = _key(item)
        if key in EXCLUDED:
            state["matched"][key] += 1
            deselected.append(item)
        else:
            keep.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    state = getattr(config, "_sklearn_substitute", None)
    if state is None:
        return
    tr = terminalreporter
    cls = fastgmm.GaussianMixture
    tr.section("scikit-learn tests run against fastgmm (sklearn_substitute)")
    tr.write_line(f"{SUMMARY_PREFIX} replaced {PATCHED} by "
                  f"{cls.__module__}.{cls.__qualname__} from {fastgmm.__file__}")
    tr.write_line(f"{SUMMARY_PREFIX} GaussianMixture is fastgmm's in test modules: "
                  f"{sorted(state['modules'])}")
    tr.write_line("excluded (deselected) tests:")
    for key, reason in EXCLUDED.items():
        tr.write_line(f"  {key} [{state['matched'][key]} deselected]: {reason}")
    total = sum(state["matched"].values())
    unmatched = [key for key, n in state["matched"].items() if n == 0]
    tr.write_line(f"{SUMMARY_PREFIX} excluded {total} tests by {len(EXCLUDED)} "
                  f"entries; unmatched entries: {unmatched}")
