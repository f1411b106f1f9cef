"""Build the fastgmm extensions: Cython passes (fastgmm/*.pyx) over the C core (csrc/).

Flags: -O3, OpenMP when the compiler has it (else a serial build and a warning),
-fno-trapping-math / -fno-math-errno so the exp and max loops vectorise (never
-ffast-math: the log-sum-exp needs IEEE infinities), no -march=native (the C core
carries its own AVX2 clones).  FASTGMM_DEBUG=1 turns Cython's bounds checks on;
FASTGMM_REQUIRE_OPENMP=1 makes a compiler without OpenMP an error (CI sets it).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import warnings

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

DEBUG = os.environ.get("FASTGMM_DEBUG", "0") == "1"
BASE_FLAGS = ["-O3", "-std=gnu99", "-fno-trapping-math", "-fno-math-errno",
              "-fopenmp-simd"]


def compiler_has_openmp():
    """Compile and link a tiny OpenMP program with the default C compiler."""
    if os.environ.get("FASTGMM_NO_OPENMP", "0") == "1":
        return False
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "omp_probe.c")
        with open(src, "w") as f:
            f.write(textwrap.dedent("""
                #include <omp.h>
                int main(void) { int n = 0;
                #pragma omp parallel reduction(+:n)
                n += 1;
                return n > 0 ? 0 : 1; }"""))
        devnull = open(os.devnull, "w")
        old = os.dup(2)
        os.dup2(devnull.fileno(), 2)
        try:
            objs = cc.compile([src], output_dir=tmp, extra_postargs=["-fopenmp"])
            cc.link_executable(objs, os.path.join(tmp, "omp_probe"),
                               extra_postargs=["-fopenmp"])
        finally:
            os.dup2(old, 2)
        return True
    except Exception:
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


HAVE_OPENMP = compiler_has_openmp()
if not HAVE_OPENMP and os.environ.get("FASTGMM_REQUIRE_OPENMP", "0") == "1":
    # CI sets this: a serial build there would make the thread tests vacuous.
    raise RuntimeError("fastgmm: FASTGMM_REQUIRE_OPENMP=1 but the C compiler has no "
                       "working OpenMP (-fopenmp)")
if not HAVE_OPENMP:
    warnings.warn("fastgmm: the C compiler has no OpenMP; building SERIAL kernels "
                  "(fastgmm.openmp_enabled() will be False).")
OMP_FLAGS = ["-fopenmp"] if HAVE_OPENMP else []

CSRC = ["csrc/kernels.c"]
CSRC_HEADERS = ["csrc/fastgmm.h", "csrc/layout.h", "csrc/kernels_impl.h",
                "csrc/instantiate.h"]


def ext(name, with_core=False):
    """One extension per .pyx; only _core compiles and links the C core."""
    return Extension(
        f"fastgmm.{name}",
        sources=[f"fastgmm/{name}.pyx"] + (CSRC if with_core else []),
        include_dirs=["csrc", np.get_include()],
        extra_compile_args=BASE_FLAGS + OMP_FLAGS,
        extra_link_args=OMP_FLAGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        depends=CSRC_HEADERS if with_core else [],
    )


extensions = [
    ext("_openmp"),
    ext("_parallel"),
    ext("_core", with_core=True),
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": DEBUG,
            "embedsignature": True,
        },
    ),
)
