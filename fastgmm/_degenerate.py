"""What to do when an M-step meets a degenerate component (``on_degenerate``).

A component is degenerate when its estimated covariance is not positive definite
(it collapsed onto one point or a lower-dimensional set, and ``reg_covar`` cannot
save it).  scikit-learn raises; fastgmm raises by default too, and can instead
re-seed the component at the worst-explained rows ('reinit') or remove it ('drop').
Either way the parameters stay finite, and an event records what was done.
"""
import numpy as np

from . import _mstep
from .kernels import GMMParameters

ACTIONS = ("raise", "reinit", "drop")


def _pooled(cov, nk, good, covariance_type):
    """nk-weighted mean of the good components' covariances, in cov's layout."""
    w = nk[good] / nk[good].sum()
    return np.tensordot(w, cov[good], axes=1)


def repair(stats, params, source, reg_covar, action, iteration):
    """New (params, covariances, event) after a failed M-step, or ValueError.

    Parameters
    ----------
    stats : SufficientStatistics of the E-step that led to the failure
    params : GMMParameters the E-step used (to find the worst-explained rows)
    source : the statistics source (its ``worst_explained_rows``)
    reg_covar : float
    action : 'reinit' or 'drop'
    iteration : int, the EM iteration (for the event record)
    """
    cov_type = stats.covariance_type
    nk, means, cov = _mstep.estimate_gaussian_parameters(
        stats.nk, stats.s1, stats.s2, stats.shift, cov_type, reg_covar, stats.eps)
    bad = _mstep.ill_defined_components(cov, cov_type)
    if cov_type == "tied" or bad.size == 0:
        raise ValueError(_mstep.ILL_DEFINED + " (covariance_type='tied' shares one "
                         "covariance, so no single component can be repaired.)"
                         if cov_type == "tied" else _mstep.ILL_DEFINED)
    good = np.setdiff1d(np.arange(nk.shape[0]), bad)
    if good.size == 0:
        raise ValueError(_mstep.ILL_DEFINED + " (every component is degenerate.)")
    if action == "drop":
        nk, means, cov = nk[good], means[good], cov[good]
    else:
        # a fair share of the weight, the mixture's typical shape, centred on the
        # rows the current mixture explains worst
        means[bad] = source.worst_explained_rows(params, bad.size)
        cov[bad] = _pooled(cov, nk, good, cov_type)
        nk[bad] = nk.sum() / nk.shape[0]
    prec_chol = _mstep.precision_cholesky(cov, cov_type)
    event = {"iteration": int(iteration), "components": [int(k) for k in bad],
             "action": action}
    return GMMParameters(nk / nk.sum(), means, prec_chol, cov_type), cov, event
