"""GaussianMixture: a drop-in replacement for sklearn.mixture.GaussianMixture.

Thin layer: validation, the EM loop and the scikit-learn API.  Each EM iteration
is one fused parallel pass over X (kernels.sufficient_statistics) followed by the
small M-step (kernels.m_step); nothing of size n_samples x n_components is
allocated during fit.
"""
import inspect
import warnings
from time import time

import numpy as np

from . import _mstep
from ._blas import single_threaded_blas
from ._exceptions import convergence_warning_class, not_fitted_error
from ._init import initial_parameters
from ._openmp import effective_n_threads
from ._validation import (COVARIANCE_TYPES, INIT_PARAMS, _feature_names, check_array,
                          check_choice, check_float, check_int, check_means_init,
                          check_precisions_init, check_random_state,
                          check_sample_weight, check_weights_init)
from .kernels import GMMParameters, _score, _sufficient_statistics, m_step


class GaussianMixture:
    """Gaussian mixture model fitted by EM, in parallel nogil kernels.

    Same parameters, attributes and methods as scikit-learn's
    ``GaussianMixture`` (see its documentation), plus:

    n_threads : int or None, default=None
        OpenMP threads for every pass over the data.  None: what OpenMP would use
        (``OMP_NUM_THREADS``, threadpoolctl limits).  Results are bitwise
        identical for any value.

    ``fit`` and ``fit_predict`` also take ``sample_weight`` (non-negative, one per
    sample): a weight of k gives the same fit as k copies of the row.

    Attributes are float64 whatever the dtype of X; float32 input is never copied
    to float64.
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3,
                 reg_covar=1e-6, max_iter=100, n_init=1, init_params="kmeans",
                 weights_init=None, means_init=None, precisions_init=None,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10,
                 n_threads=None):
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

    # ------------------------------------------------------------------ params API
    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self")

    def get_params(self, deep=True):
        """Constructor parameters as a dict (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set constructor parameters; returns self."""
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
            value = getattr(self, name)
            default = defaults[name]
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

    # ------------------------------------------------------------------ validation
    def _check_parameters(self, n_features):
        """Validated copies of all parameters (self is never modified)."""
        K = check_int(self.n_components, "n_components", 1)
        cov = check_choice(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        p = dict(
            n_components=K, covariance_type=cov,
            tol=check_float(self.tol, "tol", 0.0),
            reg_covar=check_float(self.reg_covar, "reg_covar", 0.0),
            max_iter=check_int(self.max_iter, "max_iter", 0),
            n_init=check_int(self.n_init, "n_init", 1),
            init_params=check_choice(self.init_params, "init_params", INIT_PARAMS),
            verbose=check_int(self.verbose, "verbose", 0),
            verbose_interval=check_int(self.verbose_interval, "verbose_interval", 1),
            n_threads=effective_n_threads(self.n_threads),
            random_state=check_random_state(self.random_state),
            weights_init=None, means_init=None, precisions_init=None,
        )
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise ValueError(f"The 'warm_start' parameter must be a bool; got "
                             f"{self.warm_start!r}.")
        if self.weights_init is not None:
            p["weights_init"] = check_weights_init(self.weights_init, K)
        if self.means_init is not None:
            p["means_init"] = check_means_init(self.means_init, K, n_features)
        if self.precisions_init is not None:
            p["precisions_init"] = check_precisions_init(self.precisions_init, cov, K,
                                                         n_features)
        return p

    def _validate_X(self, X, reset):
        names = _feature_names(X)
        if reset:
            Xv = check_array(X, min_samples=2)
            return Xv, names
        self._check_is_fitted()
        fitted_names = getattr(self, "feature_names_in_", None)
        if fitted_names is not None and names is None:
            warnings.warn(f"X does not have valid feature names, but "
                          f"{type(self).__name__} was fitted with feature names",
                          UserWarning)
        elif fitted_names is None and names is not None:
            warnings.warn(f"X has feature names, but {type(self).__name__} was fitted "
                          "without feature names", UserWarning)
        elif names is not None and not np.array_equal(names, fitted_names):
            raise ValueError("The feature names should match those that were passed "
                             "during fit.\n"
                             f"Feature names seen at fit time: {list(fitted_names)}\n"
                             f"Feature names given now: {list(names)}")
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

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None):
        """Estimate the parameters with EM (best of n_init runs); returns self."""
        X, w, names, p = self._prepare_fit(X, sample_weight)
        with single_threaded_blas():
            self._run_em(X, w, names, p)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then return the labels of X under the final parameters."""
        X, w, names, p = self._prepare_fit(X, sample_weight)
        with single_threaded_blas():
            self._run_em(X, w, names, p)
            # The final E-step: labels agree with fit(X).predict(X) for any max_iter/tol.
            return _score(X, self._params(), p["n_threads"], label=True)[0]

    def _prepare_fit(self, X, sample_weight):
        X, names = self._validate_X(X, reset=True)
        n_samples, n_features = X.shape
        p = self._check_parameters(n_features)
        if n_samples < p["n_components"]:
            raise ValueError("Expected n_samples >= n_components but got n_components "
                             f"= {p['n_components']}, n_samples = {n_samples}")
        w = check_sample_weight(sample_weight, n_samples)
        if (self.warm_start and self.__sklearn_is_fitted__()
                and n_features != self.n_features_in_):
            raise ValueError(f"X has {n_features} features, but {type(self).__name__} "
                             f"is expecting {self.n_features_in_} features as input.")
        return X, w, names, p

    def _initialize(self, X, w, p):
        """Initial GMMParameters (and covariances when known), like scikit-learn."""
        cov_type = p["covariance_type"]
        wi, mi, pi = p["weights_init"], p["means_init"], p["precisions_init"]
        covariances = None
        if wi is None or mi is None or pi is None:
            weights, means, covariances = initial_parameters(
                X, w, p["n_components"], cov_type, p["reg_covar"], p["init_params"],
                p["random_state"], p["n_threads"])
            wi = weights if wi is None else wi
            mi = means if mi is None else mi
        if pi is None:
            prec_chol = _mstep.precision_cholesky(covariances, cov_type)
        else:
            covariances = None
            prec_chol = _mstep.precision_cholesky_from_precisions(pi, cov_type)
        return GMMParameters(np.array(wi, dtype=np.float64), np.array(mi, dtype=np.float64),
                             prec_chol, cov_type), covariances

    def _run_em(self, X, w, names, p):
        do_init = not (self.warm_start and self.__sklearn_is_fitted__())
        n_init = p["n_init"] if do_init else 1
        max_lower_bound = -np.inf
        best = None
        converged_best = False
        for init in range(n_init):
            self._verbose_init_beg(p, init)
            if do_init:
                params, covariances = self._initialize(X, w, p)
                lower_bound = -np.inf
            else:
                params, covariances = self._params(), self.covariances_
                lower_bound = self.lower_bound_
            bounds = []
            if p["max_iter"] == 0:
                best = (params, covariances, 0, bounds)
                continue
            converged = False
            for n_iter in range(1, p["max_iter"] + 1):
                prev = lower_bound
                stats = _sufficient_statistics(X, params, w, p["n_threads"])
                lower_bound = stats.mean_log_likelihood
                if not np.isfinite(lower_bound):
                    raise ValueError(
                        "The log-likelihood is not finite: some samples have zero "
                        "density under every component (overflow). Scale the input "
                        "data or increase reg_covar.")
                params, covariances = m_step(stats, p["reg_covar"])
                bounds.append(lower_bound)
                change = lower_bound - prev
                self._verbose_iter_end(p, n_iter, change)
                if abs(change) < p["tol"]:
                    converged = True
                    break
            self._verbose_init_end(p, lower_bound, converged)
            if lower_bound > max_lower_bound or max_lower_bound == -np.inf:
                max_lower_bound = lower_bound
                best = (params, covariances, n_iter, bounds)
                converged_best = converged
        if not converged_best and p["max_iter"] > 0:
            warnings.warn("Best performing initialization did not converge. Try "
                          "different init parameters, or increase max_iter, tol, or "
                          "check for degenerate data.", convergence_warning_class())
        params, covariances, n_iter, bounds = best
        if covariances is None:
            covariances = _mstep.covariances_from_cholesky(params.precisions_cholesky,
                                                           params.covariance_type)
        # Attributes are set together, only once the fit has succeeded.
        self.weights_ = params.weights
        self.means_ = params.means
        self.covariances_ = covariances
        self.precisions_cholesky_ = params.precisions_cholesky
        self.precisions_ = _mstep.precisions_from_cholesky(params.precisions_cholesky,
                                                           params.covariance_type)
        self.converged_ = converged_best
        self.n_iter_ = n_iter
        self.lower_bound_ = max_lower_bound
        self.lower_bounds_ = bounds
        self.n_features_in_ = X.shape[1]
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def _params(self):
        return GMMParameters(self.weights_, self.means_, self.precisions_cholesky_,
                             self.covariance_type)

    # ------------------------------------------------------------------ verbose
    def _verbose_init_beg(self, p, n_init):
        if p["verbose"] >= 1:
            print("Initialization %d" % n_init)
            self._init_prev_time = self._iter_prev_time = time()

    def _verbose_iter_end(self, p, n_iter, diff_ll):
        if n_iter % p["verbose_interval"] == 0:
            if p["verbose"] == 1:
                print("  Iteration %d" % n_iter)
            elif p["verbose"] >= 2:
                cur = time()
                print("  Iteration %d\t time lapse %.5fs\t ll change %.5f"
                      % (n_iter, cur - self._iter_prev_time, diff_ll))
                self._iter_prev_time = cur

    def _verbose_init_end(self, p, lb, converged):
        msg = "converged" if converged else "did not converge"
        if p["verbose"] == 1:
            print(f"Initialization {msg}.")
        elif p["verbose"] >= 2:
            print(f"Initialization {msg}. time lapse {time() - self._init_prev_time:.5f}s"
                  f"\t lower bound {lb:.5f}.")

    # ------------------------------------------------------------------ inference
    def _scores(self, X, **which):
        X, _ = self._validate_X(X, reset=False)
        n_threads = effective_n_threads(self.n_threads)
        with single_threaded_blas():
            return _score(X, self._params(), n_threads, **which)

    def predict(self, X):
        """Most probable component of each sample, (n_samples,) int64."""
        return self._scores(X, label=True)[0]

    def predict_proba(self, X):
        """Posterior probability of each component, (n_samples, n_components)."""
        return self._scores(X, resp=True)[0]

    def score_samples(self, X):
        """Log density of each sample under the mixture, (n_samples,)."""
        return self._scores(X, loglik=True)[0]

    def score(self, X, y=None):
        """Mean log-likelihood of X."""
        return float(self.score_samples(X).mean())

    def bic(self, X):
        """Bayesian information criterion on X (lower is better)."""
        X, _ = self._validate_X(X, reset=False)
        return (-2 * self.score(X) * X.shape[0]
                + self._n_parameters() * np.log(X.shape[0]))

    def aic(self, X):
        """Akaike information criterion on X (lower is better)."""
        X, _ = self._validate_X(X, reset=False)
        return -2 * self.score(X) * X.shape[0] + 2 * self._n_parameters()

    def _n_parameters(self):
        return _mstep.n_parameters(self.means_.shape[0], self.means_.shape[1],
                                   self.covariance_type)

    def sample(self, n_samples=1):
        """Draw samples: (X (n_samples, n_features), component labels (n_samples,)).

        Uses ``random_state`` with the same draws as scikit-learn, so both give
        the same samples from the same parameters.
        """
        self._check_is_fitted()
        if isinstance(n_samples, (bool, np.bool_)) or not isinstance(
                n_samples, (int, np.integer)) or n_samples < 1:
            raise ValueError(f"Invalid value for 'n_samples': {n_samples!r}. The "
                             "sampling requires at least one sample.")
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
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
