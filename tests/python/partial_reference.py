"""Reference definitions of partial correlations between RDMs (issue 17), in NumPy/SciPy, for the
partial-correlation tests. Each function states the definition it follows."""
import numpy as np
import scipy.stats


def tau_a(x, y):
    """Kendall's tau-a: (n_c - n_d) / n0, from the signs of all pair differences."""
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    n = len(x)
    return float(np.sum(np.triu(dx * dy, 1))) / (n * (n - 1) / 2)


def correlation(x, y, metric):
    """The metric as SciPy defines it (kendall-b: scipy.stats.kendalltau, tau-b)."""
    if metric == "pearson":
        return float(np.corrcoef(x, y)[0, 1])
    if metric == "spearman":
        return float(scipy.stats.spearmanr(x, y)[0])
    if metric == "kendall-b":
        return float(scipy.stats.kendalltau(x, y)[0])
    if metric == "kendall-a":
        return tau_a(x, y)
    raise ValueError(metric)


def partial_formula(x, y, zs, metric):
    """-Q_xy / sqrt(Q_xx Q_yy), Q the inverse of the (2 + q) x (2 + q) matrix of the metric's
    correlations between x, y and the covariates zs (unit diagonal), as the issue defines it."""
    v = [x, y, *zs]
    n = len(v)
    r = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            r[i, j] = r[j, i] = correlation(v[i], v[j], metric)
    q = np.linalg.inv(r)
    return -q[0, 1] / np.sqrt(q[0, 0] * q[1, 1])


def partial_residual(x, y, zs, metric):
    """pingouin 0.3's partial_corr (the original study), rebuilt from its steps: standardise x, y
    and the covariates (mean 0, sd with ddof = 1, as pandas' .std()), regress x and y on the
    standardised covariates with np.linalg.lstsq (no intercept), correlate the residuals."""
    def std(v):
        v = np.asarray(v, dtype=float)
        return (v - v.mean()) / v.std(ddof=1)
    c = np.column_stack([std(z) for z in zs])
    xs, ys = std(x), std(y)
    bx = np.linalg.lstsq(c, xs, rcond=None)[0]
    by = np.linalg.lstsq(c, ys, rcond=None)[0]
    return correlation(xs - c @ bx, ys - c @ by, metric)


def pair_gather(perm):
    """Index into the condensed RDM of the pair (perm[i], perm[j]) for every pair i < j, in
    condensed order: the RDM with its stimulus labels permuted."""
    s = len(perm)
    index = np.zeros((s, s), dtype=np.int64)
    iu = np.triu_indices(s, k=1)
    index[iu] = np.arange(len(iu[0]))
    index = index + index.T
    a, b = perm[iu[0]], perm[iu[1]]
    return index[a, b]


def partial_freedman_lane(x, y, zs, perm, metric):
    """Freedman & Lane (1983): y = b0 + Z b + e by least squares (np.linalg.lstsq), y* = fitted +
    e with e's stimulus labels permuted, then the formula's partial correlation of x with y*
    given z (Pearson; spearman: on ranks of x, y, z, y* not re-ranked)."""
    if metric == "spearman":
        x, y = scipy.stats.rankdata(x), scipy.stats.rankdata(y)
        zs = [scipy.stats.rankdata(z) for z in zs]
    design = np.column_stack([np.ones(len(y)), *zs])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    e = y - fitted
    return partial_formula(x, fitted + e[pair_gather(np.asarray(perm))], zs, "pearson")
