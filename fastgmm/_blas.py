"""Keep BLAS on one thread while fastgmm's OpenMP passes run.

The passes call BLAS per block from inside their own OpenMP threads (large-D full
covariance), and the M-step's K x D x D work is tiny: a multi-threaded BLAS would
oversubscribe the cores, and its idle pool spins beside the OpenMP threads.

threadpoolctl's limiter saves and restores the process-wide limit, so two Python
threads entering and leaving in overlapping order would leave BLAS at one thread for
good.  The limit is therefore reference-counted under a lock: the first fastgmm call
to enter sets it, the last to leave restores what was there before.
"""
import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_controller = None
_limiter = None
_depth = 0


@contextmanager
def single_threaded_blas():
    """Context manager: BLAS limited to one thread while any fastgmm call is inside."""
    global _controller, _limiter, _depth
    with _lock:
        if _depth == 0:
            if _controller is None:  # built once: it scans the loaded libraries
                _controller = ThreadpoolController()
            _limiter = _controller.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
                _limiter = None
