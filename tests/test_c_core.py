"""The C core's own exp/log polynomials, compiled from csrc/ and checked against libm."""
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc (a build dependency)")
def test_exp_and_log_are_accurate_to_a_few_ulp(tmp_path):
    exe = str(tmp_path / "check_math")
    subprocess.run(["gcc", "-O2", "-std=gnu99", "-fno-trapping-math",
                    "-Wno-unused-function", "-I", os.path.join(ROOT, "csrc"),
                    os.path.join(HERE, "c", "check_math.c"), "-o", exe, "-lm"],
                   check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    fields = out.replace("|", " ").split()
    log_d, log_f = float(fields[4]), float(fields[6])
    exp_d, exp_f = float(fields[11]), float(fields[13])
    assert log_d < 1e-15 and exp_d < 1e-15, out
    assert log_f < 5e-7 and exp_f < 5e-7, out
