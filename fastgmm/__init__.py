"""fastgmm: Gaussian Mixture Models fitted by EM in parallel C/Cython kernels.

``fastgmm.GaussianMixture`` is a drop-in replacement for
``sklearn.mixture.GaussianMixture``.  The kernels behind it are public in
``fastgmm.kernels``: block sufficient statistics that add up, and the M-step that
turns summed statistics into parameters.
"""
import os as _os

# Idle OpenMP threads sleep instead of spinning (libgomp reads this once, when the
# runtime loads): a fit beside other processes does not burn their cycles.  Set only
# while the runtime loads, so child processes and later libraries see the user's
# environment; a policy the user chose is left alone.
_passive = "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ
if _passive:
    _os.environ["OMP_WAIT_POLICY"] = "passive"
try:
    from . import _openmp  # loads the OpenMP runtime
finally:
    if _passive:
        del _os.environ["OMP_WAIT_POLICY"]

from ._exceptions import ConvergenceWarning, NotFittedError
from ._openmp import effective_n_threads, openmp_enabled
from ._config import show_config
from .bayesian import BayesianGaussianMixture
from .mixture import GaussianMixture
from .io import load
from .outliers import GaussianMixtureOutlierDetector
from .selection import SelectionResult, select

__version__ = "0.1.0"

__all__ = [
    "GaussianMixture",
    "BayesianGaussianMixture",
    "GaussianMixtureOutlierDetector",
    "load",
    "select",
    "SelectionResult",
    "ConvergenceWarning",
    "NotFittedError",
    "openmp_enabled",
    "show_config",
    "effective_n_threads",
    "__version__",
]
