"""Real-data check: the 49-image EEG x VGG16 data set (the folder tools/seed_data.py finds).

Where the expected values come from:
- /observed is compared with the data set's own reference arrays, reference/{pearson,spearman,
  kendall_tau_b}.npy, which the original study computed with SciPy 1.10 (scipy.stats.pearsonr,
  spearmanr, kendalltau) after its baseline correction (each pair's mean over -0.2 <= t < 0
  subtracted; see the data set's README.md). A folder made by tools/fetch_seed_data.py has no
  reference/: then the same SciPy calls run here (scipy_reference below; on ../shared's folder
  they give kendall and spearman bit for bit, pearson within 4e-15). Tolerances are the issue's
  acceptance criteria: float64 precision within 1e-10 (pearson, spearman) and 1e-12
  (kendall-b), float32 within 1e-5.
- /axes/time must equal the `time` variable of time_vector.mat (read with scipy.io.loadmat),
  /axes/layer the lines of vgg16_layers.txt, and every sha256_* root attribute hashlib.sha256 of
  an input file (tests/python/README.md, "Root attributes").
- The `config` attribute must be TOML (parsed with tomllib) holding the metric that was run.
Nothing here is computed by permrsa's own code; the data folder is read in place, never copied.
"""
import hashlib
import pathlib
import tomllib

import h5py
import numpy as np
import pytest
import scipy.io
import scipy.stats

from permrsa_testing import SEED_DATA, read_results, real_data, run, write_config

REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = real_data

REFERENCE = {"pearson": "pearson.npy", "spearman": "spearman.npy",
             "kendall-b": "kendall_tau_b.npy"}
TOLERANCE = {("pearson", "float64"): 1e-10, ("spearman", "float64"): 1e-10,
             ("kendall-b", "float64"): 1e-12,
             ("pearson", "float32"): 1e-5, ("spearman", "float32"): 1e-5,
             ("kendall-b", "float32"): 1e-5}

INPUT_FILES = ["brain_rdms.npy", "vgg16_layer_corr.npy", "time_vector.mat", "vgg16_layers.txt"]


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def real_config(path, metric, precision, output, permutations=20):
    return write_config(path, {
        "brain": {"file": str(SEED_DATA / "brain_rdms.npy"),
                  "layout": "pairs-time",
                  "times": str(SEED_DATA / "time_vector.mat") + ":time",
                  "baseline": [-0.2, 0.0]},
        "models": {"file": str(SEED_DATA / "vgg16_layer_corr.npy"),
                   "kind": "similarity",
                   "names": str(SEED_DATA / "vgg16_layers.txt")},
        "analysis": {"scheme": "stimulus", "metric": metric, "permutations": permutations,
                     "seed": 1, "tail": "greater", "precision": precision},
        "output": {"file": str(output)},
    })


def scipy_reference(metric):
    """The study's analysis with SciPy 1.10: the data set's reference/ array when it has one,
    else the same calls here (baseline: each pair minus its mean over -0.2 <= t < 0, plus 0.5;
    model RDMs 1 - corr, condensed as squareform)."""
    stored = SEED_DATA / "reference" / REFERENCE[metric]
    if stored.is_file():
        return np.load(stored)
    brain = np.load(SEED_DATA / "brain_rdms.npy")
    time = scipy.io.loadmat(SEED_DATA / "time_vector.mat")["time"].ravel()
    window = (time >= -0.2) & (time < 0)
    brain = brain - brain[:, window].mean(axis=1, keepdims=True) + 0.5
    corr = np.load(SEED_DATA / "vgg16_layer_corr.npy")
    upper = np.triu_indices(corr.shape[1], k=1)
    statistic = {"pearson": scipy.stats.pearsonr, "spearman": scipy.stats.spearmanr,
                 "kendall-b": scipy.stats.kendalltau}[metric]
    return np.array([[statistic(1 - c[upper], brain[:, t])[0] for t in range(brain.shape[1])]
                     for c in corr])


@pytest.fixture(scope="module")
def reference():
    return {m: scipy_reference(m) for m in REFERENCE}


@pytest.mark.parametrize("precision", ["float64", "float32"])
@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b"])
def test_observed_matches_reference(tmp_path, reference, metric, precision):
    out = tmp_path / "out.h5"
    cfg = real_config(tmp_path / "real.toml", metric, precision, out)
    run(["run", cfg])
    assert out.is_file()
    res = read_results(out)
    observed = res["/observed"]
    ref = reference[metric]
    assert observed.dtype == np.float64
    assert observed.shape == ref.shape == (22, 218)
    diff = np.abs(observed - ref)
    tol = TOLERANCE[(metric, precision)]
    worst = np.unravel_index(np.argmax(diff), diff.shape)
    print(f"{metric} {precision}: max |observed - reference| = {diff.max():.3e} at {worst}")
    assert diff.max() <= tol, (
        f"{metric} {precision}: max |observed - reference| = {diff.max():.3e} > {tol:g} "
        f"at (layer, time) = {worst}: {observed[worst]!r} vs {ref[worst]!r}")

    attrs = res["attrs"]
    assert attrs["metric"] == metric
    assert int(attrs["permutations"]) == 20
    assert res["/null/max_statistic"].shape == (21,)
    assert res["/null/max_cluster"].shape == (21,)


def test_axes_hashes_and_config(tmp_path):
    out = tmp_path / "out.h5"
    cfg = real_config(tmp_path / "real.toml", "spearman", "float64", out)
    run(["run", cfg])
    res = read_results(out)

    time = scipy.io.loadmat(SEED_DATA / "time_vector.mat")["time"].ravel().astype(np.float64)
    axis_time = res["/axes/time"]
    assert axis_time.dtype == np.float64
    assert axis_time.shape == (218,)
    np.testing.assert_array_equal(axis_time, time)

    names = (SEED_DATA / "vgg16_layers.txt").read_text().splitlines()
    names = [n.strip() for n in names if n.strip()]
    assert len(names) == 22
    layers = [x.decode() if isinstance(x, bytes) else str(x) for x in res["/axes/layer"]]
    assert layers == names

    attrs = res["attrs"]
    hashes = {k: str(v) for k, v in attrs.items() if k.startswith("sha256_")}
    assert hashes, f"no sha256_* root attribute; attributes are {sorted(attrs)}"
    expected = {f: sha256(SEED_DATA / f) for f in INPUT_FILES}
    for name, value in hashes.items():
        assert value.lower() in expected.values(), (
            f"attribute {name} = {value} is not the sha256 of any input file {expected}")
    for f, digest in expected.items():
        assert digest in {v.lower() for v in hashes.values()}, (
            f"no sha256_* attribute holds the hash of input file {f} ({digest}); got {hashes}")

    text = attrs["config"]
    assert isinstance(text, str)
    parsed = tomllib.loads(text)
    assert parsed["analysis"]["metric"] == "spearman"
    assert int(parsed["analysis"]["permutations"]) == 20
    assert parsed["models"]["kind"] == "similarity"
    assert [float(x) for x in parsed["brain"]["baseline"]] == [-0.2, 0.0]


def test_repository_config_runs(tmp_path, reference):
    """config/seed-eeg-vgg16.toml, unedited: permrsa's own lookup of the data folder (C++) must
    read the files tools/seed_data.py found (the sha256 attributes name them)."""
    cfg = REPO / "config" / "seed-eeg-vgg16.toml"
    out = tmp_path / "x.h5"
    run(["run", cfg, "--set", "analysis.permutations=20", "--set", f"output.file={out}"])
    assert out.is_file()
    res = read_results(out)
    attrs = res["attrs"]
    hashes = {str(v).lower() for k, v in attrs.items() if k.startswith("sha256_")}
    assert {sha256(SEED_DATA / f) for f in INPUT_FILES} <= hashes
    assert int(attrs["permutations"]) == 20
    observed = res["/observed"]
    assert observed.shape == (22, 218)
    assert np.all(np.isfinite(observed))
    # The repository's example uses the study's analysis; when its metric has a reference
    # array, its observed map must match it at least to float32 accuracy.
    metric = attrs["metric"]
    if metric in reference:
        diff = np.abs(observed - reference[metric]).max()
        print(f"config/seed-eeg-vgg16.toml ({metric}): max |observed - reference| = {diff:.3e}")
        assert diff <= 1e-5
    with h5py.File(out, "r") as f:
        for name in ("p_uncorrected", "p_maxstat", "p_cluster", "cluster_id"):
            assert f[name].shape == (22, 218)
