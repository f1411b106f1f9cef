"""The command line: ``fastgmm`` (console script) and ``python -m fastgmm``.

::

    fastgmm fit INPUT -k K [--covariance-type T] [--columns a,b,c] [EM options]
                [--dtype float32|float64] [-o MODEL.npz]
    fastgmm predict MODEL INPUT [--proba] [-o OUT.npy|OUT.csv|-]
    fastgmm score MODEL INPUT [-o OUT.npy|OUT.csv|-]
    fastgmm select INPUT [--k 1-10] [--covariance-types full,diag] [--criterion bic]
                   [EM options] [-o BEST.npz] [--plot CRITERION.png]
    fastgmm outliers INPUT [--contamination 0.01] [-k K] [EM options] [-o FLAGS]
    fastgmm plot MODEL INPUT -o PICTURE.png [--dims 0,1] [--pca]
    fastgmm demo [--n-samples N ...]
    fastgmm info

``INPUT`` is a ``.npy`` (2-D numbers; memory-mapped), ``.csv`` (header detected) or
``.parquet`` table (``fastgmm.io.read_table``).  A model fitted on named columns
remembers them (``feature_names_in_``), and ``predict``/``score``/``plot``
then pick those columns from a named input by themselves.
Tables are written with ``fastgmm.io.write_table`` (``-o -``: CSV on stdout);
models with ``fastgmm.io.save_model`` (``fastgmm.load`` reads them back).

Every command takes ``-q/--quiet`` (no progress display, no informational
summary) and ``--debug`` (a traceback with an error).  A fit that lasts more than a
moment shows one self-rewriting line on stderr (restart, iteration, lower bound,
change, elapsed time) when stderr is a terminal.

Exit status: 0 success; 1 the fit or another computation failed (e.g. an
ill-defined covariance), or an unexpected error; 2 a usage or input error (bad
options, a missing or unreadable file, a bad column, a wrong shape, NaN, an unknown
extension, a corrupt model file).  Every error is one line on stderr,
``fastgmm: error: ...``; warnings are one line each, ``fastgmm: warning: ...``.
"""
import argparse
import contextlib
import math
import os
import pathlib
import sys
import threading
import time
import warnings

import numpy as np

__all__ = ["main", "build_parser", "Progress", "CLIError", "UsageError", "FitError",
           "EXIT_OK", "EXIT_FAILURE", "EXIT_USAGE"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
TABLE_EXTENSIONS = (".npy", ".csv")
PICTURE_EXTENSIONS = (".png", ".pdf", ".svg")
MODEL_EXTENSIONS = (".npz",)
_FEATURE_NAMES_WARNING = "X does not have valid feature names"
# Seconds a fit runs before the progress line appears (FASTGMM_PROGRESS_DELAY
# overrides it: 0 shows it from the first iteration).
PROGRESS_DELAY = 0.5


# ====================================================================== errors
class CLIError(Exception):
    """An error the command line reports as one line, with its exit status."""

    exit_code = EXIT_FAILURE


class UsageError(CLIError):
    """Bad options or input (exit status 2)."""

    exit_code = EXIT_USAGE


class FitError(CLIError):
    """The fit or another computation failed (exit status 1)."""

    exit_code = EXIT_FAILURE


def _one_line(text):
    return " ".join(str(text).split())


@contextlib.contextmanager
def _failures():
    """Numerical errors inside the block (a fit, a pass over checked input) become
    a FitError (exit status 1): the input was checked before, so what is left is
    the computation failing (e.g. an ill-defined covariance)."""
    try:
        yield
    except CLIError:
        raise
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise FitError(_one_line(exc)) from exc


# ====================================================================== progress
def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _terminal_width(stream):
    try:
        return max(20, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, ValueError, OSError):
        return 80


def _default_delay():
    value = os.environ.get("FASTGMM_PROGRESS_DELAY")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
    return PROGRESS_DELAY


def _seconds(s):
    if s < 60:
        return f"{s:.1f} s"
    m, s = divmod(int(s), 60)
    return f"{m}:{s:02d}" if m < 60 else f"{m // 60}:{m % 60:02d}:{s:02d}"


class Progress:
    """One status line on a terminal, rewritten in place (``\\r``), for long fits.

    Use it as a context manager around a fit and pass it as the fit's
    ``callback``: it records each ``EMProgress`` (and never asks EM to stop).  Once
    ``delay`` seconds have passed, the line (label, restart, iteration, lower bound,
    change, elapsed time) is drawn, refreshed at most every ``refresh`` seconds by
    the callback and at least that often by a background thread (so the elapsed
    time runs on during an initialisation or a slow iteration); on exit the line is
    erased.  Disabled (nothing written, no thread) unless ``stream`` is a terminal,
    or when ``enabled=False``.
    """

    def __init__(self, label, *, stream=None, enabled=None, delay=None, refresh=0.2,
                 n_init=1, max_iter=None, width=None, clock=time.perf_counter):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = _isatty(self.stream) if enabled is None else bool(enabled)
        self.label = label
        self.delay = _default_delay() if delay is None else float(delay)
        self.refresh_s = float(refresh)
        self.n_init, self.max_iter = n_init, max_iter
        self.width, self.clock = width, clock
        self.state = None
        self.t0 = None
        self._shown = 0
        self._last = -math.inf
        self._closed = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    # -- life cycle
    def start(self):
        self.t0 = self.clock()
        if self.enabled:
            _ACTIVE.append(self)
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name="fastgmm-progress")
            self._thread.start()
        return self

    def close(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
            self._thread = None
        with self._lock:
            self._erase()
            self._closed = True
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # -- the fit callback
    def __call__(self, progress):
        self.state = progress
        if self.enabled:
            self.update()
        return None

    # -- drawing
    def text(self, elapsed, width=None):
        """The status line; parts are left out, least useful first, to fit width."""
        p = self.state
        parts = {"label": self.label}
        if p is not None:
            if self.n_init > 1:
                parts["init"] = f"init {p.init + 1}/{self.n_init}"
            it = f"iter {p.n_iter}"
            if self.max_iter:
                it += f"/{self.max_iter}"
            parts["iter"] = it
            parts["bound"] = f"lower bound {p.lower_bound:.6f}"
            parts["change"] = f"change {p.change:.2e}"
        parts["elapsed"] = _seconds(elapsed)
        text = "  ".join(parts.values())
        for drop in ("change", "init", "bound", "label"):
            if width is None or len(text) <= width:
                break
            parts.pop(drop, None)
            text = "  ".join(parts.values())
        return text if width is None else text[:width]

    def update(self, force=False):
        if not self.enabled or self.t0 is None:
            return
        now = self.clock()
        elapsed = now - self.t0
        if elapsed < self.delay:
            return
        with self._lock:
            if self._closed or (not force and now - self._last < self.refresh_s):
                return
            self._last = now
            width = (self.width if self.width is not None
                     else _terminal_width(self.stream)) - 1
            self._draw(self.text(elapsed, width))

    def clear(self):
        """Erase the line (before another message is written to the stream)."""
        with self._lock:
            self._erase()

    def _run(self):
        if self._stop.wait(max(0.0, self.delay)):
            return
        while True:
            self.update(force=True)
            if self._stop.wait(max(0.05, self.refresh_s)):
                return

    def _draw(self, text):
        pad = max(0, self._shown - len(text))
        try:
            self.stream.write("\r" + text + " " * pad)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False
            return
        self._shown = len(text)

    def _erase(self):
        if self._shown:
            try:
                self.stream.write("\r" + " " * self._shown + "\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._shown = 0


_ACTIVE = []  # the progress lines being shown (erased before a warning is written)


def _progress(args, label, **kw):
    return Progress(label, enabled=None if not getattr(args, "quiet", False) else False,
                    **kw)


# ====================================================================== argument types
def _type(name, convert):
    """An argparse type whose errors read ``argument -k: <message>``."""
    def parse(text):
        try:
            return convert(text)
        except (ValueError, TypeError) as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = name
    return parse


def _int_at_least(low):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"must be an integer >= {low}, got {text!r}") from None
        if value < low:
            raise ValueError(f"must be an integer >= {low}, got {value}")
        return value
    return _type(f"int>={low}", convert)


def _float_at_least(low, inclusive=True, high=None):
    def convert(text):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"must be a number, got {text!r}") from None
        ok = math.isfinite(value) and (value >= low if inclusive else value > low)
        if high is not None:
            ok = ok and value <= high
        if not ok:
            if high is not None:
                rng = f"in {'[' if inclusive else '('}{low:g}, {high:g}]"
            else:
                rng = f"{'>=' if inclusive else '>'} {low:g}"
            raise ValueError(f"must be a finite number {rng}, got {text!r}")
        return value
    return _type("number", convert)


def _random_state(text):
    if text.lower() == "none":
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"must be an integer seed >= 0 or 'none', got "
                         f"{text!r}") from None
    if not 0 <= value < 2 ** 32:
        raise ValueError(f"must be an integer seed in [0, 2**32), got {value}")
    return value


def _columns(text):
    """'a,b,2' -> ['a', 'b', 2]: integers are 0-based positions, the rest names."""
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(t == "" for t in items):
        raise ValueError(f"expected column names or 0-based indices separated by "
                         f"commas, got {text!r}")
    out = []
    for t in items:
        try:
            out.append(int(t))
        except ValueError:
            out.append(t)
    return out


def _no_repeats(items, what):
    """items, unless one is given twice (then a ValueError naming the repeats)."""
    dup = sorted({t for t in items if items.count(t) > 1})
    if dup:
        raise ValueError(f"{what} given twice: {dup}")
    return items


def _k_grid(text):
    """'1-10' -> [1..10]; '2,4,8'; '1-4,8'."""
    out = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise ValueError(f"expected numbers of components like '1-10' or "
                             f"'2,4,8', got {text!r}") from None
        if a < 1 or b < a:
            raise ValueError(f"expected ranges LOW-HIGH with 1 <= LOW <= HIGH, got "
                             f"{part!r}")
        out.extend(range(a, b + 1))
    return _no_repeats(out, "numbers of components")


def _covariance_types(text):
    out = [t.strip() for t in text.split(",")]
    for t in out:
        if t not in COVARIANCE_TYPES:
            raise ValueError(f"unknown covariance type {t!r}; choose from "
                             f"{', '.join(COVARIANCE_TYPES)}")
    return _no_repeats(out, "covariance types")


def _dims(text):
    items = [t.strip() for t in text.split(",")]
    if len(items) != 2 or not all(items):
        raise ValueError(f"expected two features, e.g. '0,1' or 'x,y', got {text!r}")
    out = []
    for t in items:
        try:
            out.append(int(t))
        except ValueError:
            out.append(t)
    return out


# ====================================================================== parser
class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line: ``fastgmm: error: ...`` (exit 2)."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"fastgmm: error: {_one_line(message)} (see "
                              f"'{self.prog} --help')\n")


def _prog():
    argv0 = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m fastgmm" if argv0 == "__main__.py" else "fastgmm"


def _common_options():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("general options")
    g.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                   help="no progress display and no informational summary")
    g.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                   help="show the traceback of an error")
    return p


def _input_options():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("input options")
    g.add_argument("--columns", type=_type("columns", _columns), metavar="A,B,C",
                   help="columns of INPUT to use, by name (CSV header, Parquet) or "
                        "0-based index; default: all (or, for a saved model, the "
                        "named columns it was fitted on)")
    g.add_argument("--dtype", choices=("float32", "float64"),
                   help="read INPUT as this float type (default: a float .npy keeps "
                        "its dtype, anything else is read as float64)")
    return p


def _em_options(covariance=True):
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("EM options (as GaussianMixture's parameters)")
    if covariance:
        g.add_argument("--covariance-type", choices=COVARIANCE_TYPES, default="full",
                       help="default: %(default)s")
    g.add_argument("--tol", type=_float_at_least(0.0), default=1e-3,
                   help="stop when the lower bound changes by less (default: "
                        "%(default)g)")
    g.add_argument("--reg-covar", type=_float_at_least(0.0), default=1e-6,
                   help="added to the diagonal of each covariance (default: "
                        "%(default)g)")
    g.add_argument("--max-iter", type=_int_at_least(1), default=100,
                   help="EM iterations per initialisation (default: %(default)s)")
    g.add_argument("--n-init", type=_int_at_least(1), default=1,
                   help="initialisations; the best is kept (default: %(default)s)")
    g.add_argument("--init-params", choices=INIT_PARAMS, default="kmeans",
                   help="default: %(default)s")
    g.add_argument("--on-degenerate", choices=("raise", "reinit", "drop"),
                   default="raise",
                   help="what to do with a collapsed component (default: %(default)s)")
    g.add_argument("--random-state", type=_type("seed", _random_state), default=None,
                   metavar="SEED", help="seed of the initialisation (default: none, "
                                        "a different one each run)")
    g.add_argument("--threads", type=_int_at_least(1), default=None, metavar="N",
                   help="OpenMP threads (default: what OpenMP would use)")
    return p


def build_parser():
    """The argparse parser of the command line."""
    common, inputs = _common_options(), _input_options()
    parser = _Parser(
        prog=_prog(), parents=[common],
        description="Gaussian mixtures fitted by EM (fastgmm). Tables: .npy, .csv, "
                    ".parquet; models: .npz files written by fastgmm.",
        epilog="Exit status: 0 success, 1 the fit or computation failed, 2 usage or "
               "input error. '%(prog)s COMMAND --help' describes a command.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def command(name, func, help, parents=(), **kw):
        p = sub.add_parser(name, help=help, description=kw.pop("description", help),
                           parents=[*parents, common], **kw)
        p.set_defaults(func=func)
        return p

    p = command("fit", _cmd_fit, "fit a Gaussian mixture to a table and save it",
                parents=[inputs, _em_options()])
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("-k", "--n-components", type=_int_at_least(1), required=True,
                   metavar="K", help="number of components")
    p.add_argument("-o", "--output", metavar="MODEL.npz",
                   help="write the fitted model here (read it with fastgmm.load)")

    p = command("predict", _cmd_predict,
                "label each row of a table with its component (or probabilities)",
                parents=[inputs])
    p.add_argument("model", metavar="MODEL", help="model file (.npz)")
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("--proba", action="store_true",
                   help="write each component's probability (n_rows x K) instead of "
                        "the labels")
    p.add_argument("-o", "--output", metavar="OUT",
                   help=".npy, .csv, or - for CSV on stdout (default: a summary)")
    p.add_argument("--no-header", action="store_true",
                   help="write a CSV without its header line")

    p = command("score", _cmd_score, "log-density of each row of a table under a model",
                parents=[inputs])
    p.add_argument("model", metavar="MODEL", help="model file (.npz)")
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("-o", "--output", metavar="OUT",
                   help=".npy, .csv, or - for CSV on stdout (default: a summary)")
    p.add_argument("--no-header", action="store_true",
                   help="write a CSV without its header line")

    p = command("select", _cmd_select,
                "fit a grid of mixtures and keep the best by BIC, AIC or ICL",
                parents=[inputs, _em_options(covariance=False)])
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("-k", "--k", dest="k", type=_type("K", _k_grid), default="1-10",
                   metavar="GRID",
                   help="numbers of components to try: '1-10', '2,4,8', '1-4,8' "
                        "(default: %(default)s)")
    p.add_argument("--covariance-types", type=_type("types", _covariance_types),
                   default="full,tied,diag,spherical", metavar="T1,T2",
                   help="covariance types to try (default: %(default)s)")
    p.add_argument("--criterion", choices=("bic", "aic", "icl"), default="bic",
                   help="what the best model minimises (default: %(default)s)")
    p.add_argument("-o", "--output", metavar="BEST.npz",
                   help="write the best model here")
    p.add_argument("--plot", metavar="PICTURE.png",
                   help="draw the criterion against K (.png, .pdf or .svg)")
    p.add_argument("--jobs", type=_int_at_least(1), default=None, metavar="N",
                   help="fits run side by side (default: one per thread on data of "
                        "at most 16,384 rows, else one at a time); the models do "
                        "not depend on it")

    p = command("outliers", _cmd_outliers,
                "flag the rows of lowest density under a fitted mixture",
                parents=[inputs, _em_options()],
                description="Fit a Gaussian mixture to INPUT and flag its rows of "
                            "lowest density (GaussianMixtureOutlierDetector): 1 for "
                            "an outlier, 0 otherwise.")
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("--contamination", type=_float_at_least(0.0, False, 0.5),
                   default=0.01, help="expected fraction of outliers, in (0, 0.5] "
                                      "(default: %(default)s)")
    p.add_argument("-k", "--n-components", type=_int_at_least(1), default=1,
                   metavar="K", help="components of the mixture (default: %(default)s)")
    p.add_argument("-o", "--output", metavar="FLAGS",
                   help=".npy, .csv, or - for CSV on stdout (default: a summary)")
    p.add_argument("--no-header", action="store_true",
                   help="write a CSV without its header line")

    p = command("plot", _cmd_plot,
                "draw a model's components as ellipses over a table's points",
                parents=[inputs])
    p.add_argument("model", metavar="MODEL", help="model file (.npz)")
    p.add_argument("input", metavar="INPUT", help="table: .npy, .csv or .parquet")
    p.add_argument("-o", "--output", metavar="PICTURE.png", required=True,
                   help="the picture: .png, .pdf or .svg")
    p.add_argument("--dims", type=_type("dims", _dims), default=[0, 1], metavar="X,Y",
                   help="the two features shown, by index or name (with --pca: "
                        "principal axes, 0 the first) (default: 0,1)")
    p.add_argument("--pca", action="store_true", help="show principal axes of INPUT")
    p.add_argument("--color-by", choices=("label", "proba"), default="label",
                   help="colour points by label or by blended probabilities "
                        "(default: %(default)s)")
    p.add_argument("--max-points", type=_int_at_least(1), default=50_000, metavar="N",
                   help="draw at most N rows, chosen at random (default: %(default)s)")
    p.add_argument("--dpi", type=_int_at_least(10), default=100,
                   help="resolution of a .png (default: %(default)s)")

    p = command("demo", _cmd_demo, "fit a generated mixture and report what it found")
    p.add_argument("--n-samples", type=_int_at_least(1), default=1_000_000)
    p.add_argument("--n-features", type=_int_at_least(1), default=8)
    p.add_argument("--n-components", type=_int_at_least(1), default=8)
    p.add_argument("--covariance-type", default="full", choices=COVARIANCE_TYPES)
    p.add_argument("--seed", type=_int_at_least(0), default=0)

    command("info", _cmd_info,
            "the build: versions, OpenMP, threads, the C core's instruction set")
    return parser


# ====================================================================== input / output
def _check_output(path, extensions, what, stdout_ok=False):
    """Refuse an output path that cannot be written, before any work is done."""
    if path is None or (stdout_ok and path == "-"):
        return
    ext = pathlib.PurePath(path).suffix.lower()
    if ext not in extensions:
        raise UsageError(f"cannot write {what} {path!r}: unknown extension "
                         f"{ext or '(none)'!r}; use {', '.join(extensions)}"
                         + (" or - (stdout)" if stdout_ok else ""))
    if os.path.isdir(path):
        raise UsageError(f"cannot write {what} {path!r}: it is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise UsageError(f"cannot write {what} {path!r}: the directory {parent!r} "
                         "does not exist")


def _check_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("drawing needs matplotlib, an optional extra: pip install "
                         "fastgmm[plot]") from None


def _read_error(exc):
    if isinstance(exc, FileNotFoundError):
        return UsageError(f"{getattr(exc, 'filename', None) or str(exc)!r}: no such "
                          "file")
    return UsageError(_one_line(exc))


def _read(path, columns, dtype):
    """(X, names) from read_table, every problem a UsageError."""
    from .io import read_table
    try:
        return read_table(path, columns, dtype=dtype)
    except (ValueError, ImportError, OSError) as exc:
        raise _read_error(exc) from exc


def _check_data(X, path, names, columns, min_rows=1):
    """Rows present and every value finite (the first bad cell named)."""
    n = X.shape[0]
    if n < min_rows:
        raise UsageError(f"{path!r} has {n} data row(s); at least {min_rows} needed")
    step = max(1, (1 << 20) // max(1, X.shape[1]))
    for start in range(0, n, step):
        block = np.asarray(X[start:start + step])
        if np.isfinite(block.sum(dtype=np.float64)) or np.isfinite(block).all():
            continue
        r, c = np.argwhere(~np.isfinite(block))[0]
        if names:
            label = repr(names[c])
        elif columns and isinstance(columns[c], int):
            label = str(columns[c])
        else:
            label = str(c)
        raise UsageError(f"{path!r}: data row {start + r + 1}, column {label} holds "
                         f"{block[r, c]} (NaN and infinity cannot be used: drop or "
                         "fill them)")


def _read_input(args, min_rows=1):
    X, names = _read(args.input, args.columns, args.dtype)
    _check_data(X, args.input, names, args.columns, min_rows)
    return X, names


def _read_for_model(args, model, model_path):
    """INPUT's columns for a fitted model: --columns, else the model's named columns
    when both have names, else all of them; their number must be the model's."""
    n_features = int(model.n_features_in_)
    fitted = getattr(model, "feature_names_in_", None)
    fitted = None if fitted is None else [str(n) for n in fitted]
    X, names = _read(args.input, args.columns, args.dtype)
    if args.columns is None and fitted is not None and names is not None:
        missing = [n for n in fitted if n not in names]
        if missing:
            raise UsageError(f"{args.input!r} has no column {missing[0]!r}, which the "
                             f"model {model_path!r} was fitted on (its columns: "
                             f"{', '.join(fitted)}); choose columns with --columns")
        idx = [names.index(n) for n in fitted]
        if idx != list(range(len(names))):
            X = np.ascontiguousarray(X[:, idx])
        names = fitted
    if X.shape[1] != n_features:
        about = f" ({', '.join(fitted)})" if fitted else ""
        raise UsageError(f"{args.input!r} has {X.shape[1]} column(s) but the model "
                         f"{model_path!r} was fitted on {n_features}{about}; choose "
                         "them with --columns")
    _check_data(X, args.input, names, args.columns)
    return X


def _load(path, *, want=None):
    from . import io
    try:
        model = io.load(path)
    except (ValueError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise UsageError(f"{path!r}: no such model file") from exc
        raise UsageError(_one_line(exc)) from exc
    except Exception as exc:   # anything else a broken file provokes
        raise UsageError(f"{path!r} is not a readable fastgmm model file "
                         f"({type(exc).__name__}: {_one_line(exc)})") from exc
    if want == "mixture" and not (hasattr(model, "predict_proba")
                                  and hasattr(model, "weights_")):
        raise UsageError(f"{path!r} holds a {type(model).__name__}, not a Gaussian "
                         "mixture")
    return model


@contextlib.contextmanager
def _model_call():
    """A fitted model applied to checked input: names warning off, failures exit 1."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING)
        with _failures():
            yield


def _csv_format(dtype):
    if dtype.kind in "iub":
        return "%d"
    return "%.9g" if dtype == np.float32 else "%.17g"


def _write_table(path, array, header, no_header=False):
    """write_table, or CSV on stdout for '-'."""
    array = np.asarray(array)
    if array.dtype.kind == "b":
        array = array.astype(np.int64)
    if path == "-":
        table = array.reshape(-1, 1) if array.ndim == 1 else array
        out = sys.stdout
        if not no_header:
            out.write(",".join(header) + "\n")
        np.savetxt(out, table, fmt=_csv_format(table.dtype), delimiter=",")
        out.flush()
        return
    from .io import write_table
    try:
        write_table(path, array, header=None if no_header else header)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot write {path!r}: {_one_line(exc)}") from exc


def _save_model(model, path):
    from .io import save_model
    try:
        save_model(model, path)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot write the model {path!r}: {_one_line(exc)}") from exc


def _say(args, *lines):
    if not getattr(args, "quiet", False):
        for line in lines:
            print(line)


def _n(value):
    return f"{value:,}"


def _short_list(values, fmt="{:.4f}", limit=10):
    shown = [fmt.format(float(v)) for v in values[:limit]]
    return ", ".join(shown) + (f", ... ({len(values)} in all)" if len(values) > limit
                               else "")


def _check_rows_for_k(X, k, path):
    if X.shape[0] < max(2, k):
        raise UsageError(f"{path!r} has {X.shape[0]} data row(s): fitting {k} "
                         f"component(s) needs at least {max(2, k)}")


def _check_parameters(estimator, n_features):
    """The estimator's own parameter checks, before any work (exit 2)."""
    check = getattr(estimator, "_check_parameters", None)
    if check is None:
        return
    try:
        check(n_features)
    except (ValueError, TypeError) as exc:
        raise UsageError(_one_line(exc)) from exc


def _gmm_params(args):
    return dict(tol=args.tol, reg_covar=args.reg_covar, max_iter=args.max_iter,
                n_init=args.n_init, init_params=args.init_params,
                random_state=args.random_state, n_threads=args.threads,
                on_degenerate=args.on_degenerate)


def _describe(model, X, seconds=None):
    cov = getattr(model, "covariance_type", "?")
    k = len(model.weights_)
    lines = [f"{type(model).__name__}: {k} component(s), {cov} covariance, "
             f"{X.shape[1]} feature(s), {_n(X.shape[0])} rows ({X.dtype})"]
    conv = "converged" if model.converged_ else "did NOT converge"
    em = f"EM: {model.n_iter_} iteration(s), {conv}"
    if seconds is not None:
        em += f", {seconds:.2f} s"
    lines.append(em + f"; lower bound {float(model.lower_bound_):.6f} (mean "
                      "log-likelihood per row)")
    lines.append(f"weights: {_short_list(np.asarray(model.weights_))}")
    return lines


# ====================================================================== commands
def _cmd_fit(args):
    from .mixture import GaussianMixture
    _check_output(args.output, MODEL_EXTENSIONS, "the model")
    X, names = _read_input(args)
    _check_rows_for_k(X, args.n_components, args.input)
    gmm = GaussianMixture(args.n_components, covariance_type=args.covariance_type,
                          **_gmm_params(args))
    _check_parameters(gmm, X.shape[1])
    t0 = time.perf_counter()
    with _progress(args, f"fit K={args.n_components} {args.covariance_type}",
                   n_init=args.n_init, max_iter=args.max_iter) as progress, \
            _failures():
        gmm.fit(X, callback=progress)
    seconds = time.perf_counter() - t0
    lines = _describe(gmm, X, seconds)
    if not getattr(args, "quiet", False):
        with _failures():
            lines.append(f"BIC {gmm.bic(X):.6g}, AIC {gmm.aic(X):.6g}")
    if names is not None:
        gmm.feature_names_in_ = np.asarray(names, dtype=object)
        lines.append(f"columns: {', '.join(names)}")
    if args.output:
        _save_model(gmm, args.output)
        lines.append(f"wrote {args.output}")
    _say(args, *lines)
    return EXIT_OK


def _cmd_predict(args):
    _check_output(args.output, TABLE_EXTENSIONS, "the output", stdout_ok=True)
    model = _load(args.model, want="mixture")
    X = _read_for_model(args, model, args.model)
    with _model_call():
        result = model.predict_proba(X) if args.proba else model.predict(X)
    k = len(model.weights_)
    if args.output:
        header = [f"proba_{i}" for i in range(k)] if args.proba else ["label"]
        _write_table(args.output, result, header, args.no_header)
        if args.output != "-":
            _say(args, f"wrote {args.output}: "
                       + (f"{_n(len(result))} x {k} probabilities" if args.proba
                          else f"{_n(len(result))} labels"))
        return EXIT_OK
    labels = np.argmax(result, axis=1) if args.proba else result
    counts = np.bincount(labels, minlength=k)
    print(f"{_n(len(labels))} rows, {k} components")
    print("component       rows   share")
    for i, c in enumerate(counts):
        print(f"{i:9d}  {c:9,d}  {100 * c / max(1, len(labels)):5.1f}%")
    return EXIT_OK


def _cmd_score(args):
    _check_output(args.output, TABLE_EXTENSIONS, "the output", stdout_ok=True)
    model = _load(args.model, want="mixture")
    X = _read_for_model(args, model, args.model)
    with _model_call():
        logp = model.score_samples(X)
    if args.output:
        _write_table(args.output, logp, ["log_density"], args.no_header)
        if args.output != "-":
            _say(args, f"wrote {args.output}: {_n(len(logp))} log-densities")
        return EXIT_OK
    finite = logp[np.isfinite(logp)]
    mean = float(np.mean(logp, dtype=np.float64))
    print(f"{_n(len(logp))} rows: mean log-density {mean:.6f}")
    if finite.size:
        q = np.quantile(finite.astype(np.float64), [0.0, 0.01, 0.5, 0.99, 1.0])
        print(f"min {q[0]:.6g}, 1% {q[1]:.6g}, median {q[2]:.6g}, 99% {q[3]:.6g}, "
              f"max {q[4]:.6g}")
    if finite.size < logp.size:
        print(f"{_n(logp.size - finite.size)} rows have zero density (-inf)")
    return EXIT_OK


def _format_table(result):
    crit = result.criterion
    head = (f"  {'K':>3}  {'covariance':<10}  {'BIC':>14}  {'AIC':>14}  {'ICL':>14}  "
            f"{'lower bound':>12}  {'iter':>4}  {'conv':>4}  {'seconds':>8}")
    lines = [head]
    for i, row in enumerate(result.table):
        mark = "*" if i == result.best_index_ else " "
        if not np.isfinite(row["bic"]):
            lines.append(f"{mark} {row['n_components']:>3}  "
                         f"{row['covariance_type']:<10}  {'failed':>14}")
            continue
        lines.append(
            f"{mark} {row['n_components']:>3}  {row['covariance_type']:<10}  "
            f"{row['bic']:>14.6g}  {row['aic']:>14.6g}  {row['icl']:>14.6g}  "
            f"{row['lower_bound']:>12.6g}  {row['n_iter']:>4}  "
            f"{'yes' if row['converged'] else 'no':>4}  {row['seconds']:>8.3f}")
    best = result.table[result.best_index_]
    lines.append(f"best: K={best['n_components']}, {best['covariance_type']} "
                 f"covariance (lowest {crit.upper()} {best[crit]:.6g})")
    return lines


def _cmd_select(args):
    _check_output(args.output, MODEL_EXTENSIONS, "the model")
    if args.plot:
        _check_output(args.plot, PICTURE_EXTENSIONS, "the picture")
        _check_matplotlib()
    X, names = _read_input(args)
    if X.shape[0] < max(2, max(args.k)):
        raise UsageError(f"{args.input!r} has {X.shape[0]} data row(s): --k up to "
                         f"{max(args.k)} needs at least {max(2, max(args.k))}")
    from .mixture import GaussianMixture
    _check_parameters(GaussianMixture(1, **_gmm_params(args)), X.shape[1])
    from .selection import select
    n_fits = len(args.k) * len(args.covariance_types)
    with _progress(args, f"select: {n_fits} fits") as progress, _failures():
        result = select(X, n_components=args.k, covariance_type=args.covariance_types,
                        criterion=args.criterion, n_init=args.n_init,
                        random_state=args.random_state, tol=args.tol,
                        reg_covar=args.reg_covar, max_iter=args.max_iter,
                        init_params=args.init_params, n_threads=args.threads,
                        on_degenerate=args.on_degenerate, n_jobs=args.jobs)
        progress.clear()
    print("\n".join(_format_table(result)))
    best = result.best_estimator_
    if names is not None:
        best.feature_names_in_ = np.asarray(names, dtype=object)
    if args.output:
        _save_model(best, args.output)
        _say(args, f"wrote {args.output}")
    if args.plot:
        _save_picture(args.plot, lambda ax: result.plot(ax=ax), dpi=100)
        _say(args, f"wrote {args.plot}")
    return EXIT_OK


def _cmd_outliers(args):
    from .mixture import GaussianMixture
    from .outliers import GaussianMixtureOutlierDetector
    _check_output(args.output, TABLE_EXTENSIONS, "the flags", stdout_ok=True)
    X, _ = _read_input(args)
    _check_rows_for_k(X, args.n_components, args.input)
    _check_parameters(GaussianMixture(args.n_components, **_gmm_params(args)),
                      X.shape[1])
    det = GaussianMixtureOutlierDetector(
        contamination=args.contamination, n_components=args.n_components,
        covariance_type=args.covariance_type, **_gmm_params(args))
    with _progress(args, f"outliers: fit K={args.n_components} "
                         f"{args.covariance_type}"), _failures():
        flags = det.fit_predict(X) == -1
    n_out = int(flags.sum())
    summary = (f"{_n(n_out)} of {_n(len(flags))} rows ({100 * n_out / len(flags):.2f}%)"
               f" flagged as outliers (contamination {args.contamination:g}, "
               f"{args.n_components} component(s) {args.covariance_type}; log-density "
               f"below {float(det.offset_):.6g})")
    if not args.output:
        print(summary)
        return EXIT_OK
    _write_table(args.output, flags, ["outlier"], args.no_header)
    if args.output != "-":
        _say(args, summary, f"wrote {args.output}")
    return EXIT_OK


def _save_picture(path, draw, dpi):
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 5.5))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_FEATURE_NAMES_WARNING)
            try:
                draw(ax)
            except (ValueError, TypeError) as exc:
                raise UsageError(_one_line(exc)) from exc
        fig.tight_layout()
        try:
            fig.savefig(path, dpi=dpi)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot write {path!r}: {_one_line(exc)}") from exc
    finally:
        plt.close(fig)


def _cmd_plot(args):
    _check_output(args.output, PICTURE_EXTENSIONS, "the picture")
    _check_matplotlib()
    model = _load(args.model, want="mixture")
    X = _read_for_model(args, model, args.model)
    dims = list(args.dims)
    fitted = getattr(model, "feature_names_in_", None)
    for i, d in enumerate(dims):
        if isinstance(d, str):
            if args.pca:
                raise UsageError(f"--dims {d!r}: with --pca, give principal axes by "
                                 "number (0 is the first)")
            if fitted is None or d not in [str(n) for n in fitted]:
                known = (f"its columns are {', '.join(map(str, fitted))}"
                         if fitted is not None else "it has no column names")
                raise UsageError(f"--dims {d!r}: the model has no column {d!r} "
                                 f"({known}); give indices")
            dims[i] = [str(n) for n in fitted].index(d)
    if X.shape[0] > args.max_points:
        rows = np.sort(np.random.RandomState(0).choice(X.shape[0], args.max_points,
                                                       replace=False))
        X = np.asarray(X[rows])
    from .plot import ellipses

    def draw(ax):
        ellipses(model, X, ax=ax, dims=tuple(dims), pca=args.pca,
                 color_by=args.color_by, legend=len(model.weights_) <= 12)
        ax.set_title(f"{os.path.basename(args.model)}: {len(model.weights_)} "
                     f"components ({getattr(model, 'covariance_type', '?')}), "
                     f"{_n(X.shape[0])} points")
    _save_picture(args.output, draw, args.dpi)
    _say(args, f"wrote {args.output}")
    return EXIT_OK


def demo(n_samples, n_features, n_components, covariance_type, seed, *,
         progress=None):
    """Fit a generated mixture and print what was recovered and how long it took."""
    from . import effective_n_threads, openmp_enabled
    from .mixture import GaussianMixture
    rng = np.random.RandomState(seed)
    true_means = rng.uniform(-10, 10, size=(n_components, n_features))
    true_weights = rng.dirichlet(np.full(n_components, 5.0))
    scales = rng.uniform(0.5, 1.5, size=(n_components, n_features))
    labels = rng.choice(n_components, size=n_samples, p=true_weights)
    X = true_means[labels] + rng.randn(n_samples, n_features) * scales[labels]
    print(f"fastgmm demo: {n_samples:,} samples, {n_features} features, "
          f"{n_components} components ({covariance_type}); OpenMP "
          f"{'on' if openmp_enabled() else 'OFF'}, {effective_n_threads()} thread(s)",
          flush=True)
    g = GaussianMixture(n_components, covariance_type=covariance_type,
                        random_state=seed)
    t0 = time.perf_counter()
    with (progress or contextlib.nullcontext()) as cb:
        g.fit(X, callback=cb)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = g.predict(X)
    t_pred = time.perf_counter() - t0
    # match fitted to true components by nearest mean
    order = [int(np.argmin(((true_means - m) ** 2).sum(1))) for m in g.means_]
    err = max(float(np.abs(g.means_[i] - true_means[o]).max())
              for i, o in enumerate(order))
    agree = float((np.asarray(order)[pred] == labels).mean())
    print(f"fit: {t_fit:.2f} s ({g.n_iter_} EM iterations, converged={g.converged_}), "
          f"predict: {t_pred:.3f} s")
    print(f"mean log-likelihood: {g.lower_bound_:.4f}")
    print(f"largest error of a recovered mean: {err:.4f}")
    print(f"samples assigned to their true component: {100 * agree:.2f}%")
    print("component  true weight  fitted weight")
    for i in np.argsort(order):
        print(f"{order[i]:9d}  {true_weights[order[i]]:11.4f}  {g.weights_[i]:13.4f}")
    return g


def _cmd_demo(args):
    if args.n_components > args.n_samples:
        raise UsageError(f"--n-components {args.n_components} is more than "
                         f"--n-samples {args.n_samples}")
    with _failures():
        demo(args.n_samples, args.n_features, args.n_components, args.covariance_type,
             args.seed, progress=_progress(args, "demo fit", max_iter=100))
    return EXIT_OK


def _cpu_flags():
    """The CPU's feature flags (Linux /proc/cpuinfo), or None when unknown."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return None


def _build_info():
    """The C core's own ``_core.build_info()`` where this build has it, else None."""
    try:
        from . import _core
        info = _core.build_info()
    except Exception:   # an older build (no build_info) or a broken one: infer
        return None
    return info if isinstance(info, dict) and "isa" in info else None


def isa_report(build=None):
    """Lines on the instruction set of the C core's kernels: asked of the C core
    (``build`` = ``_core.build_info()``) when it can tell, else inferred."""
    if build is not None:
        lines = [f"C core instruction set: {build['isa']} (chosen at run time; "
                 f"compiled: {', '.join(build.get('isa_compiled', [])) or '?'}; this "
                 f"CPU runs: {', '.join(build.get('isa_supported', [])) or '?'}"
                 + (f"; FASTGMM_ISA={build['isa_requested']}"
                    if build.get("isa_requested") else "") + ")"]
        for dtype, kernels in (build.get("kernels") or {}).items():
            lines.append(f"  {dtype} kernels: " + ", ".join(
                f"{name} {isa}" for name, isa in kernels.items()))
        if build.get("compiler"):
            lines.append(f"C compiler: {build['compiler']}")
        return lines
    import platform
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return [f"C core instruction set: baseline (portable C; {machine}: the C "
                "core's run-time dispatch is for x86-64 only)"]
    how = ("not reported by this build of the C core; inferred from the CPU's avx2 "
           "and fma flags, which its run-time dispatch tests")
    flags = _cpu_flags()
    if flags is None:
        return ["C core instruction set: unknown (not reported by this build of the "
                "C core, and the CPU flags could not be read)"]
    isa = "AVX2+FMA" if {"avx2", "fma"} <= flags else "baseline x86-64 (SSE2)"
    return [f"C core instruction set: {isa} ({how})"]


def _version(module):
    try:
        mod = __import__(module)
        return getattr(mod, "__version__", "installed")
    except ImportError:
        return None


def _cmd_info(args):
    import platform

    import fastgmm
    lines = [f"fastgmm {fastgmm.__version__} ({os.path.dirname(fastgmm.__file__)})",
             f"Python {platform.python_version()} ({platform.python_implementation()}),"
             f" {platform.system()} {platform.machine()}"]
    omp = fastgmm.openmp_enabled()
    build = _build_info()
    env = os.environ.get("OMP_NUM_THREADS")
    version = (build or {}).get("openmp")
    lines.append(f"OpenMP: {'on' if omp else 'OFF (kernels run serially)'}"
                 + (f" (_OPENMP {version})" if omp and version else ""))
    lines.append(f"threads: {fastgmm.effective_n_threads()} (effective_n_threads(); "
                 f"OMP_NUM_THREADS={env if env is not None else 'unset'}, "
                 f"{os.cpu_count()} CPU(s))")
    lines += isa_report(build)
    deps = [f"numpy {np.__version__}", f"scipy {_version('scipy')}",
            f"threadpoolctl {_version('threadpoolctl')}"]
    lines.append("dependencies: " + ", ".join(deps))
    optional = []
    for module, extra in (("matplotlib", "plot"), ("pandas", "io"), ("pyarrow", "io"),
                          ("dask", "dask")):
        v = _version(module)
        optional.append(f"{module} {v if v else 'not installed'} [{extra}]")
    lines.append("optional: " + ", ".join(optional))
    print("\n".join(lines))
    return EXIT_OK


# ====================================================================== main
def _show_warning(message, category, filename, lineno, file=None, line=None):
    for p in list(_ACTIVE):
        p.clear()
    try:
        sys.stderr.write(f"fastgmm: warning: {_one_line(message)}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def main(argv=None):
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the
    exit status (0 success, 1 failure, 2 usage or input error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # --help (0) and argparse's errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    debug = getattr(args, "debug", False)
    try:
        with warnings.catch_warnings():   # restores warnings.showwarning on exit
            warnings.showwarning = _show_warning
            return args.func(args)
    except CLIError as exc:
        return _report(exc, exc.exit_code, debug)
    except KeyboardInterrupt:
        _stop_progress()
        sys.stderr.write("fastgmm: interrupted\n")
        return 130
    except BrokenPipeError:
        # the reader of stdout went away (e.g. `| head`): stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_FAILURE
    except MemoryError as exc:
        return _report(CLIError(f"out of memory ({_one_line(exc) or 'MemoryError'})"),
                       EXIT_FAILURE, debug)
    except Exception as exc:   # a bug, or an error nothing above expected
        msg = f"unexpected {type(exc).__name__}: {_one_line(exc)}"
        if not debug:
            msg += " (run with --debug for the traceback)"
        return _report(CLIError(msg), EXIT_FAILURE, debug)
    finally:
        _stop_progress()


def _stop_progress():
    for p in list(_ACTIVE):
        p.close()


def _report(exc, code, debug):
    _stop_progress()
    if debug:
        import traceback
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        traceback.print_exception(type(cause), cause, cause.__traceback__)
    sys.stderr.write(f"fastgmm: error: {_one_line(exc)}\n")
    sys.stderr.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
