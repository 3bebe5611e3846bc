"""Hostile statistics and sizes (issue 15, classes D3, D5, D7, D10, D17): inputs whose statistics
are undefined, or whose sizes are empty or too big, must end with exit code 2 and a one-line
message naming the input, the place (layer, time point, key) and the cause, before any heavy
work, leaving no output file behind; under mpirun every rank agrees on one message. None of
them may crash (exit 139), hang or end in std::bad_alloc (exit 1) any more.

Where the expected values come from: the contract in the issue (each class's "must" sentence)
and DESIGN.md invariants 2 and 3. The inputs are built here with NumPy from a fixed seed (S = 8
stimuli, L = 3 layers, T = 20 time points, N = 6 subjects), each case planting one defect at a
known place; the message tokens are those planted values and places (file, layer and time
indices, the planted value), the keys the contract names, and the causes' words. The sizes in
D10 follow from S! (12! - 1 = 479001599 permutations enumerated when analysis.permutations
>= 12! - 1) and from the message's own "largest K (or B) that fits", which must then run while
one more must not. D17's NaN is the decided value for an undefined noise ceiling.
"""
import pathlib
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from permrsa_testing import BIN, mpirun_path, run, write_config

S, L, T, N = 8, 3, 20, 6
P = S * (S - 1) // 2
MPIRUN = mpirun_path()
needs_mpirun = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")


class Study:
    """A valid study in a folder: group and per-subject brain RDMs, per-subject maps, models."""

    def __init__(self, root, stimuli=S):
        rng = np.random.default_rng(20250115)
        pairs = stimuli * (stimuli - 1) // 2
        self.root = pathlib.Path(root)
        self.out = self.root / "out"
        self.out.mkdir()
        self.models = rng.uniform(0.1, 1.0, size=(L, pairs))
        self.brain = rng.normal(0.5, 0.1, size=(pairs, T))
        # Each subject: the group RDM scaled, plus its own noise (distinct values everywhere).
        self.subjects = np.stack([self.brain * rng.normal(1, 0.2) + rng.normal(0, 0.05, (pairs, T))
                                  for _ in range(N)])
        self.maps = rng.normal(0.05, 0.1, size=(N, L, T))
        self.times = np.round(-0.05 + 0.01 * np.arange(T), 10)
        self.save(brain=self.brain, models=self.models, subjects=self.subjects, maps=self.maps,
                  times=self.times)

    def save(self, **arrays):
        for name, a in arrays.items():
            np.save(self.root / f"{name}.npy", a)

    def config(self, kind="group", **sections):
        """A config of one kind: "group" (P x T, stimulus scheme), "subjects" (N x P x T,
        sign-flip t with t-default) or "maps" (N x L x T, sign-flip t), updated by `sections`."""
        brain = {"group": {"file": "brain.npy", "layout": "pairs-time", "times": "times.npy"},
                 "subjects": {"file": "subjects.npy", "layout": "subjects-pairs-time",
                              "times": "times.npy"},
                 "maps": {"file": "maps.npy", "layout": "subjects-layers-time",
                          "times": "times.npy"}}[kind]
        c = {"brain": brain,
             "models": {"file": "models.npy"},
             "analysis": {"scheme": "stimulus" if kind == "group" else "sign-flip",
                          "permutations": 63, "seed": 3, "precision": "float64"},
             "correction": {"cluster_threshold": "permutation-p" if kind == "group" else "t-default"},
             "output": {"file": str(self.out / "results.h5")}}
        if kind == "maps":
            del c["models"]
        for section, keys in sections.items():
            c.setdefault(section, {}).update(keys)
            for k in [k for k, v in c[section].items() if v is None]:
                del c[section][k]
        return write_config(self.root / "config.toml", c)

    def run(self, config, *args, launcher=(), timeout=120):
        if launcher:
            cmd = [*launcher, BIN, "run", str(config), *map(str, args)]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return run(["run", config, *args], check=False, timeout=timeout)


@pytest.fixture
def study(tmp_path):
    return Study(tmp_path)


def assert_refused(proc, study, *tokens):
    """Exit 2, one error line holding every token, and an empty output folder."""
    assert proc.returncode == 2, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("permrsa: error:")]
    assert len(errors) == 1, proc.stderr
    for token in tokens:
        assert token in errors[0], (token, errors[0])
    assert list(study.out.iterdir()) == [], list(study.out.iterdir())
    return errors[0]


def mpirun(n):
    return [MPIRUN, "-n", str(n), "--oversubscribe", "--allow-run-as-root"]


# --- D3: an empty axis (it crashed with a segfault, exit 139, also under mpirun).

EMPTY_AXES = {
    "brain time axis": ("group", {"brain": np.zeros((P, 0))},
                        {"brain": {"times": None, "time_start": 0.0, "time_step": 0.01}},
                        ["brain.npy (brain.file)", "at least 1 time point", "T = 0", "(28, 0)"]),
    "model layer axis": ("group", {"models": np.zeros((0, P))}, {},
                         ["models.npy (models.file)", "at least 1 layer", "L = 0", "(0, 28)"]),
    "subject axis of per-subject RDMs": ("subjects", {"subjects": np.zeros((0, P, T))}, {},
                                         ["subjects.npy (brain.file)", "at least 1 subject", "N = 0"]),
    "time axis of per-subject RDMs": ("subjects", {"subjects": np.zeros((N, P, 0))},
                                      {"brain": {"times": None}},
                                      ["subjects.npy (brain.file)", "T = 0"]),
    "layer axis of a maps file": ("maps", {"maps": np.zeros((N, 0, T))}, {},
                                  ["maps.npy (brain.file)", "L = 0", "(6, 0, 20)"]),
    "time axis of a maps file": ("maps", {"maps": np.zeros((N, L, 0))}, {"brain": {"times": None}},
                                 ["maps.npy (brain.file)", "T = 0", "(6, 3, 0)"]),
    "two stimuli (one pair)": ("group", {"brain": np.random.default_rng(1).normal(size=(1, T)),
                                         "models": np.ones((L, 1))}, {},
                               ["brain.npy (brain.file)", "at least 3 stimuli", "S = 2", "P = 1"]),
}


@pytest.mark.parametrize("case", sorted(EMPTY_AXES))
def test_an_empty_axis_is_refused_naming_the_file_and_the_axis(study, case):
    kind, arrays, sections, tokens = EMPTY_AXES[case]
    study.save(**arrays)
    assert_refused(study.run(study.config(kind, **sections)), study, *tokens)


def test_an_empty_list_of_subject_files_is_refused(study):
    cfg = study.config("group", brain={"file": None, "files": []})
    assert_refused(study.run(cfg), study, "config.toml", "brain.files", "at least one file", "empty list")


@needs_mpirun
def test_under_mpirun_an_empty_axis_is_one_agreed_error_not_a_crash(study):
    study.save(brain=np.zeros((P, 0)))
    cfg = study.config("group", brain={"times": None, "time_start": 0.0, "time_step": 0.01})
    proc = study.run(cfg, launcher=mpirun(2))
    assert_refused(proc, study, "brain.npy (brain.file)", "T = 0")


def test_the_python_engine_refuses_an_empty_axis_with_input_error(study):
    permrsa = pytest.importorskip("permrsa")
    pytest.importorskip("permrsa._permrsa")
    with pytest.raises(permrsa.InputError, match=r"<brain array> \(brain\.file\): expected at least 1 time point"):
        permrsa.run(np.zeros((P, 0)), study.models, permutations=20)
    with pytest.raises(permrsa.InputError, match=r"<models array> \(models\.file\): expected at least 1 layer"):
        permrsa.run(study.brain, np.zeros((0, P)), permutations=20)


# --- D5: statistics that are not finite (TFCE hung; a NaN cell came out "significant").

def test_fisher_z_of_r_equal_to_one_is_refused_before_tfce_could_hang(study):
    # The reproduction: a maps file with r = 1 at subject 2, layer 1, time point 10.
    study.maps[2, 1, 10] = 1.0
    study.save(maps=study.maps)
    cfg = study.config("maps", analysis={"fisher_z": True}, correction={"tfce": True})
    assert_refused(study.run(cfg, timeout=60), study,
                   "maps.npy (brain.file)", "layer 1", "time point 10 (t = 0.05 s)", "subject 2",
                   "r = 1,", "fisher_z", "infinite at |r| = 1")


def test_a_correlation_above_one_in_a_maps_file_is_refused_not_counted_significant(study):
    study.maps[2, 1, 10] = 1.5
    study.save(maps=study.maps)
    cfg = study.config("maps", analysis={"fisher_z": True})
    assert_refused(study.run(cfg), study, "maps.npy (brain.file)", "layer 1", "time point 10",
                   "r = 1.5", "undefined for |r| > 1")


def test_a_subject_rdm_equal_to_the_model_under_fisher_z_is_refused(study):
    # Pearson r of subject 3's RDM at time point 5 with layer 2's model is 1 (to rounding).
    study.subjects[3, :, 5] = study.models[2]
    study.save(subjects=study.subjects)
    cfg = study.config("subjects", analysis={"fisher_z": True, "metric": "pearson"})
    assert_refused(study.run(cfg), study, "subjects.npy (brain.file)", "layer 2", "time point 5",
                   "subject 3", "infinite at |r| = 1")


def test_identical_subjects_are_refused_as_a_t_statistic_of_zero_variance(study):
    study.save(subjects=np.stack([study.subjects[0]] * 4))
    assert_refused(study.run(study.config("subjects")), study, "subjects.npy (brain.file)",
                   "layer 0", "time point 0", "all 4 subjects have the value", "zero variance",
                   "t statistic is undefined")


def test_equal_magnitudes_that_a_sign_flip_makes_identical_are_refused(study):
    study.maps[:, 2, 7] = 0.2 * np.array([1, -1, 1, 1, -1, 1])
    study.save(maps=study.maps)
    assert_refused(study.run(study.config("maps")), study, "maps.npy (brain.file)", "layer 2",
                   "time point 7", "magnitude |x| = 0.2", "sign flip", "zero variance")


def test_a_value_whose_square_overflows_is_refused(study):
    study.maps[3, 0, 2] = 1e300
    study.save(maps=study.maps)
    assert_refused(study.run(study.config("maps")), study, "maps.npy (brain.file)", "layer 0",
                   "time point 2", "1e+300", "overflow")


def test_a_tfce_step_that_takes_more_than_a_million_heights_is_refused(study):
    # Stimulus scheme: correlations reach 1, so 1e-12 takes 10^12 heights.
    cfg = study.config("group", correction={"tfce": True, "tfce_step": 1e-12})
    assert_refused(study.run(cfg, timeout=60), study, "config.toml (correction.tfce_step)",
                   "a step of 1e-12", "1e+12 heights", "expected at most 1000000", "at least 1e-06")
    # The "value of 1e300" (finite, so the mean is defined): the sign flip that aligns
    # every subject reaches 1e300 / 6, and TFCE would never end.
    study.maps[3, 0, 2] = 1e300
    study.save(maps=study.maps)
    cfg = study.config("maps", analysis={"group_statistic": "mean"},
                       correction={"cluster_threshold": "permutation-p", "tfce": True,
                                   "tfce_step": 0.01})
    assert_refused(study.run(cfg, timeout=60), study, "correction.tfce_step", "a step of 0.01",
                   "sign flip can reach, at layer 0", "time point 2", "1.66667e+299")


@needs_mpirun
def test_under_mpirun_every_rank_agrees_on_an_undefined_statistic(study):
    # Two time blocks: time point 15 lies in rank 1's block, so rank 1 finds it and every rank
    # reports its message once.
    study.maps[4, 2, 15] = 1.0
    study.save(maps=study.maps)
    cfg = study.config("maps", analysis={"fisher_z": True}, correction={"tfce": True})
    proc = study.run(cfg, "--grid", "2x1", launcher=mpirun(2), timeout=60)
    assert_refused(proc, study, "maps.npy (brain.file)", "layer 2", "time point 15", "subject 4",
                   "infinite at |r| = 1", "(on rank 1)")


def test_valid_inputs_give_finite_statistics_and_p_values(study):
    # The counterpart of the refusals: the same study without a planted defect runs, and no
    # statistic or p-value is NaN.
    for kind, extra in (("group", {"correction": {"tfce": True}}),
                        ("maps", {"analysis": {"fisher_z": True}, "correction": {"tfce": True}})):
        proc = study.run(study.config(kind, **extra))
        assert proc.returncode == 0, proc.stderr
        with h5py.File(study.out / "results.h5", "r") as f:
            for name in ("observed", "p_uncorrected", "p_maxstat", "p_tfce", "tfce"):
                assert np.isfinite(f[name][()]).all(), (kind, name)
        (study.out / "results.h5").unlink()


# --- D7: the sign-flip test of one subject (exit 1 with a Boost message).

def test_the_sign_flip_test_of_one_subject_is_refused_with_exit_2_not_a_boost_error(study):
    study.save(subjects=study.subjects[:1])
    for extra in ({}, {"analysis": {"group_statistic": "mean"},
                       "correction": {"cluster_threshold": "permutation-p"}}):
        proc = study.run(study.config("subjects", **extra))
        assert "students_t" not in proc.stderr
        assert_refused(proc, study, "subjects.npy (brain.file)", "expected at least 2 subjects",
                       "sign-flip", "found 1")
    np.save(study.root / "one.npy", study.subjects[0])
    cfg = study.config("subjects", brain={"file": None, "files": ["one.npy"], "layout": "pairs-time"})
    assert_refused(study.run(cfg), study, "config.toml (brain.files)", "at least 2 subjects", "found 1")


def test_a_bootstrap_over_one_subject_is_refused(study):
    study.save(subjects=study.subjects[:1])
    cfg = study.config("subjects", analysis={"scheme": "stimulus"},
                       correction={"cluster_threshold": "permutation-p"}, bootstrap={"samples": 50})
    assert_refused(study.run(cfg), study, "subjects.npy (brain.file)", "[bootstrap]",
                   "at least 2 subjects", "found 1")


# --- D10: sizes that cannot fit (std::bad_alloc, exit 1, after gigabytes).

def largest(message, what):
    return int(message.split(what)[1].split()[0].rstrip(";,."))


def test_too_many_permutations_are_refused_up_front_with_the_largest_k_that_fits(tmp_path):
    study = Study(tmp_path, stimuli=12)
    cfg = study.config("group", analysis={"permutations": 10 ** 12},
                       correction={"cluster_threshold": "statistic", "cluster_value": 0.3})
    message = assert_refused(study.run(cfg), study, "config.toml (analysis.permutations)",
                             "K = 479001599 permutations", "S! - 1", "S = 12",
                             "analysis.permutations = 1000000000000", "GiB per rank",
                             "(--memory-per-rank)", "the largest K that fits is")
    assert 1 < largest(message, "the largest K that fits is ") < 479001599
    # With a budget of 1 MiB the named K runs and K + 1 is refused.
    budget = ["--memory-per-rank", str(1 / 1024)]
    cfg = study.config("group", analysis={"permutations": 10 ** 6},
                       correction={"cluster_threshold": "statistic", "cluster_value": 0.3})
    k = largest(assert_refused(study.run(cfg, *budget), study, "the largest K that fits is"),
                "the largest K that fits is ")
    cfg = study.config("group", analysis={"permutations": k + 1},
                       correction={"cluster_threshold": "statistic", "cluster_value": 0.3})
    assert_refused(study.run(cfg, *budget), study, f"K = {k + 1} permutations")
    cfg = study.config("group", analysis={"permutations": k},
                       correction={"cluster_threshold": "statistic", "cluster_value": 0.3})
    proc = study.run(cfg, *budget, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(study.out / "results.h5", "r") as f:
        assert f.attrs["permutations"] == k


def test_too_many_bootstrap_samples_are_refused_up_front_with_the_largest_b_that_fits(study):
    cfg = study.config("subjects", bootstrap={"samples": 10 ** 9})
    message = assert_refused(study.run(cfg), study, "config.toml (bootstrap.samples)",
                             "B = 1000000000", "GiB per rank", "the largest B that fits is")
    assert 1 < largest(message, "the largest B that fits is ") < 10 ** 9
    budget = ["--memory-per-rank", str(1 / 1024)]
    message = assert_refused(study.run(study.config("subjects", bootstrap={"samples": 10 ** 6}), *budget),
                             study, "the largest B that fits is")
    b = largest(message, "the largest B that fits is ")
    assert_refused(study.run(study.config("subjects", bootstrap={"samples": b + 1}), *budget), study,
                   f"B = {b + 1}")
    proc = study.run(study.config("subjects", bootstrap={"samples": b}), *budget, timeout=600)
    assert proc.returncode == 0, proc.stderr


def test_the_python_engine_refuses_too_many_permutations_naming_memory_gib(tmp_path):
    permrsa = pytest.importorskip("permrsa")
    pytest.importorskip("permrsa._permrsa")
    study = Study(tmp_path, stimuli=12)
    with pytest.raises(permrsa.InputError, match=r"K = 479001599 permutations.*\(memory_gib\).*largest K"):
        permrsa.run(study.brain, study.models, permutations=10 ** 12)
    with pytest.raises(permrsa.InputError, match=r"B = 1000000000 bootstrap samples.*largest B"):
        permrsa.run(study.subjects, study.models, layout="subjects-pairs-time", scheme="sign-flip",
                    permutations=20, bootstrap={"samples": 10 ** 9})


# --- D17: the noise ceiling of one subject (it read lower = 0, upper = 1).

def test_the_noise_ceiling_of_one_subject_is_nan_with_a_warning(study):
    study.save(subjects=study.subjects[:1])
    proc = study.run(study.config("subjects", analysis={"scheme": "stimulus"},
                                  correction={"cluster_threshold": "permutation-p"}))
    assert proc.returncode == 0, proc.stderr
    assert "warning: noise ceiling: one subject" in proc.stderr
    with h5py.File(study.out / "results.h5", "r") as f:
        assert np.isnan(f["noise_ceiling/lower"][()]).all()
        assert np.isnan(f["noise_ceiling/upper"][()]).all()
        assert np.isfinite(f["observed"][()]).all()  # the rest of the analysis is defined
    permrsa = pytest.importorskip("permrsa")
    pytest.importorskip("permrsa._permrsa")
    with pytest.warns(RuntimeWarning, match="noise ceiling: one subject"):
        r = permrsa.run(study.subjects[:1], study.models, layout="subjects-pairs-time", permutations=20)
    assert r.noise_ceiling.isna().all().all()


# --- The same classes in `permrsa rdm` and `permrsa simulate`.

def write_epochs(folder, channels, constant_stimulus=None):
    """18 trials (3 stimuli x 6) x channels x 5 time points, random from a fixed seed; with
    constant_stimulus, that stimulus' trials are 5.0 on every channel."""
    rng = np.random.default_rng(7)
    labels = np.tile([0, 1, 2], 6)
    data = rng.normal(size=(18, channels, 5))
    if constant_stimulus is not None:
        data[labels == constant_stimulus] = 5.0
    np.save(folder / "data.npy", data)
    np.save(folder / "labels.npy", labels)
    np.save(folder / "times.npy", np.arange(5) * 0.01)
    return ["--epochs", folder / "data.npy", "--labels", folder / "labels.npy",
            "--times", folder / "times.npy"]


def test_rdm_refuses_a_correlation_distance_over_one_channel(study):
    # A Pearson r between mean patterns of one channel is undefined: it wrote NaN RDMs, exit 0.
    args = write_epochs(study.root, channels=1)
    proc = run(["rdm", *args, "--method", "correlation", "--out", study.out / "rdms.h5"], check=False)
    assert_refused(proc, study, "data.npy: data", "--method correlation", "at least 2 channels",
                   "found 1")


def test_rdm_says_which_dissimilarities_are_undefined(study):
    # Stimulus 1's mean pattern is constant over the 4 channels: its 2 pairs at all 5 time
    # points have no correlation distance (10 of 3 x 5), stored as NaN with a warning, as
    # `permrsa features` does; `permrsa run` then refuses the NaN with its position.
    args = write_epochs(study.root, channels=4, constant_stimulus=1)
    proc = run(["rdm", *args, "--method", "correlation", "--out", study.out / "rdms.h5"], check=False)
    assert proc.returncode == 0, proc.stderr
    assert "data.npy: 10 of 15 dissimilarities (pairs x time points) are undefined" in proc.stderr
    with h5py.File(study.out / "rdms.h5", "r") as f:
        assert np.isnan(f["rdms"][()]).sum() == 10


def test_simulate_refuses_data_too_big_to_hold_before_allocating(tmp_path):
    # P x (T + L) = 4999950000 x 1003 doubles: about 37 TiB.
    proc = run(["simulate", "--out", tmp_path / "sim", "--stimuli", 100000, "--times", 1000,
                "--layers", 3], check=False, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "at most 4 GiB" in proc.stderr and "--stimuli" in proc.stderr
    assert not (tmp_path / "sim").exists()
