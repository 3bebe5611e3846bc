"""Figure labels follow the statistic; cluster outlines stay inside the frame; layer labels are
readable. Everything is read back from the matplotlib objects.

Where the expected values come from:
- labels: written out here by hand from the settings of each run (the README's definitions:
  the stimulus scheme on a group RDM maps the metric itself; on per-subject RDMs, the mean over
  subjects of the metric, or of its Fisher z; sign-flip maps the one-sample t or the mean across
  subjects), for results that `permrsa run` writes from `permrsa simulate` data and from
  per-subject RDMs made here with NumPy (the simulated brain RDM plus seeded noise);
- outlines and ticks: hand-made results files (the README's "Output" layout, written with h5py)
  with clusters placed on the first and last layer and time point; the axes limits are the
  heatmap's cell edges, so "inside the frame" means strictly within them;
- the covariates branch (issue 17's partial correlations): hand-made files with a `covariates`
  attribute, as permrsa does not write one yet.
"""
import h5py
import numpy as np
import pytest

from permrsa_testing import run, write_config
from python_package import permrsa
from permrsa import figures

N = 6


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    d = tmp_path_factory.mktemp("labels")
    run(["simulate", "--out", d, "--stimuli", 12, "--layers", 4, "--times", 40, "-q"])
    brain = np.load(d / "brain.npy")
    rng = np.random.default_rng(11)
    subjects = brain[None] + 0.5 * brain.std() * rng.standard_normal((N, *brain.shape))
    np.save(d / "subjects.npy", subjects)
    for n in range(N):
        np.save(d / f"sub-{n}.npy", subjects[n])
    return d


def results(d, name, brain, analysis):
    out = d / f"{name}.h5"
    cfg = write_config(d / f"{name}.toml", {
        "brain": {**brain, "times": str(d / "times.npy")},
        "models": {"file": str(d / "models.npy"), "kind": "dissimilarity",
                   "names": str(d / "layers.txt")},
        "analysis": {"permutations": 100, "seed": 1, **analysis},
        "output": {"file": str(out)},
    })
    run(["run", cfg, "--quiet"])
    return permrsa.load(out)


GROUP = {"file": "brain.npy", "layout": "pairs-time"}
SUBJECTS = {"file": "subjects.npy", "layout": "subjects-pairs-time"}
FILES = {"files": [f"sub-{n}.npy" for n in range(N)]}
CASES = [
    ("stim-spearman", GROUP, {"scheme": "stimulus", "metric": "spearman"}, "Spearman rho"),
    ("stim-kendall", GROUP, {"scheme": "stimulus", "metric": "kendall-b"}, "Kendall tau-b"),
    ("stim-pearson-z", GROUP, {"scheme": "stimulus", "metric": "pearson", "fisher_z": True},
     "Pearson r"),  # one group RDM: fisher_z does not apply
    ("stim-files", FILES, {"scheme": "stimulus", "metric": "spearman"},
     f"mean Spearman rho (N = {N})"),
    ("stim-files-z", FILES, {"scheme": "stimulus", "metric": "pearson", "fisher_z": True},
     f"mean Fisher z of Pearson r (N = {N})"),
    # Per-subject RDMs in one array: the engine's statistic_label attribute records N.
    ("stim-array", SUBJECTS, {"scheme": "stimulus", "metric": "spearman"},
     f"mean Spearman rho (N = {N})"),
    ("flip-t", SUBJECTS, {"scheme": "sign-flip", "metric": "spearman", "group_statistic": "t"},
     f"one-sample t of Spearman rho (N = {N})"),
    ("flip-t-z", SUBJECTS, {"scheme": "sign-flip", "metric": "kendall-b", "fisher_z": True},
     f"one-sample t of Fisher z of Kendall tau-b (N = {N})"),
    ("flip-mean-z", SUBJECTS, {"scheme": "sign-flip", "metric": "pearson",
                               "group_statistic": "mean", "fisher_z": True},
     f"mean Fisher z of Pearson r (N = {N})"),
]


def colorbar_label(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0].get_ylabel()


@pytest.mark.parametrize("name,brain,analysis,expected", CASES, ids=[c[0] for c in CASES])
def test_every_figure_names_the_statistic_it_shows(sim, name, brain, analysis, expected):
    brain = {k: (str(sim / v) if k == "file" else [str(sim / f) for f in v] if k == "files"
                 else v) for k, v in brain.items()}
    res = results(sim, name, brain, analysis)
    assert figures.statistic_label(res) == expected
    assert res.provenance["statistic_label"] == expected  # the engine's own words
    assert figures.time_courses(res, kind="statistic").axes[0].get_ylabel() == expected
    fig = figures.heatmap(res)
    assert fig.axes[0].get_title().startswith(expected + "; ")
    assert colorbar_label(fig) == expected
    xlabel = figures.null_distribution(res).axes[0].get_xlabel()
    assert xlabel == f"largest cluster mass per permutation (sum of {expected})"


def test_python_api_results_are_labelled_like_the_cli(sim):
    subjects = np.load(sim / "subjects.npy")
    res = permrsa.run(subjects, np.load(sim / "models.npy"), layout="subjects-pairs-time",
                      scheme="sign-flip", metric="spearman", permutations=50)
    assert figures.statistic_label(res) == f"one-sample t of Spearman rho (N = {N})"


def write_results(path, observed, clusters, attrs, times=None):
    """A results file in the README's layout; `clusters`: [(p, {layer: (first, last)})]."""
    L, T = observed.shape
    times = 0.01 * np.arange(T) - 0.1 if times is None else times
    ids = -np.ones((L, T), dtype=np.int32)
    rows = {k: [] for k in ("statistic", "p", "size", "layer_first", "layer_last",
                            "time_first", "time_last", "sign")}
    for c, (p, cells) in enumerate(clusters):
        for layer, (a, b) in cells.items():
            ids[layer, a:b + 1] = c
        inside = ids == c
        rows["statistic"].append(observed[inside].sum())
        rows["p"].append(p)
        rows["size"].append(inside.sum())
        rows["layer_first"].append(min(cells))
        rows["layer_last"].append(max(cells))
        rows["time_first"].append(min(a for a, _ in cells.values()))
        rows["time_last"].append(max(b for _, b in cells.values()))
        rows["sign"].append(1)
    with h5py.File(path, "w") as f:
        f["observed"] = observed
        for name in ("p_uncorrected", "p_maxstat"):
            f[name] = np.full((L, T), 0.5)
        p_of = np.array([p for p, _ in clusters] + [1.0])
        f["p_cluster"] = p_of[np.where(ids >= 0, ids, len(clusters))]
        f["cluster_id"] = ids
        for k, v in rows.items():
            f[f"clusters/{k}"] = np.array(v, dtype={"statistic": "f8", "p": "f8",
                                                    "sign": "i1"}.get(k, "i8"))
        f["null/max_statistic"] = np.linspace(0, 1, 51)
        f["null/max_cluster"] = np.linspace(0, 1, 51)
        f["axes/time"] = times
        f["axes/layer"] = np.array([f"layer{i:02d}".encode() for i in range(L)])
        f.attrs["permrsa_version"] = "0.1.0"
        f.attrs["config"] = ""
        for k, v in attrs.items():
            f.attrs[k] = v
    return permrsa.load(path)


@pytest.mark.parametrize("attrs,expected", [
    ({"metric": "kendall-b", "scheme": "stimulus", "covariates": "age.npy"},
     "partial Kendall tau-b"),
    ({"metric": "kendall-b", "scheme": "stimulus", "covariates": np.array([b"age", b"rt"])},
     "partial Kendall tau-b"),
    ({"metric": "spearman", "scheme": "sign-flip", "group_statistic": "t", "subjects": 12,
      "covariates": "low-level.npy"}, "one-sample t of partial Spearman rho (N = 12)"),
    ({"metric": "kendall-b", "scheme": "stimulus", "covariates": ""}, "Kendall tau-b"),
])
def test_covariates_make_the_label_partial(tmp_path, attrs, expected):
    res = write_results(tmp_path / "cov.h5", np.zeros((3, 10)) + 0.1,
                        [(0.01, {0: (2, 4)})], attrs)
    assert figures.statistic_label(res) == expected
    assert colorbar_label(figures.heatmap(res)) == expected


def test_outlines_on_the_edges_of_the_map_lie_strictly_inside_the_frame(tmp_path):
    L, T = 5, 30
    observed = np.random.default_rng(3).normal(0, 0.1, (L, T))
    clusters = [(0.01, {0: (0, 6)}),                # top row, first time point
                (0.02, {L - 1: (20, T - 1)}),       # bottom row, last time point
                (0.03, {0: (25, T - 1), 1: (27, T - 1)}),  # two rows, top right corner
                (0.04, {2: (10, 10)})]              # one cell in the middle
    res = write_results(tmp_path / "edges.h5", observed, clusters,
                        {"metric": "spearman", "scheme": "stimulus"})
    fig = figures.heatmap(res)
    fig.canvas.draw()
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    dt = 0.01
    outlines = {c.get_gid(): np.concatenate(c.get_segments()) for c in ax.collections
                if (c.get_gid() or "").startswith("outline:")}
    assert set(outlines) == {f"outline:{c}" for c in range(4)}
    gap_t, gap_l = figures.OUTLINE_INSET * dt, figures.OUTLINE_INSET
    for gid, pts in outlines.items():
        assert (pts[:, 0] > x0).all() and (pts[:, 0] < x1).all(), gid
        assert (pts[:, 1] > y0).all() and (pts[:, 1] < y1).all(), gid
        # At least the inset away from the frame (the limits are the outer cell edges).
        assert pts[:, 0].min() - x0 >= gap_t - 1e-12 and x1 - pts[:, 0].max() >= gap_t - 1e-12
        assert pts[:, 1].min() - y0 >= gap_l - 1e-12 and y1 - pts[:, 1].max() >= gap_l - 1e-12
    # The outline of a cluster is still closed: every segment end meets another segment's end.
    for c in ax.collections:
        if (c.get_gid() or "").startswith("outline:"):
            ends = [tuple(np.round(p, 9)) for seg in c.get_segments() for p in seg]
            assert all(ends.count(e) == 2 for e in ends), c.get_gid()


def tick_boxes(fig, labels):
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in labels if t.get_visible() and t.get_text()]


@pytest.mark.parametrize("L", [3, 12, 25, 40])
def test_layer_labels_are_readable_and_do_not_overlap(tmp_path, L):
    observed = np.random.default_rng(L).normal(0, 0.1, (L, 20))
    res = write_results(tmp_path / f"l{L}.h5", observed, [(0.01, {0: (2, 4)})],
                        {"metric": "spearman", "scheme": "stimulus"})
    floor = 8 if L <= 25 else 7  # at least 8 pt up to 25 layers, never below 7 pt
    fig = figures.heatmap(res)
    fig.canvas.draw()
    labels = fig.axes[0].get_yticklabels()
    sizes = {t.get_fontsize() for t in labels}
    assert min(sizes) >= floor and max(sizes) <= 10, (L, sizes)
    shown = [t.get_text() for t in labels]
    if L <= 25:
        assert shown == res.layers  # every layer is named
    else:  # thinned evenly, not dropped: every k-th layer from the first
        step = res.layers.index(shown[1])
        assert shown == res.layers[::step] and step <= 3
    boxes = tick_boxes(fig, labels)
    for a, b in zip(boxes, boxes[1:]):
        assert not a.overlaps(b), (L, a, b)
    assert all(b.y0 >= fig.bbox.y0 and b.y1 <= fig.bbox.y1 for b in boxes)
    # The peak-latency axis (rotated labels) and the time-course legend: the same floor.
    sizes = {t.get_fontsize() for t in figures.peak_latency(res).axes[0].get_xticklabels()}
    assert min(sizes) >= floor and max(sizes) <= 10, (L, sizes)
    legend = figures.time_courses(res).axes[0].get_legend()
    assert min(t.get_fontsize() for t in legend.get_texts()) >= floor


def test_sign_flip_time_courses_default_to_mean_and_sem_against_the_noise_ceiling(sim):
    # Issue 18: the figure reviewers expect. The mean and SEM are the file's /group/mean and
    # /group/sem, checked against SciPy in test_subject_values.py; here the drawing is read back.
    brain = {k: str(sim / v) if k == "file" else v for k, v in SUBJECTS.items()}
    res = results(sim, "flip-mean-view", brain, {"scheme": "sign-flip", "metric": "spearman"})
    ax = figures.time_courses(res).axes[0]
    assert ax.get_ylabel() == f"mean Spearman rho \u00b1 SEM (N = {N})"
    gids = {c.get_gid() for c in ax.collections}
    assert "noise-ceiling" in gids
    assert {f"sem:{i}" for i in range(len(res.layers))} <= gids
    curve = [line for line in ax.lines if line.get_gid() == "curve:0"][0]
    np.testing.assert_array_equal(curve.get_ydata(), res.group_mean.to_numpy()[0])
    # The statistic view is still there on request.
    statistic = figures.time_courses(res, kind="statistic").axes[0]
    assert statistic.get_ylabel() == f"one-sample t of Spearman rho (N = {N})"
