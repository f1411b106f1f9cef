"""What every mixture estimator shares, and the one EM driver.

The driver (``run_em``) runs restarts and iterations against two small seams:

* a **statistics source** -- how a pass over the data is made.  It answers
  ``statistics(params)`` (one fused E-step pass: a ``SufficientStatistics``),
  ``initialization_data()`` (in-memory rows the initialisers may read) and
  ``scores(params, ...)`` (per-row outputs).  ``ArraySource`` serves an in-memory or
  memory-mapped array; a Dask collection or a stream of batches is another source.
* a **model** -- what the statistics mean.  It answers ``initialize(source,
  random_state)``, ``m_step(stats, state, source)`` (the source, for a model that
  must look at the data again, e.g. to re-seed a component), ``lower_bound(stats,
  state)`` and ``kernel_params(state)`` (the Gaussian the E-step kernel evaluates),
  and says with ``needs_resp_entropy`` whether its bound needs the entropy of the
  responsibilities.  The maximum-likelihood mixture is ``mixture.GaussianModel``; a
  variational mixture is another model.

Neither seam knows about the other, and estimators only translate between
scikit-learn's attributes and a model state.  ``BaseMixture`` holds the rest of the
scikit-learn API that every mixture estimator shares.
"""
import inspect
import math
import warnings
from collections import namedtuple
from time import time

import numpy as np

from ._blas import single_threaded_blas
from ._exceptions import convergence_warning_class, not_fitted_error
from ._openmp import effective_n_threads
from ._validation import (INIT_PARAMS, _feature_names, check_array, check_choice,
                          check_float, check_int, check_random_state, check_seed,
                          check_sample_weight)
from .kernels import _score, _sufficient_statistics

EMProgress = namedtuple("EMProgress", "init n_iter lower_bound change")
EMProgress.__doc__ = """What a fit's ``callback`` receives after every EM iteration.

init : int, the restart (0 .. n_init - 1); n_iter : int, the iteration (from 1);
lower_bound : float, after this iteration; change : float, from the previous one.
"""

EMResult = namedtuple("EMResult", "state converged n_iter lower_bound lower_bounds")


def is_dask_collection(X):
    """True for a dask Array/DataFrame (checked without importing dask)."""
    return hasattr(X, "__dask_graph__") and type(X).__module__.split(".")[0] == "dask"


# ---------------------------------------------------------------------- sources
class RowsShape:
    """n_samples, n_features and dtype of a source's ``X`` (any 2-D array-like)."""

    @property
    def n_samples(self):
        return self.X.shape[0]

    @property
    def n_features(self):
        return self.X.shape[1]

    @property
    def dtype(self):
        return self.X.dtype


class ArraySource(RowsShape):
    """Statistics source over an in-memory (or memory-mapped) 2-D array.

    X is validated (float32 or float64, any strides); sample_weight is a float64
    array or None (unit weights, no array at all).
    """

    def __init__(self, X, sample_weight, n_threads):
        self.X = X
        self.sample_weight = sample_weight
        self.n_threads = n_threads

    def statistics(self, params, resp_entropy=False):
        """Sufficient statistics of every row under ``params`` (one pass)."""
        return _sufficient_statistics(self.X, params, self.sample_weight, self.n_threads,
                                      resp_entropy)

    def worst_explained_rows(self, params, m):
        """The m rows (of positive weight) with the lowest log-density under params,
        as float64 (m, n_features), most surprising first (to re-seed components)."""
        (loglik,) = self.scores(params, loglik=True)
        loglik = loglik.astype(np.float64)
        if self.sample_weight is not None:
            loglik[self.sample_weight == 0] = np.inf
        worst = np.argpartition(loglik, m - 1)[:m]
        worst = worst[np.argsort(loglik[worst], kind="stable")]
        return np.asarray(self.X[worst], dtype=np.float64)

    def initialization_data(self):
        """(X, sample_weight) the initialisers read: here, all of it."""
        return self.X, self.sample_weight

    def scores(self, params, **which):
        """Per-row outputs of ``kernels.score`` (weighted_logprob, resp, loglik,
        label) under ``params``."""
        return _score(self.X, params, self.n_threads, **which)


# ---------------------------------------------------------------------- driver
class _Monitor:
    """scikit-learn's verbose output, and the user's per-iteration callback."""

    def __init__(self, verbose, verbose_interval, callback):
        self.verbose, self.interval, self.callback = verbose, verbose_interval, callback

    def init_begin(self, init):
        if self.verbose >= 1:
            print("Initialization %d" % init)
            self._init_time = self._iter_time = time()

    def iteration(self, init, n_iter, lower_bound, change):
        """Report an iteration; True when the callback asks to stop this restart."""
        if n_iter % self.interval == 0:
            if self.verbose == 1:
                print("  Iteration %d" % n_iter)
            elif self.verbose >= 2:
                now = time()
                print("  Iteration %d\t time lapse %.5fs\t ll change %.5f"
                      % (n_iter, now - self._iter_time, change))
                self._iter_time = now
        if self.callback is not None:
            return self.callback(EMProgress(init, n_iter, lower_bound, change)) is True
        return False

    def init_end(self, lower_bound, converged):
        msg = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {msg}.")
        elif self.verbose >= 2:
            print(f"Initialization {msg}. time lapse {time() - self._init_time:.5f}s"
                  f"\t lower bound {lower_bound:.5f}.")


def run_em(source, model, *, n_init, max_iter, tol, random_state, monitor,
           warm_state=None, warm_lower_bound=-np.inf):
    """EM from n_init initialisations (or one warm state); the best one wins.

    Each iteration is one pass of ``source`` under the model's current Gaussian,
    then the model's M-step and lower bound; a restart stops when the bound changes
    by less than ``tol``.  Returns an ``EMResult`` for the restart with the highest
    final lower bound (scikit-learn's rule, ties to the earliest).  Raises before
    returning anything when a pass finds rows of zero density everywhere.
    """
    max_lower_bound = -np.inf
    best = None
    for init in range(1 if warm_state is not None else n_init):
        monitor.init_begin(init)
        if warm_state is not None:
            state, lower_bound = warm_state, warm_lower_bound
        else:
            state, lower_bound = model.initialize(source, random_state), -np.inf
        bounds = []
        if max_iter == 0:
            best = EMResult(state, False, 0, max_lower_bound, bounds)
            continue
        converged = False
        for n_iter in range(1, max_iter + 1):
            prev = lower_bound
            stats = source.statistics(model.kernel_params(state),
                                      resp_entropy=model.needs_resp_entropy)
            if not math.isfinite(stats.mean_log_likelihood):
                raise ValueError(
                    "The log-likelihood is not finite: some samples have zero "
                    "density under every component (overflow). Scale the input "
                    "data or increase reg_covar.")
            state = model.m_step(stats, state, source)
            lower_bound = model.lower_bound(stats, state)
            bounds.append(lower_bound)
            change = lower_bound - prev
            stop = monitor.iteration(init, n_iter, lower_bound, change)
            if abs(change) < tol:
                converged = True
                break
            if stop:
                break
        monitor.init_end(lower_bound, converged)
        if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
            max_lower_bound = lower_bound
            best = EMResult(state, converged, n_iter, lower_bound, bounds)
    if not best.converged and max_iter > 0:
        warnings.warn("Best performing initialization did not converge. Try "
                      "different init parameters, or increase max_iter, tol, or "
                      "check for degenerate data.", convergence_warning_class())
    return best


# ---------------------------------------------------------------------- estimator
class BaseMixture:
    """scikit-learn's mixture API over ``run_em``: parameters, validation, fit,
    inference and sampling.

    A subclass defines ``__init__`` (its parameters, stored as given),
    ``_check_model_parameters(p, n_features)`` (its own checks), ``_make_model(p)``,
    ``_state_from_attributes()`` / ``_set_state(state, dtype)`` (the model state <->
    fitted attributes in the data's dtype) and ``_kernel_params()`` (the fitted
    Gaussian the scoring kernels evaluate).
    """

    # A fit that depends only on relative sample weights gets them rescaled to a mean
    # of 1 (robust to any scale); a model with priors (variational) reads them as
    # counts, so their scale is kept.
    _weights_are_counts = False

    # ------------------------------------------------------------ parameter API
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep=True):
        """Constructor parameters.

        Parameters
        ----------
        deep : bool, default=True
            Ignored (no parameter is an estimator); kept for scikit-learn.

        Returns
        -------
        dict
            Parameter name -> value.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor parameters.

        Parameters
        ----------
        **params : dict
            Parameter name -> new value (checked at the next ``fit``).

        Returns
        -------
        self
        """
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"Invalid parameter {key!r} for estimator {self!r}. "
                                 f"Valid parameters are: {valid!r}.")
            setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = []
        for name in self._get_param_names():
            value, default = getattr(self, name), defaults[name]
            same = value is default or (
                not isinstance(value, np.ndarray) and not isinstance(default, np.ndarray)
                and type(value) is type(default) and value == default)
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_is_fitted__(self):
        return hasattr(self, "precisions_cholesky_")

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import InputTags, Tags, TargetTags
        return Tags(estimator_type="density_estimator",
                    target_tags=TargetTags(required=False),
                    input_tags=InputTags(two_d_array=True))

    # ------------------------------------------------------------ validation
    def _check_parameters(self, n_features, draw_random_state=True):
        """Validated copies of all parameters as a dict (self is never modified).

        ``random_state`` comes back as a RandomState, or (``draw_random_state=False``,
        for callers that never draw: building one from an int seed costs ~0.1 ms)
        as None once the seed is checked."""
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ValueError(f"The 'warm_start' parameter must be a bool; got "
                             f"{self.warm_start!r}.")
        p = dict(
            n_components=check_int(self.n_components, "n_components", 1),
            tol=check_float(self.tol, "tol", 0.0),
            reg_covar=check_float(self.reg_covar, "reg_covar", 0.0),
            max_iter=check_int(self.max_iter, "max_iter", 0),
            n_init=check_int(self.n_init, "n_init", 1),
            init_params=check_choice(self.init_params, "init_params", INIT_PARAMS),
            verbose=check_int(self.verbose, "verbose", 0),
            verbose_interval=check_int(self.verbose_interval, "verbose_interval", 1),
            n_threads=effective_n_threads(self.n_threads),
            random_state=(check_random_state(self.random_state) if draw_random_state
                          else check_seed(self.random_state)),
        )
        self._check_model_parameters(p, n_features)
        return p

    def _check_feature_names(self, names):
        """scikit-learn's checks of the column names of X after fit (names: those
        of X, or None): a warning when only one side has names, an error when they
        differ.  Shared by in-memory and Dask inputs."""
        fitted = getattr(self, "feature_names_in_", None)
        kind = type(self).__name__
        if fitted is not None and names is None:
            warnings.warn(f"X does not have valid feature names, but {kind} was fitted "
                          "with feature names", UserWarning)
        elif fitted is None and names is not None:
            warnings.warn(f"X has feature names, but {kind} was fitted without feature "
                          "names", UserWarning)
        elif names is not None and not np.array_equal(names, fitted):
            raise ValueError("The feature names should match those that were passed "
                             "during fit.\n"
                             f"Feature names seen at fit time: {list(fitted)}\n"
                             f"Feature names given now: {list(names)}")

    def _validate_X(self, X, reset):
        names = _feature_names(X)
        if reset:
            return check_array(X, min_samples=2), names
        self._check_is_fitted()
        self._check_feature_names(names)
        Xv = check_array(X)
        if Xv.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {Xv.shape[1]} features, but {type(self).__name__} "
                             f"is expecting {self.n_features_in_} features as input.")
        return Xv, names

    def _check_is_fitted(self):
        if not self.__sklearn_is_fitted__():
            raise not_fitted_error(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' "
                "with appropriate arguments before using this estimator.")

    # ------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None, *, callback=None):
        """Estimate the model parameters with EM (the best of ``n_init`` runs).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            float32 data stays float32 in memory (never copied to float64).
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of k gives the fit of k copies of the row.
        callback : callable, default=None
            Called after every EM iteration with an ``EMProgress`` (init, n_iter,
            lower_bound, change); returning True ends that initialisation early.

        Returns
        -------
        self
            The fitted estimator.  On any error the estimator keeps its previous
            state and the caller's arrays are never modified.
        """
        self._fit(X, sample_weight, callback)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """Update the model from one batch of rows: stepwise (online) EM.

        The first call initialises from its batch (or from ``*_init``) as ``fit``
        does; each call then runs one E-step on the batch and folds its statistics,
        per unit of sample weight, into running statistics with step size
        ``rho_t = (t + learning_offset) ** -learning_decay`` (Cappe & Moulines 2009;
        Liang & Klein 2009: convergent for a decay in (0.5, 1]), followed by the
        M-step of the running statistics (scaled to the total weight seen, which
        only matters for a model with priors).  After ``fit``, the first call starts
        from the fitted parameters with its batch as the running statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One batch; the first must have at least ``n_components`` rows.
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self
            ``lower_bound_`` is the batch's bound under the parameters before the
            update, ``n_iter_`` the number of batches seen.
        """
        n_threads = effective_n_threads(self.n_threads)
        fitted = self.__sklearn_is_fitted__()
        if fitted:
            Xv, names = self._validate_X(X, reset=False)
            source = ArraySource(
                Xv, check_sample_weight(sample_weight, Xv.shape[0],
                                        normalize=not self._weights_are_counts),
                n_threads)
        else:
            source, names = self._make_source(X, sample_weight, n_threads)
        p = self._check_parameters(source.n_features)
        decay = check_float(self.learning_decay, "learning_decay", 0.5,
                            low_inclusive=False)
        if decay > 1:
            raise ValueError(f"The 'learning_decay' parameter must be in (0.5, 1]; got "
                             f"{self.learning_decay!r}.")
        offset = check_float(self.learning_offset, "learning_offset", 0.0)
        model = self._make_model(p)
        stream = getattr(self, "_stream", None) if fitted else None
        with single_threaded_blas():
            if fitted:
                state = self._get_state()
            else:
                if source.n_samples < p["n_components"]:
                    raise ValueError(
                        "The first partial_fit batch needs n_samples >= n_components; "
                        f"got n_components = {p['n_components']}, n_samples = "
                        f"{source.n_samples}")
                state = model.initialize(source, p["random_state"])
            stats = source.statistics(model.kernel_params(state),
                                      resp_entropy=model.needs_resp_entropy)
            if not math.isfinite(stats.mean_log_likelihood):
                raise ValueError("The log-likelihood of the batch is not finite: some "
                                 "samples have zero density under every component.")
            batch = stats.scaled(1.0 / stats.weight_sum)
            t = 0 if stream is None else stream["t"]
            if stream is None:
                running = batch
            else:  # re-centred onto the batch's (current) means by +
                rho = (t + offset) ** -decay
                running = batch.scaled(rho) + stream["stats"].scaled(1.0 - rho)
            seen = stats.weight_sum + (0.0 if stream is None else stream["weight"])
            new_state = model.m_step(running.scaled(seen), state, source)
            bound = model.lower_bound(stats, new_state)
        real = source.dtype.type
        self._set_state(new_state, source.dtype)
        self._fitted_covariance_type = p.get("covariance_type")
        self.converged_ = False
        self.n_iter_ = t + 1
        self.lower_bound_ = real(bound)
        self.lower_bounds_ = (list(getattr(self, "lower_bounds_", [])) if stream else []) \
            + [real(bound)]
        self._publish_input(source.n_features, names, keep_names=True)
        self._warm = (new_state, bound, self._published())
        self._stream = {"stats": running, "t": t + 1, "weight": seen}
        return self

    def fit_predict(self, X, y=None, sample_weight=None, *, callback=None):
        """Fit, then label X under the final parameters.

        Parameters
        ----------
        X, y, sample_weight, callback
            As for ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
            The same labels as ``fit(X).predict(X)`` for any ``max_iter``/``tol``
            (a final E-step runs after the last M-step).
        """
        source = self._fit(X, sample_weight, callback)
        with single_threaded_blas():
            (labels,) = source.scores(self._kernel_params(), label=True)
        return self._checked_labels(labels)

    def _make_source(self, X, sample_weight, n_threads):
        """(statistics source, feature names) for validated training data: an
        ArraySource for arrays and memmaps, a DaskSource for dask collections."""
        if is_dask_collection(X):
            from .dask import DaskSource
            # threads per task: the estimator's own setting (None: the dask module's
            # per-host policy), not this client's count
            return DaskSource.from_input(
                X, sample_weight, self.n_threads,
                init_max_samples=getattr(self, "init_max_samples", None),
                normalize_weights=not self._weights_are_counts)
        X, names = self._validate_X(X, reset=True)
        w = check_sample_weight(sample_weight, X.shape[0],
                                normalize=not self._weights_are_counts)
        return ArraySource(X, w, n_threads), names

    def _fit(self, X, sample_weight, callback):
        source, names = self._make_source(X, sample_weight,
                                          effective_n_threads(self.n_threads))
        n_samples, n_features = source.n_samples, source.n_features
        p = self._check_parameters(n_features)
        if n_samples < p["n_components"]:
            raise ValueError("Expected n_samples >= n_components but got n_components "
                             f"= {p['n_components']}, n_samples = {n_samples}")
        warm = self.warm_start and self.__sklearn_is_fitted__()
        if warm and n_features != self.n_features_in_:
            raise ValueError(f"X has {n_features} features, but {type(self).__name__} "
                             f"is expecting {self.n_features_in_} features as input.")
        fitted_type = getattr(self, "_fitted_covariance_type", p.get("covariance_type"))
        if warm and fitted_type != p.get("covariance_type"):
            raise ValueError(f"warm_start=True continues the fitted model, whose "
                             f"covariance_type is {fitted_type!r}, but covariance_type "
                             f"is now {p.get('covariance_type')!r}: set "
                             "warm_start=False to fit anew.")
        monitor = _Monitor(p["verbose"], p["verbose_interval"], callback)
        with single_threaded_blas():
            result = run_em(source, self._make_model(p), n_init=p["n_init"],
                            max_iter=p["max_iter"], tol=p["tol"],
                            random_state=p["random_state"], monitor=monitor,
                            warm_state=self._get_state() if warm else None,
                            warm_lower_bound=self._warm_lower_bound() if warm else -np.inf)
        # Fitted attributes are set together, only once the fit has succeeded, in
        # X's dtype (as scikit-learn >= 1.8); the float64 state and bound stay
        # private for a warm start.  _set_state checks before it sets anything.
        real = source.dtype.type
        self._set_state(result.state, source.dtype)
        self._fitted_covariance_type = p.get("covariance_type")
        self.converged_ = result.converged
        self.n_iter_ = result.n_iter
        self.lower_bound_ = real(result.lower_bound)
        self.lower_bounds_ = [real(b) for b in result.lower_bounds]
        self._warm = (result.state, result.lower_bound, self._published())
        self._stream = None  # a later partial_fit starts from these parameters
        self._publish_input(n_features, names)
        return source

    def _publish_input(self, n_features, names, keep_names=False):
        """n_features_in_ and feature_names_in_ of the data just fitted (names of an
        earlier fit are dropped unless keep_names: partial_fit's later batches)."""
        self.n_features_in_ = n_features
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_") and not keep_names:
            del self.feature_names_in_

    def _published(self):
        """Identities of the published parameter arrays (a warm start trusts the
        private float64 state only while these are the very same objects)."""
        return tuple(id(getattr(self, a, None)) for a in
                     ("weights_", "means_", "precisions_cholesky_", "lower_bound_"))

    def _private_warm(self):
        warm = getattr(self, "_warm", None)
        return warm if warm is not None and warm[2] == self._published() else None

    def _get_state(self):
        warm = self._private_warm()
        return warm[0] if warm is not None else self._state_from_attributes()

    def _warm_lower_bound(self):
        warm = self._private_warm()
        return warm[1] if warm is not None else float(self.lower_bound_)

    # ------------------------------------------------------------ persistence
    def save(self, path):
        """Write the fitted model to a portable, pickle-free file.

        Parameters
        ----------
        path : str or path-like
            Destination (``.npz``; see ``fastgmm.io`` for the format).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from .io import save_model
        return save_model(self, path)

    # ------------------------------------------------------------ inference
    def _scores(self, X, **which):
        if is_dask_collection(X):  # lazy: one map_blocks per output
            from .dask import lazy_scores
            self._check_is_fitted()
            return lazy_scores(self, X, which)
        X, _ = self._validate_X(X, reset=False)
        with single_threaded_blas():
            return ArraySource(X, None, effective_n_threads(self.n_threads)).scores(
                self._kernel_params(), **which)

    @staticmethod
    def _zero_density_error(rows):
        shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
        return ValueError(
            f"{len(rows)} sample(s) of X have zero density under every component "
            f"(rows {shown}), so their responsibilities are undefined: the samples "
            "are too far from every component for floating point (overflow). Check "
            "those rows, scale the input data or increase reg_covar.")

    def _checked_labels(self, labels):
        if is_dask_collection(labels):
            from .dask import checked_lazily
            return checked_lazily(labels, make_error=self._zero_density_error)
        bad = np.flatnonzero(labels < 0)
        if bad.size:
            raise self._zero_density_error(bad)
        return labels

    def predict(self, X):
        """The most probable component of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64

        Raises
        ------
        ValueError
            Naming the rows of zero density under every component (overflow),
            whose component is undefined.
        """
        return self._checked_labels(self._scores(X, label=True)[0])

    def predict_proba(self, X):
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components), float64
            Rows sum to 1.

        Raises
        ------
        ValueError
            Naming the rows of zero density under every component (overflow).
        """
        resp, loglik = self._scores(X, resp=True, loglik=True)
        if is_dask_collection(resp):
            from .dask import checked_proba_lazily
            return checked_proba_lazily(resp, loglik, self._zero_density_error)
        bad = np.flatnonzero(np.isneginf(loglik))
        if bad.size:
            raise self._zero_density_error(bad)
        return resp

    def score_samples(self, X):
        """Log of the mixture density at each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,), float64
            ``-inf`` for a sample of zero density in floating point (far from every
            component), which is the value of the log-density there.
        """
        return self._scores(X, loglik=True)[0]

    def score(self, X, y=None):
        """Mean log-likelihood of the samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float
        """
        return float(self.score_samples(X).mean())

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture.

        Uses ``random_state`` with the same draws as scikit-learn, so both give the
        same samples from the same parameters.

        Parameters
        ----------
        n_samples : int >= 1, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,), int64, the component of each sample
        """
        self._check_is_fitted()
        if isinstance(n_samples, (bool, np.bool_)) or not isinstance(
                n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples!r}. The "
                             "sampling requires at least one sample.")
        rng = check_random_state(self.random_state)
        # weights as float64 summing to 1 (float32 round-off, or max_iter=0 weights,
        # would make multinomial refuse them); unchanged when they already sum to 1
        weights = np.asarray(self.weights_, dtype=np.float64)
        counts = rng.multinomial(n_samples, weights / weights.sum())
        D = self.means_.shape[1]
        if self.covariance_type == "full":
            parts = [rng.multivariate_normal(m, c, int(s))
                     for m, c, s in zip(self.means_, self.covariances_, counts)]
        elif self.covariance_type == "tied":
            parts = [rng.multivariate_normal(m, self.covariances_, int(s))
                     for m, s in zip(self.means_, counts)]
        else:
            parts = [m + rng.standard_normal(size=(s, D)) * np.sqrt(c)
                     for m, c, s in zip(self.means_, self.covariances_, counts)]
        y = np.concatenate([np.full(int(s), k, dtype=np.int64)
                            for k, s in enumerate(counts)])
        return np.vstack(parts), y
