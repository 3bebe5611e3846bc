"""NumPy references for `permrsa rdm` (issue 6), written from the documented definitions:
folds, averaging window and pseudo-trials as include/permrsa/eeg_rdm.hpp defines them;
correlation / euclidean as scipy.spatial.distance.pdist; crossnobis and its noise covariance as
rsatoolbox defines them (rsatoolbox/rdm/calc.py calc_rdm_crossnobis and
rsatoolbox/data/noise.py cov_from_unbalanced, _covariance_diag, _covariance_eye), re-derived here
in plain NumPy since rsatoolbox is not a Debian package."""
import numpy as np


def folds_rule(labels, n_folds):
    """Within each label, the k-th trial in file order is in fold k mod F."""
    seen = {}
    out = np.empty(len(labels), dtype=np.int64)
    for i, lab in enumerate(labels):
        out[i] = seen.get(lab, 0) % n_folds
        seen[lab] = seen.get(lab, 0) + 1
    return out


def windowed(data, w):
    """Mean over samples t - floor((w-1)/2) ... that exist, for every t (last axis)."""
    T = data.shape[-1]
    out = np.empty_like(data)
    for t in range(T):
        start = t - (w - 1) // 2
        lo, hi = max(0, start), min(T, start + w)
        out[..., t] = data[..., lo:hi].mean(axis=-1)
    return out


def pseudo_trials(data, labels, folds, g):
    """(units data, unit labels, unit folds): within each stimulus and fold, trials in file order
    averaged in groups of g, a remainder joining the last group; units ordered by stimulus, fold,
    group. g = 1 returns the trials unchanged."""
    if g == 1:
        return data, np.asarray(labels), np.asarray(folds)
    units, ul, uf = [], [], []
    for s in np.unique(labels):
        for f in range(folds.max() + 1):
            members = np.flatnonzero((labels == s) & (folds == f))
            if len(members) == 0:
                continue
            groups = max(1, len(members) // g)
            for k in range(groups):
                idx = members[[r for r in range(len(members)) if min(r // g, groups - 1) == k]]
                units.append(data[idx].mean(axis=0))
                ul.append(s)
                uf.append(f)
    return np.array(units), np.array(ul), np.array(uf)


def class_means(x, labels, stimuli):
    return np.array([x[labels == s].mean(axis=0) for s in stimuli])


def condensed(square):
    i, j = np.triu_indices(square.shape[0], 1)
    return square[i, j]


def correlation_rdm(x, labels, stimuli):
    m = class_means(x, labels, stimuli)
    return condensed(1 - np.corrcoef(m))


def euclidean_rdm(x, labels, stimuli):
    m = class_means(x, labels, stimuli)
    return condensed(np.sqrt(((m[:, None, :] - m[None, :, :]) ** 2).sum(-1)))


def noise_covariance(residuals, dof, method):
    """rsatoolbox _estimate_covariance(residuals, dof, method) after _check_demean."""
    x = residuals - residuals.mean(axis=0, keepdims=True)
    n = x.shape[0]
    s_sum = np.einsum("ij,ik->jk", x, x)
    s2_sum = np.einsum("ij,ik->jk", x ** 2, x ** 2)
    if method == "shrinkage-eye":
        s = s_sum / n
        b2 = np.sum(s2_sum / n - s * s) / n
        m = np.trace(s) / s.shape[0]
        d2 = np.sum((s - m * np.eye(s.shape[0])) ** 2)
        b2 = min(d2, b2)
        return (b2 / d2 * m * np.eye(s.shape[0]) + (d2 - b2) / d2 * s) * n / dof
    s = s_sum / dof
    var = np.diag(s)
    std = np.sqrt(var)
    mask = ~np.eye(s.shape[0], dtype=bool)
    s_mean = s_sum / std[None, :] / std[:, None] / dof
    s2_mean = s2_sum / var[None, :] / var[:, None] / dof
    var_hat = n / dof ** 2 * (s2_mean - s_mean ** 2)
    lamb = max(min(np.sum(var_hat[mask]) / np.sum(s_mean[mask] ** 2), 1), 0)
    return s * (np.eye(s.shape[0]) + (1 - lamb) * mask)


def crossnobis_rdm(x, labels, folds, stimuli, method):
    means = class_means(x, labels, stimuli)
    inverse = np.searchsorted(stimuli, labels)
    residuals = x - means[inverse]
    precision = np.linalg.inv(noise_covariance(residuals, x.shape[0] - len(stimuli), method))
    rdms = []
    for f in np.unique(folds):
        train = class_means(x[folds != f], labels[folds != f], stimuli)
        test = class_means(x[folds == f], labels[folds == f], stimuli)
        kernel = train @ precision @ test.T
        d = np.diag(kernel)[None, :] + np.diag(kernel)[:, None] - kernel - kernel.T
        rdms.append(condensed(d) / x.shape[1])
    return np.mean(rdms, axis=0)
