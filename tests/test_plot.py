"""fastgmm.plot: what is drawn (ellipse geometry, colours, lines, contours), checked
against quantities computed here independently from the fitted attributes."""
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402

from fastgmm import GaussianMixture, NotFittedError  # noqa: E402
from fastgmm import plot as fplot  # noqa: E402

from conftest import COV_TYPES, make_blobs  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def X3():
    return make_blobs(n=300, d=3, k=3, seed=1)


@pytest.fixture(scope="module")
def models3(X3):
    return {c: GaussianMixture(3, covariance_type=c, random_state=0, max_iter=20).fit(X3)
            for c in COV_TYPES}


# ------------------------------------------------------------ independent reference
def full_covariances(g):
    K, D = g.means_.shape
    c = np.asarray(g.covariances_, dtype=np.float64)
    if g.covariance_type == "full":
        return c
    if g.covariance_type == "tied":
        return np.array([c] * K)
    if g.covariance_type == "diag":
        return np.array([np.diag(v) for v in c])
    return np.array([v * np.eye(D) for v in c])


def expected_projection(g, X, mode):
    """(P, offset) of the coordinates shown, computed here from scratch."""
    D = g.means_.shape[1]
    if mode.startswith("dims"):
        d0, d1 = int(mode[4]), int(mode[5])
        P = np.zeros((2, D))
        P[0, d0] = P[1, d1] = 1
        return P, np.zeros(D)
    if mode == "pca_X":
        Xf = np.asarray(X, dtype=np.float64)
        offset, S = Xf.mean(0), np.cov(Xf.T)
    else:  # pca of the fitted mixture: within- plus between-component covariance
        w = g.weights_.astype(np.float64)
        m = g.means_.astype(np.float64)
        offset = w @ m
        S = sum(w[k] * (full_covariances(g)[k] + np.outer(m[k] - offset, m[k] - offset))
                for k in range(len(w)))
    vals, vecs = np.linalg.eigh(S)
    vecs = vecs[:, np.argsort(vals)[::-1][:2]].T
    for v in vecs:
        if v[np.argmax(np.abs(v))] < 0:
            v *= -1
    return vecs, offset


def drawn_ellipses(ax):
    es = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert all(e.get_gid() == "fastgmm-ellipse" for e in es)
    return es


def collection(ax, gid):
    (c,) = [c for c in ax.collections if c.get_gid() == gid]
    return c


# ------------------------------------------------------------ ellipses
@pytest.mark.parametrize("mode", ["dims01", "dims20", "pca_X", "pca_model"])
@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_ellipse_geometry(models3, X3, cov_type, mode):
    g = models3[cov_type]
    n_std = (1, 2.5)
    pca = mode.startswith("pca")
    X = X3 if mode == "pca_X" else None
    dims = (int(mode[4]), int(mode[5])) if not pca else (0, 1)
    ax = fplot.ellipses(g, X, dims=dims, n_std=n_std, pca=pca)

    P, offset = expected_projection(g, X3, mode)
    means = (g.means_ - offset) @ P.T
    covs = np.einsum("ai,kij,bj->kab", P, full_covariances(g), P)
    tab10 = matplotlib.colormaps["tab10"](np.arange(3))
    es = drawn_ellipses(ax)
    assert len(es) == g.n_components * len(n_std)
    for i, e in enumerate(es):
        k, r = divmod(i, len(n_std))
        r = n_std[r]
        vals, vecs = np.linalg.eigh(covs[k])
        np.testing.assert_allclose(e.center, means[k], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose([e.width, e.height], 2 * r * np.sqrt(vals[::-1]),
                                   rtol=1e-9)
        if vals[1] - vals[0] > 1e-6 * vals[1]:  # the angle of a circle is arbitrary
            lead = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
            diff = (e.angle - lead) % 180
            assert min(diff, 180 - diff) < 1e-6
        # every drawn point is at Mahalanobis distance r from the component's mean
        path = e.get_patch_transform().transform_path(e.get_path())
        t = np.linspace(0, 1, 5)
        verts = np.vstack([curve(t) for curve, _ in path.iter_bezier()
                           if curve.degree > 0])
        assert len(verts) >= 40  # points along every Bezier arc drawn
        d = verts - means[k]
        maha = np.sqrt(np.einsum("ni,ij,nj->n", d, np.linalg.inv(covs[k]), d))
        np.testing.assert_allclose(maha, r, rtol=1e-4)
        np.testing.assert_allclose(e.get_edgecolor(), tab10[k])
        assert not e.get_fill()
    centres = collection(ax, "fastgmm-means").get_offsets()
    np.testing.assert_allclose(centres, means, atol=1e-9)


def test_diag_ellipses_are_axis_aligned(models3):
    ax = fplot.ellipses(models3["diag"], dims=(0, 1), n_std=1)
    for e in drawn_ellipses(ax):
        assert min(e.angle % 90, 90 - e.angle % 90) < 1e-9


def test_point_colours_follow_predict(models3, X3):
    g = models3["full"]
    colors = ["red", "green", "blue"]
    ax = fplot.ellipses(g, X3, colors=colors)
    rgb = matplotlib.colors.to_rgba_array(colors)[:, :3]
    pts = collection(ax, "fastgmm-points")
    np.testing.assert_allclose(pts.get_offsets(), X3[:, :2])
    np.testing.assert_allclose(pts.get_facecolors()[:, :3], rgb[g.predict(X3)])
    assert [tuple(e.get_edgecolor()[:3]) for e in drawn_ellipses(ax)][::3] == \
        [tuple(c) for c in rgb]


def test_point_colours_blend_responsibilities(models3, X3):
    g = models3["tied"]
    ax = fplot.ellipses(g, X3, color_by="proba", dims=(2, 1), alpha=0.7)
    tab10 = matplotlib.colormaps["tab10"](np.arange(3))[:, :3]
    fc = collection(ax, "fastgmm-points").get_facecolors()
    np.testing.assert_allclose(fc[:, :3], g.predict_proba(X3) @ tab10, atol=1e-6)
    np.testing.assert_allclose(fc[:, 3], 0.7)


def test_float32_model(X3):
    X = X3.astype(np.float32)
    g = GaussianMixture(3, covariance_type="full", random_state=0, max_iter=20).fit(X)
    assert g.means_.dtype == np.float32
    ax = fplot.ellipses(g, X, pca=True, color_by="proba")
    assert len(drawn_ellipses(ax)) == 9
    P, offset = expected_projection(g, X, "pca_X")
    np.testing.assert_allclose([e.center for e in drawn_ellipses(ax)][::3],
                               (g.means_.astype(np.float64) - offset) @ P.T, atol=1e-5)
    ax2 = fplot.density(g, X, dims=(0, 2), grid=40)
    assert any(isinstance(c, ContourSet) for c in ax2.collections)


def test_axes_labels_legend_and_given_axes(models3):
    fig, ax = plt.subplots()
    out = fplot.ellipses(models3["spherical"], ax=ax, dims=(2, 0), legend=True)
    assert out is ax
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x[2]", "x[0]")
    assert len(ax.get_legend().get_texts()) == 3
    ax = fplot.ellipses(models3["full"], pca=True, ax=plt.subplots()[1])
    assert ax.get_xlabel().startswith("PC1") and ax.get_ylabel().startswith("PC2")


def test_sklearn_estimator():
    mixture = pytest.importorskip("sklearn.mixture")
    X = make_blobs(n=200, d=2, k=2, seed=3)
    g = mixture.GaussianMixture(2, covariance_type="diag", random_state=0).fit(X)
    ax = fplot.ellipses(g, X)
    assert len(drawn_ellipses(ax)) == 6
    fplot.density(g, X, grid=30)
    with pytest.raises(NotFittedError):
        fplot.ellipses(mixture.GaussianMixture(2))


# ------------------------------------------------------------ argument checks
@pytest.mark.parametrize("func", [fplot.ellipses, fplot.density])
def test_unfitted_model(func):
    with pytest.raises(NotFittedError, match="not fitted"):
        func(GaussianMixture(2))


@pytest.mark.parametrize("dims", [(0, 0), (0, 3), (-1, 0), (0,), (0, 1, 2), "ab",
                                  (0.0, 1), 0, (True, False)])
@pytest.mark.parametrize("pca", [False, True])
def test_bad_dims(models3, dims, pca):
    for func in (fplot.ellipses, fplot.density):
        with pytest.raises(ValueError, match="dims"):
            func(models3["full"], dims=dims, pca=pca)


def test_one_feature_model():
    g = GaussianMixture(2, random_state=0).fit(make_blobs(n=100, d=1, k=2))
    with pytest.raises(ValueError, match="dims.*needs two"):
        fplot.ellipses(g)


def test_other_bad_arguments(models3, X3):
    g = models3["full"]
    with pytest.raises(ValueError, match="color_by"):
        fplot.ellipses(g, X3, color_by="weight")
    for n_std in (0, -1, [], [1, np.nan], "a"):
        with pytest.raises(ValueError, match="n_std"):
            fplot.ellipses(g, n_std=n_std)
    with pytest.raises(ValueError, match="colors"):
        fplot.ellipses(g, colors=["red", "blue"])
    with pytest.raises(ValueError, match="X must have shape"):
        fplot.ellipses(g, X3[:, :2])
    with pytest.raises(ValueError, match="grid"):
        fplot.density(g, grid=1)
    with pytest.raises(ValueError, match="extent"):
        fplot.density(g, extent=(1, 0, 0, 1))
    with pytest.raises(ValueError, match="levels"):
        fplot.density(g, levels=0)


def test_matplotlib_not_imported_with_fastgmm():
    code = ("import sys, fastgmm, fastgmm.plot; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_matplotlib_names_the_extra(models3, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for call in (lambda: fplot.ellipses(models3["full"]),
                 lambda: fplot.density(models3["full"]),
                 lambda: fplot.criterion(SimpleNamespace(table=[], criterion="bic",
                                                         best_index_=0))):
        with pytest.raises(ImportError, match=r"pip install fastgmm\[plot\]"):
            call()


# ------------------------------------------------------------ criterion
def selection_stand_in(best_index=None, crit="bic"):
    rng = np.random.RandomState(0)
    rows = []
    for cov in ("full", "diag", "spherical"):
        for k in (3, 1, 4, 2):  # not in order: the lines are sorted by K
            rows.append(dict(n_components=k, covariance_type=cov,
                             bic=float(rng.uniform(100, 200)),
                             aic=float(rng.uniform(100, 200)),
                             icl=float(rng.uniform(100, 200)),
                             lower_bound=-1.0, n_iter=5, converged=True, seconds=0.1))
    if best_index is None:
        best_index = int(np.argmin([r[crit] for r in rows]))
    return SimpleNamespace(table=rows, criterion=crit, best_index_=best_index)


@pytest.mark.parametrize("crit", ["bic", "aic", "icl"])
def test_criterion_lines(crit):
    res = selection_stand_in(crit=crit)
    ax = fplot.criterion(res)
    lines = [l for l in ax.get_lines() if l.get_gid() != "fastgmm-best"]
    assert [l.get_label() for l in lines] == ["full", "diag", "spherical"]
    for line in lines:
        rows = sorted((r for r in res.table if r["covariance_type"] == line.get_label()),
                      key=lambda r: r["n_components"])
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
        np.testing.assert_array_equal(line.get_ydata(), [r[crit] for r in rows])
    (best,) = [l for l in ax.get_lines() if l.get_gid() == "fastgmm-best"]
    chosen = res.table[res.best_index_]
    assert (best.get_xdata()[0], best.get_ydata()[0]) == (chosen["n_components"],
                                                          chosen[crit])
    same = [l for l in lines if l.get_label() == chosen["covariance_type"]][0]
    assert best.get_color() == same.get_color()
    assert crit.upper() in ax.get_ylabel()


def test_criterion_other_key_gaps_and_errors():
    res = selection_stand_in(best_index=5)
    res.table[0]["aic"] = None
    ax = fplot.criterion(res, criterion="aic")
    (best,) = [l for l in ax.get_lines() if l.get_gid() == "fastgmm-best"]
    assert best.get_ydata()[0] == res.table[5]["aic"]
    full = ax.get_lines()[0]
    assert np.isnan(full.get_ydata()[2])  # the K=3 row of 'full' had no value
    with pytest.raises(TypeError, match="best_index_"):
        fplot.criterion(SimpleNamespace(table=res.table, criterion="bic"))
    with pytest.raises(ValueError, match="best_index_"):
        fplot.criterion(selection_stand_in(best_index=99))
    with pytest.raises(ValueError, match="empty"):
        fplot.criterion(SimpleNamespace(table=[], criterion="bic", best_index_=0))
    with pytest.raises(ValueError, match="'loglik'"):
        fplot.criterion(res, criterion="loglik")


# ------------------------------------------------------------ density
def contour_set(ax):
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert cs.get_gid() == "fastgmm-density"
    return cs


def check_contours(cs, log_density, atol):
    n = 0
    for level, segs in zip(cs.levels, cs.allsegs):
        for seg in segs:
            np.testing.assert_allclose(log_density(seg), level, atol=atol)
            n += len(seg)
    assert n > 100


@pytest.mark.parametrize("cov_type", ["full", "spherical"])
def test_density_2d_is_score_samples(cov_type):
    X = make_blobs(n=300, d=2, k=3, seed=2)
    g = GaussianMixture(3, covariance_type=cov_type, random_state=0).fit(X)
    ax = fplot.density(g, X, levels=6, grid=150)
    cs = contour_set(ax)
    assert len(cs.levels) == 6
    top = g.score_samples(X).max()
    assert cs.levels.max() < top + 0.5 and cs.levels.min() >= cs.levels.max() - 15
    check_contours(cs, g.score_samples, atol=0.05)
    # swapped dims: the contours are the mirror image
    ax = fplot.density(g, ax=plt.figure().gca(), dims=(1, 0), levels=[-6.0, -4.0],
                       grid=150)
    check_contours(contour_set(ax), lambda s: g.score_samples(s[:, ::-1]), atol=0.05)


@pytest.mark.parametrize("pca", [False, True])
def test_density_marginal(models3, X3, pca):
    from scipy.stats import multivariate_normal
    g = models3["full"]
    dims = (0, 1) if pca else (2, 0)
    ax = fplot.density(g, X3, dims=dims, pca=pca, levels=5, grid=150)
    P, offset = expected_projection(g, X3, "pca_X" if pca else "dims20")
    means = (g.means_ - offset) @ P.T
    covs = np.einsum("ai,kij,bj->kab", P, full_covariances(g), P)

    def log_marginal(pts):
        return np.log(sum(w * multivariate_normal(m, c).pdf(pts)
                          for w, m, c in zip(g.weights_, means, covs)))
    check_contours(contour_set(ax), log_marginal, atol=0.05)
    ax = fplot.density(g, X3, ax=plt.figure().gca(), dims=dims, pca=pca, grid=50,
                       filled=True)
    assert contour_set(ax).filled


def test_save_png(models3, X3, tmp_path):
    fig, axes = plt.subplots(1, 3, figsize=(9, 3), dpi=60)
    fplot.ellipses(models3["full"], X3, ax=axes[0], pca=True, legend=True)
    fplot.density(models3["diag"], X3, ax=axes[1], grid=60, colorbar=True)
    fplot.criterion(selection_stand_in(), ax=axes[2])
    path = tmp_path / "gmm.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000
    img = plt.imread(path)
    assert img.shape[:2] == (180, 540)
    rgb = img[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 50
