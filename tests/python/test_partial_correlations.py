"""Partial correlations with covariate RDMs ([covariates], issue 17): the observed maps against
NumPy/SciPy definitions, the layers that are covariates left out, the root attributes, and bad
input. Where the expected values come from: partial_reference.py (partial_formula: the inverse
of the metric's correlation matrix, np.linalg.inv; partial_residual: pingouin 0.3's steps with
np.linalg.lstsq and scipy.stats.kendalltau/spearmanr/np.corrcoef)."""
import hashlib

import numpy as np
import pytest

import partial_reference as ref
from permrsa_testing import REPO, SEED_DATA, read_results, real_data, run, write_config

S, T = 12, 4
P = S * (S - 1) // 2
METRICS = ("pearson", "spearman", "kendall-b", "kendall-a")


def simulated(seed, layers=3, covariates=3):
    """Models, brain and covariates that share structure (so partialling changes the values),
    with ties in one model and one covariate (rounded), as RDMs often have."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(covariates, P))
    models = rng.normal(size=(layers, P)) + 0.6 * base[0]
    models[0] = np.round(models[0], 1)
    base[1] = np.round(base[1], 1)
    brain = 0.5 * base[0][:, None] + 0.3 * models[-1][:, None] + rng.normal(size=(P, T))
    return models, brain, base


def write_inputs(tmp_path, models, brain, covariates, names=None):
    np.save(tmp_path / "models.npy", models)
    np.save(tmp_path / "brain.npy", brain)
    np.save(tmp_path / "cov.npy", covariates)
    if names is not None:
        (tmp_path / "names.txt").write_text("\n".join(names) + "\n")


def run_partial(tmp_path, metric, covariates, extra_models=None, permutations=19, **extra):
    sections = {
        "brain": {"file": "brain.npy"},
        "models": {"file": "models.npy", **(extra_models or {})},
        "covariates": covariates,
        "analysis": {"metric": metric, "permutations": permutations, "precision": "float64",
                     "seed": 3, **extra.pop("analysis", {})},
        "output": {"file": str(tmp_path / "out.h5")},
    }
    sections.update(extra)
    if permutations is None:
        del sections["analysis"]["permutations"]
    cfg = write_config(tmp_path / "run.toml", sections)
    proc = run(["run", cfg, "-q"])
    return read_results(tmp_path / "out.h5"), proc


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("q", [1, 2, 3])
def test_formula_equals_the_inverse_correlation_matrix_definition(tmp_path, metric, q):
    models, brain, cov = simulated(11 + q)
    write_inputs(tmp_path, models, brain, cov[:q])
    res, _ = run_partial(tmp_path, metric, {"file": "cov.npy"})
    got = res["/observed"]
    want = np.array([[ref.partial_formula(models[l], brain[:, t], cov[:q], metric)
                      for t in range(T)] for l in range(models.shape[0])])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b"])
@pytest.mark.parametrize("q", [1, 2])
def test_residual_equals_pingouin_03_rebuilt_in_numpy(tmp_path, metric, q):
    models, brain, cov = simulated(21 + q)
    write_inputs(tmp_path, models, brain, cov[:q])
    res, _ = run_partial(tmp_path, metric, {"file": "cov.npy", "method": "residual"})
    want = np.array([[ref.partial_residual(models[l], brain[:, t], cov[:q], metric)
                      for t in range(T)] for l in range(models.shape[0])])
    np.testing.assert_allclose(res["/observed"], want, rtol=0, atol=1e-12)


def test_a_layer_that_is_a_covariate_is_left_out_and_logged(tmp_path):
    models, brain, _ = simulated(5, layers=4)
    write_inputs(tmp_path, models, brain, models[:1], names=["conv1", "conv2", "fc6", "fc7"])
    res, proc = run_partial(tmp_path, "kendall-b", {"layers": ["conv1"], "method": "residual"},
                            extra_models={"names": "names.txt"})
    assert [n.decode() for n in res["/axes/layer"]] == ["conv2", "fc6", "fc7"]
    assert res["/observed"].shape == (3, T)
    want = np.array([[ref.partial_residual(models[l], brain[:, t], models[:1], "kendall-b")
                      for t in range(T)] for l in range(1, 4)])
    np.testing.assert_allclose(res["/observed"], want, rtol=0, atol=1e-12)
    assert "conv1 is a covariate" in proc.stderr + proc.stdout
    attrs = res["attrs"]
    assert attrs["covariates"] == "conv1"
    assert attrs["covariate_method"] == "residual"
    assert attrs["covariate_permute"] == "model"
    assert "[covariates]" in attrs["config"]
    info = run(["info", tmp_path / "out.h5"]).stdout
    assert "covariates conv1 partialled out (method residual" in info


def test_file_and_layer_covariates_together_record_names_and_hash(tmp_path):
    models, brain, cov = simulated(8, layers=3)
    write_inputs(tmp_path, models, brain, cov[:1])
    (tmp_path / "cnames.txt").write_text("pixels\n")
    res, _ = run_partial(tmp_path, "pearson",
                         {"file": "cov.npy", "names": "cnames.txt", "layers": ["layer_2"]})
    assert res["attrs"]["covariates"] == "pixels,layer_2"
    assert [n.decode() for n in res["/axes/covariate"]] == ["pixels", "layer_2"]
    sha = hashlib.sha256((tmp_path / "cov.npy").read_bytes()).hexdigest()
    assert res["attrs"]["sha256_covariates_file"] == sha
    want = np.array([[ref.partial_formula(models[l], brain[:, t], [cov[0], models[2]], "pearson")
                      for t in range(T)] for l in range(2)])
    np.testing.assert_allclose(res["/observed"], want, rtol=0, atol=1e-12)


def test_without_the_section_nothing_about_covariates_is_written(tmp_path):
    models, brain, cov = simulated(9)
    write_inputs(tmp_path, models, brain, cov[:1])
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy"},
        "analysis": {"permutations": 9}, "output": {"file": str(tmp_path / "out.h5")}})
    run(["run", cfg, "-q"])
    res = read_results(tmp_path / "out.h5")
    assert "covariates" not in res["attrs"] and "/axes/covariate" not in res
    assert "covariates" not in res["attrs"]["config"]


@pytest.mark.parametrize("covariates, models_extra, expected", [
    ({"layers": ["nope"]}, {}, "covariates.layers: expected names of layers of the models"),
    ({"layers": ["layer_0", "layer_1", "layer_2"]}, {}, "every layer of the models is a covariate"),
    ({}, {}, "expected covariates.file and/or covariates.layers"),
    ({"names": "cnames.txt", "layers": ["layer_0"]}, {}, "covariates.names: names the rows"),
    ({"file": "cov.npy", "method": "partial"}, {}, "expected one of formula, residual"),
    ({"file": "cov.npy", "permute": "brain"}, {}, "covariates.permute: expected one of model, freedman-lane"),
    ({"file": "bad_p.npy"}, {}, "(covariates.file): expected q x 66 condensed RDMs"),
    ({"file": "constant.npy"}, {}, "covariate covariate_0 is a constant RDM"),
    ({"file": "collinear.npy"}, {}, "the covariates are collinear"),
    ({"file": "cov.npy", "names": "cnames.txt"}, {}, "expected q = 2 covariate names"),
    ({"file": "cov.npy", "colour": 1}, {}, "covariates.colour: unknown key"),
    ({"file": "layer_copy.npy"}, {},
     "covariates: layer layer_1 is (to 1e-8) a linear combination of the covariates"),
    ({"file": "layer_copy.npy", "method": "residual"}, {},
     "covariates: layer layer_1 is (to 1e-8) a linear combination of the covariates"),
])
def test_bad_covariates_are_refused_with_exit_2(tmp_path, covariates, models_extra, expected):
    models, brain, cov = simulated(4)
    write_inputs(tmp_path, models, brain, cov[:2])
    np.save(tmp_path / "bad_p.npy", cov[:1, :-1])
    np.save(tmp_path / "constant.npy", np.ones((1, P)))
    np.save(tmp_path / "collinear.npy", np.stack([cov[0], 2 * cov[0] + 1]))
    # a file covariate that is a layer (plus another covariate): no partial variance is left
    np.save(tmp_path / "layer_copy.npy", np.stack([cov[0], 0.5 * models[1] - 2.0 * cov[0] + 3]))
    (tmp_path / "cnames.txt").write_text("one\n")
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy", **models_extra},
        "covariates": covariates, "analysis": {"permutations": 9}, "output": {"file": str(tmp_path / "out.h5")}})
    proc = run(["run", cfg, "-q"], check=False)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr, proc.stderr
    assert not (tmp_path / "out.h5").exists()


@real_data
def test_the_partial_config_reproduces_the_study_for_all_21_layers(tmp_path):
    """config/seed-eeg-vgg16-partial.toml (kendall-b, residual, block1_conv1 out) against
    pingouin 0.3's algorithm rebuilt in NumPy/SciPy (partial_reference.partial_residual) at every
    layer and time point; brain: each pair minus its mean over -0.2 <= t < 0."""
    import scipy.io
    out = tmp_path / "partial.h5"
    run(["run", REPO / "config" / "seed-eeg-vgg16-partial.toml", "--set",
         "analysis.permutations=9", "--set", f"output.file={out}", "-q"],
        env={"PERMRSA_SEED_DATA": str(SEED_DATA)})
    res = read_results(out)
    corr = np.load(SEED_DATA / "vgg16_layer_corr.npy")
    upper = np.triu_indices(corr.shape[1], k=1)
    rdms = np.array([1 - c[upper] for c in corr])
    names = (SEED_DATA / "vgg16_layers.txt").read_text().split()
    brain = np.load(SEED_DATA / "brain_rdms.npy")
    time = scipy.io.loadmat(SEED_DATA / "time_vector.mat")["time"].ravel()
    window = (time >= -0.2) & (time < 0)
    brain = brain - brain[:, window].mean(axis=1, keepdims=True)
    kept = [n for n in names if n != "block1_conv1"]
    assert len(kept) == 21 and [n.decode() for n in res["/axes/layer"]] == kept
    z = [rdms[names.index("block1_conv1")]]
    want = np.array([[ref.partial_residual(rdms[names.index(n)], brain[:, t], z, "kendall-b")
                      for t in range(brain.shape[1])] for n in kept])
    np.testing.assert_allclose(res["/observed"], want, rtol=0, atol=1e-12)
    assert res["attrs"]["covariate_method"] == "residual"
    assert "/noise_ceiling/lower" not in res


@pytest.mark.parametrize("scheme", ["sign-flip", "stimulus"])
def test_per_subject_data_give_per_subject_partial_maps(tmp_path, scheme):
    """Per-subject RDMs (N x P x T): each subject's partial map (partial_formula per subject),
    then the group statistic (mean over subjects: group_statistic = "mean" for sign flips, the
    stimulus scheme's mean over subjects). No noise ceiling for partial maps."""
    rng = np.random.default_rng(61)
    models, _, cov = simulated(3)
    N = 5
    brains = np.stack([0.4 * cov[0][:, None] + 0.3 * models[1][:, None]
                       + rng.normal(size=(P, T)) for _ in range(N)])
    np.save(tmp_path / "subjects.npy", brains)
    np.save(tmp_path / "models.npy", models)
    np.save(tmp_path / "cov.npy", cov[:1])
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "subjects.npy", "layout": "subjects-pairs-time"},
        "models": {"file": "models.npy"}, "covariates": {"file": "cov.npy"},
        "analysis": {"scheme": scheme, "metric": "spearman", "permutations": 15,
                     "precision": "float64", "group_statistic": "mean"},
        "output": {"file": str(tmp_path / "out.h5")}})
    proc = run(["run", cfg])
    res = read_results(tmp_path / "out.h5")
    maps = np.array([[[ref.partial_formula(models[l], brains[n, :, t], cov[:1], "spearman")
                       for t in range(T)] for l in range(models.shape[0])] for n in range(N)])
    np.testing.assert_allclose(res["/observed"], maps.mean(axis=0), rtol=0, atol=1e-12)
    assert "/noise_ceiling/lower" not in res
    assert "noise ceiling" in proc.stderr + proc.stdout


@pytest.mark.parametrize("metric", ["pearson", "spearman"])
@pytest.mark.parametrize("q", [1, 2])
def test_freedman_lane_permutes_the_brain_residuals(tmp_path, metric, q):
    """One layer, one time point: /null/max_statistic[k] is permutation k's value, which must
    equal partial_reference.partial_freedman_lane with the same permutation (row k - 1 of the
    permutation file) within 1e-12; k = 0 is the observed partial value (partial_formula)."""
    models, brain, cov = simulated(40 + q, layers=1)
    brain = brain[:, :1]
    rng = np.random.default_rng(2)
    perms = np.array([rng.permutation(S) for _ in range(30)])
    np.save(tmp_path / "perms.npy", perms)
    write_inputs(tmp_path, models, brain, cov[:q])
    res, _ = run_partial(tmp_path, metric, {"file": "cov.npy", "permute": "freedman-lane"},
                         permutations=None, analysis={"metric": metric, "precision": "float64",
                                                      "permutation_file": "perms.npy"})
    null = res["/null/max_statistic"]
    assert null.shape == (31,)
    assert abs(null[0] - ref.partial_formula(models[0], brain[:, 0], cov[:q], metric)) <= 1e-12
    want = [ref.partial_freedman_lane(models[0], brain[:, 0], cov[:q], p, metric) for p in perms]
    np.testing.assert_allclose(null[1:], want, rtol=0, atol=1e-12)
    assert res["attrs"]["covariate_permute"] == "freedman-lane"


@pytest.mark.parametrize("settings, expected", [
    ({"method": "residual"}, 'needs covariates.method = "formula"'),
    ({"metric": "kendall-b"}, 'analysis.metric = "pearson" or "spearman"'),
])
def test_freedman_lane_needs_formula_and_a_pearson_metric(tmp_path, settings, expected):
    models, brain, cov = simulated(4)
    write_inputs(tmp_path, models, brain, cov[:1])
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy"},
        "covariates": {"file": "cov.npy", "permute": "freedman-lane",
                       **{k: v for k, v in settings.items() if k == "method"}},
        "analysis": {"permutations": 9, "metric": settings.get("metric", "pearson")},
        "output": {"file": str(tmp_path / "out.h5")}})
    proc = run(["run", cfg, "-q"], check=False)
    assert proc.returncode == 2 and expected in proc.stderr, proc.stderr


def test_an_output_over_the_covariate_file_is_refused(tmp_path):
    """covariates.file is an input like the others: output.file must not overwrite it."""
    models, brain, cov = simulated(4)
    write_inputs(tmp_path, models, brain, cov[:1])
    before = (tmp_path / "cov.npy").read_bytes()
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy"},
        "covariates": {"file": "cov.npy"}, "analysis": {"permutations": 9},
        "output": {"file": str(tmp_path / "cov.npy")}})
    proc = run(["run", cfg, "-q"], check=False)
    assert proc.returncode == 2 and "is the same file as covariates.file" in proc.stderr
    assert (tmp_path / "cov.npy").read_bytes() == before
