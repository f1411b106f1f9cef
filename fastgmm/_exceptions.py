"""Exceptions and warnings, scikit-learn compatible without importing it.

fastgmm does not depend on scikit-learn.  When scikit-learn is already imported,
the exception and warning raised also derive from scikit-learn's classes, so
``except sklearn.exceptions.NotFittedError`` and warning filters on scikit-learn's
``ConvergenceWarning`` keep working for users of the drop-in.
"""
import sys


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted model is called before ``fit``."""


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the lower bound changed by less than ``tol``."""


_bridged = {}


def _bridge(cls, sklearn_name):
    """cls itself, or a subclass of cls and scikit-learn's class of that name."""
    mod = sys.modules.get("sklearn.exceptions")
    sk = getattr(mod, sklearn_name, None) if mod is not None else None
    if sk is None or issubclass(cls, sk):
        return cls
    if sklearn_name not in _bridged:
        _bridged[sklearn_name] = type(cls.__name__, (cls, sk),
                                      {"__module__": cls.__module__,
                                       "__doc__": cls.__doc__})
    return _bridged[sklearn_name]


def not_fitted_error(message):
    return _bridge(NotFittedError, "NotFittedError")(message)


def convergence_warning_class():
    return _bridge(ConvergenceWarning, "ConvergenceWarning")
