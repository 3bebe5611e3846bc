"""The figures of permrsa.figures, read back from their matplotlib artists.

Where the expected values come from: a results file written here with h5py in the README's
"Output" layout, with clusters placed by hand (so the truth is known, not computed by permrsa):
the significance bars must span exactly those clusters' time ranges. Classical MDS and the
condensed layout are checked against SciPy (scipy.spatial.distance.pdist / squareform).
"""
import h5py
import numpy as np
import pytest
import scipy.spatial.distance as ssd

from python_package import permrsa
from permrsa import figures

L, T = 3, 20
TIMES = -0.1 + 0.01 * np.arange(T)
LAYERS = ["conv1", "conv2", "fc"]
# (cluster id, p, {layer: (first, last) time index}); ids follow the row-major first-cell rule.
CLUSTERS = [
    (0, 0.01, {0: (3, 7)}),
    (1, 0.40, {0: (15, 17)}),            # not significant: no bar
    (2, 0.02, {1: (10, 14), 2: (12, 16)}),  # spans two layers (layer-time connectivity)
    (3, 0.03, {2: (2, 2)}),              # one time point
]
SIGNIFICANT = {(c, layer): span for c, p, cells in CLUSTERS if p <= 0.05 for layer, span in cells.items()}


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    rng = np.random.default_rng(0)
    observed = 0.01 * rng.standard_normal((L, T))
    ids = -np.ones((L, T), dtype=np.int32)
    rows = {k: [] for k in ("statistic", "p", "size", "layer_first", "layer_last", "time_first",
                            "time_last", "sign")}
    for c, p, cells in CLUSTERS:
        for layer, (a, b) in cells.items():
            ids[layer, a:b + 1] = c
            observed[layer, a:b + 1] += 0.3 + 0.1 * np.hanning(b - a + 3)[1:-1]
        inside = ids == c
        rows["statistic"].append(observed[inside].sum())
        rows["p"].append(p)
        rows["size"].append(inside.sum())
        rows["layer_first"].append(min(cells))
        rows["layer_last"].append(max(cells))
        rows["time_first"].append(min(a for a, _ in cells.values()))
        rows["time_last"].append(max(b for _, b in cells.values()))
        rows["sign"].append(1)
    path = tmp_path_factory.mktemp("known") / "known.h5"
    K = 200
    with h5py.File(path, "w") as f:
        f["observed"] = observed
        for name in ("p_uncorrected", "p_maxstat"):
            f[name] = np.full((L, T), 0.5)
        f["p_cluster"] = np.where(ids >= 0, np.array([c[1] for c in CLUSTERS])[ids], 1.0)
        f["cluster_id"] = ids
        dtypes = {"statistic": "f8", "p": "f8", "sign": "i1"}
        for k, v in rows.items():
            f[f"clusters/{k}"] = np.array(v, dtype=dtypes.get(k, "i8"))
        f["null/max_statistic"] = rng.random(K + 1)
        f["null/max_cluster"] = np.r_[max(rows["statistic"]), 3 * rng.random(K)]
        f["axes/time"] = TIMES
        f["axes/layer"] = np.array([x.encode() for x in LAYERS], dtype="S8")
        f["bootstrap/peak_time"] = TIMES[[5, 12, 14]]
        f["bootstrap/peak_ci"] = TIMES[[5, 12, 14]][:, None] + np.array([[-0.02, 0.01], [-0.01, 0.03], [-0.03, 0.02]])
        f["bootstrap/cluster_onset_time"] = TIMES[[3, 10, 2]]
        f["bootstrap/cluster_onset_ci"] = np.zeros((L, 2))
        f["bootstrap/onset_missing"] = np.zeros(L, dtype=np.int64)
        f["bootstrap/threshold_onset_time"] = TIMES[[2, 9, 1]]
        f["bootstrap/threshold_onset_ci"] = np.zeros((L, 2))
        f["bootstrap/threshold_onset_missing"] = np.zeros(L, dtype=np.int64)
        f.attrs["permrsa_version"] = "0.1.0"
        f.attrs["config"] = '[analysis]\nmetric = "spearman"\n'
        f.attrs["metric"] = "spearman"
        f.attrs["tail"] = "greater"
        f.attrs["cluster_statistic"] = "mass"
    return permrsa.load(path)


def bars(fig):
    out = {}
    for patch in fig.axes[0].patches:
        gid = patch.get_gid() or ""
        if gid.startswith("sigbar:"):
            _, c, layer = gid.split(":")
            out[(int(c), int(layer))] = (patch.get_x(), patch.get_x() + patch.get_width())
    return out


def test_time_course_bars_span_exactly_the_significant_clusters(known):
    fig = figures.time_courses(known)
    fig.canvas.draw()  # the bars survive rendering
    drawn = bars(fig)
    assert set(drawn) == set(SIGNIFICANT)
    for key, (first, last) in SIGNIFICANT.items():
        x0, x1 = drawn[key]
        assert x0 == TIMES[first], key
        assert x1 == pytest.approx(TIMES[last], abs=1e-15), key
    # The bar of cluster 2 in layer "fc" starts where that layer's part starts, not the cluster's.
    assert drawn[(2, 2)][0] == TIMES[12] and drawn[(2, 1)][0] == TIMES[10]


def test_time_course_bars_follow_alpha(known):
    assert set(bars(figures.time_courses(known, alpha=0.015))) == {(0, 0)}
    assert set(bars(figures.time_courses(known, alpha=0.5))) == set(SIGNIFICANT) | {(1, 0)}


def test_time_courses_mark_each_layers_onset_and_peak_and_colour_by_depth(known):
    fig = figures.time_courses(known)
    lines = {line.get_gid(): line for line in fig.axes[0].lines if line.get_gid()}
    observed = known.observed.to_numpy()
    for layer in range(L):
        x, y = lines[f"peak:{layer}"].get_data()
        assert x[0] == TIMES[np.argmax(observed[layer])] and y[0] == observed[layer].max()
    # Onsets: the first significant time point of each layer.
    assert lines["onset:0"].get_xdata()[0] == TIMES[3]
    assert lines["onset:1"].get_xdata()[0] == TIMES[10]
    assert lines["onset:2"].get_xdata()[0] == TIMES[2]
    colors = [lines[f"curve:{i}"].get_color() for i in range(L)]
    assert len({tuple(c) for c in colors}) == L


def test_heatmap_outlines_every_significant_cluster(known):
    fig = figures.heatmap(known)
    gids = {a.get_gid() for a in fig.axes[0].get_children() if a.get_gid()}
    assert {g for g in gids if g.startswith("outline:")} == {"outline:0", "outline:2", "outline:3"}
    outlines = {a.get_gid(): np.concatenate(a.get_segments()) for a in fig.axes[0].collections
                if (a.get_gid() or "").startswith("outline:")}
    dt = 0.01
    half = 0.5 - figures.OUTLINE_INSET  # outlines are drawn inside the cells (in the frame)
    for c, p, cells in CLUSTERS:
        if p > 0.05:
            continue
        # The outline's bounding box is the cluster's cells, inset: time +- (1/2 - inset) dt,
        # layer +- (1/2 - inset).
        pts = outlines[f"outline:{c}"]
        first = min(a for a, _ in cells.values())
        last = max(b for _, b in cells.values())
        np.testing.assert_allclose(pts[:, 0].min(), TIMES[first] - half * dt, atol=1e-12)
        np.testing.assert_allclose(pts[:, 0].max(), TIMES[last] + half * dt, atol=1e-12)
        np.testing.assert_allclose(pts[:, 1].min(), min(cells) - half, atol=1e-12)
        np.testing.assert_allclose(pts[:, 1].max(), max(cells) + half, atol=1e-12)
    # A run of n cells in one layer has 2n + 2 border sides; one cell has 4.
    assert len(outlines["outline:0"]) == 2 * (2 * 5 + 2) and len(outlines["outline:3"]) == 2 * 4


def test_null_distribution_marks_every_observed_cluster(known):
    fig = figures.null_distribution(known)
    marks = {l.get_gid(): l.get_xdata()[0] for l in fig.axes[0].lines if (l.get_gid() or "").startswith("observed:")}
    assert marks == {f"observed:{c}": s for c, s in known.clusters["statistic"].items()}


def test_peak_latency_draws_the_bootstrap_intervals(known):
    fig = figures.peak_latency(known)
    ci = known.datasets["/bootstrap/peak_ci"]
    container = [c for c in fig.axes[0].containers if c.get_label() != ""][0]
    segments = container.lines[2][0].get_segments()
    for layer, seg in enumerate(segments):
        assert seg[0][1] == pytest.approx(ci[layer, 0]) and seg[1][1] == pytest.approx(ci[layer, 1])


def test_classical_mds_of_euclidean_distances_recovers_them_as_scipy_computes_them():
    rng = np.random.default_rng(1)
    points = rng.standard_normal((12, 2))
    condensed = ssd.pdist(points)
    xy = figures.classical_mds(condensed)
    np.testing.assert_allclose(ssd.pdist(xy), condensed, atol=1e-10)
    np.testing.assert_array_equal(figures.squareform(condensed), ssd.squareform(condensed))


def test_mds_and_rdm_figures_colour_and_split_by_category():
    rng = np.random.default_rng(2)
    categories = ["face"] * 4 + ["animal"] * 3 + ["scene"] * 3
    brain = rng.random((45, 5))
    fig = figures.mds(brain, np.arange(5) * 0.1, at=[0.1, 0.31], categories=categories)
    gids = {c.get_gid() for ax in fig.axes for c in ax.collections}
    assert gids == {f"mds:{t}:{c}" for t in (1, 3) for c in ("face", "animal", "scene")}
    fig = figures.rdm_images({"brain": brain[:, 0], "model": brain[:, 1]}, categories)
    assert figures.category_bounds(categories) == [4, 7]
    assert sum(line.get_gid() == "boundary" for line in fig.axes[0].lines) == 4
