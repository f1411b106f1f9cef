"""What this build of fastgmm is: compiler, OpenMP, instruction sets, threads."""
import numpy as np

from . import _core
from ._openmp import effective_n_threads, openmp_enabled


def show_config(file=None):
    """Print how fastgmm was built and what it will use on this machine.

    Compiler, OpenMP runtime version, the instruction sets compiled in, those this
    CPU supports, the one chosen per kernel and dtype (``FASTGMM_ISA`` forces one),
    and the thread count the kernels use.  Worth pasting into a bug report.

    Parameters
    ----------
    file : file-like, default=None
        Where to print (None: standard output).

    Returns
    -------
    dict
        The same facts, as a dict.

    Examples
    --------
    >>> import fastgmm
    >>> info = fastgmm.show_config(file=open("/dev/null", "w"))
    >>> "compiler" in info and "isa" in info
    True
    """
    info = dict(_core.build_info())
    info["openmp_enabled"] = openmp_enabled()
    info["threads"] = effective_n_threads()
    info["numpy"] = np.__version__
    lines = [f"compiler: {info['compiler']}",
             f"OpenMP: {'on' if info['openmp_enabled'] else 'off'} "
             f"(_OPENMP {info.get('openmp')}), {info['threads']} thread(s)",
             f"instruction sets: compiled {', '.join(info['isa_compiled'])}; this CPU "
             f"runs {', '.join(info['isa_supported'])}; chosen {info['isa']}"
             + (f" (FASTGMM_ISA={info['isa_requested']})" if info["isa_requested"] else "")]
    for dtype, kernels in info["kernels"].items():
        lines.append(f"  {dtype}: " + ", ".join(f"{k} {v}" for k, v in kernels.items()))
    print("\n".join(lines), file=file)
    return info
