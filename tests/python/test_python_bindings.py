"""permrsa.run (the pybind11 bindings) against the CLI.

Where the expected values come from: the `permrsa run` command itself (the CLI is the peer:
the issue asks for the same numbers bit for bit). The real-data inputs are read with NumPy
(np.load), SciPy (scipy.io.loadmat) and plain text, exactly the files config/seed-eeg-vgg16.toml
names, and the CLI's results file is read with h5py. Error messages are compared with the
CLI's stderr for the same bad input.
"""
import pathlib
import threading
import time

import h5py
import numpy as np
import pytest
import scipy.io

from permrsa_testing import SEED_DATA, real_data, run as run_cli, write_config
from python_package import permrsa

REPO = pathlib.Path(__file__).resolve().parents[2]


def h5_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__("/" + name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def assert_datasets_identical(expected, actual):
    assert sorted(actual) == sorted(expected)
    for name, want in expected.items():
        got = actual[name]
        if name in ("/axes/layer", "/bootstrap/difference/layers"):
            assert [x.decode() if isinstance(x, bytes) else x for x in got] == \
                [x.decode() for x in want], name
            continue
        got = np.asarray(got)
        assert got.dtype == want.dtype and got.shape == want.shape, name
        # Bit for bit: NaN payloads included (array_equal with equal_nan would hide -0.0 vs 0.0).
        assert got.tobytes() == want.tobytes(), name


def seed_inputs():
    brain = np.load(SEED_DATA / "brain_rdms.npy")
    models = np.load(SEED_DATA / "vgg16_layer_corr.npy")
    times = scipy.io.loadmat(SEED_DATA / "time_vector.mat")["time"].ravel()
    layers = (SEED_DATA / "vgg16_layers.txt").read_text().split()
    return brain, models, times, layers


@real_data
def test_python_run_equals_the_cli_bit_for_bit_on_the_real_data(tmp_path):
    # The CLI on the shipped config, unchanged (10000 permutations, layer-time clusters).
    cli_file = tmp_path / "cli.h5"
    run_cli(["run", REPO / "config" / "seed-eeg-vgg16.toml", "--quiet",
             "--set", f"output.file={cli_file}"], env={"PERMRSA_SEED_DATA": str(SEED_DATA)})
    expected = h5_datasets(cli_file)

    # The same settings as the config, in memory.
    brain, models, times, layers = seed_inputs()
    res = permrsa.run(brain, models, times=times, layers=layers, baseline=(-0.2, 0.0),
                      model_kind="similarity", scheme="stimulus", metric="spearman",
                      permutations=10000, seed=1, tail="greater", precision="float32",
                      correction={"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                                  "cluster_statistic": "mass", "connectivity": "layer-time"})
    assert_datasets_identical(expected, res.datasets)
    assert len(res.significant_clusters()) > 0  # the real data have effects to compare

    # Saved by the bindings, the file holds the same datasets too.
    saved = tmp_path / "python.h5"
    res.save(saved)
    assert_datasets_identical(expected, h5_datasets(saved))


def synthetic(tmp_path, **simulate):
    args = ["simulate", "--out", tmp_path / "sim"]
    for k, v in simulate.items():
        args += [f"--{k}", v]
    run_cli(args)
    d = tmp_path / "sim"
    return (np.load(d / "brain.npy"), np.load(d / "models.npy"), np.load(d / "times.npy"),
            (d / "layers.txt").read_text().split(), d)


def test_python_run_equals_the_cli_with_tfce_two_sided_and_time_clusters(tmp_path):
    brain, models, times, layers, d = synthetic(tmp_path, stimuli=12, layers=4, times=30)
    cfg = write_config(tmp_path / "c.toml", {
        "brain": {"file": str(d / "brain.npy"), "times": str(d / "times.npy")},
        "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
        "analysis": {"metric": "kendall-b", "permutations": 300, "seed": 7, "tail": "two-sided",
                     "precision": "float64"},
        "correction": {"cluster_threshold": "statistic", "cluster_value": 0.1, "tfce": True,
                       "connectivity": "time", "cluster_statistic": "size"},
        "output": {"file": str(tmp_path / "cli.h5")}})
    run_cli(["run", cfg, "--quiet"])
    res = permrsa.run(brain, models, times=times, layers=layers, metric="kendall-b",
                      permutations=300, seed=7, tail="two-sided", precision="float64",
                      correction={"cluster_threshold": "statistic", "cluster_value": 0.1,
                                  "tfce": True, "connectivity": "time",
                                  "cluster_statistic": "size"}, threads=1, batch_size=7)
    assert_datasets_identical(h5_datasets(tmp_path / "cli.h5"), res.datasets)
    # The same brain given as T x P.
    transposed = permrsa.run(brain.T.copy(), models, times=times, layers=layers, layout="time-pairs",
                             metric="kendall-b", permutations=300, seed=7, tail="two-sided",
                             precision="float64",
                             correction={"cluster_threshold": "statistic", "cluster_value": 0.1,
                                         "tfce": True, "connectivity": "time",
                                         "cluster_statistic": "size"})
    assert_datasets_identical(h5_datasets(tmp_path / "cli.h5"), transposed.datasets)


@pytest.mark.parametrize("metric", ["pearson", "spearman"])
def test_python_run_equals_the_cli_for_sign_flips_with_bootstrap_and_noise_ceiling(tmp_path, metric):
    # Per-subject RDMs (N x P x T): a shared signal along model 0 plus subject noise.
    rng = np.random.default_rng(11)
    S, N, T, L = 10, 7, 24, 3
    P = S * (S - 1) // 2
    models = rng.random((L, P))
    signal = np.outer(models[0], np.r_[np.zeros(8), np.hanning(10), np.zeros(6)])
    brain = signal[None] + 0.5 * rng.random((N, P, T))
    np.save(tmp_path / "subjects.npy", brain)
    np.save(tmp_path / "models.npy", models)
    (tmp_path / "layers.txt").write_text("a\nb\nc\n")
    settings = {"analysis": {"scheme": "sign-flip", "metric": metric, "permutations": 200,
                             "seed": 5, "group_statistic": "t", "fisher_z": True},
                "correction": {"cluster_threshold": "t-default", "cluster_alpha": 0.05},
                "bootstrap": {"samples": 60, "compare_layers": ["a", "c"]}}
    cfg = write_config(tmp_path / "c.toml", {
        "brain": {"file": str(tmp_path / "subjects.npy"), "layout": "subjects-pairs-time",
                  "time_start": -0.05, "time_step": 0.01, "baseline": [-0.05, 0.0]},
        "models": {"file": str(tmp_path / "models.npy"), "names": str(tmp_path / "layers.txt")},
        **settings, "output": {"file": str(tmp_path / "cli.h5")}})
    run_cli(["run", cfg, "--quiet"])
    res = permrsa.run(brain, models, layers=["a", "b", "c"], layout="subjects-pairs-time",
                      time_start=-0.05, time_step=0.01, baseline=[-0.05, 0.0],
                      scheme="sign-flip", metric=metric, permutations=200, seed=5,
                      group_statistic="t", fisher_z=True, correction=settings["correction"],
                      bootstrap=settings["bootstrap"])
    expected = h5_datasets(tmp_path / "cli.h5")
    assert "/noise_ceiling/upper" in expected and "/bootstrap/difference/p" in expected
    assert_datasets_identical(expected, res.datasets)
    assert res.bootstrap["difference"]["layers"] == ("a", "c")


def test_the_engine_runs_without_the_gil(tmp_path):
    brain, models, times, layers, _ = synthetic(tmp_path, stimuli=30, layers=6, times=80)
    done = threading.Event()
    result = {}

    def work():
        # Long enough to watch (about 1 s with the bit-parallel Kendall kernel on one thread).
        result["res"] = permrsa.run(brain, models, times=times, metric="kendall-b",
                                    permutations=20000, threads=1)
        done.set()

    worker = threading.Thread(target=work)
    start = time.perf_counter()
    worker.start()
    stamps = [start]
    while not done.is_set():  # pure-Python work: it runs only while the engine lets go of the GIL
        stamps.append(time.perf_counter())
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - start
    if elapsed < 0.2:  # a machine this fast leaves too few stamps to tell: not a failure
        pytest.skip(f"the run took {elapsed:.3f} s, too short to tell")
    # Had the engine held the GIL, this thread would have stalled for the whole run: one gap as
    # long as the run. It kept running, with short gaps only.
    longest = max(np.diff(stamps))
    assert len(stamps) > 10 and longest < elapsed / 4, (len(stamps), longest, elapsed)
    assert result["res"].observed.shape == (6, 80)


def cli_error(tmp_path, sections):
    cfg = write_config(tmp_path / "bad.toml", sections)
    proc = run_cli(["run", cfg, "--quiet"], check=False)
    assert proc.returncode == 2, proc.stderr
    return proc.stderr.strip().removeprefix("permrsa: error: ")


def test_bad_input_raises_input_error_with_the_cli_message(tmp_path):
    brain, models, times, layers, d = synthetic(tmp_path, stimuli=8, layers=2, times=10)
    brain[3, 4] = np.nan
    np.save(tmp_path / "nan.npy", brain)
    base = {"brain": {"file": str(tmp_path / "nan.npy")}, "models": {"file": str(d / "models.npy")},
            "output": {"file": str(tmp_path / "never.h5")}}
    cli = cli_error(tmp_path, base)
    with pytest.raises(permrsa.InputError) as err:
        permrsa.run(brain, models)
    assert isinstance(err.value, ValueError)
    # The same message, with the array's label where the CLI names the file.
    assert str(err.value).replace("<brain array>", str(tmp_path / "nan.npy")) == cli
    assert not (tmp_path / "never.h5").exists()


def test_a_bad_setting_raises_input_error_with_the_cli_message(tmp_path):
    brain, models, times, layers, d = synthetic(tmp_path, stimuli=8, layers=2, times=10)
    cli = cli_error(tmp_path, {"brain": {"file": str(d / "brain.npy")},
                               "models": {"file": str(d / "models.npy")},
                               "analysis": {"metric": "kendall"}})
    with pytest.raises(permrsa.InputError) as err:
        permrsa.run(brain, models, metric="kendall")
    assert str(err.value).replace("permrsa.run", str(tmp_path / "bad.toml")) == cli
    assert "analysis.metric" in cli


def test_mismatched_models_raise_input_error_naming_the_arrays(tmp_path):
    brain, models, *_ = synthetic(tmp_path, stimuli=8, layers=2, times=10)
    with pytest.raises(permrsa.InputError, match=r"<models array> \(models.file\): expected L x 28"):
        permrsa.run(brain, models[:, :20])
    with pytest.raises(permrsa.InputError, match="expected a float32 or float64 array"):
        permrsa.run(brain.astype(str), models)
    with pytest.raises(permrsa.InputError, match=r"subjects-layers-time.* expected no models.file"):
        permrsa.run(np.ones((3, 2, 10)), models, layout="subjects-layers-time", scheme="sign-flip")


def test_rdm_runs_the_cli_stage_and_reads_the_file_it_writes(tmp_path):
    """permrsa.rdm against `permrsa rdm` with the same arguments (its file read with h5py)."""
    run_cli(["simulate", "--epochs", "--out", tmp_path / "ep", "--stimuli", 6, "--subjects", 2,
             "--channels", 8, "--trials", 6, "--times", 10])
    files = sorted((tmp_path / "ep").glob("sub-*_epochs.h5"))
    got = permrsa.rdm(files, tmp_path / "py.h5", folds=3)
    run_cli(["rdm", *[a for f in files for a in ("--epochs", f)], "--method", "lda", "--folds", 3,
             "--out", tmp_path / "cli.h5"])
    cli = h5_datasets(tmp_path / "cli.h5")
    assert got["rdms"].shape == (2, 15, 10)
    for name in ("/rdms", "/mean", "/axes/time", "/stimulus_labels"):
        assert np.array_equal(got[name[1:]], cli[name]), name
    assert got["stimuli"] == [x.decode() for x in cli["/stimuli"]]
    assert got["attrs"]["method"] == "lda" and got["attrs"]["folds"] == 3
    assert len(got["subjects"]) == 2
    with pytest.raises(permrsa.InputError, match="nope_epochs.h5"):
        permrsa.rdm(tmp_path / "nope_epochs.h5", tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()
