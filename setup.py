"""Build the fastgmm extensions: Cython passes (fastgmm/*.pyx) over the C core (csrc/).

Flags: -O3, OpenMP when the compiler has it (else a serial build and a warning),
-fno-trapping-math / -fno-math-errno so the exp and max loops vectorise (never
-ffast-math: the log-sum-exp needs IEEE infinities), no -march=native.  On x86-64 the
C core is compiled once per instruction set (csrc/isa_base.c with the default target,
isa_avx2.c with -mavx2 -mfma, isa_avx512.c with -mavx512f/dq/bw/vl), each unit with its
own flags, and csrc/kernels.c dispatches at run time (FASTGMM_ISA forces a path); an
instruction set whose flags the compiler refuses is left out with a warning.
FASTGMM_DEBUG=1 turns Cython's bounds checks on; FASTGMM_REQUIRE_OPENMP=1 makes a
compiler without OpenMP an error (CI sets it); FASTGMM_NO_ISA_DISPATCH=1 builds the
baseline unit alone.  Works with GCC and clang (CC=clang).
FASTGMM_SANITIZE=address, undefined or address,undefined builds for AddressSanitizer /
UndefinedBehaviorSanitizer (-O1 -g, frame pointers, UBSan reports fatal, no -fwrapv
so signed overflow is reported): .ci/sanitize uses it.  Such a build imports only
with the ASan runtime preloaded (LD_PRELOAD=$(gcc -print-file-name=libasan.so)).
"""
import os
import platform
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
try:
    from setuptools.modified import newer_group
except ImportError:
    from setuptools._distutils.dep_util import newer_group

DEBUG = os.environ.get("FASTGMM_DEBUG", "0") == "1"
BASE_FLAGS = ["-O3", "-std=gnu99", "-fno-trapping-math", "-fno-math-errno",
              "-fopenmp-simd"]
SANITIZERS = ("address", "undefined")


def sanitize_flags():
    """(compile args, link args) for FASTGMM_SANITIZE, e.g. 'address,undefined'.

    They come after BASE_FLAGS, so -O1 replaces -O3 (and -fno-wrapv Python's
    -fwrapv, under which gcc does not check signed overflow)."""
    value = os.environ.get("FASTGMM_SANITIZE", "").strip()
    if not value:
        return [], []
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names or any(name not in SANITIZERS for name in names):
        raise RuntimeError(f"fastgmm: FASTGMM_SANITIZE={value!r}: expected a comma-"
                           f"separated list of {', '.join(SANITIZERS)}")
    fsanitize = "-fsanitize=" + ",".join(dict.fromkeys(names))
    compile_args = [fsanitize, "-fno-omit-frame-pointer", "-g", "-O1", "-fno-wrapv"]
    if "undefined" in names:
        compile_args.append("-fno-sanitize-recover=undefined")
    return compile_args, [fsanitize]


SANITIZE_COMPILE, SANITIZE_LINK = sanitize_flags()


def compiles_quietly(cc, source, flags, link=False):
    """True when compiler cc builds the C source with flags (linked into a program
    when link), its complaints kept off the build log."""
    tmp = tempfile.mkdtemp()
    devnull = open(os.devnull, "w")
    old = os.dup(2)
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        os.dup2(devnull.fileno(), 2)
        objs = cc.compile([src], output_dir=tmp, extra_postargs=flags)
        if link:
            cc.link_executable(objs, os.path.join(tmp, "probe"), extra_postargs=flags)
        return True
    except Exception:
        return False
    finally:
        os.dup2(old, 2)
        devnull.close()
        shutil.rmtree(tmp, ignore_errors=True)


def compiler_has_openmp():
    """Compile and link a tiny OpenMP program with the default C compiler."""
    if os.environ.get("FASTGMM_NO_OPENMP", "0") == "1":
        return False
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    cc = new_compiler()
    customize_compiler(cc)
    return compiles_quietly(cc, textwrap.dedent("""
        #include <omp.h>
        int main(void) { int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return n > 0 ? 0 : 1; }"""), ["-fopenmp"], link=True)


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
                "csrc/instantiate.h", "csrc/dispatch.h"]

# Instruction-set units of the C core: (name, source, extra flags, macro kernels.c
# sees when the unit is linked).  Baseline is always built, with no flag of its own.
ISA_UNITS = [
    ("baseline", "csrc/isa_base.c", [], None),
    ("avx2", "csrc/isa_avx2.c", ["-mavx2", "-mfma"], "FGMM_HAVE_AVX2"),
    ("avx512", "csrc/isa_avx512.c",
     ["-mavx2", "-mfma", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl",
      "-mprefer-vector-width=512"], "FGMM_HAVE_AVX512"),
]


def _x86_64():
    return platform.machine().lower() in ("x86_64", "amd64", "x64")


class build_ext_isa(build_ext):
    """build_ext that compiles the C core's instruction-set units, each with its own
    flags, and links their objects into fastgmm._core."""

    def _compiler_accepts(self, flags):
        return compiles_quietly(self.compiler,
                                "typedef double v __attribute__((vector_size(64)));\n"
                                "v f(v a, v b) { return a * b + a; }\n", flags)

    def build_extension(self, ext):
        if ext.name == "fastgmm._core":
            # the units' sources take part in build_ext's is-it-stale test
            ext.depends = list(ext.depends) + [u[1] for u in ISA_UNITS
                                               if u[1] not in ext.depends]
            target = self.get_ext_fullpath(ext.name)
            if self.force or newer_group(list(ext.sources) + ext.depends, target, "newer"):
                self._add_isa_units(ext)
        super().build_extension(ext)

    def _add_isa_units(self, ext):
        units = ISA_UNITS
        if (not _x86_64() or self.compiler.compiler_type != "unix"
                or os.environ.get("FASTGMM_NO_ISA_DISPATCH", "0") == "1"):
            units = ISA_UNITS[:1]
        macros = list(ext.define_macros)
        objects = []
        for name, src, flags, macro in units:
            if flags and not self._compiler_accepts(flags):
                warnings.warn(f"fastgmm: the C compiler refuses {' '.join(flags)}; "
                              f"building without the {name} kernels")
                continue
            # one output folder per unit: the objects never overwrite each other
            out = os.path.join(self.build_temp, "isa_" + name)
            objects += self.compiler.compile(
                [src], output_dir=out, macros=macros, include_dirs=ext.include_dirs,
                extra_postargs=ext.extra_compile_args + flags, depends=CSRC_HEADERS,
                debug=self.debug)
            if macro:
                ext.define_macros.append((macro, "1"))
        ext.extra_objects = list(ext.extra_objects or []) + objects


def ext(name, with_core=False, flags=(), headers=False):
    """One extension per .pyx; only _core compiles and links the C core (headers:
    the extension includes the C core's headers, a rebuild follows their changes)."""
    return Extension(
        f"fastgmm.{name}",
        sources=[f"fastgmm/{name}.pyx"] + (CSRC if with_core else []),
        include_dirs=["csrc", np.get_include()],
        extra_compile_args=BASE_FLAGS + list(flags) + OMP_FLAGS + SANITIZE_COMPILE,
        extra_link_args=OMP_FLAGS + SANITIZE_LINK,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_9_API_VERSION")],
        depends=CSRC_HEADERS if with_core or headers else [],
    )


extensions = [
    ext("_openmp"),
    ext("_parallel"),
    ext("_core", with_core=True),
    # the M-step's element-wise formulas keep NumPy's rounding (no fused multiply-add
    # where the target has one, e.g. arm64)
    ext("_linalg", flags=["-ffp-contract=off"], headers=True),
]

setup(
    cmdclass={"build_ext": build_ext_isa},
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
