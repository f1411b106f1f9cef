"""Outlier detection with a Gaussian mixture: scikit-learn's outlier-detector API.

``GaussianMixtureOutlierDetector`` fits a ``fastgmm.GaussianMixture`` (composition:
the EM fit, the scoring kernels and the input checks are the mixture's own) and flags
as outliers the samples whose log-density falls below the ``contamination`` quantile
of the training log-densities, as scikit-learn's ``EllipticEnvelope`` and
``IsolationForest`` do with their scores.  Like the rest of fastgmm it does not
import scikit-learn.
"""
import numbers

import numpy as np

from ._base import BaseMixture
from ._validation import check_sample_weight
from .mixture import GaussianMixture

__all__ = ["GaussianMixtureOutlierDetector", "contamination_offset"]

# The parameters handed to the GaussianMixture (every one but contamination).
_MIXTURE_PARAMS = ("n_components", "covariance_type", "tol", "reg_covar", "max_iter",
                   "n_init", "init_params", "weights_init", "means_init",
                   "precisions_init", "random_state", "warm_start", "verbose",
                   "verbose_interval", "n_threads", "on_degenerate", "init_max_samples",
                   "learning_decay", "learning_offset")

# Cumulative weights within this fraction of the total weight of contamination * W
# count as reaching it (c * W and the cumulative sums carry rounding: 0.1 * 300 is
# 30.000000000000004).  Far below one unit weight for any realistic n_samples.
_WEIGHT_RTOL = 1e-9


def _check_contamination(contamination):
    """contamination as a float in (0, 0.5], or a ValueError naming it."""
    if isinstance(contamination, str) and contamination == "auto":
        raise ValueError(
            "The 'contamination' parameter must be a float in (0, 0.5]; got 'auto'. "
            "A log-density has no threshold that holds for every data set (unlike "
            "IsolationForest's or LocalOutlierFactor's scores), so give the expected "
            "fraction of outliers.")
    if (isinstance(contamination, (bool, np.bool_))
            or not isinstance(contamination, numbers.Real)
            or not 0.0 < contamination <= 0.5):   # also False for NaN
        raise ValueError("The 'contamination' parameter must be a float in (0, 0.5]; "
                         f"got {contamination!r}.")
    return float(contamination)


def _lerp(lo, hi, t):
    """lo + t (hi - lo) as numpy's quantile interpolates (exact at t = 0 and 1)."""
    return lo + t * (hi - lo) if t < 0.5 else hi - (1.0 - t) * (hi - lo)


def contamination_offset(scores, sample_weight, contamination):
    """The weighted ``contamination`` quantile of ``scores`` (``offset_``).

    Parameters
    ----------
    scores : ndarray of shape (n_samples,), float32 or float64
        Training log-densities (``-inf`` allowed, NaN not).
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum (None: unit weights).  Rows of
        weight 0 are left out, as if they were not there.
    contamination : float in (0, 0.5]

    Returns
    -------
    offset : numpy scalar of the dtype of ``scores``
        With the distinct scores ``v_1 < ... < v_m``, ``u_j`` the total weight of
        the rows scoring ``v_j``, ``U_j = u_1 + ... + u_j``, ``W = U_m`` and
        ``tau = contamination * W``: ``j`` is the smallest index with
        ``U_j >= tau`` and the offset is
        ``v_j + (tau - U_{j-1}) / u_j * (v_{j+1} - v_j)``, a value in
        ``(v_j, v_{j+1}]``.  So the rows scoring below it are the lowest-scoring rows
        whose weight first reaches ``tau``.  It depends only on the weighted
        distribution of the scores: scaling all weights changes nothing and a weight
        of k equals k copies of the row.  For unit weights it is
        ``np.quantile(scores, contamination * n / (n - 1))`` (numpy's default linear
        method).  Details: ``U_j`` within ``1e-9 W`` of ``tau`` counts as reaching
        it; the value is rounded to the dtype of ``scores`` and kept above ``v_j``;
        when ``v_j`` is ``-inf`` it is ``v_{j+1}``; when ``j = m`` (one score holds
        more than half of the weight) it is ``v_m``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.outliers import contamination_offset
    >>> s = np.arange(10.0)
    >>> float(contamination_offset(s, None, 0.25))   # rank 0.25 * 10 = 2.5
    2.5
    >>> float(np.quantile(s, 0.25 * 10 / 9))
    2.5
    >>> float(contamination_offset(np.array([0.0, 1.0, 2.0]), np.array([2, 1, 1]), 0.5))
    1.0
    >>> float(contamination_offset(np.array([0.0, 0.0, 1.0, 2.0]), None, 0.5))
    1.0
    """
    contamination = _check_contamination(contamination)
    s = np.asarray(scores)
    dtype = s.dtype if s.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    s = s.astype(dtype, copy=False).ravel()
    if sample_weight is None:
        w = np.ones(s.shape[0])
    else:
        w = np.asarray(sample_weight, dtype=np.float64).ravel()
        keep = w > 0
        s, w = s[keep], w[keep]
    if s.size == 0 or np.isnan(s).any():
        raise ValueError("contamination_offset needs at least one score of positive "
                         "weight and no NaN scores.")
    order = np.argsort(s, kind="stable")
    s, w = s[order], w[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])   # tied scores: one group
    v = s[starts]
    u = np.add.reduceat(w, starts)
    U = np.cumsum(u)
    W = U[-1]
    tau = contamination * W
    j = min(int(np.searchsorted(U, tau - _WEIGHT_RTOL * W, side="left")), v.size - 1)
    if j == v.size - 1:
        return dtype.type(v[j])
    below = U[j - 1] if j > 0 else 0.0
    theta = min(max((tau - below) / u[j], 0.0), 1.0)
    lo, hi = v[j], v[j + 1]
    if np.isneginf(lo):
        return dtype.type(hi)
    offset = dtype.type(_lerp(float(lo), float(hi), theta))
    if not offset > lo:       # rounded onto v_j: the rows at v_j must stay below it
        offset = np.nextafter(lo, hi)
    return dtype.type(min(offset, hi))


class GaussianMixtureOutlierDetector:
    """Outlier detection by the log-density of a Gaussian mixture fitted with EM.

    A scikit-learn outlier detector (like ``EllipticEnvelope``, which it
    generalises to several components and the four covariance types): ``fit``
    fits a ``fastgmm.GaussianMixture`` (``mixture_``) and sets ``offset_`` to the
    ``contamination`` quantile of the training log-densities; a sample is an outlier
    (``predict`` gives -1) when its log-density is below ``offset_``.

    Parameters
    ----------
    contamination : float in (0, 0.5], default=0.01
        The expected fraction of outliers in the training data: the weighted
        fraction of training samples flagged (see Notes).  'auto' is not accepted:
        a log-density has no threshold that holds for every data set.
    n_components : int, default=1
        Number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        As for ``GaussianMixture``.
    tol : float, default=1e-3
        EM stops when the mean log-likelihood changes by less.
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance.
    max_iter : int, default=100
        EM iterations per initialisation.
    n_init : int, default=1
        Initialisations; the one with the highest lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How initial responsibilities are chosen.
    weights_init, means_init, precisions_init : array-like, default=None
        Initial parameters, as for ``GaussianMixture``.
    random_state : int, RandomState instance or None, default=None
        Seeds the mixture's initialisation.
    warm_start : bool, default=False
        If True, ``fit`` continues the EM of the previous fit (``mixture_``).
    verbose : int, default=0
        EM progress output, as for ``GaussianMixture``.
    verbose_interval : int, default=10
        Iterations between verbose lines.
    n_threads : int or None, default=None
        OpenMP threads for every pass over the data (None: what OpenMP would use).
    on_degenerate : {'raise', 'reinit', 'drop'}, default='raise'
        What the mixture does with a collapsed component, as for
        ``GaussianMixture`` (events in ``mixture_.diagnostics_``).
    init_max_samples : int or None, default=2**20
        Rows the k-means++ seeding reads at most, as for ``GaussianMixture``.
    learning_decay, learning_offset : float
        Passed to the mixture (its ``partial_fit`` schedule; unused by ``fit``).

    Attributes
    ----------
    mixture_ : GaussianMixture
        The fitted mixture (``weights_``, ``means_``, ``covariances_``, ...).
    offset_ : numpy float32 or float64 scalar
        The threshold on the log-density: ``decision_function = score_samples -
        offset_``.  In the dtype of the training data, as the mixture's attributes.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when X was a DataFrame with string column names.
    n_iter_ : int
        EM iterations of the mixture's best initialisation.
    converged_ : bool
        Whether that initialisation converged.

    See Also
    --------
    fastgmm.GaussianMixture : the density model.
    sklearn.covariance.EllipticEnvelope : one Gaussian with a robust covariance.

    Notes
    -----
    ``offset_`` is the weighted quantile ``contamination_offset(scores, w, c)`` of
    the training log-densities ``scores`` with the fit's ``sample_weight`` ``w``
    (all ones when None).  With the distinct scores ``v_1 < ... < v_m``, ``U_j`` the
    total weight of the rows scoring at most ``v_j`` and ``W`` the total weight,
    ``j`` is the smallest index with ``U_j >= c W``, and ``offset_`` interpolates
    linearly between ``v_j`` and ``v_{j+1}`` by how far ``c W`` reaches into the
    weight of ``v_j``::

        offset_ = v_j + (c W - U_{j-1}) / (U_j - U_{j-1}) * (v_{j+1} - v_j)

    so the training outliers are the lowest-density rows whose weight first reaches
    ``c W`` (the fraction is at least ``contamination``, exactly it when ``c W`` is
    reached exactly, and a tie at the threshold is flagged as a whole).  The
    definition depends only on the weighted distribution of the scores: integer
    weights give the same ``offset_`` as repeated rows, a weight of 0 the same as
    a removed row, and scaling all weights changes nothing.

    With unit weights and distinct scores it is numpy's (and scikit-learn's)
    default linear quantile taken at rank ``c n`` instead of ``c (n - 1)``, that is
    ``np.quantile(scores, c * n / (n - 1))``: within one gap between consecutive
    training scores of ``np.percentile(scores, 100 * c)``, the threshold of
    ``EllipticEnvelope`` and ``IsolationForest``.  numpy's threshold flags
    ``ceil(c (n - 1))`` training rows and this one ``ceil(c n)``: the same rows
    unless an integer lies in ``[c (n - 1), c n)`` (for a fraction of about ``c``
    of the sample sizes), where this flags one more.  numpy's quantile of repeated
    rows differs from that of the rows themselves, so no definition can equal it
    and also give integer weights the offset of repeated rows; of the natural
    counts for one that does (the weight first reaching ``c W``, the most weight
    below it, the weight nearest to it), the first agrees with numpy's most often.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm.outliers import GaussianMixtureOutlierDetector
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.normal(0, 1, (200, 2)), rng.normal(8, 1, (200, 2)),
    ...                [[4, 20], [-10, 4]]])
    >>> det = GaussianMixtureOutlierDetector(contamination=0.01, n_components=2,
    ...                                      random_state=0).fit(X)
    >>> det.predict([[0, 0], [8, 8], [4, 20]]).tolist()
    [1, 1, -1]
    >>> bool(det.decision_function([[4, 20]])[0] < 0)
    True
    >>> int((det.predict(X) == -1).sum())     # at least 1% of the 402 rows
    5
    >>> det.predict(X)[-2:].tolist()          # both planted outliers
    [-1, -1]
    """

    def __init__(self, *, contamination=0.01, n_components=1, covariance_type="full",
                 tol=1e-3, reg_covar=1e-6, max_iter=100, n_init=1,
                 init_params="kmeans", weights_init=None, means_init=None,
                 precisions_init=None, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10, n_threads=None, on_degenerate="raise",
                 init_max_samples=1 << 20, learning_decay=0.7, learning_offset=10.0):
        self.contamination = contamination
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

    # The parameter API, repr and input checks are BaseMixture's (they only read the
    # signature, the parameters and the fitted attributes named there).
    _get_param_names = BaseMixture.__dict__["_get_param_names"]
    get_params = BaseMixture.get_params
    set_params = BaseMixture.set_params
    __repr__ = BaseMixture.__repr__
    _validate_X = BaseMixture._validate_X
    _check_feature_names = BaseMixture._check_feature_names   # used by _validate_X
    _check_is_fitted = BaseMixture._check_is_fitted
    save = BaseMixture.save
    _publish_input = BaseMixture._publish_input

    def __sklearn_is_fitted__(self):
        return hasattr(self, "offset_")

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import InputTags, Tags, TargetTags
        return Tags(estimator_type="outlier_detector",
                    target_tags=TargetTags(required=False),
                    input_tags=InputTags(two_d_array=True))

    # ------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None):
        """Fit the mixture, then set ``offset_`` from the training log-densities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (float32 stays float32).
        y : ignored
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: of the mixture's fit and of the quantile that sets
            ``offset_`` (a weight of k equals k copies of the row).

        Returns
        -------
        self
            The fitted detector.  On any error it keeps its previous state.
        """
        self._fit(X, sample_weight)
        return self

    def fit_predict(self, X, y=None, sample_weight=None):
        """Fit, then label the training data (+1 inlier, -1 outlier).

        Parameters
        ----------
        X, y, sample_weight
            As for ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
            The same as ``fit(X).predict(X)``.
        """
        scores = self._fit(X, sample_weight)
        return self._labels(scores - self.offset_)

    def _fit(self, X, sample_weight):
        contamination = _check_contamination(self.contamination)
        Xv, names = self._validate_X(X, reset=True)
        w = check_sample_weight(sample_weight, Xv.shape[0])
        previous = getattr(self, "mixture_", None)
        reuse = (isinstance(self.warm_start, (bool, np.bool_)) and self.warm_start
                 and self.__sklearn_is_fitted__() and previous is not None)
        mixture = previous if reuse else GaussianMixture()
        mixture.set_params(**{name: getattr(self, name) for name in _MIXTURE_PARAMS})
        mixture.fit(Xv, sample_weight=w)
        scores = mixture.score_samples(Xv)
        offset = contamination_offset(scores, w, contamination)
        # set together, only once everything has succeeded
        self.mixture_ = mixture
        self.offset_ = offset
        self.n_iter_ = mixture.n_iter_
        self.converged_ = mixture.converged_
        self._publish_input(Xv.shape[1], names)
        return scores

    # ------------------------------------------------------------ inference
    def score_samples(self, X):
        """Log of the mixture density at each sample (higher: more normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_density : ndarray of shape (n_samples,)
            ``mixture_.score_samples(X)``: float32 for float32 X, else float64;
            ``-inf`` where the density is zero in floating point.
        """
        Xv, _ = self._validate_X(X, reset=False)
        return self.mixture_.score_samples(Xv)

    def decision_function(self, X):
        """Log-density minus ``offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_`` (its sign is exact: zero only for a
            log-density equal to ``offset_``, which is an inlier).
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sample: +1 inlier, -1 outlier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,), int64
            -1 where ``decision_function(X) < 0``.
        """
        return self._labels(self.decision_function(X))

    @staticmethod
    def _labels(decision):
        labels = np.ones(decision.shape[0], dtype=np.int64)
        labels[decision < 0] = -1
        return labels
