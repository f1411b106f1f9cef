"""BayesianGaussianMixture: variational inference of a Gaussian mixture, on the same
fused kernels as GaussianMixture.

The estimator is a *model* of the shared EM driver (``_base.run_em``):
``VariationalGaussianModel`` keeps the variational posterior (a Dirichlet or a
stick-breaking Beta posterior on the weights, Gaussian-Wishart posteriors on the
components) and turns it into the Gaussian that the E-step kernel evaluates.

Under the posterior, the E-step's log-responsibility of x for component k is

    log rho_k(x) = E[log pi_k] + 1/2 E[log |Lambda_k|] - D/2 log 2pi - D / (2 beta_k)
                   - nu_k / 2 (x - m_k)^T W_k (x - m_k),

a Gaussian log-density whose precision has the Cholesky factor sqrt(nu_k) chol(W_k)
(scikit-learn's ``precisions_cholesky_``), plus a constant per component.  The
constant goes into the weights of a ``GMMParameters`` (unnormalised; the largest is
1, so nothing overflows), so one pass of the existing kernel gives the
responsibilities' statistics nk, s1, s2 and sum r log r; nothing of size
n_samples x n_components is allocated during fit.  The M-step and the lower bound
follow scikit-learn's ``BayesianGaussianMixture`` formulas (Bishop 2006, ch. 10;
Blei and Jordan 2006 for the Dirichlet process).
"""
import math
from collections import namedtuple

import numpy as np
from scipy.special import betaln, digamma, gammaln

from . import _mstep
from ._base import ArraySource, BaseMixture
from ._blas import single_threaded_blas
from ._init import _chunks, initial_parameters
from ._openmp import effective_n_threads
from ._validation import (COVARIANCE_TYPES, _as_float_array, check_choice, check_float,
                          check_int)
from .kernels import GMMParameters

__all__ = ["BayesianGaussianMixture", "VariationalGaussianModel"]

WEIGHT_PRIOR_TYPES = ("dirichlet_process", "dirichlet_distribution")

# The priors of a fit (scikit-learn's *_prior_ attributes), in float64.
Priors = namedtuple("Priors", "weight_concentration mean_precision mean "
                              "degrees_of_freedom covariance")

# The variational posterior.  weight_concentration is a pair of arrays (the Beta
# parameters of the sticks) for a Dirichlet process, one array (the Dirichlet
# parameters) for a Dirichlet distribution; degrees_of_freedom is a float for
# 'tied'; covariances are W^-1 / nu, as scikit-learn's covariances_, and
# precisions_cholesky their inverse's Cholesky factors; priors are those it was
# computed with.
VariationalState = namedtuple(
    "VariationalState", "weight_concentration mean_precision means degrees_of_freedom "
                        "covariances precisions_cholesky priors")


# ---------------------------------------------------------------------- formulas
def _is_process(weight_concentration):
    return isinstance(weight_concentration, tuple)


def expected_log_weights(weight_concentration):
    """E[log pi_k] under the posterior on the weights.

    Parameters
    ----------
    weight_concentration : tuple (a, b) of ndarray (K,), or ndarray (K,)
        Beta parameters of the sticks (Dirichlet process), or Dirichlet parameters.

    Returns
    -------
    ndarray (K,), float64
    """
    if _is_process(weight_concentration):
        a, b = (np.asarray(v, dtype=np.float64) for v in weight_concentration)
        digamma_total = digamma(a + b)
        log_stick = digamma(a) - digamma_total           # E[log v_k]
        log_rest = digamma(b) - digamma_total            # E[log (1 - v_k)]
        before = np.concatenate(([0.0], np.cumsum(log_rest)[:-1]))
        return log_stick + before
    alpha = np.asarray(weight_concentration, dtype=np.float64)
    return digamma(alpha) - digamma(alpha.sum())


def mixture_weights(weight_concentration):
    """The posterior mean weights (scikit-learn's ``weights_``), normalised."""
    if _is_process(weight_concentration):
        a, b = (np.asarray(v, dtype=np.float64) for v in weight_concentration)
        total = a + b
        left = np.concatenate(([1.0], np.cumprod(b / total)[:-1]))
        weights = a / total * left
    else:
        weights = np.asarray(weight_concentration, dtype=np.float64).copy()
    return weights / weights.sum()


def _sum_over_features(fn, degrees_of_freedom, n_features):
    """sum_{d < D} fn((nu - d) / 2), per component (shape (1,) for a scalar nu)."""
    nu = np.atleast_1d(np.asarray(degrees_of_freedom, dtype=np.float64))
    return fn(0.5 * (nu[:, None] - np.arange(n_features))).sum(axis=1)


def estep_parameters(state, covariance_type):
    """The Gaussian whose kernel pass gives the variational E-step.

    Parameters
    ----------
    state : VariationalState
    covariance_type : str

    Returns
    -------
    params : GMMParameters
        Means m_k, precision Cholesky factors sqrt(nu_k) chol(W_k), and weights
        exp(c_k - max c) where c_k = E[log pi_k] + 1/2 E[log |Lambda_k|]
        - D/2 log nu_k - D / (2 beta_k) collects the per-component constant
        (the kernel adds log det of the factor and -D/2 log 2pi itself).
    offset : float
        max c: the kernel's log-likelihoods are log sum_k rho_k minus this.
        A component whose weight underflows (c_k < max c - 745) is switched off:
        its responsibilities would round to 0 anyway (short of a point more than
        about 700 nats better explained by it than by every other component).
    """
    means = np.asarray(state.means, dtype=np.float64)
    D = means.shape[1]
    nu = np.asarray(state.degrees_of_freedom, dtype=np.float64)
    beta = np.asarray(state.mean_precision, dtype=np.float64)
    # E[log |Lambda_k|] = D log 2 + sum_d psi((nu_k - d) / 2) + log |W_k|, and
    # log |W_k| = 2 log det(chol) - D log nu_k, with the kernel adding log det(chol).
    log_lambda = D * math.log(2.0) + _sum_over_features(digamma, nu, D)
    log_const = (expected_log_weights(state.weight_concentration)
                 + 0.5 * (log_lambda - D / beta) - 0.5 * D * np.log(nu))
    offset = float(log_const.max())
    if not np.isfinite(log_const).all():
        raise ValueError("The variational posterior is not finite (overflow): scale "
                         "the input data or adjust the priors.")
    weights = np.exp(log_const - offset)
    return GMMParameters(weights, means, state.precisions_cholesky,
                         covariance_type), offset


def variational_lower_bound(resp_entropy_sum, state, covariance_type):
    """scikit-learn's evidence lower bound (up to its constant terms).

    Parameters
    ----------
    resp_entropy_sum : float
        sum_n w_n sum_k r_nk log r_nk of the E-step's responsibilities.
    state : VariationalState
        The posterior after the M-step that used those responsibilities.
    covariance_type : str

    Returns
    -------
    float
    """
    means = np.asarray(state.means)
    K, D = means.shape
    nu = np.asarray(state.degrees_of_freedom, dtype=np.float64)
    # log det of the normalised factors, back to W's own scale
    log_det = (_mstep.log_det_cholesky(np.asarray(state.precisions_cholesky),
                                       covariance_type, D) - 0.5 * D * np.log(nu))
    log_wishart_norm = -(nu * log_det + 0.5 * D * math.log(2.0) * nu
                         + _sum_over_features(gammaln, nu, D))
    if covariance_type == "tied":
        log_wishart = K * float(np.sum(log_wishart_norm))  # one shared Wishart, K times
    else:
        log_wishart = float(np.sum(log_wishart_norm))
    wc = state.weight_concentration
    if _is_process(wc):
        log_norm_weight = -float(np.sum(betaln(wc[0], wc[1])))
    else:
        log_norm_weight = float(gammaln(np.sum(wc)) - np.sum(gammaln(wc)))
    return float(-resp_entropy_sum - log_wishart - log_norm_weight
                 - 0.5 * D * np.sum(np.log(state.mean_precision)))


def data_priors(X, sample_weight, given, covariance_type):
    """The priors of a fit: the given ones, and the data's where None was given.

    The mean prior defaults to the weighted mean of X and the covariance prior to
    the sample covariance of X (ddof=1, as scikit-learn; a weight of k counts as k
    rows): full and tied the matrix, diag its diagonal, spherical the mean of that.
    Two chunked float64 passes over X (none when both are given).

    Raises
    ------
    ValueError
        When the covariance prior is derived from data whose weights sum to <= 1.
    """
    n, D = X.shape
    w = sample_weight
    mean, cov = given["mean"], given["covariance"]
    if mean is None or cov is None:
        total = float(n) if w is None else float(w.sum())
        acc = np.zeros(D)
        for a, b in _chunks(n):
            xb = X[a:b].astype(np.float64)
            acc += xb.sum(axis=0) if w is None else w[a:b] @ xb
        centre = acc / total
        if mean is None:
            mean = centre
        if cov is None:
            if not total > 1.0:
                raise ValueError(
                    f"The sample weights sum to {total:.6g} <= 1, so the default "
                    "'covariance_prior' (the sample covariance of X, ddof=1) is "
                    "undefined: pass covariance_prior, or weights that count rows.")
            full = covariance_type in ("full", "tied")
            scatter = np.zeros((D, D) if full else D)
            for a, b in _chunks(n):
                d = X[a:b].astype(np.float64) - centre
                dw = d if w is None else d * w[a:b, None]
                scatter += dw.T @ d if full else (dw * d).sum(axis=0)
            cov = scatter / (total - 1.0)
            if covariance_type == "spherical":
                cov = float(cov.mean())
    return Priors(given["weight_concentration"], given["mean_precision"], mean,
                  given["degrees_of_freedom"], cov)


def posterior(nk, xk, sk, priors, covariance_type, weight_prior_type):
    """The variational M-step: the posterior from the responsibilities' statistics.

    Parameters
    ----------
    nk : ndarray (K,)
        Responsibility sums (scikit-learn's ``nk + 10 eps``).
    xk : ndarray (K, D)
        Responsibility-weighted means.
    sk : ndarray
        Responsibility-weighted covariances (``reg_covar`` on the diagonal), in
        ``covariances_``'s layout.
    priors : Priors
    covariance_type, weight_prior_type : str

    Returns
    -------
    VariationalState

    Raises
    ------
    ValueError
        scikit-learn's "ill-defined empirical covariance" error when a posterior
        scale matrix is not positive definite.
    """
    K, D = xk.shape
    if weight_prior_type == "dirichlet_process":
        after = np.concatenate((np.cumsum(nk[::-1])[::-1][1:], [0.0]))  # sum_{j>k} nk_j
        wc = (1.0 + nk, priors.weight_concentration + after)
    else:
        wc = priors.weight_concentration + nk
    beta0, m0 = priors.mean_precision, priors.mean
    nu0, psi0 = priors.degrees_of_freedom, priors.covariance
    beta = beta0 + nk
    means = (beta0 * m0 + nk[:, None] * xk) / beta[:, None]
    diff = xk - m0
    if covariance_type == "tied":
        share = nk.sum() / K
        nu = nu0 + share
        cov = (psi0 + sk * share
               + (beta0 / K) * np.dot((nk / beta) * diff.T, diff)) / nu
    else:
        nu = nu0 + nk
        pull = beta0 / beta       # how far the prior pulls the mean from xk
        if covariance_type == "full":
            outer = diff[:, :, None] * diff[:, None, :]
            cov = (psi0 + nk[:, None, None] * sk
                   + (nk * pull)[:, None, None] * outer) / nu[:, None, None]
        elif covariance_type == "diag":
            cov = (psi0 + nk[:, None] * (sk + pull[:, None] * diff ** 2)) / nu[:, None]
        else:
            cov = (psi0 + nk * (sk + pull * np.mean(diff ** 2, axis=1))) / nu
    prec_chol = _mstep.precision_cholesky(cov, covariance_type)
    return VariationalState(wc, beta, means, nu, cov, prec_chol, priors)


# ---------------------------------------------------------------------- model
class VariationalGaussianModel:
    """The variational Gaussian mixture, as a model of the EM driver.

    Parameters
    ----------
    p : dict
        Validated estimator parameters (``BaseMixture._check_parameters`` plus
        ``covariance_type``, ``weight_concentration_prior_type`` and ``priors``, a
        dict of the five priors with None for those taken from the data).

    Notes
    -----
    The data's priors are computed once per fit, at the first ``initialize`` or
    ``m_step`` (a warm start never initialises), from the source's
    ``initialization_data()``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm._base import ArraySource
    >>> from fastgmm.bayesian import VariationalGaussianModel
    >>> X = np.array([[0.0], [0.2], [5.0], [5.2]])
    >>> p = dict(n_components=2, covariance_type="spherical", reg_covar=1e-6,
    ...          init_params="random", n_threads=1,
    ...          weight_concentration_prior_type="dirichlet_distribution",
    ...          priors=dict(weight_concentration=0.5, mean_precision=1.0, mean=None,
    ...                      degrees_of_freedom=1.0, covariance=None))
    >>> model, source = VariationalGaussianModel(p), ArraySource(X, None, 1)
    >>> state = model.initialize(source, np.random.RandomState(0))
    >>> stats = source.statistics(model.kernel_params(state), resp_entropy=True)
    >>> state = model.m_step(stats, state, source)
    >>> bool(np.isfinite(model.lower_bound(stats, state)))
    True
    """

    needs_resp_entropy = True   # the bound has -sum r log r

    def __init__(self, p):
        self.p = p
        self._priors = None

    def priors(self, source):
        """The fit's priors, the data's computed once per model.

        Parameters
        ----------
        source : statistics source (``initialization_data()`` is read)

        Returns
        -------
        Priors
        """
        if self._priors is None:
            X, w = source.initialization_data()
            self._priors = data_priors(X, w, self.p["priors"],
                                       self.p["covariance_type"])
        return self._priors

    def _posterior(self, nk, xk, sk, priors):
        return posterior(nk, xk, sk, priors, self.p["covariance_type"],
                         self.p["weight_concentration_prior_type"])

    def initialize(self, source, random_state):
        """The posterior from the initial responsibilities, as scikit-learn.

        Parameters
        ----------
        source : statistics source
        random_state : numpy.random.RandomState

        Returns
        -------
        VariationalState
        """
        p = self.p
        priors = self.priors(source)
        X, w = source.initialization_data()
        weights, xk, sk = initial_parameters(
            X, w, p["n_components"], p["covariance_type"], p["reg_covar"],
            p["init_params"], random_state, p["n_threads"], p.get("init_max_samples"))
        total = float(X.shape[0]) if w is None else float(w.sum())
        return self._posterior(weights * total, xk, sk, priors)   # nk + 10 eps

    def kernel_params(self, state):
        """The Gaussian of the E-step (see ``estep_parameters``).

        Parameters
        ----------
        state : VariationalState

        Returns
        -------
        GMMParameters
        """
        return estep_parameters(state, self.p["covariance_type"])[0]

    def m_step(self, stats, state, source):
        """The posterior from one E-step's statistics.

        Parameters
        ----------
        stats : SufficientStatistics
        state : VariationalState (unused: the update needs only the statistics)
        source : statistics source (for the data's priors)

        Returns
        -------
        VariationalState
        """
        nk, xk, sk = _mstep.estimate_gaussian_parameters(
            stats.nk, stats.s1, stats.s2, stats.shift, stats.covariance_type,
            self.p["reg_covar"], stats.eps)
        return self._posterior(nk, xk, sk, self.priors(source))

    def lower_bound(self, stats, state):
        """The ELBO of the new posterior with the E-step's responsibilities.

        Parameters
        ----------
        stats : SufficientStatistics (with ``resp_entropy_sum``)
        state : VariationalState, after the M-step

        Returns
        -------
        float
        """
        return variational_lower_bound(stats.resp_entropy_sum, state,
                                       self.p["covariance_type"])


# ---------------------------------------------------------------------- checks
def _positive_or_none(value, name):
    return None if value is None else check_float(value, name, 0.0, low_inclusive=False)


def _check_covariance_prior(value, covariance_type, n_features):
    name = "covariance_prior"
    if covariance_type == "spherical":
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        return check_float(value, name, 0.0, low_inclusive=False)
    if covariance_type == "diag":
        arr = _as_float_array(value, name, (n_features,))
        if (arr <= 0).any():
            raise ValueError(f"The parameter '{name}' (diag) should be positive; its "
                             f"smallest entry is {arr.min():.6g}.")
        return arr
    arr = _as_float_array(value, name, (n_features, n_features))
    if not (np.allclose(arr, arr.T) and (np.linalg.eigvalsh(arr) > 0).all()):
        raise ValueError(f"The parameter '{name}' ({covariance_type}) should be "
                         "symmetric, positive-definite.")
    return arr


def _check_degrees_of_freedom_prior(value, n_features):
    name = "degrees_of_freedom_prior"
    if value is None:
        return n_features
    value = check_float(value, name, 0.0, low_inclusive=False)
    if not value > n_features - 1.0:
        raise ValueError(f"The parameter '{name}' should be greater than "
                         f"{n_features - 1}, but got {value:.3f}.")
    return value


# ---------------------------------------------------------------------- estimator
class BayesianGaussianMixture(BaseMixture):
    """Variational Bayesian Gaussian mixture, fitted in parallel nogil kernels.

    A drop-in replacement for ``sklearn.mixture.BayesianGaussianMixture``: the same
    parameters, attributes, methods and results (to round-off, from the same initial
    responsibilities), plus ``n_threads`` and ``sample_weight``.  Each iteration is
    one fused pass over X with the kernel of ``GaussianMixture`` (the variational
    E-step is a Gaussian with adjusted weights), then the variational M-step.

    Parameters
    ----------
    n_components : int, default=1
        Maximum number of components; the posterior can leave some of them with
        weights near 0, so fewer are effectively used.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        'full': a general covariance per component; 'tied': one shared by all;
        'diag': a diagonal covariance per component; 'spherical': one variance per
        component.
    tol : float, default=1e-3
        Iterations stop when the lower bound changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of the responsibility-weighted covariances.
    max_iter : int, default=100
        Iterations per initialisation.
    n_init : int, default=1
        Initialisations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How the initial responsibilities are chosen.  'random' and
        'random_from_data' draw exactly what scikit-learn draws; 'kmeans' is
        fastgmm's own k-means.
    weight_concentration_prior_type : {'dirichlet_process', \
'dirichlet_distribution'}, default='dirichlet_process'
        The prior on the weights: a (truncated, stick-breaking) Dirichlet process,
        or a Dirichlet distribution.
    weight_concentration_prior : float > 0 or None, default=None
        Concentration of the weight prior (gamma); None: ``1 / n_components``.
        Smaller values leave more components empty.
    mean_precision_prior : float > 0 or None, default=None
        Precision of the prior on the means (beta_0); None: 1.
    mean_prior : array-like of shape (n_features,) or None, default=None
        Mean of the prior on the means (m_0); None: the (weighted) mean of X.
    degrees_of_freedom_prior : float > n_features - 1 or None, default=None
        Degrees of freedom of the Wishart prior (nu_0); None: n_features.
    covariance_prior : float or array-like or None, default=None
        Covariance prior of the Wishart (W_0^-1): (n_features, n_features) for
        'full' and 'tied', (n_features,) for 'diag', a float for 'spherical'.
        None: the sample covariance of X (ddof=1), reduced to that shape.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and ``sample``.
    warm_start : bool, default=False
        If True, ``fit`` continues from the previous fit (``n_init`` is ignored).
    verbose : int, default=0
        1 prints each initialisation and iteration, 2 also timings and the change.
    verbose_interval : int, default=10
        Iterations between verbose lines.
    n_threads : int or None, default=None
        OpenMP threads for every pass over the data.  None: what OpenMP would use.
        Results are bitwise identical for any value.
    init_max_samples : int or None, default=2**20
        As for ``GaussianMixture``: with more rows than this, the k-means++ seeding
        runs on a uniform sample of about this many rows and 'random_from_data'
        draws its rows by rejection, so the initialiser keeps no per-row array of
        the full data (memory-mapped data larger than memory).  None: always as
        scikit-learn.  Fits of fewer rows are unaffected.
    learning_decay : float in (0.5, 1], default=0.7
    learning_offset : float >= 0, default=10.0
        The step-size schedule of ``partial_fit`` (stochastic variational updates
        from running statistics, scaled to the total weight seen).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Posterior mean of the weights.
    means_ : ndarray of shape (n_components, n_features)
        Posterior mean of the means (m_k).
    covariances_ : ndarray
        W_k^-1 / nu_k: (n_components, n_features, n_features) full,
        (n_features, n_features) tied, (n_components, n_features) diag,
        (n_components,) spherical.
    precisions_ : ndarray
        Inverses of ``covariances_`` (nu_k W_k), same shape.
    precisions_cholesky_ : ndarray
        Upper-triangular U with precision = U U^T (full, tied), or the square roots
        of the precisions (diag, spherical).
    weight_concentration_prior_ : float
    weight_concentration_ : ndarray of shape (n_components,) or tuple of two
        The Dirichlet parameters, or for a Dirichlet process the two Beta
        parameters of each stick.
    mean_precision_prior_ : float
    mean_precision_ : ndarray of shape (n_components,)
        beta_k.
    mean_prior_ : ndarray of shape (n_features,)
    degrees_of_freedom_prior_ : float
    degrees_of_freedom_ : ndarray of shape (n_components,), or a float for 'tied'
        nu_k.
    covariance_prior_ : float or ndarray
        Shaped as described for ``covariance_prior``.
    converged_ : bool
    n_iter_ : int
        Iterations of the best initialisation.
    lower_bound_ : float
        Its final lower bound on the evidence (scikit-learn's, constants dropped).
    lower_bounds_ : list of float
        Its lower bound after every iteration.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a DataFrame with string column names.

    See Also
    --------
    fastgmm.GaussianMixture : the maximum-likelihood mixture.

    Notes
    -----
    Fitted arrays have X's dtype (float32 or float64); the posterior itself is
    updated in float64 and a warm start continues from that float64 state.
    ``fit`` and ``fit_predict`` also take ``sample_weight``: a weight of k gives the
    fit of k copies of the row, priors taken from the data included.
    ``predict_proba`` and ``score_samples`` are those of the variational E-step,
    as in scikit-learn (``score_samples`` is log sum_k rho_k, not the log-density of
    the mixture ``weights_``, ``means_``, ``covariances_``).

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.bayesian import BayesianGaussianMixture
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(200, 2), rng.randn(200, 2) + [8.0, 8.0]])
    >>> bgm = BayesianGaussianMixture(n_components=5, weight_concentration_prior=0.01,
    ...                               random_state=0).fit(X)
    >>> int((bgm.weights_ > 0.05).sum())      # two of the five components are used
    2
    >>> big = np.argsort(bgm.weights_)[-2:]
    >>> np.sort(np.round(bgm.means_[big, 0]).astype(int)).tolist()
    [0, 8]
    >>> a, b = bgm.predict([[0.0, 0.0], [8.0, 8.0]])
    >>> bool(a != b and bgm.weights_[a] > 0.4 and bgm.weights_[b] > 0.4)
    True
    """

    _weights_are_counts = True  # the priors weigh against the data's total weight

    def __init__(self, *, n_components=1, covariance_type="full", tol=1e-3,
                 reg_covar=1e-6, max_iter=100, n_init=1, init_params="kmeans",
                 weight_concentration_prior_type="dirichlet_process",
                 weight_concentration_prior=None, mean_precision_prior=None,
                 mean_prior=None, degrees_of_freedom_prior=None, covariance_prior=None,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10,
                 n_threads=None, init_max_samples=1 << 20, learning_decay=0.7,
                 learning_offset=10.0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weight_concentration_prior_type = weight_concentration_prior_type
        self.weight_concentration_prior = weight_concentration_prior
        self.mean_precision_prior = mean_precision_prior
        self.mean_prior = mean_prior
        self.degrees_of_freedom_prior = degrees_of_freedom_prior
        self.covariance_prior = covariance_prior
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.n_threads = n_threads
        self.init_max_samples = init_max_samples
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset

    # ------------------------------------------------------------ the model
    def _check_model_parameters(self, p, n_features):
        cov = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        p["covariance_type"] = cov
        p["init_max_samples"] = check_int(self.init_max_samples, "init_max_samples",
                                          p["n_components"], allow_none=True)
        p["weight_concentration_prior_type"] = check_choice(
            self.weight_concentration_prior_type, "weight_concentration_prior_type",
            WEIGHT_PRIOR_TYPES)
        wcp = _positive_or_none(self.weight_concentration_prior,
                                "weight_concentration_prior")
        beta0 = _positive_or_none(self.mean_precision_prior, "mean_precision_prior")
        p["priors"] = dict(
            weight_concentration=1.0 / p["n_components"] if wcp is None else wcp,
            mean_precision=1.0 if beta0 is None else beta0,
            mean=(None if self.mean_prior is None else
                  _as_float_array(self.mean_prior, "mean_prior", (n_features,))),
            degrees_of_freedom=_check_degrees_of_freedom_prior(
                self.degrees_of_freedom_prior, n_features),
            covariance=(None if self.covariance_prior is None else
                        _check_covariance_prior(self.covariance_prior, cov,
                                                n_features)),
        )

    def _make_model(self, p):
        return VariationalGaussianModel(p)

    # ------------------------------------------------------------ state <-> attributes
    def _set_state(self, state, dtype):
        dtype = np.dtype(dtype)
        wc, cov_type = state.weight_concentration, self.covariance_type
        # writable copies in the data's dtype (the state stays private, in float64)
        self.weights_ = mixture_weights(wc).astype(dtype)
        self.means_ = np.array(state.means, dtype=dtype)
        self.covariances_ = np.array(state.covariances, dtype=dtype)
        self.precisions_cholesky_ = np.array(state.precisions_cholesky, dtype=dtype)
        self.precisions_ = _mstep.precisions_from_cholesky(
            np.asarray(state.precisions_cholesky), cov_type).astype(dtype)
        self.weight_concentration_ = (
            tuple(np.array(v, dtype=dtype) for v in wc) if _is_process(wc)
            else np.array(wc, dtype=dtype))
        self.mean_precision_ = np.array(state.mean_precision, dtype=dtype)
        nu = state.degrees_of_freedom
        self.degrees_of_freedom_ = (dtype.type(nu) if np.ndim(nu) == 0
                                    else np.array(nu, dtype=dtype))
        pr = state.priors
        self.weight_concentration_prior_ = pr.weight_concentration
        self.mean_precision_prior_ = pr.mean_precision
        self.mean_prior_ = np.array(pr.mean, dtype=dtype)
        self.degrees_of_freedom_prior_ = pr.degrees_of_freedom
        self.covariance_prior_ = (pr.covariance if np.ndim(pr.covariance) == 0
                                  else np.array(pr.covariance, dtype=dtype))

    def _state_from_attributes(self):
        f64 = lambda v: np.array(v, dtype=np.float64)  # noqa: E731
        wc = self.weight_concentration_
        wc = tuple(f64(v) for v in wc) if _is_process(wc) else f64(wc)
        nu = self.degrees_of_freedom_
        nu = float(nu) if np.ndim(nu) == 0 else f64(nu)
        cp = self.covariance_prior_
        priors = Priors(self.weight_concentration_prior_, self.mean_precision_prior_,
                        f64(self.mean_prior_), self.degrees_of_freedom_prior_,
                        float(cp) if np.ndim(cp) == 0 else f64(cp))
        return VariationalState(wc, f64(self.mean_precision_), f64(self.means_), nu,
                                f64(self.covariances_), f64(self.precisions_cholesky_),
                                priors)

    def _published(self):
        # a warm start trusts the private float64 posterior only while all of these
        # are the very objects fit published
        return tuple(id(getattr(self, a, None)) for a in (
            "weights_", "means_", "covariances_", "precisions_cholesky_",
            "weight_concentration_", "mean_precision_", "degrees_of_freedom_",
            "lower_bound_"))

    def _estep(self):
        """(GMMParameters, offset) of the fitted posterior's E-step."""
        self._check_is_fitted()
        return estep_parameters(self._state_from_attributes(), self.covariance_type)

    def _kernel_params(self):
        return self._estep()[0]

    def _scores(self, X, **which):
        X, _ = self._validate_X(X, reset=False)
        params, offset = self._estep()
        with single_threaded_blas():
            out = ArraySource(X, None, effective_n_threads(self.n_threads)).scores(
                params, **which)
        # the kernel's outputs come in this order; its log-probabilities are
        # relative to the largest log-weight, which is added back
        names = [n for n in ("weighted_logprob", "resp", "loglik", "label")
                 if which.get(n)]
        return tuple(v + v.dtype.type(offset) if n in ("weighted_logprob", "loglik")
                     else v for n, v in zip(names, out))
