"""GaussianMixtureOutlierDetector: scikit-learn's outlier-detector API over
GaussianMixture, and the weighted quantile that sets offset_."""
import doctest
import math
import pickle

import numpy as np
import pytest
from sklearn.base import clone, is_outlier_detector
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import fastgmm.outliers
from fastgmm import GaussianMixture, NotFittedError
from fastgmm.outliers import GaussianMixtureOutlierDetector, contamination_offset
from conftest import make_blobs

Detector = GaussianMixtureOutlierDetector

# Checks excluded from check_estimator, with the reason: none.
EXPECTED_FAILED = {}


def test_check_estimator():
    results = check_estimator(Detector(), expected_failed_checks=EXPECTED_FAILED,
                              on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    assert not failed, [(r["check_name"], str(r["exception"])[:300]) for r in failed]
    assert sum(r["status"] == "passed" for r in results) >= 50


def test_is_an_outlier_detector_with_every_mixture_parameter():
    det = Detector()
    assert is_outlier_detector(det)
    mixture_params = GaussianMixture().get_params()
    params = det.get_params()
    assert params.pop("contamination") == 0.01
    assert params == mixture_params       # every mixture parameter, same defaults
    assert clone(Detector(contamination=0.2, n_components=3)).get_params() == \
        Detector(contamination=0.2, n_components=3).get_params()
    assert repr(Detector(contamination=0.2)) == \
        "GaussianMixtureOutlierDetector(contamination=0.2)"


def test_docstring_examples_run():
    result = doctest.testmod(fastgmm.outliers, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# ----------------------------------------------------------------- the threshold
def _reference_offset(scores, c):
    """The documented unit-weight identity (distinct scores): numpy's linear
    quantile at c n / (n-1)."""
    n = scores.shape[0]
    return np.quantile(scores, c * n / (n - 1))


def _hand_offset(scores, weights, c):
    """The documented weighted definition, written out plainly (exact fractions)."""
    from fractions import Fraction
    values = sorted(set(float(v) for v, w in zip(scores, weights) if w > 0))
    u = [sum(Fraction(float(w)) for v, w in zip(scores, weights) if v == value)
         for value in values]
    tau = Fraction(c) * sum(u)
    cum = Fraction(0)
    for j, uj in enumerate(u):
        if cum + uj >= tau:
            if j + 1 == len(values):
                return values[j]
            theta = float((tau - cum) / uj)
            return values[j] + theta * (values[j + 1] - values[j])
        cum += uj


@pytest.mark.parametrize("c", [0.01, 0.05, 0.1, 0.15, 0.3, 0.5])
def test_predict_agrees_with_hand_computed_threshold(c):
    X = make_blobs(1003, 2, 3, seed=1)
    det = Detector(contamination=c, n_components=3, random_state=0).fit(X)
    scores = GaussianMixture(3, random_state=0).fit(X).score_samples(X)
    np.testing.assert_array_equal(det.score_samples(X), scores)
    # the documented definition, exactly
    assert det.offset_ == pytest.approx(_reference_offset(scores, c), rel=1e-12)
    pred = det.predict(X)
    np.testing.assert_array_equal(pred == -1, scores < det.offset_)
    assert (pred == -1).sum() == math.ceil(c * 1003)
    # numpy's / scikit-learn's own convention (EllipticEnvelope, IsolationForest)
    numpy_offset = np.percentile(scores, 100 * c)
    agreement = np.mean((pred == -1) == (scores < numpy_offset))
    assert agreement >= 1 - 1 / 1003          # at most one row differs
    s = np.sort(scores)                          # within one gap of numpy's offset
    k = np.searchsorted(s, numpy_offset)
    assert s[max(k - 1, 0)] <= det.offset_ <= s[min(k + 1, s.size - 1)]


def test_same_training_outliers_as_numpy_except_where_documented():
    # ceil(c n) rows flagged, numpy's threshold ceil(c (n-1)): count the (n, c) grid
    rng = np.random.RandomState(0)
    same = total = rows = rows_differing = 0
    for n in range(20, 420, 7):
        scores = rng.standard_normal(n)
        for c in (0.01, 0.02, 0.05, 0.1, 0.13, 0.25, 0.5):
            ours = scores < contamination_offset(scores, None, c)
            theirs = scores < np.percentile(scores, 100 * c)
            assert ours.sum() == math.ceil(round(c * n, 9))
            d = int((ours != theirs).sum())
            assert d <= 1 and theirs[~ours].sum() == 0   # ours flags at most one more
            documented = any(c * (n - 1) <= m < c * n for m in range(n + 1))
            assert (d == 1) == documented, (n, c)
            same += d == 0
            total += 1
            rows += n
            rows_differing += d
    # (n, c) with the very same flagged rows; rows labelled alike overall
    assert same / total > 0.8
    assert 1 - rows_differing / rows > 0.999


def test_fraction_of_training_outliers_is_contamination():
    X = make_blobs(3000, 4, 3, seed=2)
    for c in (0.01, 0.1, 0.2):
        pred = Detector(contamination=c, n_components=3, random_state=0).fit_predict(X)
        assert np.mean(pred == -1) == pytest.approx(c, abs=1 / 3000)


def test_weighted_quantile_definition():
    s = np.array([3.0, 1.0, 2.0, 4.0, 0.0])
    # weights (1, 1, 2, 1, 1): equals unit weights of the repeated scores
    w = np.array([1, 1, 2, 1, 1])
    for c in (0.05, 1 / 6, 0.2, 0.4, 0.5):
        rep = np.repeat(s, w)
        assert contamination_offset(s, w, c) == contamination_offset(rep, None, c)
        assert contamination_offset(s, w, c) == pytest.approx(_hand_offset(s, w, c),
                                                              rel=1e-14)
        # scale invariance, and zero weights remove rows
        assert contamination_offset(s, w * 0.37, c) == contamination_offset(s, w, c)
        assert contamination_offset(np.r_[s, -5.0], np.r_[w, 0], c) == \
            contamination_offset(s, w, c)
    # the smallest prefix of weight >= c W is flagged: W = 6, c W = 1.2 -> {0, 1}
    assert contamination_offset(s, w, 0.2) == pytest.approx(1.2)
    # c W = 2.4 reaches into the tied pair at 2: both flagged (numpy's quantile of
    # the repeated scores, 2.0, would flag neither)
    assert contamination_offset(s, w, 0.4) == pytest.approx(2.2)
    rng = np.random.RandomState(3)
    for _ in range(200):
        n = rng.randint(1, 12)
        sc = rng.randint(0, 6, size=n).astype(float)       # with ties
        wt = rng.choice([0.0, 0.5, 1.0, 2.0, 3.0], size=n)
        if wt.sum() == 0:
            continue
        c = float(rng.choice([0.01, 0.1, 0.25, 1 / 3, 0.5]))
        assert contamination_offset(sc, wt, c) == pytest.approx(
            _hand_offset(sc, wt, c), rel=1e-12)
    # normalised weights reach c W despite rounding: 30 of 300 rows
    u = np.arange(300.0)
    assert (u < contamination_offset(u, np.full(300, 1 / 300), 0.1)).sum() == 30
    assert (u < contamination_offset(u, None, 30 / 300)).sum() == 30


def test_quantile_edge_cases():
    # all scores tied: nothing below the threshold (numpy gives the same value)
    assert contamination_offset(np.full(10, -2.5), None, 0.3) == -2.5
    # a tie at the threshold is flagged as a whole
    s = np.array([0.0, 1.0, 1.0, 1.0, 5.0])
    off = contamination_offset(s, None, 0.3)
    assert 1.0 < off <= 5.0
    # -inf scores (zero density) are the first outliers
    s = np.array([-np.inf, -np.inf, 0.0, 1.0, 2.0, 3.0])
    assert contamination_offset(s, None, 0.2) == 0.0   # both -inf rows flagged
    assert (s < contamination_offset(s, None, 0.4)).sum() == 3
    # float32 scores: a float32 offset strictly above the last outlier
    s = (np.float32(1000) + np.arange(8, dtype=np.float32) * np.float32(6.1e-5))
    off = contamination_offset(s, None, 0.126)
    assert off.dtype == np.float32 and s[1] < off <= s[2]
    assert (s < off).sum() == 2


# ----------------------------------------------------------------- sample_weight
@pytest.mark.parametrize("cov", ["full", "diag"])
def test_integer_weights_equal_repetition(cov):
    X = make_blobs(400, 3, 3, seed=3)
    w = np.random.RandomState(0).randint(0, 4, size=400)
    # a fixed initialisation, so the two fits start from the same parameters
    init = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    kw = dict(n_components=3, covariance_type=cov, contamination=0.05,
              weights_init=init.weights_, means_init=init.means_,
              precisions_init=init.precisions_)
    weighted = Detector(**kw).fit(X, sample_weight=w)
    repeated = Detector(**kw).fit(np.repeat(X, w, axis=0))
    assert weighted.offset_ == pytest.approx(repeated.offset_, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(weighted.decision_function(X),
                               repeated.decision_function(X), rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(weighted.predict(X), repeated.predict(X))
    # the offset is the documented weighted quantile of the weighted fit's scores
    scores = weighted.mixture_.score_samples(X)
    assert weighted.offset_ == pytest.approx(_hand_offset(scores, w, 0.05), rel=1e-12)
    # scaling the weights changes nothing
    scaled = Detector(**kw).fit(X, sample_weight=w * 0.25)
    assert scaled.offset_ == pytest.approx(weighted.offset_, rel=1e-9)


def test_weighted_fraction_of_outliers():
    X = make_blobs(2000, 2, 2, seed=4)
    w = np.random.RandomState(1).uniform(0.1, 3.0, size=2000)
    det = Detector(contamination=0.1, n_components=2, random_state=0)
    out = det.fit_predict(X, sample_weight=w) == -1
    scores = det.score_samples(X)
    assert w[out].sum() >= 0.1 * w.sum()
    # the smallest prefix: without the highest-scoring outlier it falls short
    assert w[out].sum() - w[out][np.argmax(scores[out])] < 0.1 * w.sum()
    assert scores[out].max() < scores[~out].min()


# ----------------------------------------------------------------- behaviour
def test_planted_outliers_are_flagged():
    rng = np.random.RandomState(5)
    X = make_blobs(2000, 2, 3, seed=5, spread=4.0)
    planted = rng.uniform(-40, 40, size=(40, 2))
    planted = planted[np.min(np.linalg.norm(planted[:, None] - X[None], axis=2),
                             axis=1) > 4.0][:20]
    data = np.vstack([X, planted])
    det = Detector(contamination=0.01, n_components=3, random_state=0)
    pred = det.fit_predict(data)
    recall = np.mean(pred[len(X):] == -1)
    assert recall >= 0.95
    assert np.mean(pred[:len(X)] == -1) < 0.01     # few inliers flagged
    assert np.all(det.predict(planted) == -1)


def test_decision_function_sign_matches_predict():
    X = make_blobs(1500, 3, 3, seed=6)
    det = Detector(contamination=0.1, n_components=3, random_state=0).fit(X)
    Xt = make_blobs(700, 3, 3, seed=7, spread=6.0)
    for data in (X, Xt):
        dec = det.decision_function(data)
        np.testing.assert_array_equal(np.where(dec < 0, -1, 1), det.predict(data))
        np.testing.assert_array_equal(dec, det.score_samples(data) - det.offset_)
    assert det.predict(X).dtype == np.int64
    np.testing.assert_array_equal(
        Detector(contamination=0.1, n_components=3, random_state=0).fit_predict(X),
        det.predict(X))


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 0.500001, 0.7, 1, np.nan, np.inf,
                                 "auto", "0.1", None, True, [0.1]])
def test_bad_contamination_raises_naming_it(bad):
    X = make_blobs(200, 2, 2)
    det = Detector(contamination=bad)           # checked at fit, as scikit-learn
    with pytest.raises(ValueError, match="'contamination'"):
        det.fit(X)
    assert not hasattr(det, "offset_")
    ok = Detector(contamination=0.1).fit(X)
    offset = ok.offset_
    with pytest.raises(ValueError, match="contamination"):
        ok.set_params(contamination=bad).fit(X[:50])
    assert ok.offset_ == offset                  # the previous fit is kept


def test_accepts_the_whole_range():
    X = make_blobs(200, 2, 2)
    for c in (1e-9, 0.5, np.float32(0.25), 1 / 3):
        Detector(contamination=c).fit(X)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        Detector().predict(np.zeros((3, 2)))


def test_float32_input():
    X = make_blobs(1200, 3, 3, seed=8)
    det32 = Detector(contamination=0.05, n_components=3, random_state=0).fit(
        X.astype(np.float32))
    det64 = Detector(contamination=0.05, n_components=3, random_state=0).fit(X)
    assert det32.offset_.dtype == np.float32
    assert det32.mixture_.means_.dtype == np.float32
    s32 = det32.score_samples(X.astype(np.float32))
    assert s32.dtype == np.float32
    pred = det32.predict(X.astype(np.float32))
    np.testing.assert_array_equal(pred == -1, s32 < det32.offset_)
    assert (pred == -1).sum() == math.ceil(0.05 * 1200)
    assert np.mean(pred == det64.predict(X)) >= 0.995
    assert det32.offset_ == pytest.approx(det64.offset_, rel=1e-3)
    # float64 data on the float32 model: scores and decision in float64
    assert det32.decision_function(X).dtype == np.float64


def test_pipeline_dataframe_pickle_and_warm_start():
    pd = pytest.importorskip("pandas")
    X = make_blobs(800, 3, 2, seed=9)
    w = np.random.RandomState(2).randint(1, 3, size=800)
    pipe = make_pipeline(StandardScaler(), Detector(contamination=0.05, n_components=2,
                                                    random_state=0))
    pred = pipe.fit_predict(X, gaussianmixtureoutlierdetector__sample_weight=w)
    assert set(np.unique(pred)) == {-1, 1}
    np.testing.assert_array_equal(pipe.predict(X), pred)
    assert pipe.decision_function(X).shape == (800,)
    assert pipe.score_samples(X).shape == (800,)
    det = pipe[-1]
    assert det.n_features_in_ == 3 and det.n_iter_ >= 1 and det.converged_

    df = pd.DataFrame(X, columns=["a", "b", "c"])
    fd = Detector(n_components=2, random_state=0).fit(df)
    assert list(fd.feature_names_in_) == ["a", "b", "c"]
    assert not hasattr(fd.mixture_, "feature_names_in_")
    ref = Detector(n_components=2, random_state=0).fit(X)
    np.testing.assert_array_equal(fd.decision_function(df), ref.decision_function(X))
    with pytest.raises(ValueError, match="feature names should match"):
        fd.predict(df[["c", "b", "a"]])
    with pytest.warns(UserWarning, match="GaussianMixtureOutlierDetector was fitted"):
        fd.predict(X)
    fd.fit(X)
    assert not hasattr(fd, "feature_names_in_")

    back = pickle.loads(pickle.dumps(fd))
    np.testing.assert_array_equal(back.decision_function(X), fd.decision_function(X))

    warm = Detector(n_components=2, random_state=0, warm_start=True, max_iter=200)
    warm.fit(X)
    first = warm.mixture_
    warm.fit(X)
    assert warm.mixture_ is first and warm.n_iter_ <= 2
