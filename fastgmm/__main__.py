"""Command line: ``python -m fastgmm demo`` fits a generated mixture and reports
what it recovered and how long it took."""
import argparse
import time

import numpy as np

from . import GaussianMixture, effective_n_threads, openmp_enabled


def demo(n_samples, n_features, n_components, covariance_type, seed):
    rng = np.random.RandomState(seed)
    true_means = rng.uniform(-10, 10, size=(n_components, n_features))
    true_weights = rng.dirichlet(np.full(n_components, 5.0))
    scales = rng.uniform(0.5, 1.5, size=(n_components, n_features))
    labels = rng.choice(n_components, size=n_samples, p=true_weights)
    X = true_means[labels] + rng.randn(n_samples, n_features) * scales[labels]
    print(f"fastgmm demo: {n_samples:,} samples, {n_features} features, "
          f"{n_components} components ({covariance_type}); OpenMP "
          f"{'on' if openmp_enabled() else 'OFF'}, {effective_n_threads()} thread(s)")
    g = GaussianMixture(n_components, covariance_type=covariance_type,
                        random_state=seed)
    t0 = time.perf_counter()
    g.fit(X)
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m fastgmm")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="fit a generated mixture and report")
    d.add_argument("--n-samples", type=int, default=1_000_000)
    d.add_argument("--n-features", type=int, default=8)
    d.add_argument("--n-components", type=int, default=8)
    d.add_argument("--covariance-type", default="full",
                   choices=["full", "tied", "diag", "spherical"])
    d.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.n_samples, args.n_features, args.n_components, args.covariance_type,
             args.seed)


if __name__ == "__main__":
    main()
