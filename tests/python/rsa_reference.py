"""Independent NumPy/SciPy reference for permrsa's stimulus-scheme analysis.

It follows the contract in tests/python/README.md line by line and is written to be read, not to
be fast. It is fed an explicit K x S array of permutations (row k-1 = permutation k = pi; the
permuted model is D'[i][j] = D[pi[i]][pi[j]]) and prepends the identity as k = 0.

Metrics are the SciPy 1.10 definitions:
  pearson   = scipy.stats.pearsonr
  spearman  = scipy.stats.spearmanr (Pearson on average ranks, scipy.stats.rankdata)
  kendall-b = scipy.stats.kendalltau (tau-b)
  kendall-a = (n_concordant - n_discordant) / (P(P-1)/2)

Exactness. The permutation null of a rank statistic is discrete, so exact ties between
permutations are common (a Spearman rho is a function of an integer rank dot product, a Kendall
tau of the integer C - D). Every statistic is therefore computed as s = num / den, where den
depends only on the cell (it is the same for every permutation, because permuting the model
does not change its multiset of values), and for spearman / kendall num is an exact integer.
One division by the same den maps equal integers to equal doubles and keeps their order, so all
comparisons between permutations at one cell count ties exactly. When den is the same for all
cells (no ties in any RDM, the usual case), comparisons across cells are exact too, and cluster
masses are summed as integers before the division.
"""
import itertools

import numpy as np
from scipy import ndimage, stats

METRICS = ("pearson", "spearman", "kendall-b", "kendall-a")
TAILS = ("greater", "less", "two-sided")


# --------------------------------------------------------------------------------------------
# Permutations
# --------------------------------------------------------------------------------------------

def condensed_index(n_stimuli):
    """(S, S) array: the condensed (squareform) index of pair (i, j); -1 on the diagonal."""
    index = -np.ones((n_stimuli, n_stimuli), dtype=np.int64)
    iu = np.triu_indices(n_stimuli, k=1)
    index[iu] = np.arange(len(iu[0]))
    index[(iu[1], iu[0])] = index[iu]
    return index


def with_identity(perms, n_stimuli):
    """Prepends the identity (k = 0, the observed data) to a K x S permutation array."""
    perms = np.asarray(perms, dtype=np.int64).reshape(-1, n_stimuli)
    for row in perms:
        assert np.array_equal(np.sort(row), np.arange(n_stimuli)), f"not a permutation: {row}"
    return np.vstack([np.arange(n_stimuli, dtype=np.int64)[None, :], perms])


def permuted_pair_index(all_perms):
    """(K+1, P): entry p of the permuted condensed model is model[index[k, p]].

    Pair p = (i, j), i < j, of the permuted RDM holds D[pi[i]][pi[j]]."""
    n_stimuli = all_perms.shape[1]
    index = condensed_index(n_stimuli)
    i, j = np.triu_indices(n_stimuli, k=1)
    return index[all_perms[:, i], all_perms[:, j]]


def all_permutations(n_stimuli):
    """Every permutation of range(S) except the identity, in lexicographic order (k = rank)."""
    perms = np.array(list(itertools.permutations(range(n_stimuli))), dtype=np.int64)
    return perms[1:]


# --------------------------------------------------------------------------------------------
# Statistic maps s_k[l, t] = num[k, l, t] / den[l, t]
# --------------------------------------------------------------------------------------------

def _pair_signs(values):
    """sign(x_a - x_b) for all a < b over the last axis: (..., P) -> (..., P(P-1)/2) int8."""
    a, b = np.triu_indices(values.shape[-1], k=1)
    return np.sign(values[..., a] - values[..., b]).astype(np.int8)


def statistic_parts(brain, models, all_perms, metric):
    """Returns (num, den, exact): s_k = num[k] / den, num (K+1, L, T), den (L, T).

    brain: P x T; models: L x P; all_perms: (K+1) x S with the identity first.
    `exact` is True when num is an exact integer (rank and Kendall metrics)."""
    brain = np.asarray(brain, dtype=np.float64)
    models = np.asarray(models, dtype=np.float64)
    n_pairs = brain.shape[0]
    index = permuted_pair_index(all_perms)  # (K+1, P)

    if metric == "pearson":
        centred_model = models - models.mean(axis=1, keepdims=True)            # (L, P)
        centred_brain = brain - brain.mean(axis=0, keepdims=True)              # (P, T)
        # Permuting the model only reorders its entries: centre once, then gather.
        num = centred_model[:, index] @ centred_brain                          # (L, K+1, T)
        den = np.outer(np.linalg.norm(centred_model, axis=1),
                       np.linalg.norm(centred_brain, axis=0))
        return np.moveaxis(num, 1, 0), den, False

    if metric == "spearman":
        # Twice the average rank is an integer; centred, it is 2r - (P+1). The rank dot product
        # is then an exact integer (well inside int64).
        model_ranks = 2 * stats.rankdata(models, axis=1) - (n_pairs + 1)
        brain_ranks = 2 * stats.rankdata(brain, axis=0) - (n_pairs + 1)
        model_ranks = np.rint(model_ranks).astype(np.int64)
        brain_ranks = np.rint(brain_ranks).astype(np.int64)
        num = model_ranks[:, index] @ brain_ranks                              # (L, K+1, T)
        # The product of the two sums of squares is about P^6 / 9: past int64 from P ~ 2000 on,
        # so it is formed exactly in Python integers and rounded once, as int64 did below that.
        den = np.sqrt(np.outer((model_ranks ** 2).sum(axis=1).astype(object),
                               (brain_ranks ** 2).sum(axis=0).astype(object)).astype(np.float64))
        return np.moveaxis(num, 1, 0), den, True

    if metric in ("kendall-b", "kendall-a"):
        # C - D = sum over pairs-of-pairs of sign(dx) * sign(dy) (Knight's algorithm computes the
        # same count in O(P log P); here the O(P^2) definition is spelled out).
        model_signs = _pair_signs(models[:, index])                            # (L, K+1, Q)
        brain_signs = _pair_signs(brain.T)                                     # (T, Q)
        # Small integers: a float64 matrix product is exact and much faster than int64.
        num = model_signs.astype(np.float64) @ brain_signs.T.astype(np.float64)
        num = np.rint(num).astype(np.int64)                                    # (L, K+1, T)
        n0 = n_pairs * (n_pairs - 1) // 2
        if metric == "kendall-a":
            den = np.full((models.shape[0], brain.shape[1]), float(n0))
        else:
            # Pairs-of-pairs tied in x (n1) or in y (n2); the identity's counts hold for all k.
            model_ties = (model_signs[:, 0, :] == 0).sum(axis=1)               # (L,)
            brain_ties = (brain_signs == 0).sum(axis=1)                        # (T,)
            den = np.sqrt(np.outer(n0 - model_ties, n0 - brain_ties).astype(np.float64))
        return np.moveaxis(num, 1, 0), den, True

    raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def statistic_maps(brain, models, all_perms, metric):
    """s (K+1, L, T) float64: the metric for every permutation (k = 0 observed)."""
    num, den, _ = statistic_parts(brain, models, all_perms, metric)
    return num / den


def oriented(x, tail):
    """The tail-oriented statistic e: s for greater, -s for less, |s| for two-sided."""
    if tail == "greater":
        return x
    if tail == "less":
        return -x
    if tail == "two-sided":
        return np.abs(x)
    raise ValueError(f"unknown tail {tail!r}; expected one of {TAILS}")


# --------------------------------------------------------------------------------------------
# Clusters
# --------------------------------------------------------------------------------------------

def connectivity_structure(connectivity):
    """The 2-D (layer, time) neighbourhood for scipy.ndimage.label."""
    if connectivity == "time":
        return np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    if connectivity == "layer-time":
        return ndimage.generate_binary_structure(2, 1)  # 4-neighbour cross
    raise ValueError(f"unknown connectivity {connectivity!r}")


def label_stack(passing, positive, connectivity, two_sided):
    """Labels clusters in each (L, T) slice of a (K+1, L, T) stack independently.

    Returns labels (K+1, L, T) int (0 = no cluster, labels unique across the whole stack).
    For two-sided tails, neighbours join only when their s has the same sign (s >= 0 counts as
    positive): positive and negative cells are labelled separately."""
    structure = np.zeros((3, 3, 3), dtype=int)
    structure[1] = connectivity_structure(connectivity)  # no links between permutations
    if not two_sided:
        labels, _ = ndimage.label(passing, structure=structure)
        return labels
    pos_labels, n_pos = ndimage.label(passing & positive, structure=structure)
    neg_labels, _ = ndimage.label(passing & ~positive, structure=structure)
    return np.where(neg_labels > 0, neg_labels + n_pos, pos_labels)


def number_by_first_cell(labels):
    """(L, T) labels (0 = none) -> ids 0, 1, ... in order of each cluster's first cell in a
    row-major (layer, time) scan, -1 outside clusters."""
    ids = -np.ones(labels.shape, dtype=np.int32)
    flat = labels.ravel()
    order = []  # labels in order of first appearance
    seen = set()
    for value in flat:
        if value > 0 and value not in seen:
            seen.add(value)
            order.append(value)
    for new_id, value in enumerate(order):
        ids[labels == value] = new_id
    return ids


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------

def analyse(brain, models, perms, metric="spearman", tail="greater",
            cluster_threshold="permutation-p", cluster_alpha=0.05, cluster_value=0.1,
            cluster_statistic="mass", connectivity="time"):
    """Runs the stimulus-scheme analysis; returns {HDF5 dataset name: array}.

    brain: P x T; models: L x P (condensed RDMs); perms: K x S (row k-1 = permutation k)."""
    brain = np.asarray(brain, dtype=np.float64)
    models = np.asarray(models, dtype=np.float64)
    n_pairs = brain.shape[0]
    n_stimuli = int(round((1 + np.sqrt(1 + 8 * n_pairs)) / 2))
    assert n_stimuli * (n_stimuli - 1) // 2 == n_pairs, "P is not S(S-1)/2"
    all_perms = with_identity(perms, n_stimuli)
    n_perm = all_perms.shape[0] - 1  # K
    two_sided = tail == "two-sided"

    num, den, exact = statistic_parts(brain, models, all_perms, metric)
    s = num / den                            # (K+1, L, T)
    e = oriented(s, tail)                    # tail-oriented; larger = more extreme
    observed, e0 = s[0], e[0]

    # Uncorrected: p = (1 + #{k >= 1 : e_k >= e_0}) / (K+1), per cell.
    p_uncorrected = (1 + (e[1:] >= e0).sum(axis=0)) / (n_perm + 1)

    # Max statistic over the whole (L, T) family.
    max_statistic = e.reshape(n_perm + 1, -1).max(axis=1)       # M_0..M_K
    p_maxstat = (1 + (max_statistic[1:, None, None] >= e0).sum(axis=0)) / (n_perm + 1)

    # Cluster-forming threshold, applied to every permutation (k = 0 included).
    if cluster_threshold == "statistic":
        passing = e > cluster_value
    elif cluster_threshold == "permutation-p":
        # c = #{j in 0..K : e_j >= e_k} at the same cell = the 'max' rank of -e_k.
        count = stats.rankdata(-e, method="max", axis=0)
        passing = (count.astype(np.float64) / float(n_perm + 1)) <= cluster_alpha
    else:
        raise ValueError(f"unknown cluster_threshold {cluster_threshold!r}")

    labels = label_stack(passing, s >= 0, connectivity, two_sided)
    n_labels = labels.max()
    in_cluster = labels > 0
    # Cluster statistics. With one common exact denominator, masses are integer sums.
    common_den = exact and np.all(den == den.flat[0])
    if cluster_statistic == "size":
        weights = np.ones(e.shape)
    elif cluster_statistic == "mass":
        weights = oriented(num, tail).astype(np.float64) if common_den else e
    else:
        raise ValueError(f"unknown cluster_statistic {cluster_statistic!r}")
    # bincount sums integer-valued float64 weights exactly (all far below 2**53).
    label_stat = np.bincount(labels[in_cluster], weights=weights[in_cluster],
                             minlength=n_labels + 1)
    if cluster_statistic == "mass" and common_den:
        label_stat = label_stat / den.flat[0]
    label_perm = np.zeros(n_labels + 1, dtype=np.int64)
    label_perm[labels[in_cluster]] = np.nonzero(in_cluster)[0]   # k of each label
    max_cluster = np.zeros(n_perm + 1)                            # 0 when no cluster
    np.maximum.at(max_cluster, label_perm[1:], label_stat[1:])

    # Observed clusters, numbered by their first cell in a row-major (layer, time) scan.
    cluster_id = number_by_first_cell(labels[0])
    n_clusters = int(cluster_id.max()) + 1
    table = {name: [] for name in ("statistic", "p", "size", "layer_first", "layer_last",
                                   "time_first", "time_last", "sign")}
    p_cluster = np.ones(observed.shape)
    for c in range(n_clusters):
        cells = cluster_id == c
        label = labels[0][cells][0]
        statistic = label_stat[label]
        p = (1 + (max_cluster[1:] >= statistic).sum()) / (n_perm + 1)
        p_cluster[cells] = p
        layers, times = np.nonzero(cells)
        if tail == "greater":
            sign = 1
        elif tail == "less":
            sign = -1
        else:
            sign = 1 if observed[cells][0] >= 0 else -1
        table["statistic"].append(statistic)
        table["p"].append(p)
        table["size"].append(int(cells.sum()))
        table["layer_first"].append(layers.min())
        table["layer_last"].append(layers.max())
        table["time_first"].append(times.min())
        table["time_last"].append(times.max())
        table["sign"].append(sign)

    out = {
        "/observed": observed,
        "/p_uncorrected": p_uncorrected,
        "/p_maxstat": p_maxstat,
        "/p_cluster": p_cluster,
        "/cluster_id": cluster_id,
        "/null/max_statistic": max_statistic,
        "/null/max_cluster": max_cluster,
    }
    float_columns = ("statistic", "p")
    int8_columns = ("sign",)
    for name, values in table.items():
        dtype = np.float64 if name in float_columns else (
            np.int8 if name in int8_columns else np.int64)
        out["/clusters/" + name] = np.asarray(values, dtype=dtype)
    out["permutations"] = n_perm
    return out


# --------------------------------------------------------------------------------------------
# Synthetic inputs shared by the tests (not part of the reference analysis)
# --------------------------------------------------------------------------------------------

def _zscore(x):
    return (x - x.mean()) / x.std()


def synthetic_data(seed, n_stimuli=12, n_layers=4, n_times=40, n_features=6, smoothness=0.8,
                   effects=()):
    """Returns (brain P x T, models L x P), both float64 condensed RDMs without ties.

    Models: Euclidean RDMs of stimulus features that drift from layer to layer (neighbouring
    layers are correlated). Brain: Euclidean RDMs of random stimulus features that drift
    smoothly in time (AR(1) with coefficient `smoothness`), independent of the models, plus for
    each (layer, t_start, t_stop, amplitude[, shape]) in `effects` a copy of that layer's z-scored
    RDM over [t_start, t_stop), Hann-shaped (default) or "box" (constant; two boxes of opposite
    sign side by side make clusters of opposite sign touch). A negative amplitude plants a
    negative effect."""
    from scipy.spatial.distance import pdist
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((n_stimuli, n_features))
    models = []
    for _ in range(n_layers):
        models.append(pdist(features))
        features = 0.75 * features + 0.66 * rng.standard_normal(features.shape)
    models = np.array(models)

    brain_features = rng.standard_normal((n_stimuli, n_features))
    brain = []
    for _ in range(n_times):
        brain.append(_zscore(pdist(brain_features)))
        brain_features = (smoothness * brain_features
                          + np.sqrt(1 - smoothness ** 2) * rng.standard_normal(brain_features.shape))
    brain = np.array(brain).T  # P x T
    for layer, start, stop, amplitude, *shape in effects:
        if shape == ["box"]:
            envelope = np.ones(stop - start)
        else:
            envelope = np.hanning(stop - start + 2)[1:-1]
        brain[:, start:stop] += amplitude * np.outer(_zscore(models[layer]), envelope)
    brain += 10.0  # keep the 'dissimilarities' positive; no correlation depends on it
    for rdm in list(models) + list(brain.T):
        assert len(np.unique(rdm)) == len(rdm), "tied RDM entries"
    return brain, models
