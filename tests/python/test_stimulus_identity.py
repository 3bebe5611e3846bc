"""Stimulus identity between the brain and the model RDMs (issue 18, item 6).

Where the expected values come from:
- `permrsa rdm`'s /stimuli: the event names this test writes into the epochs file
  (/event_names, as `python3 -m permrsa.from_mne` writes them), in the order of the sorted
  labels; without event names, the labels as text;
- the reordering: NumPy puts the shuffled model RDMs back into the brain's order
  (scipy.spatial.distance.squareform), and the run on that must equal, bit for bit, the run
  that permrsa reordered itself;
- the refusals: the names this test puts on each side.
"""
import h5py
import numpy as np
import pytest
from scipy.spatial.distance import squareform

from permrsa_testing import run, write_config

S, L, T = 8, 3, 12
P = S * (S - 1) // 2
NAMES = [f"stim_{i + 1:03d}" for i in range(S)]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("identity")
    rng = np.random.Generator(np.random.Philox(18))
    models = rng.random((L, P))
    brain = 0.5 * models[1][:, None] + rng.random((P, T))
    np.save(d / "models.npy", models)
    np.save(d / "brain.npy", brain)
    (d / "brain_names.txt").write_text("\n".join(NAMES) + "\n")
    return d, models


def config(d, name, models="models.npy", model_names=None, brain_names="brain_names.txt"):
    brain = {"file": str(d / "brain.npy")}
    if brain_names:
        brain["stimuli"] = str(d / brain_names)
    model = {"file": str(d / models)}
    if model_names:
        model["stimuli"] = str(d / model_names)
    return write_config(d / f"{name}.toml", {
        "brain": brain, "models": model,
        "analysis": {"permutations": 50, "seed": 2},
        "output": {"file": str(d / f"{name}.h5")}})


def maps(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in ("observed", "p_uncorrected", "null/max_statistic")}, \
            [x.decode() for x in f["axes/stimulus"][()]] if "axes/stimulus" in f else None


def test_the_same_names_in_another_order_reorder_the_models(study):
    d, models = study
    order = np.random.Generator(np.random.Philox(3)).permutation(S)  # model row i is stimulus order[i]
    shuffled = np.stack([squareform(squareform(m)[np.ix_(order, order)]) for m in models])
    np.save(d / "shuffled.npy", shuffled)
    (d / "shuffled_names.txt").write_text("\n".join(NAMES[i] for i in order) + "\n")
    proc = run(["run", config(d, "shuffled", "shuffled.npy", "shuffled_names.txt")])
    assert "in another order; the model RDMs are reordered to the brain's order" in proc.stderr
    run(["run", config(d, "aligned"), "-q"])
    got, stimuli = maps(d / "shuffled.h5")
    expected, _ = maps(d / "aligned.h5")
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    assert stimuli == NAMES


def test_different_names_are_refused_naming_the_mismatches(study):
    d, _ = study
    other = NAMES[:5] + ["face_01", "face_02", "face_03"]
    (d / "other.txt").write_text("\n".join(other) + "\n")
    proc = run(["run", config(d, "other", model_names="other.txt")], check=False)
    assert proc.returncode == 2
    assert "the brain and the model RDMs name different stimuli: 3 only in brain.stimuli" in proc.stderr
    assert '"stim_006", "stim_007", "stim_008"' in proc.stderr
    assert '"face_01", "face_02", "face_03"' in proc.stderr
    assert not (d / "other.h5").exists()


def test_repeated_or_missing_names_are_refused(study):
    d, _ = study
    (d / "twice.txt").write_text("\n".join(NAMES[:-1] + [NAMES[0]]) + "\n")
    proc = run(["run", config(d, "twice", model_names="twice.txt")], check=False)
    assert proc.returncode == 2
    assert 'models.stimuli' in proc.stderr and 'expected distinct stimulus names, found "stim_001"' \
        in proc.stderr
    (d / "short.txt").write_text("\n".join(NAMES[:-1]) + "\n")
    proc = run(["run", config(d, "short", model_names="short.txt")], check=False)
    assert proc.returncode == 2
    assert f"expected S = {S} stimulus names (one per RDM row), found {S - 1}" in proc.stderr


def test_one_side_without_names_runs_by_position(study):
    d, _ = study
    run(["run", config(d, "brain_only"), "-q"])
    _, stimuli = maps(d / "brain_only.h5")
    assert stimuli == NAMES
    run(["run", config(d, "none", brain_names=None), "-q"])
    _, stimuli = maps(d / "none.h5")
    assert stimuli is None


def epochs_file(path, labels, event_names=None):
    rng = np.random.Generator(np.random.Philox(int(labels[0])))
    with h5py.File(path, "w") as f:
        f["data"] = rng.standard_normal((len(labels), 4, 6))
        f["labels"] = np.asarray(labels, dtype=np.int64)
        f["times"] = np.arange(6) / 100.0
        if event_names is not None:
            f.create_dataset("event_names", data=event_names, dtype=h5py.string_dtype())


def test_rdm_writes_the_event_names_else_the_labels_as_text(tmp_path):
    labels = [30, 7, 21, 7, 30, 21, 7, 21, 30]  # event ids in no particular order
    names = {7: "house", 21: "face", 30: "tool"}
    epochs_file(tmp_path / "named.h5", labels, [names[x] for x in labels])
    epochs_file(tmp_path / "plain.h5", labels)
    for name in ("named", "plain"):
        run(["rdm", "--epochs", tmp_path / f"{name}.h5", "--method", "correlation", "--out",
             tmp_path / f"{name}_rdm.h5", "-q"])
    with h5py.File(tmp_path / "named_rdm.h5", "r") as f:
        assert list(f["stimulus_labels"][()]) == [7, 21, 30]
        assert [x.decode() for x in f["stimuli"][()]] == ["house", "face", "tool"]
    with h5py.File(tmp_path / "plain_rdm.h5", "r") as f:
        assert [x.decode() for x in f["stimuli"][()]] == ["7", "21", "30"]


def test_an_event_id_with_two_names_is_refused(tmp_path):
    labels = [1, 2, 3, 1, 2, 3]
    epochs_file(tmp_path / "e.h5", labels, ["a", "b", "c", "a", "b", "x"])
    proc = run(["rdm", "--epochs", tmp_path / "e.h5", "--method", "correlation", "--out",
                tmp_path / "rdm.h5"], check=False)
    assert proc.returncode == 2
    assert 'expected one name per label, found label 3 named "c"' in proc.stderr
    assert not (tmp_path / "rdm.h5").exists()


def test_the_brain_files_stimuli_are_read_beside_its_rdms(study, tmp_path):
    # A permrsa rdm file carries /stimuli: a models file with the same names in another
    # order is reordered; no brain.stimuli key is needed.
    d, models = study
    with h5py.File(tmp_path / "brain.h5", "w") as f:
        f["mean"] = np.load(d / "brain.npy")
        f.create_dataset("stimuli", data=NAMES, dtype=h5py.string_dtype())
    order = np.arange(S)[::-1]
    np.save(tmp_path / "rev.npy", np.stack([squareform(squareform(m)[np.ix_(order, order)])
                                            for m in models]))
    (tmp_path / "rev.txt").write_text("\n".join(NAMES[i] for i in order) + "\n")
    cfg = write_config(tmp_path / "c.toml", {
        "brain": {"file": f"{tmp_path / 'brain.h5'}:/mean"},
        "models": {"file": str(tmp_path / "rev.npy"), "stimuli": str(tmp_path / "rev.txt")},
        "analysis": {"permutations": 50, "seed": 2},
        "output": {"file": str(tmp_path / "out.h5")}})
    run(["run", cfg, "-q"])
    run(["run", config(d, "aligned_h5"), "-q"])
    got, stimuli = maps(tmp_path / "out.h5")
    expected, _ = maps(d / "aligned_h5.h5")
    assert stimuli == NAMES
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_a_covariates_file_is_not_matched_by_position_after_a_reordering(study):
    # A covariates.file has no names: after the models are reordered it would no longer match
    # the brain, so the run is refused instead of partialling out the wrong pairs.
    d, models = study
    order = np.arange(S)[::-1]
    np.save(d / "rev_models.npy", np.stack([squareform(squareform(m)[np.ix_(order, order)])
                                            for m in models]))
    (d / "rev_names.txt").write_text("\n".join(NAMES[i] for i in order) + "\n")
    np.save(d / "cov.npy", models[:1])
    cfg = write_config(d / "cov.toml", {
        "brain": {"file": str(d / "brain.npy"), "stimuli": str(d / "brain_names.txt")},
        "models": {"file": str(d / "rev_models.npy"), "stimuli": str(d / "rev_names.txt")},
        "covariates": {"file": str(d / "cov.npy")},
        "analysis": {"permutations": 50, "seed": 2},
        "output": {"file": str(d / "cov.h5")}})
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2
    assert "covariates.file: the model RDMs are reordered to the brain's stimulus order" in proc.stderr
    assert not (d / "cov.h5").exists()


def covariate_study(d, cov_names):
    """Models reversed against the brain (named), one covariate RDM in the order `cov_names`."""
    models = np.load(d / "models.npy")
    order = np.arange(S)[::-1]
    np.save(d / "rev_models.npy", np.stack([squareform(squareform(m)[np.ix_(order, order)])
                                            for m in models]))
    (d / "rev_names.txt").write_text("\n".join(NAMES[i] for i in order) + "\n")
    rng = np.random.Generator(np.random.Philox(44))
    covariate = rng.random(P)  # in the brain's order
    index = [NAMES.index(n) for n in cov_names]
    np.save(d / "cov_named.npy", squareform(squareform(covariate)[np.ix_(index, index)])[None])
    (d / "cov_names.txt").write_text("\n".join(cov_names) + "\n")
    np.save(d / "cov_brain_order.npy", covariate[None])
    return covariate


def covariate_config(d, name, models, model_names, cov_file, cov_names=None):
    covariates = {"file": str(d / cov_file)}
    if cov_names:
        covariates["stimuli"] = str(d / cov_names)
    return write_config(d / f"{name}.toml", {
        "brain": {"file": str(d / "brain.npy"), "stimuli": str(d / "brain_names.txt")},
        "models": {"file": str(d / models), "stimuli": str(d / model_names)},
        "covariates": covariates,
        "analysis": {"permutations": 50, "seed": 2},
        "output": {"file": str(d / f"{name}.h5")}})


def test_covariates_stimuli_put_the_covariate_rdms_in_the_brains_order(study):
    # Expected: the same run with the models and the covariate already in the brain's order
    # (NumPy/SciPy squareform reorders them here), bit for bit.
    d, _ = study
    shuffled = [NAMES[i] for i in np.random.Generator(np.random.Philox(9)).permutation(S)]
    covariate_study(d, shuffled)
    (d / "names_in_brain_order.txt").write_text("\n".join(NAMES) + "\n")
    proc = run(["run", covariate_config(d, "cov_named", "rev_models.npy", "rev_names.txt",
                                        "cov_named.npy", "cov_names.txt")])
    assert "the covariate RDMs are reordered to that order" in proc.stderr
    run(["run", covariate_config(d, "cov_aligned", "models.npy", "names_in_brain_order.txt",
                                 "cov_brain_order.npy"), "-q"])
    got, stimuli = maps(d / "cov_named.h5")
    expected, _ = maps(d / "cov_aligned.h5")
    assert stimuli == NAMES
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    with h5py.File(d / "cov_named.h5", "r") as f:
        covariates_section = f.attrs["config"].split("[covariates]")[1].split("\n[")[0]
        assert 'stimuli = "' in covariates_section
        assert "sha256_covariates_stimuli" in f.attrs


def test_covariates_stimuli_that_differ_from_the_brains_are_refused(study):
    d, _ = study
    covariate_study(d, NAMES)
    (d / "cov_foreign.txt").write_text("\n".join(NAMES[:-1] + ["face_09"]) + "\n")
    proc = run(["run", covariate_config(d, "cov_foreign", "rev_models.npy", "rev_names.txt",
                                        "cov_named.npy", "cov_foreign.txt")], check=False)
    assert proc.returncode == 2
    assert "the reference and the covariate RDMs name different stimuli: 1 only in brain.stimuli" \
        in proc.stderr
    assert '"face_09"' in proc.stderr and "covariates.stimuli" in proc.stderr
    assert not (d / "cov_foreign.h5").exists()


def test_covariates_stimuli_without_a_covariates_file_is_refused(study):
    d, _ = study
    cfg = write_config(d / "cov_nofile.toml", {
        "brain": {"file": str(d / "brain.npy")},
        "models": {"file": str(d / "models.npy")},
        "covariates": {"layers": ["layer_0"], "stimuli": str(d / "brain_names.txt")},
        "analysis": {"permutations": 50},
        "output": {"file": str(d / "cov_nofile.h5")}})
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2
    assert "covariates.stimuli" in proc.stderr and "which is not set" in proc.stderr


def test_the_output_may_not_overwrite_a_stimulus_names_file(study):
    d, _ = study
    (d / "guard_names.txt").write_text("\n".join(NAMES) + "\n")
    before = (d / "guard_names.txt").read_bytes()
    cfg = write_config(d / "guard.toml", {
        "brain": {"file": str(d / "brain.npy"), "stimuli": str(d / "guard_names.txt")},
        "models": {"file": str(d / "models.npy")},
        "analysis": {"permutations": 50},
        "output": {"file": str(d / "guard_names.txt")}})
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2
    assert "brain.stimuli" in proc.stderr
    assert (d / "guard_names.txt").read_bytes() == before
