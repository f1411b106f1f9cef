"""GaussianMixture: a drop-in replacement for sklearn.mixture.GaussianMixture.

The estimator is the maximum-likelihood *model* (``GaussianModel``: initialisation,
M-step, lower bound) run by the shared EM driver of ``_base``; each EM iteration is
one fused parallel pass over X (kernels.sufficient_statistics) followed by the small
M-step (kernels.m_step), and nothing of size n_samples x n_components is allocated
during fit.
"""
from collections import namedtuple

import numpy as np

from . import _mstep
from ._base import ArraySource, BaseMixture, is_dask_collection
from ._blas import single_threaded_blas
from ._openmp import effective_n_threads
from ._degenerate import ACTIONS as DEGENERATE_ACTIONS, repair
from ._init import initial_parameters
from ._validation import (COVARIANCE_TYPES, check_choice, check_int, check_means_init,
                          check_precisions_init, check_weights_init)
from .kernels import GMMParameters, _m_step

# The model state: the Gaussian parameters and, when known, the covariances they
# came from (None after precisions_init, recomputed when published); the M-steps
# done and what was done to degenerate components (on_degenerate) on the way.
GaussianState = namedtuple("GaussianState", "params covariances iteration events",
                           defaults=(0, ()))


class GaussianModel:
    """The maximum-likelihood Gaussian mixture, as a model of the EM driver.

    Parameters
    ----------
    p : dict
        Validated estimator parameters (``BaseMixture._check_parameters``).
    """

    needs_resp_entropy = False  # the bound is the mean log-likelihood

    def __init__(self, p):
        self.p = p

    def initialize(self, source, random_state):
        """Initial state, exactly as scikit-learn's GaussianMixture initialises."""
        p = self.p
        cov_type = p["covariance_type"]
        wi, mi, pi = p["weights_init"], p["means_init"], p["precisions_init"]
        covariances = None
        if wi is None or mi is None or pi is None:
            X, w = source.initialization_data()
            weights, means, covariances = initial_parameters(
                X, w, p["n_components"], cov_type, p["reg_covar"], p["init_params"],
                random_state, p["n_threads"], p["init_max_samples"])
            wi = weights if wi is None else wi
            mi = means if mi is None else mi
        if pi is None:
            prec_chol = _mstep.precision_cholesky(covariances, cov_type)
        else:
            covariances = None
            prec_chol = _mstep.precision_cholesky_from_precisions(pi, cov_type)
        return GaussianState(GMMParameters(wi, mi, prec_chol, cov_type), covariances)

    def kernel_params(self, state):
        return state.params

    def m_step(self, stats, state, source):
        iteration = state.iteration + 1
        try:
            params, cov = _m_step(stats, self.p["reg_covar"])
            return GaussianState(params, cov, iteration, state.events)
        except ValueError:
            if self.p["on_degenerate"] == "raise":
                raise
        params, cov, event = repair(stats, state.params, source, self.p["reg_covar"],
                                    self.p["on_degenerate"], iteration)
        return GaussianState(params, cov, iteration, state.events + (event,))

    def lower_bound(self, stats, state):
        """scikit-learn's lower bound: the mean log-likelihood of the E-step."""
        return stats.mean_log_likelihood


class GaussianMixture(BaseMixture):
    """Gaussian mixture model fitted by EM in parallel nogil kernels.

    A drop-in replacement for ``sklearn.mixture.GaussianMixture``: the same
    parameters, attributes, methods and results (to round-off, from the same
    initial parameters), plus ``n_threads`` and ``sample_weight``.

    Parameters
    ----------
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        'full': one general covariance per component; 'tied': one covariance shared
        by all components; 'diag': a diagonal covariance per component;
        'spherical': one variance per component.
    tol : float, default=1e-3
        EM stops when the lower bound (mean log-likelihood) changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance, keeping it positive definite.
    max_iter : int, default=100
        EM iterations per initialisation.
    n_init : int, default=1
        Initialisations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How initial responsibilities are chosen.  'random' and 'random_from_data'
        draw exactly what scikit-learn draws; 'kmeans' is fastgmm's own k-means.
    weights_init : array-like of shape (n_components,), default=None
    means_init : array-like of shape (n_components, n_features), default=None
    precisions_init : array-like, default=None
        Initial weights, means and precisions (inverse covariances; shape by
        ``covariance_type`` as ``precisions_``) that replace the initialiser's.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and ``sample``.
    warm_start : bool, default=False
        If True, ``fit`` continues from the previous fit (``n_init`` is ignored).
    verbose : int, default=0
        1 prints each initialisation and iteration, 2 also timings and the change.
    verbose_interval : int, default=10
        Iterations between verbose lines.
    n_threads : int or None, default=None
        OpenMP threads for every pass over the data.  None: what OpenMP would use
        (``OMP_NUM_THREADS``, threadpoolctl limits).  Results are bitwise identical
        for any value.
    on_degenerate : {'raise', 'reinit', 'drop'}, default='raise'
        When a component's covariance stops being positive definite (it collapsed):
        'raise' the "ill-defined empirical covariance" ValueError (scikit-learn's
        behaviour); 'reinit' re-seed it at the worst-explained sample with the
        mixture's pooled covariance and a 1/K share of the weight; 'drop' remove it
        (fewer components are fitted).  Not for 'tied' (one shared covariance).
        Each event is recorded in ``diagnostics_``.
    init_max_samples : int or None, default=2**20
        With more rows than this, the k-means++ seeding of 'kmeans' and
        'k-means++' runs on a uniform sample of about this many rows (Lloyd's
        iterations of 'kmeans' still use every row) and 'random_from_data' draws
        its rows by rejection instead of scikit-learn's permutation of all rows, so
        the initialiser keeps no per-row array of the full data (memory-mapped data
        larger than memory).  None: always as scikit-learn.  Fits of fewer rows are
        unaffected.
    learning_decay : float in (0.5, 1], default=0.7
    learning_offset : float >= 0, default=10.0
        The step-size schedule of ``partial_fit`` (stepwise EM): the t-th batch's
        statistics get weight ``(t + learning_offset) ** -learning_decay``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        (n_components, n_features, n_features) full, (n_features, n_features)
        tied, (n_components, n_features) diag, (n_components,) spherical.
    precisions_ : ndarray
        Inverses of ``covariances_``, same shape.
    precisions_cholesky_ : ndarray
        Upper-triangular U with precision = U U^T (full, tied), or the square roots
        of the precisions (diag, spherical).
    converged_ : bool
    n_iter_ : int
        EM iterations of the best initialisation.
    lower_bound_ : float
        Its final mean log-likelihood.
    lower_bounds_ : list of float
        Its lower bound after every iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a DataFrame with string column names.
    diagnostics_ : list of dict
        What ``on_degenerate`` did in the best initialisation: one dict per event
        with keys ``iteration``, ``components`` (indices at that time), ``action``.

    Notes
    -----
    Fitted attributes have the dtype of X (float32 or float64), as in scikit-learn
    >= 1.8; float32 input is never copied to float64, its statistics accumulate in
    float64 around the current means, and a warm start continues from the float64
    state kept privately.
    ``fit`` and ``fit_predict`` also take ``sample_weight`` (a weight of k gives the
    fit of k copies of the row) and ``callback`` (called after every iteration).
    See the README for the differences from scikit-learn.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> np.round(gm.means_[np.argsort(gm.means_[:, 0])], 6)
    array([[ 1.,  2.],
           [10.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]]).tolist() == [int(np.argmin(gm.means_[:, 0])),
    ...                                            int(np.argmax(gm.means_[:, 0]))]
    True
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3,
                 reg_covar=1e-6, max_iter=100, n_init=1, init_params="kmeans",
                 weights_init=None, means_init=None, precisions_init=None,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10,
                 n_threads=None, on_degenerate="raise", init_max_samples=1 << 20,
                 learning_decay=0.7, learning_offset=10.0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.on_degenerate = on_degenerate
        self.init_max_samples = init_max_samples
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset

    def _check_model_parameters(self, p, n_features):
        K = p["n_components"]
        cov = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        p["covariance_type"] = cov
        p["on_degenerate"] = check_choice(self.on_degenerate, "on_degenerate",
                                          DEGENERATE_ACTIONS)
        p["init_max_samples"] = check_int(self.init_max_samples, "init_max_samples",
                                          K, allow_none=True)
        p["weights_init"] = p["means_init"] = p["precisions_init"] = None
        if self.weights_init is not None:
            p["weights_init"] = check_weights_init(self.weights_init, K)
        if self.means_init is not None:
            p["means_init"] = check_means_init(self.means_init, K, n_features)
        if self.precisions_init is not None:
            p["precisions_init"] = check_precisions_init(self.precisions_init, cov, K,
                                                         n_features)

    def _make_model(self, p):
        return GaussianModel(p)

    def _state_from_attributes(self):
        return GaussianState(self._kernel_params(),
                             np.asarray(self.covariances_, dtype=np.float64))

    def _set_state(self, state, dtype):
        params, covariances = state.params, state.covariances
        if covariances is None:
            covariances = _mstep.covariances_from_cholesky(params.precisions_cholesky,
                                                           params.covariance_type)
        # writable copies in the data's dtype (the model's own arrays are read-only),
        # all checked before any is set: float32 cannot hold every float64 value
        published = {
            "weights_": params.weights, "means_": params.means,
            "covariances_": covariances,
            "precisions_cholesky_": params.precisions_cholesky,
            "precisions_": _mstep.precisions_from_cholesky(params.precisions_cholesky,
                                                           params.covariance_type)}
        published = {k: np.array(v, dtype=dtype) for k, v in published.items()}
        for name in ("covariances_", "precisions_"):
            if not (np.isfinite(published[name]).all()
                    and np.abs(published[name]).max() > 0):
                raise ValueError(
                    f"The fitted {name[:-1]} are not representable in {np.dtype(dtype)} "
                    "(X's dtype): check weights_init/means_init/precisions_init or "
                    "fit float64 data.")
        if not np.isfinite(published["means_"]).all():
            raise ValueError(f"The fitted means are not representable in "
                             f"{np.dtype(dtype)} (X's dtype): check means_init or fit "
                             "float64 data.")
        for name, value in published.items():
            setattr(self, name, value)
        self.diagnostics_ = list(state.events)

    def _kernel_params(self):
        return GMMParameters(self.weights_, self.means_, self.precisions_cholesky_,
                             self.covariance_type)

    def bic(self, X):
        """Bayesian information criterion of the model on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
            ``-2 log L + n_parameters log(n_samples)``.
        """
        mean, n = self._mean_score(X)
        return -2 * mean * n + self._n_parameters() * np.log(n)

    def aic(self, X):
        """Akaike information criterion of the model on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
            ``-2 log L + 2 n_parameters``.
        """
        mean, n = self._mean_score(X)
        return -2 * mean * n + 2 * self._n_parameters()

    def _mean_score(self, X):
        """(mean log-likelihood, number of rows) of X, validated (feature names
        included); one compute for a dask X, whose row count may be unknown."""
        loglik = self.score_samples(X)
        if is_dask_collection(loglik):
            from .dask import sum_and_count
            total, n = sum_and_count(loglik)
            return total / n, n
        return float(loglik.mean()), loglik.shape[0]

    def icl(self, X):
        """Integrated completed likelihood criterion on X (lower is better).

        BIC plus twice the entropy of the responsibilities: it also penalises
        components that overlap (Biernacki, Celeux and Govaert, 2000).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
            ``bic(X) - 2 sum_i sum_k r_ik log r_ik``.
        """
        X, _ = self._validate_X(X, reset=False)
        source = ArraySource(X, None, effective_n_threads(self.n_threads))
        with single_threaded_blas():
            stats = source.statistics(self._kernel_params(), resp_entropy=True)
        n = X.shape[0]
        bic = -2 * stats.loglik_sum + self._n_parameters() * np.log(n)
        return float(bic - 2 * stats.resp_entropy_sum)

    def _n_parameters(self):
        return _mstep.n_parameters(self.means_.shape[0], self.means_.shape[1],
                                   self.covariance_type)
