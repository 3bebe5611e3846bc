"""MNE-Python epochs in: `python3 -m permrsa.from_mne`, `permrsa rdm --epochs x-epo.fif` and
`permrsa.rdm(epochs=[mne.Epochs, ...])`.

Where the expected values come from: mne.EpochsArray objects built here from NumPy data
(Debian's python3-mne 1.3) and saved with epochs.save(); the converted files must hold exactly
what MNE gives for them: epochs.get_data(picks="data") (data channels, bads left out),
epochs.events[:, 2], epochs.times and epochs.event_id's name of each trial's id. The data are
multiples of 2^-40 below 2^-18 in magnitude (exact in float32), so the float32 that a -epo.fif
stores loses nothing and the objects equal their files bit for bit. `permrsa rdm` on a .fif must
equal `permrsa rdm` on the converted HDF5 file bit for bit (the same bytes reach the same code).
"""
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

from permrsa_testing import BIN, read_results, run
from python_package import permrsa
from permrsa import from_mne

mne = pytest.importorskip("mne")
mne.set_log_level("ERROR")

S, REPS, C, T, SUBJECTS = 6, 10, 8, 20, 3
SFREQ, TMIN = 100.0, -0.05
# Event ids that do not follow the name order, and hierarchical names as MNE users write them.
EVENT_ID = {"face/01": 21, "face/02": 7, "house/01": 3, "house/02": 14, "tool/01": 30,
            "tool/02": 11}
CHANNELS = [f"EEG{i:02d}" for i in range(C)]
ALL_CHANNELS = CHANNELS + ["EEGBAD", "EOG1"]  # a bad EEG channel and an EOG channel: not data
PACKAGE_DIR = str(pathlib.Path(permrsa.__file__).resolve().parent.parent)


def make_epochs(seed, channels=ALL_CHANNELS, event_id=EVENT_ID, bads=("EEGBAD",)):
    """An EpochsArray: REPS trials per event in a seeded shuffled order, a per-stimulus pattern
    plus noise, all values exact in float32."""
    rng = np.random.default_rng(seed)
    ids = np.array(sorted(event_id.values()))
    labels = rng.permutation(np.repeat(ids, REPS))
    pattern = rng.integers(-2**12, 2**12, (len(ids), len(channels), T))
    noise = rng.integers(-2**14, 2**14, (len(labels), len(channels), T))
    data = (pattern[np.searchsorted(ids, labels)] * 2**6 + noise) * 2.0**-40
    types = ["eog" if c.startswith("EOG") else "eeg" for c in channels]
    info = mne.create_info(list(channels), SFREQ, types)
    info["bads"] = [b for b in bads if b in channels]
    events = np.c_[np.arange(len(labels)) * 100, np.zeros(len(labels), int), labels]
    return mne.EpochsArray(data, info, events=events, tmin=TMIN, event_id=dict(event_id))


def convert_cli(args, env=None):
    """`python3 -m permrsa.from_mne ARGS` with this package on PYTHONPATH."""
    full = dict(os.environ)
    full["PYTHONPATH"] = PACKAGE_DIR + os.pathsep + full.get("PYTHONPATH", "")
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "permrsa.from_mne", *map(str, args)],
                          capture_output=True, text=True, env=full, timeout=300)


def rdm_cli(args, env=None, check=True):
    """`permrsa rdm ARGS`, converting with this interpreter."""
    return run(["rdm", *args, "--quiet"], check=check,
               env={"PERMRSA_PYTHON": sys.executable, "PERMRSA_PYTHONPATH": PACKAGE_DIR,
                    **(env or {})})


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mne")
    epochs = [make_epochs(seed) for seed in range(SUBJECTS)]
    paths = []
    for n, ep in enumerate(epochs):
        paths.append(folder / f"sub-{n + 1:02d}-epo.fif")
        ep.save(paths[-1])
    return folder, epochs, paths


@pytest.fixture(scope="module")
def converted(study):
    folder, _, _ = study
    out = folder / "converted"
    proc = convert_cli([str(folder / "sub-*-epo.fif"), "--out-dir", out])
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_converter_writes_what_mne_gives_for_each_file(study, converted):
    _, epochs, paths = study
    names_of = {v: k for k, v in EVENT_ID.items()}
    for ep, path in zip(epochs, paths):
        out = converted / path.name.replace("-epo.fif", "_epochs.h5")
        with h5py.File(out, "r") as f:
            expected = ep.get_data(picks="data")  # EEG00..EEG07: not the bad one, not the EOG
            assert expected.shape == (S * REPS, C, T)
            np.testing.assert_array_equal(f["data"][()], expected)
            np.testing.assert_array_equal(f["data"][()],
                                          mne.read_epochs(path).get_data(picks="data"))
            assert f["data"].dtype == np.float64 and f["labels"].dtype == np.int64
            np.testing.assert_array_equal(f["labels"][()], ep.events[:, 2])
            np.testing.assert_array_equal(f["times"][()], ep.times)
            names = [x.decode() for x in f["event_names"][()]]
            assert names == [names_of[i] for i in ep.events[:, 2]]
            assert [x.decode() for x in f["channels"][()]] == CHANNELS
            assert f.attrs["source"] == str(path) and f.attrs["sfreq"] == SFREQ
            assert f.attrs["picks"] == "data" and f.attrs["mne_version"] == mne.__version__
    assert sorted(p.name for p in converted.iterdir()) == [
        f"sub-{n + 1:02d}_epochs.h5" for n in range(SUBJECTS)]


def differing(a, b, ignore=("/subjects",)):
    """Names of the datasets and root attributes that differ between two `permrsa rdm` files."""
    da, db = read_results(a), read_results(b)
    names = (set(da) | set(db)) - {"attrs", *ignore}
    def same(x, y):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype.kind in "OSU" or y.dtype.kind in "OSU":  # strings (/stimuli): their text
            return x.shape == y.shape and x.tolist() == y.tolist()
        return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    out = [k for k in names if k not in da or k not in db or not same(da[k], db[k])]
    attrs = set(da["attrs"]) | set(db["attrs"])
    return sorted(out + [f"@{k}" for k in attrs - {"command_line"}
                         if da["attrs"].get(k) != db["attrs"].get(k)])


def test_rdm_on_fif_files_equals_rdm_on_the_converted_files_bit_for_bit(study, converted,
                                                                         tmp_path):
    folder, _, paths = study
    rdm_cli(["--epochs", str(folder / "sub-*-epo.fif"), "--out", tmp_path / "fif.h5"])
    rdm_cli(["--epochs", str(converted / "sub-*_epochs.h5"), "--out", tmp_path / "h5.h5"])
    assert differing(tmp_path / "fif.h5", tmp_path / "h5.h5") == []
    fif = read_results(tmp_path / "fif.h5")
    assert fif["/rdms"].shape == (SUBJECTS, S * (S - 1) // 2, T)
    # /subjects names the files the user gave, not the temporary converted ones.
    assert [x.decode() for x in fif["/subjects"]] == [str(p) for p in paths]
    np.testing.assert_array_equal(fif["/stimulus_labels"], sorted(EVENT_ID.values()))
    # /stimuli: the event names of those labels (from_mne's /event_names), in label order.
    names_of = {v: k for k, v in EVENT_ID.items()}
    assert [x.decode() for x in fif["/stimuli"]] == [names_of[v] for v in sorted(EVENT_ID.values())]


def test_one_fif_file_and_another_method(study, converted, tmp_path):
    _, _, paths = study
    rdm_cli(["--epochs", paths[0], "--method", "crossnobis", "--out", tmp_path / "fif.h5"])
    rdm_cli(["--epochs", converted / "sub-01_epochs.h5", "--method", "crossnobis",
             "--out", tmp_path / "h5.h5"])
    assert differing(tmp_path / "fif.h5", tmp_path / "h5.h5") == []


def test_python_rdm_on_epochs_objects_equals_the_cli_on_their_files(study, tmp_path):
    folder, epochs, paths = study
    got = permrsa.rdm(epochs=epochs, out=tmp_path / "objects.h5")
    rdm_cli(["--epochs", str(folder / "sub-*-epo.fif"), "--out", tmp_path / "cli.h5"])
    assert differing(tmp_path / "objects.h5", tmp_path / "cli.h5") == []
    cli = read_results(tmp_path / "cli.h5")
    np.testing.assert_array_equal(got["rdms"], cli["/rdms"])
    # One object, and a .fif path through the Python API (converted by the CLI).
    one = permrsa.rdm(epochs[1], tmp_path / "one.h5", method="correlation")
    path = permrsa.rdm(str(paths[1]), tmp_path / "path.h5", method="correlation")
    np.testing.assert_array_equal(one["rdms"], path["rdms"])
    assert path["subjects"] == [str(paths[1])]
    # The caller's object is left as it was (the channels are picked on a copy).
    assert epochs[0].ch_names == ALL_CHANNELS


def fresh(folder):
    folder.mkdir()
    return folder


def bad_files(folder):
    """(path, words the message must hold) for every kind of bad input."""
    cases = []
    info = mne.create_info(["EEG00", "EEG01"], SFREQ, "eeg")
    raw = mne.io.RawArray(np.zeros((2, 200)), info)
    cases.append((folder / "raw-epo.fif", ["continuous (raw) data"]))
    raw.save(cases[-1][0])
    evoked = make_epochs(5).average()
    cases.append((folder / "evoked-ave.fif", ["evoked (averaged) data"]))
    evoked.save(cases[-1][0])
    dropped = make_epochs(6).drop(list(range(S * REPS)))
    cases.append((folder / "dropped-epo.fif", ["empty event list"]))
    dropped.save(cases[-1][0])
    cases.append((folder / "junk-epo.fif", ["expected a FIF file"]))
    cases[-1][0].write_bytes(b"not a fif file" * 10)
    cases.append((folder / "missing-epo.fif", ["no such file"]))
    return cases


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return bad_files(tmp_path_factory.mktemp("bad"))


def test_bad_fif_files_exit_2_naming_the_file(bad, tmp_path):
    for path, words in bad:
        out_dir = tmp_path / f"conv-{path.stem}"
        proc = convert_cli([path, "--out-dir", out_dir])
        assert proc.returncode == 2, (path, proc.stderr)
        last = proc.stderr.strip().splitlines()[-1]
        assert str(path) in last and all(w in last for w in words), last
        assert not out_dir.exists() or not any(out_dir.iterdir())
        out = tmp_path / f"{path.stem}.h5"
        proc = rdm_cli(["--epochs", path, "--out", out], check=False)
        assert proc.returncode == 2, (path, proc.stderr)
        assert str(path) in proc.stderr and all(w in proc.stderr for w in words), proc.stderr
        assert not out.exists() and not pathlib.Path(str(out) + ".partial").exists()


def test_mixed_channel_sets_and_event_names_exit_2_naming_the_file(study, tmp_path):
    folder, epochs, paths = study
    other = make_epochs(7, channels=CHANNELS[:-1] + ["EEG99", "EOG1"])
    other_path = tmp_path / "sub-99-epo.fif"
    other.save(other_path)
    renamed = make_epochs(8, event_id={**{k: v for k, v in EVENT_ID.items() if v != 7},
                                       "face/2": 7})
    renamed_path = tmp_path / "sub-98-epo.fif"
    renamed.save(renamed_path)
    cases = [(other_path, ["channels", "EEG99", "EEG07", str(paths[0])]),
             (renamed_path, ["event_id", "'face/02'", "'face/2'"])]
    for path, words in cases:
        out_dir = tmp_path / f"conv-{path.stem}"
        proc = convert_cli([paths[0], path, "--out-dir", out_dir])
        last = proc.stderr.strip().splitlines()[-1]
        assert proc.returncode == 2 and str(path) in last and all(w in last for w in words), last
        assert not any(out_dir.iterdir())  # the good first file is not left behind either
        proc = rdm_cli(["--epochs", paths[0], "--epochs", path, "--out", tmp_path / "x.h5"],
                       check=False)
        assert proc.returncode == 2 and str(path) in proc.stderr, proc.stderr
        with pytest.raises(permrsa.InputError, match="mne.Epochs #1: "):
            permrsa.rdm([epochs[0], other if path == other_path else renamed], tmp_path / "y.h5")
    assert not (tmp_path / "x.h5").exists() and not (tmp_path / "y.h5").exists()


def test_the_same_channels_in_another_order_are_put_in_the_first_files_order(study, tmp_path):
    _, epochs, _ = study
    shuffled = epochs[1].copy().reorder_channels(ALL_CHANNELS[::-1])
    out = from_mne.convert([epochs[0], shuffled], tmp_path)
    with h5py.File(out[1], "r") as f:
        assert [x.decode() for x in f["channels"][()]] == CHANNELS
        np.testing.assert_array_equal(f["data"][()], epochs[1].get_data(picks="data"))


def test_epochs_without_trials_are_refused_in_python(study, tmp_path):
    _, epochs, _ = study
    empty = epochs[0].copy().drop(list(range(S * REPS)))
    with pytest.raises(permrsa.InputError, match=r"mne.Epochs #0: events: expected at least one"):
        permrsa.rdm([empty], tmp_path / "z.h5")
    assert not (tmp_path / "z.h5").exists()


def test_a_bad_input_in_a_later_file_leaves_no_output(study, bad, tmp_path):
    _, _, paths = study
    proc = convert_cli([paths[0], bad[0][0], "--out-dir", tmp_path / "conv"])
    assert proc.returncode == 2 and not any((tmp_path / "conv").iterdir())


def test_without_python_or_mne_rdm_names_the_command_that_converts(study, tmp_path):
    _, _, paths = study
    out = tmp_path / "r.h5"
    # No interpreter at all.
    proc = rdm_cli(["--epochs", paths[0], "--out", out], env={"PERMRSA_PYTHON": "/nonexistent/py"},
                   check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"python3 -m permrsa.from_mne {paths[0]} --out-dir epochs/" in proc.stderr
    assert "/nonexistent/py" in proc.stderr and not out.exists()
    # An interpreter without MNE: a module `mne` that fails to import shadows Debian's.
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "mne.py").write_text("raise ImportError(\"No module named 'mne' (test shadow)\")\n")
    proc = rdm_cli(["--epochs", paths[0], "--out", out], check=False,
                   env={"PERMRSA_PYTHONPATH": f"{shadow}{os.pathsep}{PACKAGE_DIR}"})
    assert proc.returncode == 2, proc.stderr
    assert "No module named 'mne' (test shadow)" in proc.stderr
    assert f"python3 -m permrsa.from_mne {paths[0]} --out-dir epochs/" in proc.stderr
    proc = convert_cli([paths[0], "--out-dir", tmp_path / "conv"],
                       env={"PYTHONPATH": f"{shadow}{os.pathsep}{PACKAGE_DIR}"})
    assert proc.returncode == 3 and "python3-mne" in proc.stderr
    # Without a permrsa package the CLI says the same (an empty package path, no build tree).
    proc = subprocess.run([BIN, "rdm", "--epochs", paths[0], "--out", out], capture_output=True,
                          text=True, env={**os.environ, "PERMRSA_PYTHON": sys.executable,
                                          "PERMRSA_PYTHONPATH": str(shadow), "PYTHONPATH": "",
                                          "PYTHONNOUSERSITE": "1"}, cwd=tmp_path)
    if "No module named 'permrsa" in proc.stderr:  # not when permrsa is pip-installed
        assert proc.returncode == 2 and "--out-dir epochs/" in proc.stderr
