"""`permrsa rdm` rejects bad epochs before any work (issue 6, "Errors"): exit code 2, one message
naming the file, the field and what was expected vs found, and no output file left behind.
The inputs are small NumPy arrays written here; each test states the message it expects."""
import h5py
import numpy as np

from permrsa_testing import run


def write_h5(path, data, labels, times):
    with h5py.File(path, "w") as f:
        f["data"] = data
        f["labels"] = labels
        f["times"] = times
    return path


def good(trials_per=6, stimuli=3, channels=4, times=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(1, stimuli + 1), trials_per)
    return rng.standard_normal((labels.size, channels, times)), labels, np.arange(times) * 0.01


def fails(tmp_path, args, *fragments):
    out = tmp_path / "out.h5"
    proc = run(["rdm", *args, "--out", out], check=False)
    assert proc.returncode == 2, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr
    assert "HDF5-DIAG" not in proc.stderr
    assert not out.exists() and not (tmp_path / "out.h5.partial").exists()
    return proc.stderr


def test_a_single_stimulus_class_is_an_input_error(tmp_path):
    x, y, t = good()
    f = write_h5(tmp_path / "e.h5", x, np.full_like(y, 7), t)
    fails(tmp_path, ["--epochs", f], str(f), "labels", "at least 2 distinct", "every trial is 7")


def test_a_class_with_fewer_trials_than_folds_names_the_counts(tmp_path):
    x, y, t = good(trials_per=6)
    y = y.copy()
    y[:3] = 9  # stimulus 9 has 3 trials, stimulus 1 keeps 3
    f = write_h5(tmp_path / "e.h5", x, y, t)
    fails(tmp_path, ["--epochs", f, "--folds", "5"], "at least 5 trials per stimulus",
          "stimulus 1 has 3", "stimulus 9 has 3")


def test_nan_in_the_data_is_named_by_trial_channel_and_time(tmp_path):
    x, y, t = good()
    x[4, 2, 3] = np.nan
    f = write_h5(tmp_path / "e.h5", x, y, t)
    fails(tmp_path, ["--epochs", f, "--folds", "3"], str(f), "data", "NaN at trial 4, channel 2, time index 3")


def test_labels_that_do_not_match_the_trials_are_an_input_error(tmp_path):
    x, y, t = good()
    f = write_h5(tmp_path / "e.h5", x, y[:-1], t)
    fails(tmp_path, ["--epochs", f, "--folds", "3"], "labels", "one label per trial (18 trials", "found 17")


def test_times_that_do_not_match_the_data_are_an_input_error(tmp_path):
    x, y, t = good()
    f = write_h5(tmp_path / "e.h5", x, y, t[:-1])
    fails(tmp_path, ["--epochs", f, "--folds", "3"], "times", "expected 5 time points", "(4,)")


def test_data_that_are_not_three_dimensional_are_an_input_error(tmp_path):
    x, y, t = good()
    f = write_h5(tmp_path / "e.h5", x[:, :, 0], y, t)
    fails(tmp_path, ["--epochs", f], "data", "expected 3 dimensions", "(18, 4)")


def test_subjects_with_different_channels_are_an_input_error(tmp_path):
    x, y, t = good()
    a = write_h5(tmp_path / "a.h5", x, y, t)
    b = write_h5(tmp_path / "b.h5", x[:, :3], y, t)
    fails(tmp_path, ["--epochs", a, b, "--folds", "3"], str(b), "expected 4 channels", "found 3")


def test_subjects_with_different_time_axes_are_an_input_error(tmp_path):
    x, y, t = good()
    a = write_h5(tmp_path / "a.h5", x, y, t)
    b = write_h5(tmp_path / "b.h5", x, y, t + 0.5)
    fails(tmp_path, ["--epochs", a, b, "--folds", "3"], str(b), "times", "times[0] = 0.5")


def test_npy_epochs_without_labels_are_an_input_error(tmp_path):
    x, _, _ = good()
    np.save(tmp_path / "x.npy", x)
    fails(tmp_path, ["--epochs", tmp_path / "x.npy"], "--labels", "for .npy epochs")


def test_a_glob_that_matches_nothing_is_an_input_error(tmp_path):
    fails(tmp_path, ["--epochs", str(tmp_path / "sub-*.h5")], "expected files matching")


def test_an_unknown_method_lists_the_valid_ones(tmp_path):
    x, y, t = good()
    f = write_h5(tmp_path / "e.h5", x, y, t)
    fails(tmp_path, ["--epochs", f, "--method", "svm"], "lda, correlation, euclidean, crossnobis")
