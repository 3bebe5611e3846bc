"""`permrsa rdm` (issue 6): brain RDMs from EEG epochs.

Where the expected values come from:
- lda: scikit-learn (Debian python3-sklearn 1.2) LinearDiscriminantAnalysis(solver="lsqr",
  shrinkage="auto") fitted on every pair, time point and fold, with the folds permrsa wrote to
  /folds passed through PredefinedSplit; accuracy_score / roc_auc_score per fold, averaged over
  folds (as cross_val_score(...).mean()). Accuracies must be equal, decision values within 1e-8.
- correlation, euclidean, crossnobis, windows and pseudo-trials: the NumPy references in
  eeg_reference.py (rsatoolbox's and SciPy's definitions), within 1e-10.
- The data: `permrsa simulate --epochs` (8 stimuli, 32 channels, 40 time points, 20 trials per
  stimulus for the scikit-learn check), read back from the HDF5 files it writes.
"""
import pathlib
import subprocess

import h5py
import numpy as np
import pytest
from scipy import stats
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import PredefinedSplit

import eeg_reference as ref
from permrsa_testing import run


def simulate(out, stimuli=8, channels=32, times=40, trials=20, subjects=1, seed=7, onset=0.0):
    run(["simulate", "--epochs", "--out", out, "--stimuli", stimuli, "--channels", channels,
         "--times", times, "--trials", trials, "--subjects", subjects, "--seed", seed,
         "--onset", onset, "--quiet"])
    return sorted(pathlib.Path(out).glob("sub-*_epochs.h5"))


def read_epochs(path):
    with h5py.File(path, "r") as f:
        return f["data"][()].astype(np.float64), f["labels"][()], f["times"][()]


def read_rdm(path):
    with h5py.File(path, "r") as f:
        # /stimulus_labels: the label of each RDM row; /stimuli: their names (here the labels as
        # text, as these epochs have no /event_names).
        out = {k: f[k][()] for k in ("rdms", "mean", "axes/time", "folds")}
        out["stimuli"] = f["stimulus_labels"][()]
        names = [x.decode() for x in f["stimuli"][()]]
        assert names == [str(x) for x in out["stimuli"]]
        return out | {"attrs": dict(f.attrs)}


@pytest.fixture(scope="module")
def lda_case(tmp_path_factory):
    """permrsa's lda accuracies, AUCs and decision values, and scikit-learn's for the same
    pairs, time points and folds (onset at 0 s: the first 20 time points are noise, the rest
    carry signal, so accuracies span chance to perfect)."""
    tmp = tmp_path_factory.mktemp("lda")
    (epochs,) = simulate(tmp / "sim")
    run(["rdm", "--epochs", epochs, "--method", "lda", "--folds", 5, "--out", tmp / "acc.h5",
         "--decision-values", tmp / "dec.h5", "--quiet"])
    run(["rdm", "--epochs", epochs, "--method", "lda", "--folds", 5, "--score", "roc-auc",
         "--out", tmp / "auc.h5", "--quiet"])
    X, labels, _ = read_epochs(epochs)
    ours = read_rdm(tmp / "acc.h5")
    with h5py.File(tmp / "dec.h5", "r") as f:
        decisions = f["decision"][()]
    folds = ours["folds"]
    stimuli = ours["stimuli"]
    S, T = len(stimuli), X.shape[2]
    P = S * (S - 1) // 2
    acc = np.zeros((P, T))
    auc = np.zeros((P, T))
    dec = np.full((P, T, X.shape[0]), np.nan)
    p = 0
    for i in range(S):
        for j in range(i + 1, S):
            rows = np.flatnonzero((labels == stimuli[i]) | (labels == stimuli[j]))
            y = labels[rows]
            split = PredefinedSplit(folds[rows])
            for t in range(T):
                x = X[rows, :, t]
                a_scores, u_scores = [], []
                for train, test in split.split():
                    clf = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
                    clf.fit(x[train], y[train])
                    d = clf.decision_function(x[test])
                    dec[p, t, rows[test]] = d
                    a_scores.append(accuracy_score(y[test], clf.predict(x[test])))
                    u_scores.append(roc_auc_score(y[test] == stimuli[j], d))
                acc[p, t] = np.mean(a_scores)
                auc[p, t] = np.mean(u_scores)
            p += 1
    return dict(ours=ours, auc_ours=read_rdm(tmp / "auc.h5"), decisions=decisions, acc=acc,
                auc=auc, dec=dec, labels=labels)


def test_folds_follow_the_documented_stratified_rule(lda_case):
    folds = lda_case["ours"]["folds"]
    assert np.array_equal(folds, ref.folds_rule(lda_case["labels"], 5))
    for s in np.unique(lda_case["labels"]):
        assert np.bincount(folds[lda_case["labels"] == s], minlength=5).tolist() == [4] * 5


def test_lda_accuracies_equal_sklearn_for_every_pair_and_time_point(lda_case):
    ours = lda_case["ours"]["rdms"]
    assert ours.shape == lda_case["acc"].shape == (28, 40)
    assert np.array_equal(ours, lda_case["acc"])
    # The data span chance to perfect decoding, so the comparison is not trivial.
    assert ours[:, :15].mean() < 0.6 and ours[:, 30:].mean() > 0.8 and ours.max() == 1.0


def test_lda_decision_values_match_sklearn_within_1e_8(lda_case):
    ours, theirs = lda_case["decisions"], lda_case["dec"]
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))
    finite = ~np.isnan(theirs)
    assert finite.sum() == 28 * 40 * 40  # every trial of every pair tested once per time point
    assert np.max(np.abs(ours[finite] - theirs[finite])) < 1e-8


def test_lda_with_fewer_training_trials_than_channels_equals_sklearn(tmp_path):
    """48 channels and 8 training trials per stimulus: each pair's pooled covariance is solved
    through the Woodbury identity (k = 16 < p = 48), the path the full-size study takes
    (64 training trials per pair, 128 channels). Same check as above."""
    (epochs,) = simulate(tmp_path / "sim", stimuli=6, channels=48, times=12, trials=10)
    run(["rdm", "--epochs", epochs, "--method", "lda", "--folds", 5, "--out", tmp_path / "r.h5",
         "--decision-values", tmp_path / "d.h5", "--quiet"])
    ours = read_rdm(tmp_path / "r.h5")
    with h5py.File(tmp_path / "d.h5", "r") as f:
        decisions = f["decision"][()]
    X, labels, _ = read_epochs(epochs)
    stimuli = ours["stimuli"]
    p, worst = 0, 0.0
    for i in range(6):
        for j in range(i + 1, 6):
            rows = np.flatnonzero((labels == stimuli[i]) | (labels == stimuli[j]))
            for t in range(12):
                scores = []
                for train, test in PredefinedSplit(ours["folds"][rows]).split():
                    clf = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
                    clf.fit(X[rows][train, :, t], labels[rows][train])
                    d = clf.decision_function(X[rows][test, :, t])
                    worst = max(worst, np.max(np.abs(decisions[p, t, rows[test]] - d)))
                    scores.append(accuracy_score(labels[rows][test],
                                                 clf.predict(X[rows][test, :, t])))
                assert ours["rdms"][p, t] == np.mean(scores), (p, t)
            p += 1
    assert worst < 1e-8


def test_lda_roc_auc_matches_sklearn_roc_auc_score(lda_case):
    ours = lda_case["auc_ours"]["rdms"]
    assert np.max(np.abs(ours - lda_case["auc"])) < 1e-12


def test_lda_with_window_and_pseudo_trials_equals_sklearn_on_the_averaged_data(tmp_path):
    (epochs,) = simulate(tmp_path / "sim", stimuli=6, channels=12, times=12, trials=14)
    run(["rdm", "--epochs", epochs, "--method", "lda", "--folds", 3, "--window", 3,
         "--pseudo-trials", 2, "--out", tmp_path / "r.h5", "--quiet"])
    ours = read_rdm(tmp_path / "r.h5")
    X, labels, _ = read_epochs(epochs)
    folds = ref.folds_rule(labels, 3)
    assert np.array_equal(ours["folds"], folds)
    U, ul, uf = ref.pseudo_trials(ref.windowed(X, 3), labels, folds, 2)
    stimuli = np.unique(labels)
    expected = np.zeros_like(ours["rdms"])
    p = 0
    for i in range(6):
        for j in range(i + 1, 6):
            rows = np.flatnonzero((ul == stimuli[i]) | (ul == stimuli[j]))
            for t in range(12):
                scores = []
                for train, test in PredefinedSplit(uf[rows]).split():
                    clf = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
                    clf.fit(U[rows][train, :, t], ul[rows][train])
                    scores.append(accuracy_score(ul[rows][test], clf.predict(U[rows][test, :, t])))
                expected[p, t] = np.mean(scores)
            p += 1
    assert np.array_equal(ours["rdms"], expected)


@pytest.mark.parametrize("method,window,g,noise", [
    ("correlation", 1, 1, None), ("correlation", 4, 3, None),
    ("euclidean", 1, 1, None), ("euclidean", 3, 2, None),
    ("crossnobis", 1, 1, "shrinkage-diag"), ("crossnobis", 1, 1, "shrinkage-eye"),
    ("crossnobis", 5, 2, "shrinkage-diag"), ("crossnobis", 2, 1, "shrinkage-eye")])
def test_distance_methods_equal_the_numpy_reference_within_1e_10(tmp_path, method, window, g, noise):
    (epochs,) = simulate(tmp_path / "sim", stimuli=7, channels=10, times=15, trials=16, onset=0.0)
    args = ["rdm", "--epochs", epochs, "--method", method, "--folds", 4, "--window", window,
            "--pseudo-trials", g, "--out", tmp_path / "r.h5", "--quiet"]
    if noise:
        args += ["--noise", noise]
    run(args)
    ours = read_rdm(tmp_path / "r.h5")
    X, labels, times = read_epochs(epochs)
    folds = ref.folds_rule(labels, 4)
    U, ul, uf = ref.pseudo_trials(ref.windowed(X, window), labels, folds, g)
    stimuli = np.unique(labels)
    expected = np.empty_like(ours["rdms"])
    for t in range(X.shape[2]):
        x = U[:, :, t]
        if method == "correlation":
            expected[:, t] = ref.correlation_rdm(x, ul, stimuli)
        elif method == "euclidean":
            expected[:, t] = ref.euclidean_rdm(x, ul, stimuli)
        else:
            expected[:, t] = ref.crossnobis_rdm(x, ul, uf, stimuli, noise)
    assert np.max(np.abs(ours["rdms"] - expected)) < 1e-10
    assert np.array_equal(ours["axes/time"], times)
    assert np.array_equal(ours["stimuli"], stimuli)


def test_planted_category_structure_is_recovered_after_onset_and_at_chance_before(tmp_path):
    """Six planted categories (as the study's faces x3, animals, scenes, objects), 24 stimuli,
    onset 0.1 s. Expected: Pearson r (scipy.stats.pearsonr) between each time point's lda RDM
    and the planted category RDM > 0.8 once the signal has risen (t >= onset + 3 rise constants
    = 0.16 s), and chance before the onset: mean accuracy within 0.5 +- 0.02 and |r| < 0.3."""
    (epochs,) = simulate(tmp_path / "sim", stimuli=24, channels=32, times=60, trials=20,
                         onset=0.1)
    run(["rdm", "--epochs", epochs, "--method", "lda", "--out", tmp_path / "r.h5", "--quiet"])
    ours = read_rdm(tmp_path / "r.h5")
    model = np.load(tmp_path / "sim" / "category_rdm.npy")
    times = ours["axes/time"]
    r = np.array([stats.pearsonr(ours["rdms"][:, t], model)[0] for t in range(len(times))])
    after, before = times >= 0.16 - 1e-9, times < 0.1 - 1e-9
    assert after.sum() >= 5 and before.sum() >= 15
    assert r[after].min() > 0.8, r[after]
    assert np.abs(r[before]).max() < 0.3, r[before]
    assert abs(ours["rdms"][:, before].mean() - 0.5) < 0.02


def test_output_plugs_into_permrsa_run_for_stimulus_and_sign_flip_schemes(tmp_path):
    """Expected: the stimulus scheme's observed map equals scipy.stats.spearmanr between each
    model layer and /mean; the sign-flip scheme's observed map equals the one-sample t (ddof 1)
    of the per-subject Spearman correlations with /rdms."""
    simulate(tmp_path / "sim", stimuli=12, channels=16, times=30, trials=10,
             subjects=3, onset=0.0)
    run(["rdm", "--epochs", str(tmp_path / "sim" / "sub-*_epochs.h5"), "--method", "lda",
         "--out", tmp_path / "group.h5", "--quiet"])
    ours = read_rdm(tmp_path / "group.h5")
    assert ours["rdms"].shape == (3, 66, 30) and ours["folds"].shape == (3, 120)
    assert np.array_equal(ours["mean"], ours["rdms"].mean(axis=0))
    model = np.load(tmp_path / "sim" / "category_rdm.npy")
    rng = np.random.default_rng(3)
    models = np.stack([model + 0.01 * rng.standard_normal(model.size), rng.random(model.size)])
    np.save(tmp_path / "models.npy", models)
    from permrsa_testing import write_config
    base = {"models": {"file": str(tmp_path / "models.npy")},
            "output": {}}
    for scheme, dataset, layout in [("stimulus", "/mean", "pairs-time"),
                                    ("sign-flip", "/rdms", "subjects-pairs-time")]:
        out = tmp_path / f"{scheme}.h5"
        cfg = write_config(tmp_path / f"{scheme}.toml", {
            "brain": {"file": f"{tmp_path / 'group.h5'}:{dataset}", "layout": layout,
                      "times": f"{tmp_path / 'group.h5'}:/axes/time"},
            "models": base["models"],
            "analysis": {"scheme": scheme, "metric": "spearman", "permutations": 99,
                         "precision": "float64"},
            "output": {"file": str(out)}})
        run(["run", cfg, "--quiet"])
        with h5py.File(out, "r") as f:
            observed = f["observed"][()]
        if scheme == "stimulus":
            expected = np.array([[stats.spearmanr(m, ours["mean"][:, t])[0] for t in range(30)]
                                 for m in models])
        else:
            per = np.array([[[stats.spearmanr(m, ours["rdms"][n][:, t])[0] for t in range(30)]
                             for m in models] for n in range(3)])
            expected = per.mean(0) / (per.std(0, ddof=1) / np.sqrt(3))
        assert np.max(np.abs(observed - expected)) < 1e-9, scheme


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    simulate(tmp_path / "sim", stimuli=8, channels=16, times=20, trials=10, subjects=2)
    outs = []
    for threads in (1, 2):
        outs.append(tmp_path / f"t{threads}.h5")
        run(["rdm", "--epochs", str(tmp_path / "sim" / "sub-*_epochs.h5"), "--method", "lda",
             "--out", outs[-1], "--threads", threads, "--quiet"])
    proc = subprocess.run(["h5diff", "-r", *map(str, outs)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_npy_epochs_with_labels_and_times_equal_the_hdf5_input(tmp_path):
    (epochs,) = simulate(tmp_path / "sim", stimuli=6, channels=8, times=10, trials=10)
    X, labels, times = read_epochs(epochs)
    np.save(tmp_path / "x.npy", X)
    np.save(tmp_path / "y.npy", labels.astype(np.int32))
    np.save(tmp_path / "t.npy", times)
    run(["rdm", "--epochs", epochs, "--method", "crossnobis", "--out", tmp_path / "a.h5", "--quiet"])
    run(["rdm", "--epochs", tmp_path / "x.npy", "--labels", tmp_path / "y.npy", "--times",
         tmp_path / "t.npy", "--method", "crossnobis", "--out", tmp_path / "b.h5", "--quiet"])
    assert np.array_equal(read_rdm(tmp_path / "a.h5")["rdms"], read_rdm(tmp_path / "b.h5")["rdms"])


def test_matlab_epochs_equal_the_hdf5_input(tmp_path):
    from scipy.io import savemat
    (epochs,) = simulate(tmp_path / "sim", stimuli=6, channels=8, times=10, trials=10)
    X, labels, times = read_epochs(epochs)
    # MATLAB stores labels as doubles and the time axis as a 1 x T row.
    savemat(tmp_path / "e.mat", {"data": X, "labels": labels.astype(float)[:, None],
                                 "times": times[None, :]})
    run(["rdm", "--epochs", epochs, "--method", "euclidean", "--out", tmp_path / "a.h5", "--quiet"])
    run(["rdm", "--epochs", tmp_path / "e.mat", "--method", "euclidean", "--out",
         tmp_path / "b.h5", "--quiet"])
    assert np.array_equal(read_rdm(tmp_path / "a.h5")["rdms"], read_rdm(tmp_path / "b.h5")["rdms"])


def test_mne_epochs_exported_with_the_readme_lines_give_the_same_rdms(tmp_path):
    """The README's three export lines (Debian python3-mne EpochsArray) give the same file
    contents as the HDF5 file the epochs were built from."""
    mne = pytest.importorskip("mne")
    (epochs_file,) = simulate(tmp_path / "sim", stimuli=6, channels=8, times=10, trials=10)
    X, labels, times = read_epochs(epochs_file)
    info = mne.create_info([f"EEG{c:03d}" for c in range(8)], sfreq=200.0, ch_types="eeg")
    events = np.column_stack([np.arange(len(labels)) * 100, np.zeros(len(labels), int), labels])
    epochs = mne.EpochsArray(X, info, events=events, tmin=times[0], verbose="error")
    with h5py.File(tmp_path / "mne.h5", "w") as f:
        f["data"] = epochs.get_data()
        f["labels"] = epochs.events[:, 2]
        f["times"] = epochs.times
    for name, src in [("a", epochs_file), ("b", tmp_path / "mne.h5")]:
        run(["rdm", "--epochs", src, "--method", "lda", "--out", tmp_path / f"{name}.h5", "--quiet"])
    a, b = read_rdm(tmp_path / "a.h5"), read_rdm(tmp_path / "b.h5")
    assert np.array_equal(a["rdms"], b["rdms"])
    assert np.allclose(a["axes/time"], b["axes/time"], atol=1e-12)
