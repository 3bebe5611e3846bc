"""Publication figures of a permrsa analysis (matplotlib, Agg backend). Each function returns a
matplotlib Figure; nothing is shown or saved here.

Artists that tests and the report read back carry a gid: significance bars
"sigbar:<cluster>:<layer index>", onset markers "onset:<layer index>", peak markers
"peak:<layer index>", heatmap outlines "outline:<cluster>", observed clusters on the null
histogram "observed:<cluster>".

Every figure of the statistic names it with statistic_label(res), from the results' provenance:
what was computed (the metric, Fisher z, the one-sample t or the mean across subjects, partial
correlations) and over how many subjects."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402


# The metrics as written in papers.
METRIC_NAMES = {"pearson": "Pearson r", "spearman": "Spearman rho", "kendall-b": "Kendall tau-b",
                "kendall-a": "Kendall tau-a"}
# Cluster outlines are drawn this fraction of a cell inside the cluster's cells, so that a
# cluster on the first or last layer or time point does not merge with the axes frame.
OUTLINE_INSET = 0.12
# Layer labels: at most this size, at least the floor (then only every k-th label is shown).
LABEL_MAX_PT, LABEL_MIN_PT = 10.0, 7.0


def _setting(res, key, default=None):
    """A setting from the root attributes, else from the run's resolved config."""
    prov = res.provenance or {}
    if key in prov:
        return prov[key]
    for section in (res.config or {}).values():
        if isinstance(section, dict) and key in section:
            return section[key]
    return default


def _present(value):
    """A provenance value that holds something: a non-empty string, list or array."""
    if value is None:
        return False
    if isinstance(value, (str, bytes)):
        return bool(value.strip())
    return np.size(value) > 0


def _truth(value):
    if isinstance(value, (str, bytes)):
        return (value.decode() if isinstance(value, bytes) else value).lower() in ("true", "1")
    return bool(value)


def statistic_label(res):
    """What the results' maps hold, for axis labels, titles and colour bars:

    - "Spearman rho", "Kendall tau-b": the stimulus scheme on one (group) brain RDM;
    - "mean Spearman rho (N = 20)", "mean Fisher z of Pearson r (N = 20)": the mean over
      subjects (stimulus scheme on per-subject RDMs, or sign-flip with group_statistic "mean");
    - "one-sample t of Spearman rho (N = 20)": sign-flip with group_statistic "t";
    - "partial ..." before the metric when the results carry covariates (the attribute
      `covariates`, non-empty).
    N comes from the `subjects` attribute, else from the number of brain.files; without either,
    "over subjects" stands in its place."""
    stored = (res.provenance or {}).get("statistic_label")
    if _present(stored):  # the engine's own words (permrsa >= the statistic_label attribute)
        stored = str(stored)
        if _present((res.provenance or {}).get("covariates")) and "partial" not in stored:
            for name in METRIC_NAMES.values():
                if name in stored:
                    return stored.replace(name, "partial " + name, 1)
        return stored
    metric = str(_setting(res, "metric", "similarity"))
    name = METRIC_NAMES.get(metric, metric)
    if _present((res.provenance or {}).get("covariates")):
        name = "partial " + name
    brain = (res.config or {}).get("brain", {})
    files = brain.get("files") if isinstance(brain, dict) else None
    layout = str(brain.get("layout", "")) if isinstance(brain, dict) else ""
    scheme = str(_setting(res, "scheme", "stimulus"))
    if scheme != "sign-flip" and not files and not layout.startswith("subjects"):
        return name
    quantity = f"Fisher z of {name}" if _truth(_setting(res, "fisher_z", False)) else name
    t = scheme == "sign-flip" and str(_setting(res, "group_statistic", "t")) == "t"
    label = f"one-sample t of {quantity}" if t else f"mean {quantity}"
    n = (res.provenance or {}).get("subjects")
    if n is None and isinstance(files, list):
        n = len(files)
    return f"{label} (N = {int(n)})" if n is not None else f"{label} over subjects"


def layer_label_layout(extent_inches, n, fraction=0.75):
    """(font size in points, show every k-th label) for n layer labels along an axis of a figure
    `extent_inches` long, of which the axes take about `fraction`: 0.8 of the space per label,
    between LABEL_MIN_PT and LABEL_MAX_PT; below the floor, labels are thinned so they do not
    overlap (a 5-inch-high heatmap gives 8.6 pt to 25 layers)."""
    space = extent_inches * 72.0 * fraction / max(n, 1)
    size = min(LABEL_MAX_PT, 0.8 * space)
    if size >= LABEL_MIN_PT:
        return size, 1
    return LABEL_MIN_PT, math.ceil(LABEL_MIN_PT / (0.8 * space))


def depth_colors(n, cmap="viridis"):
    """One colour per layer, shallow (dark) to deep (bright)."""
    return plt.get_cmap(cmap)(np.linspace(0.0, 0.9, max(n, 1)))[:n]


def significance_runs(res, alpha=0.05):
    """(cluster, layer index, first time index, last time index) for every run of consecutive
    time points of a significant cluster within one layer: the bars under the curves."""
    ids = res.cluster_id.to_numpy()
    runs = []
    for c in res.clusters.index[res.clusters["p"] <= alpha]:
        for layer in range(ids.shape[0]):
            inside = np.flatnonzero(ids[layer] == c)
            if inside.size == 0:
                continue
            breaks = np.flatnonzero(np.diff(inside) > 1)
            starts = np.r_[inside[0], inside[breaks + 1]]
            ends = np.r_[inside[breaks], inside[-1]]
            runs += [(int(c), layer, int(a), int(b)) for a, b in zip(starts, ends)]
    return runs


def _oriented(res):
    tail = res.provenance.get("tail", "greater")
    s = res.observed.to_numpy()
    return -s if tail == "less" else (np.abs(s) if tail == "two-sided" else s)


def peak_times(res):
    """Each layer's peak latency: the first time of its largest tail-oriented statistic."""
    return res.times[np.argmax(_oriented(res), axis=1)]


def onset_times(res, alpha=0.05):
    """Each layer's onset: the first time in a significant cluster (NaN if none)."""
    onset = np.full(len(res.layers), np.nan)
    for _, layer, first, _ in significance_runs(res, alpha):
        t = res.times[first]
        if np.isnan(onset[layer]) or t < onset[layer]:
            onset[layer] = t
    return onset


def metric_name(res):
    """"Spearman rho", "partial Pearson r", ...: the metric of the per-subject maps."""
    metric = str(_setting(res, "metric", "similarity"))
    name = METRIC_NAMES.get(metric, metric)
    return ("partial " + name) if _present((res.provenance or {}).get("covariates")) else name


def mean_label(res):
    """The y label of the mean view: "mean Spearman rho ± SEM (N = 20)"."""
    metric = str(_setting(res, "metric", "similarity"))
    name = METRIC_NAMES.get(metric, metric)
    if _present((res.provenance or {}).get("covariates")):
        name = "partial " + name
    n = 0 if res.subject_maps is None else res.subject_maps.shape[0]
    return f"mean {name} \u00b1 SEM (N = {n})"


def time_courses(res, layers=None, alpha=0.05, figsize=(9, 5.5), kind=None):
    """Time course per layer, coloured by depth; significant clusters (p <= alpha) as bars under
    the curves spanning exactly their first to last time point; onset (triangle on the bar row)
    and peak (dot on the curve) per layer.

    kind="statistic": the maps' statistic (e.g. the one-sample t); kind="mean": the mean metric
    across subjects with a ±SEM band per layer and the noise ceiling shaded, the clusters still
    those of the test. The default is "mean" for sign-flip results that hold per-subject values,
    else "statistic"."""
    if kind is None:
        flip = str(_setting(res, "scheme", "stimulus")) == "sign-flip"
        kind = "mean" if flip and res.group_mean is not None else "statistic"
    if kind not in ("statistic", "mean"):
        raise ValueError(f'kind: expected "statistic" or "mean", found {kind!r}')
    if kind == "mean" and res.group_mean is None:
        raise ValueError('kind="mean" needs per-subject data (/group/mean), which these results '
                         "do not hold")
    chosen = list(range(len(res.layers))) if layers is None else [
        res.layers.index(x) if isinstance(x, str) else int(x) for x in layers]
    colors = depth_colors(len(res.layers))
    s = (res.group_mean if kind == "mean" else res.observed).to_numpy()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    if kind == "mean":
        sem = np.nan_to_num(res.group_sem.to_numpy())
        for i in chosen:
            ax.fill_between(res.times, s[i] - sem[i], s[i] + sem[i], color=colors[i], alpha=0.2,
                            lw=0, gid=f"sem:{i}")
        if res.noise_ceiling is not None:
            ax.fill_between(res.times, res.noise_ceiling["lower"], res.noise_ceiling["upper"],
                            color="0.6", alpha=0.35, lw=0, label="noise ceiling",
                            gid="noise-ceiling")
    for i in chosen:
        ax.plot(res.times, s[i], color=colors[i], lw=1.2, label=res.layers[i], gid=f"curve:{i}")
    low, high = float(np.min(s[chosen])), float(np.max(s[chosen]))
    if kind == "mean":
        low, high = min(low, float(np.min(s[chosen] - sem[chosen]))), max(high, float(np.max(s[chosen] + sem[chosen])))
        if res.noise_ceiling is not None:
            high = max(high, float(res.noise_ceiling["upper"].max()))
    step = 0.03 * max(high - low, 1e-12)
    row = {layer: low - step * (1.5 + k) for k, layer in enumerate(chosen)}
    dt = float(np.median(np.diff(res.times))) if len(res.times) > 1 else 1.0
    for c, layer, first, last in significance_runs(res, alpha):
        if layer not in row:
            continue
        x0, x1 = res.times[first], res.times[last]
        # Zero-width bars (one time point) stay visible through their edge.
        ax.add_patch(Rectangle((x0, row[layer] - 0.3 * step), x1 - x0, 0.6 * step,
                               facecolor=colors[layer], edgecolor=colors[layer], lw=1.0,
                               gid=f"sigbar:{c}:{layer}"))
    peaks, onsets = peak_times(res), onset_times(res, alpha)
    if kind == "mean":  # the peak of the curve drawn
        peaks = res.times[np.argmax(s, axis=1)]
    for i in chosen:
        ti = int(np.searchsorted(res.times, peaks[i]))
        ax.plot([peaks[i]], [s[i, ti]], "o", ms=4, color=colors[i], mec="black", mew=0.5,
                gid=f"peak:{i}")
        if not np.isnan(onsets[i]):
            ax.plot([onsets[i]], [row[i]], marker=">", ms=5, color="black", gid=f"onset:{i}")
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.set_xlim(res.times[0] - dt / 2, res.times[-1] + dt / 2)
    ax.set_ylim(min(row.values(), default=low) - step, high + step)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(mean_label(res) if kind == "mean" else statistic_label(res))
    what = "mean across subjects (bands: SEM" + (", grey: noise ceiling" if res.noise_ceiling is not None else "") + ")" \
        if kind == "mean" else "RDM similarity per layer"
    ax.set_title(f"{what}; bars: clusters with p <= {alpha:g}, > onset, o peak")
    rows = math.ceil(len(chosen) / 2)
    ax.legend(fontsize=max(LABEL_MIN_PT, layer_label_layout(figsize[1], rows)[0]), ncol=2,
              loc="upper left", frameon=False)
    return fig


def cluster_outline(mask, times, dt, inset=0.0):
    """The border of a set of cells (L x T mask) as line segments in (time, layer) data
    coordinates: one segment per cell side whose neighbour is outside the set, moved `inset`
    (a fraction of a cell) into the set. The segments still join: at a convex corner a side ends
    `inset` short of the cell's corner, along a straight run at the corner, and at a concave
    corner `inset` beyond it."""
    padded = np.pad(mask, 1)

    def inside(layer, t):
        return bool(padded[layer + 1, t + 1])

    segments = []
    for layer, t in zip(*np.nonzero(mask)):
        # (dl, dt_) points from the cell to the outside neighbour across the side.
        for dl, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            if inside(layer + dl, t + dc):
                continue
            al, ac = abs(dc), abs(dl)  # along the side
            points = []
            for sign in (-1, 1):
                if not inside(layer + sign * al, t + sign * ac):
                    extent = 0.5 - inset  # convex corner
                elif not inside(layer + sign * al + dl, t + sign * ac + dc):
                    extent = 0.5          # straight run
                else:
                    extent = 0.5 + inset  # concave corner
                offset_l = dl * (0.5 - inset) + al * sign * extent
                offset_t = dc * (0.5 - inset) + ac * sign * extent
                points.append((times[t] + offset_t * dt, layer + offset_l))
            segments.append(points)
    return segments


def heatmap(res, alpha=0.05, figsize=(9, 5)):
    """The layer x time map of the observed statistic (title and colour bar name it: see
    statistic_label), with the outline of every significant cluster, drawn OUTLINE_INSET of a
    cell inside its cells so that it stays inside the frame."""
    s = res.observed.to_numpy()
    L, T = s.shape
    dt = float(np.median(np.diff(res.times))) if T > 1 else 1.0
    extent = (res.times[0] - dt / 2, res.times[-1] + dt / 2, L - 0.5, -0.5)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    lim = float(np.max(np.abs(s))) or 1.0
    im = ax.imshow(s, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, extent=extent,
                   interpolation="nearest")
    ids = res.cluster_id.to_numpy()
    for c in res.clusters.index[res.clusters["p"] <= alpha]:
        segments = cluster_outline(ids == c, res.times, dt, OUTLINE_INSET)
        ax.add_collection(LineCollection(segments, colors="black", linewidths=1.0,
                                         gid=f"outline:{c}"))
    size, step = layer_label_layout(figsize[1], L)
    ax.set_yticks(range(0, L, step), res.layers[::step], fontsize=size)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("layer (network order)")
    label = statistic_label(res)
    ax.set_title(f"{label}; outlines: clusters with p <= {alpha:g}")
    fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    return fig


def is_generalisation(res):
    """Whether the results are a time x time generalisation (root attribute generalise = 1):
    the rows ("layers") are then the brain's time points t1."""
    return _truth(_setting(res, "generalise", False))


def generalisation(res, alpha=0.05, figsize=(6.5, 5.5)):
    """The T x T map of a time x time generalisation: the brain RDM at t1 (y, upwards) against
    the brain RDM at t2 (x), with the outlines of significant clusters (gid "outline:<cluster>")
    and the diagonal t1 = t2 marked (gid "diagonal"; it is not tested, and blank: NaN). Only
    t1 < t2 is tested; the map is symmetric, so those cells are mirrored into t1 > t2 for the
    picture (gid "mirrored" on the image), while the outlines stay on the tested cells."""
    s = res.observed.to_numpy()
    s = np.where(np.isnan(s) & ~np.isnan(s.T), s.T, s)
    times = np.asarray(res.times, dtype=float)
    T = len(times)
    dt = float(np.median(np.diff(times))) if T > 1 else 1.0
    lo, hi = times[0] - dt / 2, times[-1] + dt / 2
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    finite = s[np.isfinite(s)]
    lim = float(np.max(np.abs(finite))) if finite.size else 1.0
    im = ax.imshow(s, origin="lower", aspect="equal", cmap="RdBu_r", vmin=-(lim or 1.0),
                   vmax=lim or 1.0, extent=(lo, hi, lo, hi), interpolation="nearest",
                   gid="mirrored")
    ids = res.cluster_id.to_numpy()
    for c in res.clusters.index[res.clusters["p"] <= alpha]:
        # cluster_outline works in (time, row index) coordinates: rows are times t1 here.
        segments = [[(x, times[0] + y * dt) for x, y in seg]
                    for seg in cluster_outline(ids == c, times, dt, OUTLINE_INSET)]
        ax.add_collection(LineCollection(segments, colors="black", linewidths=1.0,
                                         gid=f"outline:{c}"))
    ax.plot([lo, hi], [lo, hi], color="0.35", linestyle="--", linewidth=0.8, gid="diagonal")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("t2: time of the brain RDM (s)")
    ax.set_ylabel("t1: time of the brain RDM (s)")
    label = statistic_label(res)
    ax.set_title(f"time x time generalisation; outlines: clusters with p <= {alpha:g}",
                 fontsize=10)
    fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    return fig


def peak_latency(res, figsize=(7, 4.5)):
    """Peak latency against layer depth, with the bootstrap 95% intervals when the results hold
    them ([bootstrap])."""
    L = len(res.layers)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    colors = depth_colors(L)
    if res.bootstrap is not None:
        lat = res.bootstrap["latency"]
        y = lat["peak_time"].to_numpy()
        err = np.vstack([y - lat["peak_low"].to_numpy(), lat["peak_high"].to_numpy() - y])
        ax.errorbar(np.arange(L), y, yerr=err, fmt="none", ecolor="grey", capsize=3, gid="ci")
        ax.set_title("peak latency per layer (bootstrap 95% CI over subjects)")
    else:
        y = peak_times(res)
        ax.set_title("peak latency per layer (no bootstrap in these results)")
    ax.scatter(np.arange(L), y, c=colors, zorder=3, gid="peaks")
    size, step = layer_label_layout(figsize[0], L, fraction=0.85)
    ax.set_xticks(range(0, L, step), res.layers[::step], rotation=60, ha="right", fontsize=size)
    ax.set_xlabel("layer depth")
    ax.set_ylabel("peak latency (s)")
    return fig


def squareform(condensed):
    """Square symmetric matrix of a condensed RDM (SciPy's squareform layout), diagonal 0."""
    condensed = np.asarray(condensed, dtype=float)
    S = int(round((1 + np.sqrt(1 + 8 * condensed.size)) / 2))
    if S * (S - 1) // 2 != condensed.size:
        raise ValueError(f"expected S(S-1)/2 condensed entries, found {condensed.size}")
    out = np.zeros((S, S))
    out[np.triu_indices(S, 1)] = condensed
    return out + out.T


def category_bounds(categories):
    """Indices where the category label changes (the first stimulus of each new category)."""
    categories = list(categories)
    return [i for i in range(1, len(categories)) if categories[i] != categories[i - 1]]


def rdm_images(rdms, categories=None, figsize=None):
    """RDM images side by side: `rdms` maps a title to a condensed or square RDM; lines mark
    the category boundaries (`categories`: one label per stimulus, in RDM order)."""
    items = list(rdms.items())
    n = len(items)
    fig, axes = plt.subplots(1, n, figsize=figsize or (3.2 * n + 0.5, 3.6), layout="constrained",
                             squeeze=False)
    for ax, (title, rdm) in zip(axes[0], items):
        m = np.asarray(rdm, dtype=float)
        m = squareform(m) if m.ndim == 1 else m
        # Rank-normalised colours, as RSA figures do: comparable across RDMs of any scale.
        iu = np.triu_indices(m.shape[0], 1)
        ranks = np.zeros_like(m)
        ranks[iu] = (np.argsort(np.argsort(m[iu])) + 1) / len(iu[0])
        ranks = ranks + ranks.T
        ax.imshow(ranks, cmap="viridis", interpolation="nearest")
        for b in category_bounds(categories) if categories is not None else []:
            ax.axhline(b - 0.5, color="white", lw=0.8, gid="boundary")
            ax.axvline(b - 0.5, color="white", lw=0.8, gid="boundary")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def classical_mds(rdm, dims=2):
    """Classical (Torgerson) MDS: the top eigenvectors of the double-centred -D^2/2, scaled by
    the square roots of their eigenvalues."""
    D = np.asarray(rdm, dtype=float)
    D = squareform(D) if D.ndim == 1 else D
    n = D.shape[0]
    J = np.eye(n) - np.ones((n, n)) / n
    B = -0.5 * J @ (D ** 2) @ J
    w, v = np.linalg.eigh(B)
    order = np.argsort(w)[::-1][:dims]
    return v[:, order] * np.sqrt(np.maximum(w[order], 0.0))


def mds(brain, times, at, categories=None, figsize=None):
    """Classical MDS of the brain RDM (P x T, condensed) at the chosen times (seconds; the
    nearest time point), points coloured by category."""
    brain = np.asarray(brain, dtype=float)
    times = np.asarray(times, dtype=float)
    at = list(at)
    fig, axes = plt.subplots(1, len(at), figsize=figsize or (3.2 * len(at) + 1.5, 3.4),
                             layout="constrained", squeeze=False)
    labels = None if categories is None else list(categories)
    names = list(dict.fromkeys(labels)) if labels is not None else []
    palette = plt.get_cmap("tab10")
    for ax, t in zip(axes[0], at):
        ti = int(np.argmin(np.abs(times - t)))
        xy = classical_mds(brain[:, ti])
        if labels is None:
            ax.scatter(xy[:, 0], xy[:, 1], s=12, color="black", gid=f"mds:{ti}")
        else:
            for k, name in enumerate(names):
                pick = np.array([x == name for x in labels])
                ax.scatter(xy[pick, 0], xy[pick, 1], s=12, color=palette(k % 10), label=name,
                           gid=f"mds:{ti}:{name}")
        ax.set_title(f"t = {times[ti] * 1000:.0f} ms", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    if names:
        axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def null_distribution(res, alpha=0.05, figsize=(7, 4.2)):
    """The null distribution of the largest cluster statistic (permutations k >= 1), with every
    observed cluster marked (solid: p <= alpha) and the 1 - alpha quantile."""
    null = np.asarray(res.null["max_cluster"])[1:]
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.hist(null, bins=50, color="0.7", gid="null")
    if null.size:
        q = float(np.quantile(null, 1 - alpha))
        ax.axvline(q, color="black", ls="--", lw=1, label=f"{1 - alpha:g} quantile", gid="quantile")
    for c, row in res.clusters.iterrows():
        sig = row["p"] <= alpha
        ax.axvline(row["statistic"], color="crimson" if sig else "steelblue", lw=1.2,
                   ls="-" if sig else ":", gid=f"observed:{c}")
    kind = res.provenance.get("cluster_statistic", "statistic")
    of = {"mass": f" (sum of {statistic_label(res)})", "size": " (cells)"}.get(kind, "")
    ax.set_xlabel(f"largest cluster {kind} per permutation{of}")
    ax.set_ylabel("permutations")
    ax.set_title(f"null of the max cluster statistic (K = {null.size}); lines: observed clusters")
    ax.legend(fontsize=7, frameon=False)
    return fig


def _runs(mask):
    """(first, last) index of each run of True in a 1-D mask."""
    inside = np.flatnonzero(mask)
    if inside.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(inside) > 1)
    return list(zip(np.r_[inside[0], inside[breaks + 1]], np.r_[inside[breaks], inside[-1]]))


def _bars(ax, times, mask, y, height, color, gid):
    for first, last in _runs(mask):
        ax.add_patch(Rectangle((times[first], y - height / 2), times[last] - times[first], height,
                               facecolor=color, edgecolor=color, lw=1.0,
                               gid=f"{gid}:{first}-{last}"))


def contrast(res, name=None, alpha=0.05, figsize=(8, 4.5)):
    """A [contrasts] pair: the mean difference r_A - r_B across subjects (Fisher z with fisher_z)
    with its ±SEM band, and bars under it where the pair's sign-flip test has a cluster with
    p <= alpha."""
    if not res.contrasts:
        raise ValueError("these results hold no contrasts ([contrasts] pairs)")
    name = name or next(iter(res.contrasts))
    if name not in res.contrasts:
        raise ValueError(f"contrast {name!r}: expected one of {', '.join(res.contrasts)}")
    table = res.contrasts[name]
    m, sem = table["mean"].to_numpy(), np.nan_to_num(table["sem"].to_numpy())
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.fill_between(res.times, m - sem, m + sem, color="C0", alpha=0.25, lw=0, gid="sem")
    ax.plot(res.times, m, color="C0", lw=1.4, gid="difference")
    low, high = float(np.min(m - sem)), float(np.max(m + sem))
    step = 0.05 * max(high - low, 1e-12)
    _bars(ax, res.times, table["p_cluster"].to_numpy() <= alpha, low - 1.5 * step, 0.6 * step,
          "black", "sigbar")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set_ylim(low - 3 * step, high + step)
    ax.set_xlabel("time (s)")
    fisher = _truth(_setting(res, "fisher_z", False))
    a, b = name.split("-", 1) if "-" in name else (name, "")
    ax.set_ylabel(f"{'Fisher z' if fisher else metric_name(res)} difference ({a} - {b})")
    ax.set_title(f"{a} - {b}: mean ± SEM across subjects; bars: clusters with p <= {alpha:g}")
    return fig


def two_groups(res, layer=None, alpha=0.05, figsize=(8, 4.5)):
    """Two-group results: each group's mean metric ± SEM for one layer, and bars under the
    curves where the group difference has a cluster with p <= alpha."""
    if res.groups is None or res.subject_maps is None:
        raise ValueError("these results are not of the two-group scheme (no /groups)")
    li = 0 if layer is None else (res.layers.index(layer) if isinstance(layer, str) else int(layer))
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    low, high = np.inf, -np.inf
    for g, label, color in ((0, "group a", "C0"), (1, "group b", "C3")):
        x = res.subject_maps[res.groups == g, li]
        m = x.mean(axis=0)
        sem = x.std(axis=0, ddof=1) / np.sqrt(len(x))
        ax.fill_between(res.times, m - sem, m + sem, color=color, alpha=0.25, lw=0, gid=f"sem:{g}")
        ax.plot(res.times, m, color=color, lw=1.4, label=f"{label} (n = {len(x)})", gid=f"mean:{g}")
        low, high = min(low, float(np.min(m - sem))), max(high, float(np.max(m + sem)))
    step = 0.05 * max(high - low, 1e-12)
    ids = res.cluster_id.to_numpy()[li]
    significant = np.isin(ids, res.clusters.index[res.clusters["p"] <= alpha])
    _bars(ax, res.times, significant, low - 1.5 * step, 0.6 * step, "black", "sigbar")
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set_ylim(low - 3 * step, high + step)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{metric_name(res)} ({res.layers[li]})")
    ax.set_title(f"{res.layers[li]}: group means ± SEM; bars: clusters of the "
                 f"{statistic_label(res).split(' of ')[0]} with p <= {alpha:g}")
    ax.legend(frameon=False, loc="upper left")
    return fig
