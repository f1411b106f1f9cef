"""Model selection: fit a grid of Gaussian mixtures and keep the best by BIC/AIC/ICL.

``select(X)`` fits ``GaussianMixture(K, covariance_type=cov)`` for every K and
covariance type of a grid and picks the lowest criterion.  It gives the models a
plain loop of ``GaussianMixture(K, covariance_type=cov, random_state=seed).fit(X)``
gives (bitwise, for float64 data and an int ``random_state``), but does less work:

* X and ``sample_weight`` are validated once, not once per fit and per criterion;
* the initialisation's random part -- the k-means labels ('kmeans'), the seeds
  ('k-means++', 'random_from_data') or the random responsibilities ('random') -- is
  computed once per K and restart, and shared by the covariance types: it does not
  depend on the covariance type, and a plain loop recomputes it from the same seed
  for each of them.  The initial means and weights (a pass over X) are shared
  too, and so are the initial second moments of 'full' with 'tied' and of 'diag'
  with 'spherical';
* BIC, AIC and ICL all come from one pass over X under the fitted parameters
  (``sufficient_statistics(..., resp_entropy=True)``: the log-likelihood and the
  responsibilities' entropy), where ``bic``, ``aic`` and ``icl`` make one each.

EM itself (the bulk of a fit once the initialisation is shared) is not shortened:
each model of the grid is fitted exactly as ``GaussianMixture.fit`` fits it.
"""
import contextlib
import functools
import math
import numbers
import warnings
from time import perf_counter

import numpy as np

from . import _init, _mstep
from ._base import ArraySource
from ._blas import single_threaded_blas
from ._validation import (COVARIANCE_TYPES, _feature_names, check_array,
                          check_random_state, check_sample_weight)
from .kernels import GMMParameters
from .mixture import GaussianMixture, GaussianState

__all__ = ["select", "SelectionResult"]

CRITERIA = ("bic", "aic", "icl")
TABLE_KEYS = ("n_components", "covariance_type", "bic", "aic", "icl", "lower_bound",
              "n_iter", "converged", "seconds")
KEEP = ("best", "all")
ON_ERROR = ("warn", "raise")
# GaussianMixture parameters that select sets itself, or that cannot be shared by
# a grid of different numbers of components.
_NOT_IN_GMM_PARAMS = {
    "n_components": "it is select's own grid argument",
    "covariance_type": "it is select's own grid argument",
    "n_init": "it is select's own argument",
    "random_state": "it is select's own argument",
    "weights_init": "initial parameters depend on n_components",
    "means_init": "initial parameters depend on n_components",
    "precisions_init": "initial parameters depend on n_components",
    "warm_start": "every model of the grid is fitted from scratch",
}


class SelectionResult:
    """What ``select`` found: the best model, and every fit's criteria.

    Attributes
    ----------
    best_estimator_ : GaussianMixture
        The fitted model of lowest criterion (the earliest row of the table on a
        tie).
    best_params_ : dict
        Its ``{'n_components': int, 'covariance_type': str}``.
    best_index_ : int
        Its row in ``table``.
    criterion : str
        The criterion the choice was made on: 'bic', 'aic' or 'icl'.
    table : list of dict
        One row per fit, in grid order (n_components outer, covariance_type
        inner), with keys ``n_components`` (int), ``covariance_type`` (str),
        ``bic``, ``aic``, ``icl`` (float, lower is better), ``lower_bound``
        (float, the fit's final mean log-likelihood), ``n_iter`` (int),
        ``converged`` (bool) and ``seconds`` (float, wall-clock time of the fit
        and its criteria, with an equal share of the initialisation shared with
        the other covariance types of the same n_components).  A fit that failed
        (``on_error='warn'``) has NaN criteria and lower bound, ``n_iter`` 0 and
        ``converged`` False.
    estimators_ : dict
        ``(n_components, covariance_type) -> fitted GaussianMixture``: every
        successful fit with ``keep='all'``, only the best with ``keep='best'``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.selection import select
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(300, 2), rng.randn(300, 2) + 6])
    >>> result = select(X, n_components=[1, 2, 3], covariance_type="spherical",
    ...                 random_state=0)
    >>> result
    SelectionResult(criterion='bic', best_params_={'n_components': 2, \
'covariance_type': 'spherical'}, 3 fits)
    >>> [row["n_components"] for row in result.table]
    [1, 2, 3]
    """

    def __init__(self, table, best_index, criterion, estimators):
        self.table = table
        self.best_index_ = best_index
        self.criterion = criterion
        best = table[best_index]
        self.best_params_ = {"n_components": best["n_components"],
                             "covariance_type": best["covariance_type"]}
        self.estimators_ = estimators
        self.best_estimator_ = estimators[(best["n_components"],
                                           best["covariance_type"])]

    def __repr__(self):
        return (f"SelectionResult(criterion={self.criterion!r}, best_params_="
                f"{self.best_params_!r}, {len(self.table)} fits)")

    def to_frame(self):
        """The table as a pandas DataFrame (one row per fit).

        Returns
        -------
        pandas.DataFrame
            Columns n_components, covariance_type, bic, aic, icl, lower_bound,
            n_iter, converged, seconds, in the table's row order.

        Raises
        ------
        ImportError
            When pandas is not installed (``pip install pandas`` or
            ``pip install fastgmm[io]``).
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("SelectionResult.to_frame needs pandas: install it "
                              "with `pip install pandas` or `pip install "
                              "fastgmm[io]`.") from None
        return pd.DataFrame(self.table, columns=list(TABLE_KEYS))

    def plot(self, ax=None):
        """Draw the criterion against n_components, one line per covariance type.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None: the current Axes.

        Returns
        -------
        matplotlib.axes.Axes
            See ``fastgmm.plot.criterion``.
        """
        from .plot import criterion
        return criterion(self, ax=ax)


# ---------------------------------------------------------------- grid checks
def _check_grid_n_components(n_components, n_samples):
    values = [n_components] if isinstance(n_components, numbers.Integral) else None
    if values is None:
        try:
            values = list(n_components)
        except TypeError:
            raise ValueError("n_components must be an int or an iterable of ints "
                             f"(e.g. range(1, 11)); got {n_components!r}") from None
    if not values:
        raise ValueError("n_components is empty: give at least one number of "
                         "components to try")
    out = []
    for k in values:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise ValueError(f"n_components must hold ints; got {k!r}")
        if k < 1:
            raise ValueError(f"n_components must be >= 1; got {int(k)}")
        if k > n_samples:
            raise ValueError(f"n_components={int(k)} is more than the number of "
                             f"samples (n_samples={n_samples}): a mixture cannot "
                             "have more components than samples")
        out.append(int(k))
    dup = sorted({k for k in out if out.count(k) > 1})
    if dup:
        raise ValueError(f"n_components holds duplicates {dup}: give each number of "
                         "components once")
    return out


def _check_grid_covariance_types(covariance_type):
    values = [covariance_type] if isinstance(covariance_type, str) else None
    if values is None:
        try:
            values = list(covariance_type)
        except TypeError:
            raise ValueError("covariance_type must be a str or an iterable of str "
                             f"from {list(COVARIANCE_TYPES)}; got "
                             f"{covariance_type!r}") from None
    if not values:
        raise ValueError("covariance_type is empty: give at least one of "
                         f"{list(COVARIANCE_TYPES)}")
    for c in values:
        if not isinstance(c, str) or c not in COVARIANCE_TYPES:
            raise ValueError(f"Unknown covariance_type {c!r}: each must be one of "
                             f"{list(COVARIANCE_TYPES)}")
    dup = sorted({c for c in values if values.count(c) > 1})
    if dup:
        raise ValueError(f"covariance_type holds duplicates {dup}: give each "
                         "covariance type once")
    return values


def _check_choice(value, name, choices, what):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"Unknown {name} {value!r}: {what} must be one of "
                         f"{list(choices)}")
    return value


# ---------------------------------------------------------------- shared init
class _PrecomputedInit:
    """An EM model (the estimator's own) whose restarts start from given initial
    parameters instead of drawing them: as ``GaussianModel.initialize`` does after
    ``initial_parameters``."""

    def __init__(self, model, covariance_type, initial):
        self._model = model
        self._cov = covariance_type
        self._initial = iter(initial)

    def initialize(self, source, random_state):
        weights, means, covariances = next(self._initial)
        prec_chol = _mstep.precision_cholesky(covariances, self._cov)
        return GaussianState(GMMParameters(weights, means, prec_chol, self._cov),
                             covariances)

    def __getattr__(self, name):  # m_step, lower_bound, kernel_params, ...
        return getattr(self._model, name)


def _fit_from(est, X, source, names, shared):
    """``est.fit`` on ``source`` (validated X and fit weights), its restarts
    starting from the shared initialisations.

    ``BaseMixture._fit`` runs as for any fit (checks, EM, the fitted attributes);
    only its two seams are overridden for this call, on the instance:
    ``_make_source`` (X is validated already) and ``_make_model`` (the
    estimator's own model, whose ``initialize`` takes the shared initial
    parameters instead of drawing them again).
    """
    make_model = est._make_model

    def model(p):
        cov = p["covariance_type"]
        return _PrecomputedInit(make_model(p), cov,
                                [s.parameters(cov, p["reg_covar"]) for s in shared])

    est._make_source = lambda *args, **kwargs: (source, names)
    est._make_model = model
    # nothing is drawn (the initialisations are given): no RandomState to build
    est._check_parameters = functools.partial(type(est)._check_parameters, est,
                                              draw_random_state=False)
    try:
        est._fit(X, None, None)
    finally:
        del est._make_source, est._make_model, est._check_parameters


def _criteria(est, source):
    """bic, aic, icl of a fitted model on the source's rows, from one pass.

    With sample weights, the log-likelihood and entropy are weighted sums and the
    number of samples in the BIC penalty is the sum of the weights (so a weight
    of k counts as k copies of the row).
    """
    stats = source.statistics(est._kernel_params(), resp_entropy=True)
    loglik = stats.loglik_sum
    if not np.isfinite(loglik):
        raise ValueError("The log-likelihood of the fitted model is not finite: some "
                         "samples have zero density under every component.")
    n_params = est._n_parameters()
    bic = -2.0 * loglik + n_params * math.log(stats.weight_sum)
    aic = -2.0 * loglik + 2.0 * n_params
    icl = bic - 2.0 * stats.resp_entropy_sum
    return float(bic), float(aic), float(icl)


def _failed_row(K, cov, seconds):
    nan = float("nan")
    return dict(n_components=K, covariance_type=cov, bic=nan, aic=nan, icl=nan,
                lower_bound=nan, n_iter=0, converged=False, seconds=float(seconds))


# ---------------------------------------------------------------- the grid's order
# Below this many rows a pass is too short to share well among threads (chunks of
# 1024 rows, a thread woken per pass): the grid's fits run side by side instead.
CONCURRENT_MAX_ROWS = 16384


def _check_n_jobs(n_jobs, n_samples, n_threads, verbose, n_fits):
    """How many fits run at once: n_jobs as given (>= 1), or for None one per
    thread when the data are small (and nothing is printed), else 1."""
    if n_jobs is None:
        if n_samples > CONCURRENT_MAX_ROWS or verbose:
            return 1
        return max(1, min(n_threads, n_fits))
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, numbers.Integral):
        raise ValueError(f"n_jobs must be None or an int >= 1; got {n_jobs!r}")
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be None or an int >= 1; got {int(n_jobs)}")
    return int(n_jobs)


def _done(value):
    """A finished Future holding value (draws made here, outside the pool)."""
    from concurrent.futures import Future
    future = Future()
    future.set_result(value)
    return future


def _run_grid(ks, covs, draw, fit_cell, n_jobs, fresh_per_k, seed, shared_rng):
    """Yield fit_cell's (row, estimator, error) for every (K, cov) in grid order.

    One job: the plain loop (each K drawn, then its covariance types fitted), so
    nothing outlives its turn.  Several jobs: threads (every pass and M-step
    releases the GIL) run the draws, then the fits, largest K first (the longest
    fits start first), and results are yielded in grid order, each once it is
    done (later fits keep running meanwhile).
    The draws of an int seed are independent (a fresh RandomState per K) and run
    in the pool; a shared RandomState is drawn from in K order, here, first.
    Every fit is bitwise what the plain loop gives: the passes' results do not
    depend on their thread counts.
    """
    if n_jobs == 1:
        for K in ks:
            drawn = draw(K, check_random_state(seed) if fresh_per_k else shared_rng)
            for cov in covs:
                yield fit_cell(K, cov, drawn)
        return
    from concurrent.futures import ThreadPoolExecutor
    order = sorted(ks, reverse=True)
    pool = ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="fastgmm-select")
    try:
        if fresh_per_k:
            draws = {K: pool.submit(draw, K, check_random_state(seed)) for K in order}
        else:
            draws = {K: _done(draw(K, shared_rng)) for K in ks}

        def fit_after_draw(K, cov):  # the draws were queued first: never a deadlock
            return fit_cell(K, cov, draws[K].result())

        fits = {(K, cov): pool.submit(fit_after_draw, K, cov)
                for K in order for cov in covs}
        for K in ks:
            for cov in covs:
                yield fits[K, cov].result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------- select
def select(X, n_components=range(1, 11),
           covariance_type=("full", "tied", "diag", "spherical"), criterion="bic",
           n_init=1, random_state=None, sample_weight=None, *, keep="best",
           on_error="warn", n_jobs=None, **gmm_params):
    """Fit Gaussian mixtures over a grid and keep the one of lowest criterion.

    Every pair (K, covariance type) of the grid is fitted as
    ``GaussianMixture(K, covariance_type=cov, n_init=n_init,
    random_state=random_state, **gmm_params).fit(X, sample_weight=sample_weight)``
    would fit it, sharing what does not depend on the covariance type (see Notes).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        float32 data stays float32 (never copied to float64).
    n_components : int or iterable of int, default=range(1, 11)
        The numbers of components to try, each in 1 .. n_samples, no duplicates.
    covariance_type : str or iterable of str, default=('full', 'tied', 'diag', \
'spherical')
        The covariance types to try.
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        What the best model minimises.  All three are computed for the table.
    n_init : int, default=1
        EM initialisations per fit; the one of highest lower bound is kept.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisations.  With an int, every fit gets the models that
        ``GaussianMixture(..., random_state=random_state)`` gets.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights; a weight of k gives the fits and criteria of k
        copies of the row.
    keep : {'best', 'all'}, default='best'
        Which fitted models ``estimators_`` keeps: only the best (the memory of
        one model), or every one (K D^2 floats per 'full' model, whatever
        n_samples).
    on_error : {'warn', 'raise'}, default='warn'
        When a fit fails numerically (e.g. an ill-defined covariance with many
        components): 'warn' records the row with NaN criteria and goes on,
        'raise' re-raises the error (as a plain loop of fits would).
    n_jobs : int or None, default=None
        Fits run side by side in threads (each pass with ``n_threads // n_jobs``
        OpenMP threads).  None: one fit per thread of ``n_threads`` when X has at
        most 16,384 rows and ``verbose`` is 0 (a pass over few rows is too short
        to share among threads), else 1 (one fit at a time, its passes on every
        thread).  The models do not depend on it.  With n_jobs > 1 every fitted
        model is held until the grid ends (``keep='best'`` then drops the others).
    **gmm_params
        Other ``GaussianMixture`` parameters, the same for every fit: ``tol``,
        ``reg_covar``, ``max_iter``, ``init_params``, ``n_threads``, ``verbose``,
        ... (not the initial parameters nor ``warm_start``).

    Returns
    -------
    SelectionResult
        ``best_estimator_``, ``best_params_``, ``best_index_``, ``criterion``,
        ``table`` (one row per fit), ``estimators_``, ``to_frame()``, ``plot()``.

    Raises
    ------
    ValueError
        Naming the problem: an empty grid, a number of components < 1 or above
        n_samples, an unknown criterion or covariance type, a bad GaussianMixture
        parameter, bad X or sample_weight; or when every fit of the grid failed.
    TypeError
        For a keyword that is not a GaussianMixture parameter.

    Notes
    -----
    Criteria (lower is better), with log L the (weighted) log-likelihood of X
    under the fitted model, p its number of free parameters and n the number of
    samples (the sum of the weights):
    ``bic = -2 log L + p log n``, ``aic = -2 log L + 2 p`` and
    ``icl = bic - 2 sum_i w_i sum_k r_ik log r_ik`` (BIC plus twice the entropy of
    the responsibilities).  Without weights they equal the fitted model's
    ``bic(X)``, ``aic(X)`` and ``icl(X)`` to round-off (for float32 X they are
    more accurate: the log-likelihood is summed in float64).

    What is shared: X is validated once; for each K and restart, the random part
    of the initialisation (k-means labels, k-means++ or random seeds, random
    responsibilities) and the initial weights and means are computed once for
    all covariance types, and the initial second moments once for 'full' and
    'tied' and once for 'diag' and 'spherical'; the three criteria come from one
    pass over X per fit.  With an int ``random_state`` the fitted models are
    bitwise those of a plain loop of fits with that seed (float64 X).  With a
    ``RandomState`` instance (or None, numpy's global one) a plain loop would
    draw fresh initialisations for every fit; here each K draws once and its
    covariance types share the draw.  On small data the fits run side by side
    (``n_jobs``): the models and the table are the same (bar ``seconds``), since
    every pass gives the same bits on any number of threads.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.selection import select
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(300, 2), rng.randn(300, 2) + [6, 0],
    ...                rng.randn(300, 2) + [0, 6]])
    >>> result = select(X, n_components=range(1, 6), random_state=0)
    >>> result.best_params_
    {'n_components': 3, 'covariance_type': 'spherical'}
    >>> len(result.table), sorted(result.table[0])
    (20, ['aic', 'bic', 'converged', 'covariance_type', 'icl', 'lower_bound', \
'n_components', 'n_iter', 'seconds'])
    >>> result.best_estimator_.predict([[0, 0], [6, 0], [0, 6]]).tolist() == [
    ...     result.best_estimator_.predict([[0.1, 0]])[0],
    ...     result.best_estimator_.predict([[6.1, 0]])[0],
    ...     result.best_estimator_.predict([[0, 6.1]])[0]]
    True
    """
    # ---- checks, all before any fitting
    names = _feature_names(X)
    X = check_array(X, min_samples=2)
    n_samples, n_features = X.shape
    w = check_sample_weight(sample_weight, n_samples)  # the caller's scale: counts
    ks = _check_grid_n_components(n_components, n_samples)
    covs = _check_grid_covariance_types(covariance_type)
    criterion = _check_choice(criterion, "criterion", CRITERIA, "criterion")
    keep = _check_choice(keep, "keep", KEEP, "keep")
    on_error = _check_choice(on_error, "on_error", ON_ERROR, "on_error")
    valid = set(GaussianMixture._get_param_names())
    for name in gmm_params:
        if name in _NOT_IN_GMM_PARAMS:
            raise TypeError(f"select() does not take {name!r} as a GaussianMixture "
                            f"parameter: {_NOT_IN_GMM_PARAMS[name]}")
        if name not in valid:
            raise TypeError(f"select() got an unexpected keyword argument {name!r} "
                            f"(not a GaussianMixture parameter; those are "
                            f"{sorted(valid - set(_NOT_IN_GMM_PARAMS))})")

    def make(K, cov):
        return GaussianMixture(K, covariance_type=cov, n_init=n_init,
                               random_state=random_state, **gmm_params)

    # every parameter checked up front (a bad one raises before any fitting; some
    # checks depend on K, e.g. init_max_samples >= n_components)
    p0 = make(ks[0], covs[0])._check_parameters(n_features)
    for K in ks[1:]:
        make(K, covs[0])._check_parameters(n_features, draw_random_state=False)
    init_params, n_threads = p0["init_params"], p0["n_threads"]
    max_seed_samples = p0.get("init_max_samples")
    n_jobs = _check_n_jobs(n_jobs, n_samples, n_threads, p0["verbose"],
                           len(ks) * len(covs))
    pass_threads = max(1, n_threads // n_jobs)
    # a fresh RandomState per K for an int seed (as a plain loop), else the shared one
    fresh_per_k = isinstance(random_state, numbers.Integral)
    # fits see the weights as GaussianMixture.fit does (rescaled to a mean of 1 by
    # current versions: fits depend only on relative weights); the criteria count
    # a weight of k as k rows
    w_fit = w
    if w is not None and not getattr(GaussianMixture, "_weights_are_counts", True):
        w_fit = check_sample_weight(w, n_samples, normalize=True)
    fit_source = ArraySource(X, w_fit, pass_threads)
    criteria_source = ArraySource(X, w, pass_threads)

    def draw(K, rng):
        """K's initialisations for every covariance type (or the error they
        raised), and the wall time they took."""
        t0 = perf_counter()
        try:
            shared = [_init.InitialDraw(X, w_fit, K, init_params, rng, pass_threads,
                                        max_seed_samples, covs)
                      for _ in range(p0["n_init"])]
        except ValueError as exc:
            shared = exc
        return shared, perf_counter() - t0

    def fit_cell(K, cov, drawn):
        """One fit of the grid: (row, estimator or None, error or None)."""
        shared, init_seconds = drawn
        share = init_seconds / len(covs)
        t1 = perf_counter()
        try:
            if isinstance(shared, Exception):
                raise shared
            est = make(K, cov)
            _fit_from(est, X, fit_source, names, shared)
            bic, aic, icl = _criteria(est, criteria_source)
        except ValueError as exc:
            return _failed_row(K, cov, perf_counter() - t1 + share), None, exc
        row = dict(n_components=K, covariance_type=cov, bic=bic, aic=aic, icl=icl,
                   lower_bound=float(est.lower_bound_), n_iter=int(est.n_iter_),
                   converged=bool(est.converged_),
                   seconds=float(perf_counter() - t1 + share))
        return row, est, None

    table, kept, errors = [], {}, []
    best_index, best_value = None, np.inf
    # BLAS on one thread for the whole grid (set once: each fit would set and
    # restore threadpoolctl's limit, ~20 us a time, more than a small M-step)
    grid = _run_grid(ks, covs, draw, fit_cell, n_jobs, fresh_per_k, random_state,
                     p0["random_state"])
    with single_threaded_blas(), contextlib.closing(grid):
        # closing: on an error the pool stops now (pending fits cancelled), not
        # whenever the traceback lets the generator go
        for row, est, exc in grid:
            K, cov = row["n_components"], row["covariance_type"]
            if exc is not None:
                if on_error == "raise":
                    raise exc
                warnings.warn(f"select: the fit with n_components={K}, covariance_type"
                              f"={cov!r} failed and is left out ({exc})", UserWarning)
                errors.append(exc)
                table.append(row)
                continue
            table.append(row)
            value = row[criterion]
            if best_index is None or value < best_value:
                if keep == "best":
                    kept.clear()
                best_index, best_value = len(table) - 1, value
                kept[(K, cov)] = est
            elif keep == "all":
                kept[(K, cov)] = est
    if best_index is None:
        raise ValueError(f"Every fit of the grid failed ({len(errors)} fits); the "
                         f"first error: {errors[0]}") from errors[0]
    return SelectionResult(table, best_index, criterion, kept)
