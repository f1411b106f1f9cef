"""Keep BLAS on one thread while fastgmm's OpenMP passes run.

The passes call BLAS per block from inside their own OpenMP threads (large-D full
covariance), and the M-step's K x D x D work is tiny: a multi-threaded BLAS would
oversubscribe the cores, and its idle pool spins beside the OpenMP threads.
The threadpoolctl controller is built once (it scans the loaded libraries).
"""
from threadpoolctl import ThreadpoolController

_controller = None


def single_threaded_blas():
    """Context manager: BLAS limited to one thread inside the block."""
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")
