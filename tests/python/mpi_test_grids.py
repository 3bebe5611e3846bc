"""Distributed runs are bit-identical to one process (DESIGN.md invariant 1 and "Distribution";
issue 3 acceptance "Bit-identical output"), for every process grid of one rank count.

The rank count comes from $PERMRSA_MPI_RANKS (1..4; ctest registers mpi_grids_1 .. mpi_grids_4,
each with its PROCESSORS count). The grids run for each count:

  N=1: 1x1
  N=2: 2x1 (time split), 2x1 with --block-shape 2x1 (layer split), 1x2 (permutation groups)
  N=3: 3x1 (time split, T = 41 is not divisible by 3), 3x1 with --block-shape 3x1 (one layer each)
  N=4: 4x1 with --block-shape 4x1 (4 layer blocks for 3 layers: one block is empty),
       4x1 (time split), 2x2, 2x2 with --block-shape 2x1 (layer split x 2 permutation groups)

Each grid runs 12 analyses: both connectivities x both cluster-forming thresholds x all three
tails (mostly spearman, with pearson and kendall-b cases, mass and size, float32 and float64),
a 13th whose threshold (statistic > 0.99) leaves no observed cluster (empty cluster table), a
14th with K = 12000 (permutation-p: more than 512 top values per cell, so the selections that
trim and merge them sample, and the permutation groups share quota floors), and four of the
sign-flip scheme (issue 4) on per-subject data: two-sided t with MNE's t-default
threshold and with the permutation-p threshold, each with K = 300 >= 2^8 - 1 (all 256 flip
patterns of N = 8 subjects enumerated, K becomes 255) and with K = 100 (Philox patterns);
layer-time connectivity and TFCE in all four.

Where the expected values come from: there are none to compute. The reference is the same
config run by one process without mpirun; the mpirun output must be identical by `h5diff -r`
(exit code 0, no tolerance, attributes included; also no object h5diff reports as not comparable,
and the same dtypes and shapes everywhere). Half of the mpirun runs use --batch-size 7. Both
runs use the same config file and the same output name (each result is moved away afterwards),
so the stored config text is the same too.

The data are synthetic (S=14, L=3, T=41, K=200, fixed NumPy seed), built so that clusters
straddle every block boundary of these grids: each layer's model follows its own latent pattern,
and the brain follows layer 0 at t in [3,14) and [24,35), layer 1 at [10,28), layer 2 at [5,20)
and, negatively, at [30,39). With layer-time connectivity the positive effects form one cluster
(layer 0's two arms join through layer 1), which crosses the layer boundaries; with time
connectivity each run is its own cluster. The tail "less" runs use the models as similarities
(RDM = 1 - model), which negates the correlations, so that they have clusters as well. The
sign-flip combos read N = 8 per-subject brain RDMs (one N x P x T file, brain.layout =
"subjects-pairs-time"): subject n's RDM follows the same envelopes with its own weight (mean 1,
sd 0.3) plus its own noise, so the t maps have the same clusters, the negative one included. A
test per grid asserts that the serial results have observed clusters on both sides of, and joined
across, each boundary of that grid's blocks (block edges at floor(n*i/parts), as the engine
splits).
"""
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from permrsa_testing import BIN, read_results, run, write_config

S, L, T, K = 14, 3, 41, 200
P = S * (S - 1) // 2
SUBJECTS = 8  # sign-flip combos: 2^8 = 256 patterns

RANKS = os.environ.get("PERMRSA_MPI_RANKS")
MPIRUN = shutil.which("mpirun")

pytestmark = [
    pytest.mark.skipif(RANKS is None, reason="set PERMRSA_MPI_RANKS=1..4 (ctest mpi_grids_N does)"),
    pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed"),
]

# (name, ranks, layer blocks, time blocks, extra arguments)
GRIDS = [
    ("1x1", 1, 1, 1, ["--grid", "1x1"]),
    ("2x1-time", 2, 1, 2, ["--grid", "2x1"]),
    ("2x1-layers", 2, 2, 1, ["--grid", "2x1", "--block-shape", "2x1"]),
    ("1x2", 2, 1, 1, ["--grid", "1x2"]),
    ("3x1-time", 3, 1, 3, ["--grid", "3x1"]),
    ("3x1-layers", 3, 3, 1, ["--grid", "3x1", "--block-shape", "3x1"]),
    ("4x1-layers", 4, 4, 1, ["--grid", "4x1", "--block-shape", "4x1"]),
    ("4x1-time", 4, 1, 4, ["--grid", "4x1"]),
    ("2x2-time", 4, 1, 2, ["--grid", "2x2"]),
    ("2x2-layers", 4, 2, 1, ["--grid", "2x2", "--block-shape", "2x1"]),
]


def _combos():
    out = []
    i = 0
    for connectivity in ("time", "layer-time"):
        for threshold in ("statistic", "permutation-p"):
            for tail in ("greater", "less", "two-sided"):
                metric = {("time", "statistic", "two-sided"): "pearson",
                          ("layer-time", "permutation-p", "greater"): "pearson",
                          ("layer-time", "statistic", "less"): "kendall-b",
                          ("time", "permutation-p", "two-sided"): "kendall-b"}.get(
                              (connectivity, threshold, tail), "spearman")
                out.append({"connectivity": connectivity, "threshold": threshold, "tail": tail,
                            "metric": metric,
                            "statistic": "size" if i % 4 == 3 else "mass",
                            "precision": "float64" if i % 3 == 1 else "float32"})
                i += 1
    # and one with K = 12000: capacity 601 top values per cell, so that the buffers' trims and
    # the merge of permutation groups select among more than 512 values (sampled selection) and
    # the groups' quota floors (a group's 301st largest of 1x2, 201st of 1x3) are shared
    out.append({"connectivity": "layer-time", "threshold": "permutation-p", "tail": "greater",
                "metric": "spearman", "statistic": "mass", "precision": "float32",
                "permutations": 12000, "tag": "K12000"})
    # and one analysis without any observed cluster (an empty cluster table to write)
    out.append({"connectivity": "layer-time", "threshold": "statistic", "tail": "two-sided",
                "metric": "spearman", "statistic": "mass", "precision": "float32",
                "value": 0.99, "tag": "no-clusters"})
    # the sign-flip scheme on per-subject data: exhaustive (K = 300 -> 255) and Philox (K = 100)
    for threshold in ("t-default", "permutation-p"):
        for permutations in (300, 100):
            out.append({"scheme": "sign-flip", "connectivity": "layer-time",
                        "threshold": threshold, "tail": "two-sided",
                        "metric": "pearson" if permutations == 100 else "spearman",
                        "statistic": "mass",
                        "precision": "float64" if threshold == "permutation-p" else "float32",
                        "permutations": permutations})
    # and the per-subject maps themselves as input (brain.layout = "subjects-layers-time")
    out.append({"scheme": "sign-flip", "input": "maps", "connectivity": "layer-time",
                "threshold": "permutation-p", "tail": "two-sided", "metric": "given",
                "statistic": "mass", "precision": "float64", "permutations": 300})
    return out


COMBOS = _combos()


def combo_id(c):
    if c.get("scheme") == "sign-flip":
        return (f"signflip-{c.get('input', 'rdms')}-K{c['permutations']}-{c['connectivity']}-{c['threshold']}-"
                f"{c['tail']}-{c['metric']}-{c['statistic']}-{c['precision']}")
    return (f"{c['connectivity']}-{c['threshold']}-{c['tail']}-{c['metric']}-{c['statistic']}"
            f"-{c['precision']}" + (f"-{c['tag']}" if "tag" in c else ""))


def selected_grids():
    if RANKS is None:
        return GRIDS  # every case is skipped by pytestmark
    return [g for g in GRIDS if g[1] == int(RANKS)]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("mpi_grids")
    rng = np.random.default_rng(31415)
    latent = rng.normal(size=(L, P))
    models = 1.0 + latent + 0.4 * rng.normal(size=(L, P))
    envelope = np.zeros((L, T))
    envelope[0, 3:14] = 1.0
    envelope[0, 24:35] = 1.0
    envelope[1, 10:28] = 1.0
    envelope[2, 5:20] = 1.0
    envelope[2, 30:39] = -1.0
    brain = 0.5 + 0.6 * (envelope.T @ latent).T + 0.6 * rng.normal(size=(P, T))
    brain = np.round(brain, 2)  # ties for the rank metrics
    np.save(root / "brain.npy", brain)
    np.save(root / "models.npy", models)
    # per-subject RDMs for the sign-flip combos (their own generator: the data above unchanged)
    sub_rng = np.random.default_rng(27182)
    weights = sub_rng.normal(1.0, 0.3, size=SUBJECTS)
    subjects = (0.5 + 0.6 * weights[:, None, None] * (envelope.T @ latent).T[None]
                + 0.8 * sub_rng.normal(size=(SUBJECTS, P, T)))
    np.save(root / "subjects.npy", np.round(subjects, 2))
    # their Pearson maps (N, L, T), computed here with NumPy, for the maps-input combo
    zm = (models - models.mean(1, keepdims=True)) / models.std(1, keepdims=True)
    rounded = np.round(subjects, 2)
    zs = (rounded - rounded.mean(1, keepdims=True)) / rounded.std(1, keepdims=True)
    np.save(root / "maps.npy", np.einsum("lp,npt->nlt", zm, zs) / P)
    (root / "layers.txt").write_text("".join(f"layer{l}\n" for l in range(L)))
    return root


def config_for(data_dir, combo):
    """Writes the combo's config (output: data_dir/<id>.h5) and returns (config, output)."""
    name = combo_id(combo)
    out = data_dir / f"{name}.h5"
    cfg = data_dir / f"{name}.toml"
    value = combo.get("value", 0.2 if combo["metric"] == "kendall-b" else 0.3)
    if combo.get("scheme") == "sign-flip":
        maps = combo.get("input") == "maps"
        write_config(cfg, {
            "brain": {"file": "maps.npy" if maps else "subjects.npy",
                      "layout": "subjects-layers-time" if maps else "subjects-pairs-time",
                      "time_start": -0.05, "time_step": 0.01},
            "models": {"names": "layers.txt"} if maps else {"file": "models.npy", "names": "layers.txt"},
            "analysis": {"scheme": "sign-flip", "metric": "pearson" if maps else combo["metric"],
                         "group_statistic": "t", "permutations": combo["permutations"],
                         "seed": 12, "tail": combo["tail"], "precision": combo["precision"]},
            "correction": {"cluster_threshold": combo["threshold"], "cluster_alpha": 0.05,
                           "cluster_statistic": combo["statistic"],
                           "connectivity": combo["connectivity"], "tfce": True,
                           "tfce_step": 0.2},
            # per-subject summaries: the noise ceiling (always) and the bootstrap, both
            # assembled from the blocks on rank 0
            "bootstrap": {"samples": 40},
            "output": {"file": str(out)},
        })
        return cfg, out
    write_config(cfg, {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": -0.05,
                  "time_step": 0.01},
        "models": {"file": "models.npy",
                   "kind": "similarity" if combo["tail"] == "less" else "dissimilarity",
                   "names": "layers.txt"},
        "analysis": {"scheme": "stimulus", "metric": combo["metric"],
                     "permutations": combo.get("permutations", K),
                     "seed": 11, "tail": combo["tail"], "precision": combo["precision"]},
        "correction": {"cluster_threshold": combo["threshold"], "cluster_alpha": 0.05,
                       "cluster_value": value, "cluster_statistic": combo["statistic"],
                       "connectivity": combo["connectivity"],
                       # TFCE on the layer-time combos: its per-permutation maxima come from
                       # whole maps assembled across blocks, like the clusters'.
                       "tfce": combo["connectivity"] == "layer-time", "tfce_step": 0.05},
        "output": {"file": str(out)},
    })
    return cfg, out


@pytest.fixture(scope="module")
def serial(data_dir):
    """combo -> path of its serial result (one process, no mpirun), computed once."""
    cache = {}

    def get(combo):
        key = combo_id(combo)
        if key not in cache:
            cfg, out = config_for(data_dir, combo)
            if out.exists():
                out.unlink()
            run(["run", cfg, "--quiet"], timeout=300)
            target = data_dir / f"{key}.serial.h5"
            out.rename(target)
            cache[key] = target
        return cache[key]
    return get


def mpirun(n, args, timeout=300, env=None):
    """Runs `mpirun -n N permrsa *args`; returns the CompletedProcess (text, captured)."""
    cmd = [MPIRUN, "-n", str(n), "--oversubscribe", "--allow-run-as-root", BIN, *map(str, args)]
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env)


def layout(path):
    """name -> (dtype, shape) of every dataset and attribute in the file (h5diff passes
    objects it cannot compare, and compares integers of different widths by value)."""
    out = {}
    with h5py.File(path, "r") as f:
        def add_attrs(name, obj):
            for key in obj.attrs:
                attr = obj.attrs.get_id(key)
                out[f"{name}@{key}"] = (str(attr.dtype), attr.shape)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["/" + name] = (str(obj.dtype), obj.shape)
            add_attrs("/" + name, obj)
        add_attrs("/", f)
        f.visititems(visit)
    return out


def h5diff(a, b):
    """(exit code, report): h5diff -r (no tolerance, attributes included), and 1 too when h5diff
    found objects it could not compare or the two files differ in their dtypes or shapes."""
    proc = subprocess.run(["h5diff", "-r", str(a), str(b)], capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines()
             if ln.strip() != "0 differences found"
             and not ln.startswith(("dataset:", "attribute:", "group  :"))]
    code = proc.returncode
    if code == 0 and "not comparable" in proc.stdout:
        # h5diff cannot compare empty datasets (e.g. /clusters/* when there is no cluster);
        # those are checked by the dtype/shape comparison below. Anything else fails.
        listing = subprocess.run(["h5diff", "-c", str(a), str(b)], capture_output=True, text=True)
        other = [ln for ln in listing.stdout.splitlines()
                 if ln.startswith("Not comparable") and not ln.endswith("is an empty dataset")]
        if other:
            code = 1
            lines.extend(other)
    la, lb = layout(a), layout(b)
    if la != lb:
        code = code or 1
        for key in sorted(set(la) | set(lb)):
            if la.get(key) != lb.get(key):
                lines.append(f"layout {key}: {la.get(key)} vs {lb.get(key)}")
    return code, "\n".join(lines[:60]) + proc.stderr


def edges(n, parts):
    return sorted({n * i // parts for i in range(1, parts)})


def joined_across_time(cid, t):
    """True when some observed cluster holds (l, t-1) and (l, t) for some layer l."""
    a, b = cid[:, t - 1], cid[:, t]
    return bool(np.any((a >= 0) & (a == b)))


def joined_across_layer(cid, l):
    """True when some observed cluster holds (l-1, t) and (l, t) for some time t."""
    a, b = cid[l - 1, :], cid[l, :]
    return bool(np.any((a >= 0) & (a == b)))


@pytest.mark.parametrize("grid", selected_grids(), ids=lambda g: g[0])
def test_problem_straddles_block_boundaries(serial, grid):
    """The serial results have clusters on both sides of each block edge of this grid and
    joined across it (in time for time edges; with layer-time connectivity for layer edges),
    so that the bit-identity test below exercises the boundary joins."""
    _, _, layer_blocks, time_blocks, _ = grid
    results = {combo_id(c): read_results(serial(c)) for c in COMBOS}
    for key, res in results.items():
        assert res["/cluster_id"].shape == (L, T)
        if key.endswith("no-clusters"):
            assert res["/clusters/size"].shape[0] == 0, f"{key}: expected no observed cluster"
            assert np.all(res["/cluster_id"] == -1)
        else:
            assert res["/clusters/size"].shape[0] >= 1, f"{key}: no observed cluster"
    problems = []
    for t in edges(T, time_blocks):
        crossing = [k for k, r in results.items() if joined_across_time(r["/cluster_id"], t)]
        if not crossing:
            problems.append(f"no cluster holds both t={t - 1} and t={t} (time edge {t})")
    for l in edges(L, layer_blocks):
        if l == 0:
            continue  # the empty block of 4x1 layer blocks: no edge between layers
        crossing = [k for k, r in results.items()
                    if "layer-time" in k and joined_across_layer(r["/cluster_id"], l)]
        if not crossing:
            problems.append(f"no layer-time cluster holds both layer {l - 1} and {l}")
    for l0, l1 in zip([0] + edges(L, layer_blocks), edges(L, layer_blocks) + [L]):
        for t0, t1 in zip([0] + edges(T, time_blocks), edges(T, time_blocks) + [T]):
            if l1 > l0 and t1 > t0 and not any(
                    np.any(r["/cluster_id"][l0:l1, t0:t1] >= 0) for r in results.values()):
                problems.append(f"block layers [{l0},{l1}) x times [{t0},{t1}) has no cluster")
    assert not problems, "the synthetic problem is too weak for this grid:\n" + "\n".join(problems)


@pytest.mark.parametrize("combo", [c for c in COMBOS if c.get("scheme") == "sign-flip"],
                         ids=combo_id)
def test_signflip_combos_are_what_they_claim(serial, combo):
    """The sign-flip combos run on N = 8 subjects, exhaustively for K = 300 (K becomes 255) and
    with K = 100 Philox patterns otherwise; each has observed clusters of both signs, TFCE, and
    clusters joined across every block edge of every grid."""
    res = read_results(serial(combo))
    assert res["attrs"]["scheme"] == "sign-flip" and res["attrs"]["subjects"] == SUBJECTS
    k = 2 ** SUBJECTS - 1 if combo["permutations"] >= 2 ** SUBJECTS - 1 else combo["permutations"]
    assert res["attrs"]["permutations"] == k
    assert res["/null/max_statistic"].shape == res["/null/max_tfce"].shape == (k + 1,)
    assert set(res["/clusters/sign"].tolist()) == {-1, 1}
    assert res["/tfce"].max() > 0
    # on its own, each sign-flip combo has clusters joined across every block edge of every grid
    cid = res["/cluster_id"]
    time_edges = sorted({t for g in GRIDS for t in edges(T, g[3])})
    layer_edges = sorted({l for g in GRIDS for l in edges(L, g[2]) if l > 0})
    assert all(joined_across_time(cid, t) for t in time_edges), time_edges
    assert all(joined_across_layer(cid, l) for l in layer_edges), layer_edges


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
@pytest.mark.parametrize("grid", selected_grids(), ids=lambda g: g[0])
def test_mpirun_equals_serial(data_dir, serial, grid, combo):
    name, n, _, _, args = grid
    base = serial(combo)
    cfg, out = config_for(data_dir, combo)
    if out.exists():
        out.unlink()
    # odd batch sizes for half of the combos, so that batches straddle the permutation groups
    args = args + (["--batch-size", "7"] if COMBOS.index(combo) % 2 else [])
    proc = mpirun(n, ["run", cfg, *args, "--threads", "1", "--quiet"])
    assert proc.returncode == 0, (f"mpirun -n {n} permrsa run {cfg.name} {' '.join(args)} exited "
                                  f"{proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
                                  f"stderr:\n{proc.stderr[-3000:]}")
    assert out.exists(), f"grid {name}: no output file {out}"
    target = data_dir / f"{combo_id(combo)}.{name}.h5"
    out.rename(target)
    code, diff = h5diff(base, target)
    assert code == 0, (f"grid {name} ({' '.join(args)}), {combo_id(combo)}: h5diff -r "
                       f"{base.name} {target.name} exit {code}\n{diff}")
    leftovers = [p.name for p in data_dir.iterdir()
                 if p.name.startswith(out.name) and p.name != out.name]
    assert not leftovers, f"grid {name}: temporary files left beside the output: {leftovers}"


@pytest.mark.parametrize("grid", selected_grids(), ids=lambda g: g[0])
def test_peak_rss_is_logged_per_rank(data_dir, grid):
    """Rank 0 logs one peak-RSS number per rank (issue 3, "Memory": report per-rank peak RSS)."""
    name, n, _, _, args = grid
    cfg, out = config_for(data_dir, COMBOS[0])
    if out.exists():
        out.unlink()
    proc = mpirun(n, ["run", cfg, *args, "--threads", "1"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    out.unlink()
    per_rank = [ln for ln in proc.stderr.splitlines() if "peak RSS per rank (MiB):" in ln]
    single = [ln for ln in proc.stderr.splitlines() if re.search(r"peak RSS: \d+(\.\d+)? MiB", ln)]
    if n == 1 and not per_rank:
        assert len(single) == 1, f"grid {name}: expected one 'peak RSS: N MiB' line\n{proc.stderr}"
        return
    assert len(per_rank) == 1, f"grid {name}: expected one per-rank RSS line\n{proc.stderr}"
    numbers = re.findall(r"\d+(?:\.\d+)?", per_rank[0].split("(MiB):", 1)[1])
    assert len(numbers) == n, f"grid {name}: {len(numbers)} numbers for {n} ranks: {per_rank[0]}"
    assert all(float(x) > 0 for x in numbers), per_rank[0]
