"""Pictures of fitted Gaussian mixtures (needs matplotlib: ``pip install fastgmm[plot]``).

* ``ellipses``: the classic diagram, points coloured by component and one ellipse
  per component and per number of standard deviations;
* ``density``: contours of the log-density on a grid;
* ``criterion``: a model-selection criterion against the number of components, one
  line per covariance type, the chosen model marked.

matplotlib is imported inside the functions, never when fastgmm is imported.
Every function takes a fitted mixture through its scikit-learn attributes
(``means_``, ``covariances_``, ``covariance_type``, ``weights_`` and, when points
are drawn, ``predict`` / ``predict_proba``), so a ``fastgmm.GaussianMixture`` fitted
on float32 or float64 data and a scikit-learn mixture both work.

For more than two features a picture shows two coordinates: two of the features
(``dims``; each Gaussian's marginal there has the 2x2 sub-block of its covariance
as covariance), or with ``pca=True`` two principal axes.  The projection onto the
principal axes is y = P (x - c), with P's rows the unit eigenvectors of the
covariance of X (of the fitted mixture when X is None) and c the mean of X (of the
mixture); a component with mean m and covariance C becomes the Gaussian with mean
P (m - c) and covariance P C P^T.
"""
import numbers
import warnings
from collections import namedtuple

import numpy as np

from ._exceptions import not_fitted_error

__all__ = ["ellipses", "density", "criterion", "component_covariances"]

_INSTALL = "pip install fastgmm[plot]"

# The two coordinates a picture shows: y = matrix @ (x - offset).
_Projection = namedtuple("_Projection", "matrix offset labels")


# ---------------------------------------------------------------------- helpers
def _matplotlib():
    """The matplotlib modules the pictures use, imported on first use."""
    try:
        import matplotlib
        import matplotlib.colors
        import matplotlib.lines
        import matplotlib.patches
        import matplotlib.ticker
    except ImportError as exc:
        raise ImportError("fastgmm.plot needs matplotlib, an optional extra: "
                          f"{_INSTALL}") from exc
    return matplotlib


def _axes(ax):
    """ax, or the current Axes of pyplot (a new figure when there is none)."""
    _matplotlib()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt
    return plt.gca()


def _check_fitted(gmm):
    check = getattr(gmm, "_check_is_fitted", None)
    if callable(check):  # a fastgmm estimator: its own NotFittedError and message
        check()
    is_fitted = getattr(gmm, "__sklearn_is_fitted__", None)
    fitted = is_fitted() if callable(is_fitted) else True
    if not fitted or not all(hasattr(gmm, a) for a in ("means_", "covariances_")):
        raise not_fitted_error(
            f"This {type(gmm).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before plotting it.")


def component_covariances(gmm):
    """Each component's full covariance matrix, whatever the covariance type.

    Parameters
    ----------
    gmm : fitted mixture
        An estimator with ``means_``, ``covariances_`` and ``covariance_type``.

    Returns
    -------
    ndarray of shape (n_components, n_features, n_features), float64
        'full': ``covariances_``; 'tied': the shared matrix for every component;
        'diag': diagonal matrices; 'spherical': variance times the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgmm import GaussianMixture
    >>> from fastgmm.plot import component_covariances
    >>> X = np.random.RandomState(0).randn(200, 3)
    >>> g = GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    >>> component_covariances(g).shape
    (2, 3, 3)
    """
    _check_fitted(gmm)
    means = np.asarray(gmm.means_, dtype=np.float64)
    K, D = means.shape
    cov = np.asarray(gmm.covariances_, dtype=np.float64)
    cov_type = getattr(gmm, "covariance_type", "full")
    expected = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}
    if cov_type not in expected:
        raise ValueError(f"covariance_type must be one of {sorted(expected)}, "
                         f"got {cov_type!r}")
    if cov.shape != expected[cov_type]:
        raise ValueError(f"covariances_ has shape {cov.shape}, expected "
                         f"{expected[cov_type]} for covariance_type={cov_type!r}")
    if cov_type == "full":
        return cov.copy()
    if cov_type == "tied":
        return np.broadcast_to(cov, (K, D, D)).copy()
    if cov_type == "diag":
        out = np.zeros((K, D, D))
        idx = np.arange(D)
        out[:, idx, idx] = cov
        return out
    return cov[:, None, None] * np.eye(D)


def _check_dims(dims, n_axes, what):
    ok = (isinstance(dims, (tuple, list, np.ndarray)) and len(dims) == 2
          and all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                  for d in dims))
    if ok:
        d0, d1 = int(dims[0]), int(dims[1])
        ok = d0 != d1 and 0 <= d0 < n_axes and 0 <= d1 < n_axes
    if not ok:
        if n_axes < 2:
            raise ValueError(f"dims={dims!r}: a picture needs two {what}, the model "
                             f"has {n_axes}")
        raise ValueError(f"dims must be two different {what} in [0, {n_axes}), "
                         f"got dims={dims!r}")
    return d0, d1


def _as_2d(X, n_features):
    Xa = np.asarray(X)
    if Xa.ndim != 2 or Xa.shape[1] != n_features:
        raise ValueError(f"X must have shape (n_samples, {n_features}), got "
                         f"{Xa.shape}")
    return Xa


def _projection(gmm, means, covs, X, dims, pca):
    """The two coordinates shown: chosen features, or chosen principal axes."""
    D = means.shape[1]
    if not pca:
        d0, d1 = _check_dims(dims, D, "feature indices")
        names = getattr(gmm, "feature_names_in_", None)
        labels = tuple(str(names[d]) if names is not None else f"x[{d}]"
                       for d in (d0, d1))
        matrix = np.zeros((2, D))
        matrix[0, d0] = matrix[1, d1] = 1.0
        return _Projection(matrix, np.zeros(D), labels)
    d0, d1 = _check_dims(dims, D, "principal axes")
    if X is not None:
        Xf = np.asarray(X, dtype=np.float64)
        offset = Xf.mean(axis=0)
        scatter = np.atleast_2d(np.cov(Xf, rowvar=False, bias=True))
    else:  # the covariance of the fitted mixture itself
        w = np.asarray(getattr(gmm, "weights_", np.full(len(means), 1 / len(means))),
                       dtype=np.float64)
        w = w / w.sum()
        offset = w @ means
        dm = means - offset
        scatter = np.einsum("k,kij->ij", w, covs) + (dm * w[:, None]).T @ dm
    values, vectors = np.linalg.eigh(scatter)
    order = np.argsort(values)[::-1]
    values, vectors = np.clip(values[order], 0, None), vectors[:, order]
    total = values.sum()
    rows = []
    labels = []
    for d in (d0, d1):
        v = vectors[:, d]
        v = v if v[np.argmax(np.abs(v))] >= 0 else -v  # deterministic orientation
        rows.append(v)
        share = values[d] / total if total > 0 else 0.0
        labels.append(f"PC{d + 1} ({share:.0%} of variance)")
    return _Projection(np.array(rows), offset, tuple(labels))


def _projected(gmm, X, dims, pca):
    """Means (K, 2), covariances (K, 2, 2), points (N, 2) or None, projection."""
    _check_fitted(gmm)
    means = np.asarray(gmm.means_, dtype=np.float64)
    covs = component_covariances(gmm)
    if X is not None:
        X = _as_2d(X, means.shape[1])
    proj = _projection(gmm, means, covs, X, dims, pca)
    P = proj.matrix
    means2 = (means - proj.offset) @ P.T
    covs2 = np.einsum("ai,kij,bj->kab", P, covs, P)
    pts2 = None
    if X is not None:
        pts2 = (np.asarray(X, dtype=np.float64) - proj.offset) @ P.T
    return means2, covs2, pts2, proj


def _component_colors(n_components, colors):
    mpl = _matplotlib()
    if colors is not None:
        rgba = mpl.colors.to_rgba_array(colors)
        if len(rgba) < n_components:
            raise ValueError(f"colors has {len(rgba)} colours, the model has "
                             f"{n_components} components")
        return rgba[:n_components]
    if n_components <= 10:
        return mpl.colormaps["tab10"](np.arange(n_components))
    if n_components <= 20:
        return mpl.colormaps["tab20"](np.arange(n_components))
    return mpl.colormaps["hsv"](np.linspace(0, 1, n_components, endpoint=False))


def _ellipse_geometry(cov2, n_std):
    """(width, height, angle in degrees) of the n_std ellipse of a 2x2 covariance."""
    values, vectors = np.linalg.eigh(cov2)
    values = np.clip(values, 0, None)
    major = vectors[:, 1]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    return (2 * n_std * np.sqrt(values[1]), 2 * n_std * np.sqrt(values[0]), angle)


def _check_n_std(n_std):
    try:
        values = np.atleast_1d(np.asarray(n_std, dtype=np.float64))
    except (TypeError, ValueError):
        values = np.array([np.nan])
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)) \
            or np.any(values <= 0):
        raise ValueError(f"n_std must be a positive number or a sequence of them, "
                         f"got {n_std!r}")
    return values


# ---------------------------------------------------------------------- ellipses
def ellipses(gmm, X=None, ax=None, *, dims=(0, 1), n_std=(1, 2, 3), color_by="label",
             pca=False, colors=None, point_size=None, alpha=0.5, linewidth=1.5,
             show_means=True, legend=False, scatter_kws=None, ellipse_kws=None):
    """Draw the components of a fitted mixture as ellipses, over the points.

    Each point of X is coloured by its component (``predict``) or by its
    responsibilities (``predict_proba``: the components' colours blended); each
    component gets one ellipse per entry of ``n_std``, in its colour, and its mean
    is marked.  The ellipse of n standard deviations is the set of points at
    Mahalanobis distance n from the mean, in the two coordinates shown: its axes are
    ``2 * n * sqrt(eigenvalue)`` of the 2x2 covariance along its eigenvectors.

    Parameters
    ----------
    gmm : fitted mixture
        A fitted ``fastgmm.GaussianMixture`` (float32 or float64 attributes), or any
        estimator with ``means_``, ``covariances_``, ``covariance_type`` and, when X
        is given, ``predict`` / ``predict_proba``.  Every covariance type is drawn.
    X : array-like of shape (n_samples, n_features), default=None
        Points to draw.  None: only the components.
    ax : matplotlib Axes, default=None
        Where to draw; None: ``pyplot.gca()``.
    dims : pair of int, default=(0, 1)
        The two features shown (x, y): each Gaussian's marginal on them, whose
        covariance is the 2x2 sub-block.  With ``pca=True``, the two principal axes
        shown (0 is the first).
    n_std : float or sequence of float, default=(1, 2, 3)
        Standard deviations (Mahalanobis radii) of the ellipses drawn per component.
    color_by : {'label', 'proba'}, default='label'
        'label': each point in the colour of ``predict``; 'proba': the components'
        colours weighted by ``predict_proba``.
    pca : bool, default=False
        Show principal axes of X (of the fitted mixture's covariance when X is None)
        instead of two features; the coordinates are centred on the mean of X (of
        the mixture) and each axis is oriented so that its largest-magnitude
        coefficient is positive.
    colors : sequence of matplotlib colours, default=None
        One colour per component; None: 'tab10' (up to 10 components), 'tab20' (up
        to 20) or evenly spaced hues.
    point_size : float, default=None
        Marker area of the points; None: smaller as there are more points.
    alpha : float, default=0.5
        Opacity of the points.
    linewidth : float, default=1.5
        Line width of the ellipses.
    show_means : bool, default=True
        Mark each component's mean with a cross.
    legend : bool, default=False
        Add a legend of the components and their weights.
    scatter_kws, ellipse_kws : dict, default=None
        Further keyword arguments for ``Axes.scatter`` (the points) and
        ``matplotlib.patches.Ellipse``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.  The points are the collection with gid
        'fastgmm-points', the means 'fastgmm-means', the ellipses the patches with
        gid 'fastgmm-ellipse' (component by component, n_std in the given order).

    Raises
    ------
    NotFittedError
        When gmm is not fitted.
    ValueError
        When ``dims``, ``n_std``, ``color_by`` or ``colors`` are not valid, or X
        does not have the model's number of features.
    ImportError
        When matplotlib is not installed (``pip install fastgmm[plot]``).

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fastgmm import GaussianMixture
    >>> from fastgmm.plot import ellipses
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(100, 3), rng.randn(100, 3) + 5])
    >>> g = GaussianMixture(2, covariance_type="full", random_state=0).fit(X)
    >>> ax = ellipses(g, X, dims=(0, 2), n_std=(1, 2))
    >>> len(ax.patches)
    4
    >>> ax = ellipses(g, X, pca=True, color_by="proba")
    """
    mpl = _matplotlib()
    if color_by not in ("label", "proba"):
        raise ValueError(f"color_by must be 'label' or 'proba', got {color_by!r}")
    radii = _check_n_std(n_std)
    means2, covs2, pts2, proj = _projected(gmm, X, dims, pca)
    K = means2.shape[0]
    rgba = _component_colors(K, colors)
    ax = _axes(ax)

    if pts2 is not None:
        if color_by == "label":
            point_colors = rgba[np.asarray(gmm.predict(X), dtype=np.intp)]
        else:
            resp = np.asarray(gmm.predict_proba(X), dtype=np.float64)
            point_colors = np.clip(resp @ rgba, 0.0, 1.0)
        if point_size is None:
            point_size = float(np.clip(4000.0 / max(len(pts2), 1), 1.0, 20.0))
        kws = dict(s=point_size, alpha=alpha, linewidths=0, zorder=1,
                   rasterized=len(pts2) > 20000)
        kws.update(scatter_kws or {})
        ax.scatter(pts2[:, 0], pts2[:, 1], c=point_colors, gid="fastgmm-points", **kws)

    ekws = dict(fill=False, linewidth=linewidth, zorder=2)
    ekws.update(ellipse_kws or {})
    for k in range(K):
        for r in radii:
            width, height, angle = _ellipse_geometry(covs2[k], r)
            ax.add_patch(mpl.patches.Ellipse(
                xy=tuple(means2[k]), width=width, height=height, angle=angle,
                edgecolor=rgba[k], gid="fastgmm-ellipse", **ekws))

    if show_means:
        ax.scatter(means2[:, 0], means2[:, 1], c=rgba, marker="X", s=80,
                   edgecolors="black", linewidths=0.8, zorder=3, gid="fastgmm-means")
    if legend:
        weights = getattr(gmm, "weights_", None)
        handles = [mpl.lines.Line2D(
            [], [], color=rgba[k], marker="X", linestyle="-",
            label=(f"component {k}" if weights is None
                   else f"component {k} (weight {float(weights[k]):.2f})"))
            for k in range(K)]
        ax.legend(handles=handles, fontsize="small")
    ax.set_xlabel(proj.labels[0])
    ax.set_ylabel(proj.labels[1])
    ax.autoscale_view()
    return ax


# ---------------------------------------------------------------------- density
def _mixture_log_density(points, weights, means2, covs2):
    """log sum_k w_k N(points; means2[k], covs2[k]) for 2-D points."""
    from scipy.special import logsumexp
    out = np.empty((len(points), len(weights)))
    for k in range(len(weights)):
        L = np.linalg.cholesky(covs2[k])
        z = np.linalg.solve(L, (points - means2[k]).T)
        out[:, k] = (np.log(weights[k]) - 0.5 * np.sum(z * z, axis=0)
                     - np.sum(np.log(np.diag(L))) - np.log(2 * np.pi))
    return logsumexp(out, axis=1)


def _grid_shape(grid):
    if isinstance(grid, numbers.Integral) and not isinstance(grid, bool):
        grid = (grid, grid)
    ok = (isinstance(grid, (tuple, list)) and len(grid) == 2
          and all(isinstance(g, numbers.Integral) and not isinstance(g, bool)
                  and g >= 2 for g in grid))
    if not ok:
        raise ValueError(f"grid must be an int >= 2 or a pair of them, got {grid!r}")
    return int(grid[0]), int(grid[1])


def density(gmm, X=None, ax=None, *, dims=(0, 1), pca=False, levels=10, grid=200,
            extent=None, log_range=15.0, filled=False, cmap="viridis", colorbar=False,
            point_size=None, alpha=0.3, show_means=True, contour_kws=None):
    """Draw contours of the log-density of a fitted mixture.

    For two features the log-density is ``gmm.score_samples`` on a grid.  For more,
    it is the log-density of the **marginal** of the mixture on the two coordinates
    shown (``dims`` features, or principal axes with ``pca=True``): the mixture, with
    the same weights, of each component's marginal (mean and 2x2 covariance in those
    coordinates), computed exactly on the grid.

    Parameters
    ----------
    gmm : fitted mixture
        A fitted ``fastgmm.GaussianMixture`` (or an estimator with ``weights_``,
        ``means_``, ``covariances_``, ``covariance_type``, ``score_samples``).
    X : array-like of shape (n_samples, n_features), default=None
        Points drawn under the contours (light grey); they also set the grid's
        extent.
    ax : matplotlib Axes, default=None
        Where to draw; None: ``pyplot.gca()``.
    dims : pair of int, default=(0, 1)
        The two features (or principal axes with ``pca=True``) shown, as in
        ``ellipses``.
    pca : bool, default=False
        Show principal axes instead of features, as in ``ellipses``.
    levels : int or sequence of float, default=10
        Log-density values of the contours, or their number: evenly spaced from
        ``max - log_range`` (or the grid's minimum, if higher) up to, not including,
        the maximum over the grid.
    grid : int or (int, int), default=200
        Grid points along x and y.
    extent : (xmin, xmax, ymin, ymax), default=None
        The grid's extent; None: the points' range (or 3.5 standard deviations
        around each mean when X is None), widened by 5%.
    log_range : float, default=15.0
        Span, in nats below the maximum, of the levels chosen when ``levels`` is an
        int.
    filled : bool, default=False
        Filled contours (``contourf``) instead of lines.
    cmap : str or Colormap, default='viridis'
    colorbar : bool, default=False
        Add a colour bar of the log-density.
    point_size : float, default=None
        Marker area of the points; None: smaller as there are more points.
    alpha : float, default=0.3
        Opacity of the points.
    show_means : bool, default=True
        Mark the means with crosses.
    contour_kws : dict, default=None
        Further keyword arguments for ``Axes.contour`` / ``Axes.contourf``.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on; the contours are its ``ContourSet`` (gid
        'fastgmm-density').

    Raises
    ------
    NotFittedError
        When gmm is not fitted.
    ValueError
        When ``dims``, ``grid``, ``levels`` or ``extent`` are not valid, or X does
        not have the model's number of features.
    ImportError
        When matplotlib is not installed (``pip install fastgmm[plot]``).

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from fastgmm import GaussianMixture
    >>> from fastgmm.plot import density
    >>> rng = np.random.RandomState(0)
    >>> X = np.vstack([rng.randn(100, 2), rng.randn(100, 2) + 4])
    >>> g = GaussianMixture(2, random_state=0).fit(X)
    >>> ax = density(g, X, levels=8, grid=100)
    """
    _matplotlib()
    nx, ny = _grid_shape(grid)
    means2, covs2, pts2, proj = _projected(gmm, X, dims, pca)
    K = means2.shape[0]
    D = proj.matrix.shape[1]

    if extent is None:
        if pts2 is not None and len(pts2):
            lo, hi = pts2.min(axis=0), pts2.max(axis=0)
        else:
            sd = 3.5 * np.sqrt(np.clip(np.diagonal(covs2, axis1=1, axis2=2), 0, None))
            lo, hi = (means2 - sd).min(axis=0), (means2 + sd).max(axis=0)
        pad = 0.05 * np.where(hi > lo, hi - lo, 1.0)
        lo, hi = lo - pad, hi + pad
    else:
        ext = np.asarray(extent, dtype=np.float64)
        if ext.shape != (4,) or not np.all(np.isfinite(ext)) \
                or ext[0] >= ext[1] or ext[2] >= ext[3]:
            raise ValueError(f"extent must be (xmin, xmax, ymin, ymax) with xmin < xmax "
                             f"and ymin < ymax, got {extent!r}")
        lo, hi = ext[[0, 2]], ext[[1, 3]]
    gx = np.linspace(lo[0], hi[0], nx)
    gy = np.linspace(lo[1], hi[1], ny)
    GX, GY = np.meshgrid(gx, gy)
    flat = np.column_stack([GX.ravel(), GY.ravel()])

    if D == 2 and not pca:
        # the model's own density: score_samples on full feature vectors
        d0, d1 = np.flatnonzero(proj.matrix[0])[0], np.flatnonzero(proj.matrix[1])[0]
        full = np.empty_like(flat)
        full[:, d0], full[:, d1] = flat[:, 0], flat[:, 1]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="X does not have valid feature")
            logd = np.asarray(gmm.score_samples(full), dtype=np.float64)
    else:
        weights = np.asarray(getattr(gmm, "weights_", np.full(K, 1.0 / K)),
                             dtype=np.float64)
        logd = _mixture_log_density(flat, weights / weights.sum(), means2, covs2)
    Z = logd.reshape(ny, nx)

    if isinstance(levels, numbers.Integral) and not isinstance(levels, bool):
        if levels < 1:
            raise ValueError(f"levels must be a positive int or a sequence of "
                             f"log-densities, got {levels!r}")
        finite = Z[np.isfinite(Z)]
        top = finite.max()
        bottom = max(finite.min(), top - float(log_range))
        level_values = np.linspace(bottom, top, int(levels) + 1)[:-1]
    else:
        level_values = np.sort(np.asarray(levels, dtype=np.float64).ravel())
        if level_values.size == 0 or not np.all(np.isfinite(level_values)):
            raise ValueError(f"levels must be a positive int or a sequence of finite "
                             f"log-densities, got {levels!r}")

    ax = _axes(ax)
    if pts2 is not None:
        if point_size is None:
            point_size = float(np.clip(4000.0 / max(len(pts2), 1), 1.0, 20.0))
        ax.scatter(pts2[:, 0], pts2[:, 1], s=point_size, c="0.5", alpha=alpha,
                   linewidths=0, zorder=1, gid="fastgmm-points",
                   rasterized=len(pts2) > 20000)
    ckws = dict(levels=level_values, cmap=cmap, zorder=2)
    ckws.update(contour_kws or {})
    draw = ax.contourf if filled else ax.contour
    cs = draw(GX, GY, Z, **ckws)
    cs.set_gid("fastgmm-density")
    if show_means:
        ax.scatter(means2[:, 0], means2[:, 1], c="black", marker="X", s=60,
                   zorder=3, gid="fastgmm-means")
    if colorbar:
        ax.figure.colorbar(cs, ax=ax, label="log-density")
    ax.set_xlabel(proj.labels[0])
    ax.set_ylabel(proj.labels[1])
    return ax


# ---------------------------------------------------------------------- criterion
_CRITERIA = {"bic": "BIC", "aic": "AIC", "icl": "ICL"}


def criterion(selection_result, ax=None, *, criterion=None, marker="o",
              best_marker="*", best_size=16):
    """Draw a model-selection criterion against the number of components.

    One line per covariance type (in the order they first appear in the table),
    through the criterion of each number of components tried; the chosen model is
    marked with a star in its line's colour.

    Parameters
    ----------
    selection_result : model-selection result
        An object with ``table`` (a list of dicts, one per fit, with at least
        ``n_components``, ``covariance_type`` and the criterion's key),
        ``criterion`` (the key the choice was made on: 'bic', 'aic' or 'icl') and
        ``best_index_`` (the chosen row of ``table``).
    ax : matplotlib Axes, default=None
        Where to draw; None: ``pyplot.gca()``.
    criterion : str, default=None
        The table key to draw; None: ``selection_result.criterion``.  The chosen
        model (``best_index_``) is marked whichever key is drawn.
    marker : str, default='o'
        Marker of the lines' points.
    best_marker : str, default='*'
        Marker of the chosen model.
    best_size : float, default=16
        Its size.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one ``Line2D`` per covariance type (labelled by it) and
        the chosen model's marker (gid 'fastgmm-best').  A missing (None) value
        leaves a gap in its line.

    Raises
    ------
    TypeError
        When selection_result lacks ``table``, ``criterion`` or ``best_index_``.
    ValueError
        When the table is empty, a row lacks a needed key, or ``best_index_`` is
        out of range.
    ImportError
        When matplotlib is not installed (``pip install fastgmm[plot]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from types import SimpleNamespace
    >>> from fastgmm.plot import criterion
    >>> rows = [dict(n_components=k, covariance_type=c, bic=b)
    ...         for c, bics in [("full", [30., 10., 12.]), ("diag", [35., 20., 15.])]
    ...         for k, b in zip([1, 2, 3], bics)]
    >>> result = SimpleNamespace(table=rows, criterion="bic", best_index_=1)
    >>> ax = criterion(result)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['full', 'diag']
    """
    mpl = _matplotlib()
    missing = [a for a in ("table", "criterion", "best_index_")
               if not hasattr(selection_result, a)]
    if missing:
        raise TypeError(f"selection_result must have table, criterion and "
                        f"best_index_ (a model-selection result); missing "
                        f"{', '.join(missing)}")
    table = list(selection_result.table)
    key = selection_result.criterion if criterion is None else criterion
    if not table:
        raise ValueError("selection_result.table is empty: nothing to draw")
    for i, row in enumerate(table):
        for need in ("n_components", "covariance_type", key):
            if need not in row:
                raise ValueError(f"selection_result.table[{i}] has no {need!r}")
    best = selection_result.best_index_
    if not isinstance(best, numbers.Integral) or not 0 <= best < len(table):
        raise ValueError(f"best_index_={best!r} is not an index into the table "
                         f"({len(table)} rows)")

    ax = _axes(ax)
    line_of = {}
    for cov_type in dict.fromkeys(row["covariance_type"] for row in table):
        rows = sorted((r for r in table if r["covariance_type"] == cov_type),
                      key=lambda r: r["n_components"])
        ks = [int(r["n_components"]) for r in rows]
        ys = [np.nan if r[key] is None else float(r[key]) for r in rows]
        (line,) = ax.plot(ks, ys, marker=marker, label=str(cov_type))
        line_of[cov_type] = line
    chosen = table[best]
    y = np.nan if chosen[key] is None else float(chosen[key])
    ax.plot([int(chosen["n_components"])], [y], linestyle="none", marker=best_marker,
            markersize=best_size, color=line_of[chosen["covariance_type"]].get_color(),
            markeredgecolor="black", zorder=5, gid="fastgmm-best",
            label=f"chosen: {chosen['n_components']}, {chosen['covariance_type']}")
    name = _CRITERIA.get(str(key).lower())
    ax.set_xlabel("number of components")
    ax.set_ylabel(str(key) if name is None else f"{name} (lower is better)")
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.legend(title="covariance type", fontsize="small")
    return ax
