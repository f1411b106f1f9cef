"""Run one of scikit-learn's gallery examples, optionally on fastgmm's GaussianMixture.

Used by ``tests/test_sklearn_gallery.py`` (one subprocess per example and mode)::

    MPLBACKEND=Agg python tests/gallery_runner.py --mode fastgmm --out DIR plot_gmm_pdf.py

``--mode sklearn`` runs the example as it is; ``--mode fastgmm`` first replaces
``sklearn.mixture.GaussianMixture`` and ``sklearn.mixture._gaussian_mixture
.GaussianMixture`` by ``fastgmm.GaussianMixture``, so the example's own
``from sklearn.mixture import GaussianMixture`` / ``mixture.GaussianMixture(...)``
binds fastgmm's class.  ``BayesianGaussianMixture`` and everything else stays
scikit-learn's.

Execution.  The script's source is not modified.  It runs in one namespace with
``__name__ == "__main__"`` and ``__file__`` set, as ``runpy.run_path(script,
run_name="__main__")`` would run it, but cell by cell as sphinx-gallery runs it to
build scikit-learn's gallery: cells are separated by ``# %%`` lines (or a line of 20+
``#``; the module docstring is the page's text and only sets ``__doc__``), and when a
cell's last statement is an expression its ``repr`` is printed, which is the
"printed result" that the gallery page shows under the cell (e.g. the
BIC table ``df.sort_values(by="BIC score").head()`` of ``plot_gmm_selection.py``).
Without that none of the mixture examples prints anything.  ``--plain`` runs the
script with ``runpy.run_path`` instead.

Proof of substitution.  ``__init__`` and ``fit`` of both classes (scikit-learn's
original and fastgmm's) are wrapped (``functools.wraps``, so parameter introspection
is unchanged) to count the instances created and the fits run, with
``type(self).__module__`` of each instance.  In fastgmm mode the runner exits with
status 3 if scikit-learn's original class was instantiated or fastgmm's never was;
in sklearn mode, if fastgmm's class was used.

Outputs in ``--out``: ``fig<N>.png`` for every figure open at the end (``plt.show``
is a no-op under Agg, so all the example's figures are still open), and
``report.json``: mode, counts, module names of the instances, warnings raised
(category and message), per figure its size, axes and the text drawn on it (titles,
labels, ``ax.text``, legends, suptitle), the traceback if the script failed, and the
run time.  The script's stdout is the runner's stdout.
"""
import argparse
import ast
import functools
import json
import os
import re
import sys
import time
import traceback
import warnings

SEPARATOR = re.compile(r"^(# ?%%|#{20,})")


def _cells(source):
    """(docstring or None, the other statements grouped in sphinx-gallery's cells)."""
    tree = ast.parse(source)
    body = tree.body
    if ast.get_docstring(tree) is not None:  # the page's text, not a code cell
        body = body[1:]
    starts = [i + 1 for i, line in enumerate(source.splitlines())
              if SEPARATOR.match(line)]
    cells, current, boundary = [], [], iter(starts + [float("inf")])
    nxt = next(boundary)
    for node in body:
        while node.lineno > nxt:
            if current:
                cells.append(current)
            current, nxt = [], next(boundary)
        current.append(node)
    if current:
        cells.append(current)
    return ast.get_docstring(tree, clean=False), cells


def run_gallery(path, namespace):
    """Execute the script at path cell by cell, printing each cell's last expression."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    namespace["__doc__"], cells = _cells(source)
    for cell in cells:
        last = cell[-1] if isinstance(cell[-1], ast.Expr) else None
        body = cell[:-1] if last is not None else cell
        if body:
            exec(compile(ast.Module(body=body, type_ignores=[]), path, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(body=last.value), path, "eval"),
                         namespace)
            if value is not None:
                print(repr(value))
        sys.stdout.flush()


class Counter:
    """Counts instances and fits of a class by wrapping its __init__ and fit."""

    def __init__(self, cls, label):
        self.label, self.instances, self.fits, self.modules = label, 0, 0, set()
        init, fit = cls.__init__, cls.fit

        @functools.wraps(init)
        def counted_init(obj, *args, **kwargs):
            if type(obj) is cls:
                self.instances += 1
                self.modules.add(type(obj).__module__)
            init(obj, *args, **kwargs)

        @functools.wraps(fit)
        def counted_fit(obj, *args, **kwargs):
            if type(obj) is cls:
                self.fits += 1
            return fit(obj, *args, **kwargs)

        cls.__init__, cls.fit = counted_init, counted_fit

    def as_dict(self):
        return {"instances": self.instances, "fits": self.fits,
                "modules": sorted(self.modules)}


def substitute():
    """Point scikit-learn's two public names of GaussianMixture at fastgmm's class."""
    import sklearn.mixture
    import sklearn.mixture._gaussian_mixture as gm_module

    import fastgmm

    sklearn.mixture.GaussianMixture = fastgmm.GaussianMixture
    gm_module.GaussianMixture = fastgmm.GaussianMixture
    assert sklearn.mixture.GaussianMixture is fastgmm.GaussianMixture
    from sklearn.mixture import GaussianMixture  # what the examples import
    assert GaussianMixture is fastgmm.GaussianMixture
    from sklearn import mixture
    assert mixture.GaussianMixture is fastgmm.GaussianMixture


def _texts(fig):
    """Text drawn on a figure: suptitle, and per axes titles, labels, texts, legend."""
    out = {"suptitle": fig._suptitle.get_text() if fig._suptitle else "",
           "texts": [t.get_text() for t in fig.texts], "axes": []}
    for ax in fig.axes:
        legend = ax.get_legend()
        out["axes"].append({
            "titles": [ax.get_title(loc) for loc in ("left", "center", "right")],
            "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "texts": [t.get_text() for t in ax.texts],
            "legend": [t.get_text() for t in legend.get_texts()] if legend else [],
            "artists": {"collections": len(ax.collections), "patches": len(ax.patches),
                        "lines": len(ax.lines)},
        })
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["sklearn", "fastgmm"], required=True)
    parser.add_argument("--out", required=True, help="folder for figures and report")
    parser.add_argument("--plain", action="store_true",
                        help="runpy.run_path instead of sphinx-gallery-like cells")
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("script")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import sklearn.mixture._gaussian_mixture as gm_module

    import fastgmm

    sk_counter = Counter(gm_module.GaussianMixture, "sklearn")
    fg_counter = Counter(fastgmm.GaussianMixture, "fastgmm")
    if args.mode == "fastgmm":
        substitute()

    caught = []

    def showwarning(message, category, filename, lineno, file=None, line=None):
        caught.append({"category": f"{category.__module__}.{category.__qualname__}",
                       "message": str(message)})

    warnings.showwarning = showwarning
    warnings.simplefilter("always")

    script = os.path.abspath(args.script)
    sys.path.insert(0, os.path.dirname(script))
    report = {"mode": args.mode, "script": script, "error": None}
    start = time.perf_counter()
    status = 0
    try:
        if args.plain:
            import runpy
            runpy.run_path(script, run_name="__main__")
        else:
            namespace = {"__name__": "__main__", "__file__": script,
                         "__builtins__": __builtins__}
            run_gallery(script, namespace)
    except BaseException as exc:  # noqa: BLE001 -- reported, then exit status 1
        report["error"] = "".join(traceback.format_exception(exc))
        status = 1
    finally:
        sys.stdout.flush()
        report["seconds"] = time.perf_counter() - start
        figures = []
        for num in plt.get_fignums():
            fig = plt.figure(num)
            name = f"fig{num}.png"
            fig.savefig(os.path.join(args.out, name), dpi=args.dpi)
            figures.append({"num": num, "file": name,
                            "size": [float(v) for v in fig.get_size_inches()],
                            **_texts(fig)})
        report["figures"] = figures
        report["warnings"] = caught
        report["counts"] = {"sklearn": sk_counter.as_dict(),
                            "fastgmm": fg_counter.as_dict()}
        if args.mode == "fastgmm":
            proven = sk_counter.instances == 0 and fg_counter.instances > 0
        else:
            proven = fg_counter.instances == 0
        report["substitution_proven"] = proven
        if not proven and status == 0:
            status = 3
        with open(os.path.join(args.out, "report.json"), "w") as f:
            json.dump(report, f, indent=1)
    if report["error"]:
        print(report["error"], file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
