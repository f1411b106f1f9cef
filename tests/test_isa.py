"""Every instruction-set build of the C core agrees with the default one.

For each instruction set this machine runs (fastgmm._core.available_isas()), a
subprocess forced onto it with FASTGMM_ISA computes every kernel's outputs (EM
statistics, scores, k-means and k-means++ passes) on odd shapes (rows not a multiple
of a block or a strip, odd feature counts, strided X, sample weights, every covariance
type, float64 and float32); the default path (FASTGMM_ISA unset) computes the same,
and the two must agree to round-off: 1e-12 relative in float64, 1e-5 in float32
(vector widths change summation orders, nothing else).
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fastgmm import _core

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RTOL = {"float64": 1e-12, "float32": 1e-5}

# Run in a subprocess: computes every case and saves the outputs to argv[1] (.npz).
COMPUTE = r'''
import sys, json
import numpy as np
from fastgmm import _core
from fastgmm.kernels import GMMParameters, COV_CODES

out = {}
rng = np.random.RandomState(12345)

def params(K, D, cov):
    w = rng.uniform(0.5, 1.5, K)
    means = rng.randn(K, D) * 2
    if cov == "full":
        U = np.triu(rng.randn(K, D, D) * 0.2, 1) + np.eye(D) * rng.uniform(0.5, 1.5, (K, 1, 1))
    elif cov == "tied":
        U = np.triu(rng.randn(D, D) * 0.2, 1) + np.eye(D) * 0.8
    elif cov == "diag":
        U = rng.uniform(0.5, 1.5, (K, D))
    else:
        U = rng.uniform(0.5, 1.5, K)
    return GMMParameters(w / w.sum(), means, U, cov)

def data(N, D, K, dtype, order):
    centers = rng.randn(K, D) * 2
    X = centers[rng.randint(K, size=N)] + rng.randn(N, D)
    X = np.asarray(X, dtype=dtype, order=order)
    return X

for dtype in ("float64", "float32"):
    for cov in ("full", "tied", "diag", "spherical"):
        for (N, D, K, order) in ((1003, 1, 3, "C"), (1003, 3, 5, "F"), (517, 7, 4, "C"),
                                 (389, 19, 6, "C"), (131, 67, 3, "F")):
            X = data(N, D, K, dtype, order)
            if D == 19:
                X = np.asarray(data(2 * N, D, K, dtype, "C")[::2])   # row stride 2*D
            w = rng.uniform(0, 2, X.shape[0])
            p = params(K, D, cov)
            hi, lo, prec, log_norm = p.pack(dtype)
            code = COV_CODES[cov]
            key = f"{dtype}/{cov}/{D}"
            for use_blas in ((False, True) if D >= 64 else (False,)):
                out[f"em/{key}/{use_blas}"] = _core.em_pass(
                    X, w, hi, lo, prec, log_norm, code, 2, use_blas=use_blas,
                    resp_entropy=True)
            n = X.shape[0]
            wlp, resp = np.empty((n, K), dtype), np.empty((n, K), dtype)
            ll, lab = np.empty(n, dtype), np.empty(n, np.int64)
            _core.score_pass(X, hi, lo, prec, log_norm, code, 2, weighted_logprob=wlp,
                             resp=resp, loglik=ll, label=lab, use_blas=False)
            for name, arr in (("wlp", wlp), ("resp", resp), ("loglik", ll), ("label", lab)):
                out[f"score_{name}/{key}"] = arr
    for (N, D, K) in ((1003, 1, 1), (1003, 2, 4), (777, 3, 13), (517, 9, 5),
                      (389, 17, 7), (257, 33, 4), (131, 128, 3)):
        X = data(N, D, K, dtype, "C" if D % 2 else "F")
        w = rng.uniform(0, 2, N)
        centers = np.ascontiguousarray(X[rng.choice(N, K, replace=False)])
        lab, md = np.empty(N, np.int32), np.empty(N)
        key = f"{dtype}/{D}/{K}"
        out[f"kmeans_partial/{key}"] = _core.kmeans_pass(X, centers, w, lab, md, 2)
        out[f"kmeans_label/{key}"] = lab
        out[f"kmeans_dist/{key}"] = md
        out[f"kmeans_X/{key}"] = X
        out[f"kmeans_C/{key}"] = centers
        md2 = np.full(N, np.inf)
        pot = [_core.nearest_pass(X, centers[k:k + 1], w, md2, True, 2) for k in range(K)]
        out[f"nearest_pot/{key}"] = np.array(pot)
        out[f"nearest_dist/{key}"] = md2
np.savez(sys.argv[1], **out)
print(json.dumps(_core.build_info()))
'''


def _compute(tmp_path, isa):
    env = dict(os.environ)
    env.pop("FASTGMM_ISA", None)
    if isa is not None:
        env["FASTGMM_ISA"] = isa
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    path = str(tmp_path / f"out_{isa or 'default'}.npz")
    r = subprocess.run([sys.executable, "-c", COMPUTE, path], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads(r.stdout.strip().splitlines()[-1])
    return dict(np.load(path)), info, r.stderr


def _close(a, b, rtol, what):
    """|a - b| <= rtol (|b| + max|b|): relative, with the array's scale as the floor
    (centred sums such as s1 may cancel to near zero)."""
    a64, b64 = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a64.shape == b64.shape, what
    finite = np.isfinite(b64)
    assert np.array_equal(finite, np.isfinite(a64)), what
    assert np.array_equal(a64[~finite], b64[~finite]), what
    scale = np.abs(b64[finite]).max() if finite.any() else 0.0
    err = np.abs(a64[finite] - b64[finite])
    bound = rtol * (np.abs(b64[finite]) + scale) + 1e-300
    worst = float((err / bound).max()) if err.size else 0.0
    assert worst <= 1, f"{what}: error {worst:.3g} x the tolerance"


def _check_labels(lab, ref, X, C, rtol, what):
    """Labels agree except at near-ties (distances equal to the tolerance)."""
    diff = np.flatnonzero(lab != ref)
    if diff.size:
        Xd, Cd = X[diff].astype(np.float64), C.astype(np.float64)
        da = ((Xd - Cd[lab[diff]]) ** 2).sum(1)
        db = ((Xd - Cd[ref[diff]]) ** 2).sum(1)
        scale = ((Xd - Cd[ref[diff]]) ** 2).sum(1).max() + 1.0
        assert (np.abs(da - db) <= 10 * rtol * scale).all(), \
            f"{what}: {diff.size} labels differ beyond ties"


@pytest.fixture(scope="module")
def default_results(tmp_path_factory):
    return _compute(tmp_path_factory.mktemp("isa"), None)


def test_build_info_describes_the_build():
    info = _core.build_info()
    assert info["compiler"] and isinstance(info["compiler"], str)
    assert info["openmp"] is None or info["openmp"] > 200000
    assert "baseline" in info["isa_compiled"] and "baseline" in info["isa_supported"]
    assert set(info["isa_supported"]) <= set(info["isa_compiled"])
    assert info["isa"] in info["isa_supported"]
    for dtype in ("float64", "float32"):
        assert set(info["kernels"][dtype]) == {"em_rows", "score_rows", "kmeans_rows",
                                               "nearest_update"}
        assert all(v in info["isa_supported"] for v in info["kernels"][dtype].values())


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_forced_isa_agrees_with_default(isa, tmp_path, default_results):
    if isa not in _core.available_isas():
        pytest.skip(f"this machine or build has no {isa}")
    ref, ref_info, _ = default_results
    res, info, err = _compute(tmp_path, isa)
    assert info["isa"] == isa and info["isa_requested"] == isa, info
    assert "RuntimeWarning" not in err, err
    assert ref_info["isa"] == _core.available_isas()[-1]
    assert set(res) == set(ref)
    for key in sorted(ref):
        kind, dtype = key.split("/")[:2]
        rtol = RTOL[dtype]
        if kind == "kmeans_label":
            rest = key.split("/", 1)[1]
            _check_labels(res[key], ref[key], ref["kmeans_X/" + rest],
                          ref["kmeans_C/" + rest], rtol, key)
        elif kind == "score_label":
            # argmax of the weighted log-probabilities: equal except at ties
            rest = key.split("/", 1)[1]
            wlp = ref["score_wlp/" + rest].astype(np.float64)
            d = np.flatnonzero(res[key] != ref[key])
            gap = np.abs(wlp[d, res[key][d]] - wlp[d, ref[key][d]])
            assert (gap <= 10 * rtol * (np.abs(wlp[d]).max(1) + 1)).all(), key
        elif kind == "kmeans_partial":
            # [inertia, counts, sums]: a label flipped at a tie moves one row
            _close(res[key][:1], ref[key][:1], rtol, key)
            if np.array_equal(res["kmeans_label/" + key.split("/", 1)[1]],
                              ref["kmeans_label/" + key.split("/", 1)[1]]):
                _close(res[key], ref[key], rtol, key)
        elif kind == "score_resp":
            # r = exp(L - logsumexp L): an error e in L is an error r e in r, and L's
            # own round-off scales with |L| (the Mahalanobis distance), so the bound
            # is relative to the row's largest |L|
            wlp = np.abs(ref["score_wlp/" + key.split("/", 1)[1]].astype(np.float64))
            bound = rtol * (1 + wlp.max(1, keepdims=True))
            assert (np.abs(res[key] - ref[key].astype(np.float64)) <= bound).all(), key
        else:
            _close(res[key], ref[key], rtol, key)


def test_unknown_or_unavailable_isa_warns_and_keeps_the_best(tmp_path):
    env = dict(os.environ, FASTGMM_ISA="sse9",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import json; from fastgmm import _core; print(json.dumps(_core.build_info()))"
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "FASTGMM_ISA='sse9' ignored" in r.stderr and "unknown" in r.stderr
    info = json.loads(r.stdout.strip().splitlines()[-1])
    assert info["isa"] == _core.available_isas()[-1]
    assert info["isa_requested"] == "sse9"
    missing = [i for i in _core.ISA_NAMES if i not in _core.available_isas()]
    if missing:
        env["FASTGMM_ISA"] = missing[0]
        r = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert f"FASTGMM_ISA='{missing[0]}' ignored" in r.stderr
        assert json.loads(r.stdout.strip().splitlines()[-1])["isa"] == \
            _core.available_isas()[-1]


def test_set_isa_switches_kernels_in_process():
    prev = _core.build_info()["isa"]
    try:
        for isa in _core.available_isas():
            _core._set_isa(isa)
            assert _core.build_info()["isa"] == isa
        with pytest.raises(ValueError, match="unknown instruction set"):
            _core._set_isa("sse9")
    finally:
        _core._set_isa(prev)
