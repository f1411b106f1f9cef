"""Initial parameters: 'kmeans', 'k-means++', 'random', 'random_from_data'.

Each initialiser yields hard or soft responsibilities exactly as scikit-learn's
GaussianMixture defines them; parameters then come from the same M-step code as EM.
Responsibilities are produced chunk by chunk, so no N x K array ever exists.
The k-means is fastgmm's own: weighted greedy k-means++ seeding and Lloyd
iterations, both in nogil OpenMP kernels (_core.pyx).
"""
import numpy as np

from . import _mstep
from ._blas import single_threaded_blas
from ._core import COV_CODES, em_pass, kmeans_pass, nearest_pass, stats_layout

CHUNK_ROWS = 1 << 16


def _chunks(n):
    for start in range(0, n, CHUNK_ROWS):
        yield start, min(start + CHUNK_ROWS, n)


def mean_variance(X, w, n_threads):
    """The weighted mean over features of the column variances (k-means' tolerance
    scale), from two k-means passes with one centre: the first sums the rows (the
    mean), the second sums the squared distances to that mean.  Each pass reads X
    once in the C core, so a float32 X or a memmap is never copied."""
    D = X.shape[1]
    part = kmeans_pass(X, np.ascontiguousarray(X[:1]), w, None, None, n_threads)
    total = float(part[1])
    if not total > 0:
        return 0.0
    mean = (part[2:2 + D] / total)[None]
    part = kmeans_pass(X, mean.astype(X.dtype), w, None, None, n_threads)
    return float(part[0]) / (total * D)


def seeding_rows(n, max_samples, random_state):
    """Rows the k-means++ seeding reads: None (all of them) when n <= max_samples,
    else a uniform sample of about max_samples distinct rows, sorted, drawn in
    O(max_samples) memory (never a permutation of n)."""
    if max_samples is None or n <= max_samples:
        return None
    return np.unique(random_state.randint(0, n, size=max_samples))


def kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_threads,
                    max_samples=None):
    """Greedy k-means++ seeding (2 + log K trials per center), weighted.

    A row of weight k is chosen as often as k copies of it would be.  With more
    than ``max_samples`` rows the seeding runs on a uniform sample of them (its
    per-row distances are the only O(rows) memory of the initialiser).
    Returns centers (K, D) float64 and their row indices in X (K,).
    """
    rows = seeding_rows(X.shape[0], max_samples, random_state)
    if rows is None:
        return _kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_threads)
    w = None if sample_weight is None else sample_weight[rows]
    if w is not None and np.count_nonzero(w) < n_clusters:
        w = None if not (sample_weight > 0).any() else w  # degenerate sample: unweighted
    centers, picked = _kmeans_plusplus(X[rows], n_clusters, w, random_state, n_threads)
    return centers, rows[picked]


def _kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_threads):
    n = X.shape[0]
    w = sample_weight
    n_trials = 2 + int(np.log(n_clusters))
    cum = np.cumsum(w) if w is not None else None
    total_w = cum[-1] if w is not None else float(n)
    u = random_state.uniform() * total_w
    first = int(np.searchsorted(cum, u, side="right")) if w is not None else int(u)
    indices = [min(first, n - 1)]
    min_dist = np.full(n, np.inf)
    pot = nearest_pass(X, np.ascontiguousarray(X[indices[0]][None]), w, min_dist, True,
                       n_threads)[0]
    buf = np.empty(n) if w is not None else None
    for _ in range(1, n_clusters):
        targets = random_state.uniform(size=n_trials) * pot
        if w is not None:
            np.multiply(min_dist, w, out=buf)
        cands = _sample_by_mass(min_dist if w is None else buf, targets)
        # every trial's potential from one read of X
        pots = nearest_pass(X, np.ascontiguousarray(X[cands]), w, min_dist, False,
                            n_threads)
        best = int(np.argmin(pots))
        pot = nearest_pass(X, np.ascontiguousarray(X[cands[best]][None]), w, min_dist,
                           True, n_threads)[0]
        indices.append(int(cands[best]))
    indices = np.asarray(indices)
    return X[indices].astype(np.float64), indices


def _sample_by_mass(mass, targets, block=4096):
    """For each target t in [0, sum(mass)), the first row whose cumulative mass
    exceeds t (for t at or past the total, the last row of positive mass): a
    two-level search,
    block sums first, then a cumulative sum inside the one block each target falls
    in, where one cumulative sum over all rows would write and read n values per
    k-means++ step."""
    n = mass.shape[0]
    starts = np.arange(0, n, block)
    cum_blocks = np.cumsum(np.add.reduceat(mass, starts))
    picks = np.empty(targets.shape[0], dtype=np.intp)
    for i, t in enumerate(targets):
        b = min(int(np.searchsorted(cum_blocks, t, side="right")), starts.shape[0] - 1)
        before = cum_blocks[b - 1] if b > 0 else 0.0
        within = np.cumsum(mass[starts[b]:starts[b] + block])
        j = min(int(np.searchsorted(within, t - before, side="right")), within.shape[0] - 1)
        pick = starts[b] + j
        if mass[pick] == 0:
            # a target that rounding put past the last positive mass (of its block, or
            # of all rows): take that row, never one of zero mass (a chosen centre)
            positive = np.flatnonzero(mass[:pick + 1])
            pick = int(positive[-1]) if positive.size else pick
        picks[i] = pick
    return picks


def kmeans(X, n_clusters, sample_weight, random_state, n_threads, max_iter=300,
           tol=1e-4, max_seed_samples=None):
    """Lloyd's k-means from a k-means++ seeding.  Returns the centers (K, D).

    Stops when the total squared center shift falls to ``tol * mean feature
    variance`` (scikit-learn's rule; unchanged labels give a shift of exactly 0, so
    no label array is needed to see them).  An empty cluster is moved to the point
    farthest from its center.  Memory: O(K D) besides the seeding's sample; labels
    of the returned centers are computed where they are used, block by block.
    """
    tol = tol * mean_variance(X, sample_weight, n_threads)
    centers, _ = kmeans_plusplus(X, n_clusters, sample_weight, random_state, n_threads,
                                 max_seed_samples)
    D = X.shape[1]
    for _ in range(max_iter):
        part = kmeans_pass(X, centers.astype(X.dtype), sample_weight, None, None,
                           n_threads)
        counts = part[1:1 + n_clusters]
        sums = part[1 + n_clusters:].reshape(n_clusters, D)
        new = centers.copy()
        filled = counts > 0
        new[filled] = sums[filled] / counts[filled, None]
        if not filled.all():
            new[~filled] = _farthest_points(X, centers, sample_weight,
                                            int((~filled).sum()), n_threads)
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            break
    return centers


def _distinct_rows(n, k, sample_weight, random_state):
    """k distinct row indices, each drawn with probability proportional to its
    weight (uniform without weights), by rejection of repeats: O(k + n / chunk)
    memory, for k much smaller than the number of rows of positive weight."""
    if sample_weight is not None:
        bounds = list(_chunks(n))
        totals = np.cumsum([sample_weight[a:b].sum() for a, b in bounds])
    chosen = []
    while len(chosen) < k:
        if sample_weight is None:
            row = int(random_state.randint(n))
        else:
            u = random_state.uniform() * totals[-1]
            c = min(int(np.searchsorted(totals, u, side="right")), len(bounds) - 1)
            a, b = bounds[c]
            within = np.cumsum(sample_weight[a:b])
            u -= totals[c - 1] if c > 0 else 0.0
            row = a + min(int(np.searchsorted(within, u, side="right")), b - a - 1)
            if sample_weight[row] <= 0:
                continue
        if row not in chosen:
            chosen.append(row)
    return np.asarray(chosen)


def _farthest_points(X, centers, sample_weight, m, n_threads):
    """The m rows (of positive weight) farthest from their nearest center, found
    chunk by chunk (O(chunk) memory)."""
    c = centers.astype(X.dtype)
    best_dist = np.empty(0)
    best_rows = np.empty(0, dtype=np.intp)
    for a, b in _chunks(X.shape[0]):
        w = None if sample_weight is None else sample_weight[a:b]
        dist = np.empty(b - a)
        kmeans_pass(X[a:b], c, w, None, dist, n_threads)
        if w is not None:
            dist[w == 0] = -1.0
        dist = np.concatenate([best_dist, dist])
        rows = np.concatenate([best_rows, np.arange(a, b)])
        keep = np.argpartition(dist, -m)[-m:] if dist.size > m else np.arange(dist.size)
        best_dist, best_rows = dist[keep], rows[keep]
    return X[np.sort(best_rows)].astype(np.float64)


def _random_resp_chunks(X, n_components, random_state):
    """Yield (start, stop, resp): scikit-learn's random initial responsibilities
    ('random'), chunk by chunk (RandomState draws rows in order, so chunked draws
    equal one big draw)."""
    for a, b in _chunks(X.shape[0]):
        r = np.asarray(random_state.uniform(size=(b - a, n_components)), dtype=X.dtype)
        r /= r.sum(axis=1)[:, None]
        yield a, b, r


class InitialDraw:
    """The initial responsibilities of one restart, drawn once, and the initial
    parameters they give for any covariance type.

    The random part (k-means centres, k-means++ / random_from_data seeds, or the
    random responsibilities, replayed) is drawn once.  Then the weights and means
    (for 'kmeans' the counts and sums of one C k-means pass; for the seeds, the
    seed rows themselves; for 'random', a chunked pass), and the moments around
    those means (no cancellation) once per layout of s2 that ``covariance_types``
    needs (packed triangle for 'full'/'tied', diagonal for 'diag'/'spherical'):
    for 'kmeans' one C pass of ``em_pass`` in its hard-assignment mode, labels
    computed block by block and never stored.  Model selection shares one draw
    across the covariance types of a K.
    """

    def __init__(self, X, sample_weight, n_components, init_params, random_state,
                 n_threads, max_seed_samples=None, covariance_types=("full",)):
        self.X, self.w, self.K, self.method = X, sample_weight, n_components, init_params
        self.random_state, self.n_threads = random_state, n_threads
        self.centers = self.indices = None
        n = X.shape[0]
        w = sample_weight
        if init_params == "kmeans":
            self.centers = kmeans(X, n_components, w, random_state, n_threads,
                                  max_seed_samples=max_seed_samples)
        elif init_params == "k-means++":
            _, self.indices = kmeans_plusplus(X, n_components, w, random_state,
                                              n_threads, max_seed_samples)
        elif init_params == "random_from_data":
            p = None if w is None else w / w.sum()
            if p is not None and np.count_nonzero(p) < n_components:
                raise ValueError("init_params='random_from_data' needs at least "
                                 "n_components samples of positive weight.")
            if max_seed_samples is None or n <= max_seed_samples:
                self.indices = random_state.choice(n, size=n_components, replace=False,
                                                   p=p)
            else:  # scikit-learn's draw permutes all n rows: O(n) memory; this is O(K)
                self.indices = _distinct_rows(n, n_components, w, random_state)
        self.state = random_state.get_state() if init_params == "random" else None
        # first pass: nk and the means (the random draw advances random_state once)
        if init_params == "kmeans":
            # the counts and sums of the nearest-centre groups, in the C core
            part = kmeans_pass(X, self.centers.astype(X.dtype), w, None, None,
                               n_threads)
            nk = part[1:1 + n_components].copy()
            s1 = part[1 + n_components:].reshape(n_components, X.shape[1])
        elif self.indices is not None:
            # one row per component: its responsibility is 1 (times its weight)
            xi = X[self.indices]
            nk = np.ones(n_components) if w is None else w[self.indices].astype(np.float64)
            s1 = nk[:, None] * xi.astype(np.float64)
        else:
            nk = np.zeros(n_components)
            s1 = np.zeros((n_components, X.shape[1]))
            for a, b, r in self._resp_chunks():
                rw = r.astype(np.float64) if w is None else r * w[a:b, None]
                nk += rw.sum(0)
                s1 += rw.T @ X[a:b].astype(np.float64)
        safe = np.where(nk > 0, nk, 1.0)
        self.nk, self.shift = nk, s1 / safe[:, None]
        self._xtx = None
        # second pass, once per layout (now, so that the random responsibilities are
        # replayed before random_state moves on)
        self._moments = {S: self._second_pass(S) for S in dict.fromkeys(
            _mstep.s2_length(X.shape[1], c) for c in covariance_types)}

    def _resp_chunks(self):
        return _random_resp_chunks(self.X, self.K, self.random_state)

    def _seed_rows(self):
        """Yield (k, its row of X as float64, that row's weight or None) for the
        initialisations whose responsibilities are one seed row per component
        ('k-means++', 'random_from_data')."""
        X, w = self.X, self.w
        for k, row in enumerate(self.indices):
            yield (k, X[row:row + 1].astype(np.float64),
                   None if w is None else w[row:row + 1])

    def _second_pass(self, S):
        """(s1, s2) around the initial means, s2 with S values per component."""
        X, w, K = self.X, self.w, self.K
        D = X.shape[1]
        s2 = np.zeros((K, S))
        s1 = np.zeros((K, D))
        iu = np.triu_indices(D)

        def add(k, d, rk):
            s1[k] += rk @ d
            if S == D:
                s2[k] += rk @ (d * d)
            else:
                s2[k] += ((d * rk[:, None]).T @ d)[iu]

        if self.method == "kmeans":
            return self._kmeans_moments(S)
        if self.method != "random":
            for k, xk, wk in self._seed_rows():
                rk = np.ones(xk.shape[0]) if wk is None else wk
                sel = rk != 0          # rows of zero weight add nothing
                if not sel.all():
                    xk, rk = xk[sel], rk[sel]
                if rk.size:
                    add(k, xk - self.shift[k], rk)
            return s1, s2
        self.random_state.set_state(self.state)  # replay the same draws
        for a, b, r in self._resp_chunks():
            rw = r.astype(np.float64) if w is None else r * w[a:b, None]
            xb = X[a:b].astype(np.float64)
            for k in range(K):
                sel = rw[:, k] != 0
                if sel.any():
                    add(k, xb[sel] - self.shift[k], rw[sel, k])
        return s1, s2

    def _kmeans_moments(self, S):
        """(s1, s2) of the k-means partition around the initial means, in one C pass
        (em_pass in its hard-assignment mode: nearest-centre labels computed and used
        block by block, the statistics kernel's compaction and scatter, no label
        array): the numbers the grouped NumPy pass gives, up to summation order."""
        X, K = self.X, self.K
        D = X.shape[1]
        # 'tied' and 'spherical' give the statistics of 'full' and 'diag' (the same
        # s2 layouts) with the smallest precision arrays, which this mode never reads
        code = COV_CODES["spherical" if S == D else "tied"]
        hi = np.ascontiguousarray(self.shift, dtype=X.dtype)
        lo = np.ascontiguousarray(self.shift - hi.astype(np.float64), dtype=X.dtype)
        prec = np.ones(K if S == D else D * D, dtype=X.dtype)   # not read
        log_norm = np.zeros(K, dtype=X.dtype)                   # not read
        with single_threaded_blas():
            vec = em_pass(X, self.w, hi, lo, prec, log_norm, code, self.n_threads,
                          hard_centers=np.ascontiguousarray(self.centers, dtype=X.dtype))
        layout = stats_layout(D, K, code)
        (a1, b1, _), (a2, b2, _) = layout["s1"], layout["s2"]
        return vec[a1:b1].reshape(K, D), vec[a2:b2].reshape(K, S)

    def parameters(self, covariance_type, reg_covar):
        """(weights, means, covariances) of the initial responsibilities.  Weights
        are nk / sum(w) like scikit-learn's (normalised by the first M-step)."""
        X, w = self.X, self.w
        n, D = X.shape
        s1, s2 = self._moments[_mstep.s2_length(D, covariance_type)]
        eps = float(np.finfo(X.dtype).eps)
        nk_eps, means, cov = _mstep.estimate_gaussian_parameters(
            self.nk, s1, s2, self.shift, covariance_type, reg_covar, eps)
        if covariance_type == "tied" and self.indices is not None:
            # scikit-learn's tied estimate, (X^T X - sum_k nk mu mu^T) / sum nk, counts
            # every row even where the one-hot responsibilities are all 0; mirror it so
            # 'k-means++' / 'random_from_data' start from the same parameters.
            if self._xtx is None:
                xtx = np.zeros((D, D))
                for a, b in _chunks(n):
                    xb = X[a:b].astype(np.float64)
                    xtx += xb.T @ (xb if w is None else xb * w[a:b, None])
                self._xtx = xtx
            cov = (self._xtx - (nk_eps[:, None] * means).T @ means) / nk_eps.sum()
            cov[np.diag_indices(D)] += reg_covar
        total_w = float(n) if w is None else float(w.sum())
        return nk_eps / total_w, means, cov


def initial_parameters(X, sample_weight, n_components, covariance_type, reg_covar,
                       init_params, random_state, n_threads, max_seed_samples=None):
    """Weights, means and covariances from scikit-learn's initial responsibilities
    (one ``InitialDraw``, one covariance type)."""
    draw = InitialDraw(X, sample_weight, n_components, init_params, random_state,
                       n_threads, max_seed_samples, (covariance_type,))
    return draw.parameters(covariance_type, reg_covar)
