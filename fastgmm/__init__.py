"""fastgmm: Gaussian Mixture Models fitted by EM in parallel C/Cython kernels.

``fastgmm.GaussianMixture`` is a drop-in replacement for
``sklearn.mixture.GaussianMixture``.  The kernels behind it are public in
``fastgmm.kernels``: block sufficient statistics that add up, and the M-step that
turns summed statistics into parameters.
"""
from ._exceptions import ConvergenceWarning, NotFittedError
from ._openmp import effective_n_threads, openmp_enabled
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
    "effective_n_threads",
    "__version__",
]
