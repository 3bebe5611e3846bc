"""The README's chain end to end (issue 18's acceptance): mne.EpochsArray of 20 subjects with a
planted onset -> python3 -m permrsa.from_mne -> permrsa rdm -> permrsa features (a tiny
generated TorchScript model) -> permrsa run (sign-flip, TFCE "auto", bootstrap) -> permrsa info
and permrsa report.

Where the expected values come from: the data are built here. Each stimulus's EEG pattern is a
fixed random projection of its coordinates in a classical MDS of the model's own layer RDM, so
the brain's Euclidean RDM follows the model from the planted onset on (0.10 s) and is noise
before it. The event ids are deliberately NOT in image order, and each event is named as its
image (from_mne's /event_names): `permrsa run` must match the rows by name (reordering the
models) for the effect to appear; event names that are not the image names must be refused.
"""
import subprocess
import sys

import h5py
import numpy as np
import pytest
from scipy.spatial.distance import squareform

from features_reference import save_tiny_sequential
from permrsa_testing import BIN, run, write_config
from synthetic_images import write_images

mne = pytest.importorskip("mne")

SUBJECTS, S, REPS, CHANNELS, T, SFREQ = 20, 8, 4, 16, 40, 100.0
TMIN, ONSET = -0.1, 0.10  # the planted onset: sample 20 of 40


def classical_mds(d, dims=4):
    n = d.shape[0]
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d ** 2) @ j
    w, v = np.linalg.eigh(b)
    top = np.argsort(w)[::-1][:dims]
    return v[:, top] * np.sqrt(np.maximum(w[top], 0))


def epochs_for(subject, coords, event_id, names):
    rng = np.random.Generator(np.random.Philox(1000 + subject))
    projection = np.random.Generator(np.random.Philox(7)).standard_normal((coords.shape[1], CHANNELS))
    patterns = coords @ projection
    patterns /= np.abs(patterns).max()
    times = TMIN + np.arange(T) / SFREQ
    signal = (times >= ONSET - 1e-9).astype(float)
    order = rng.permutation(np.repeat(np.arange(S), REPS))
    data = np.stack([patterns[i][:, None] * signal[None, :] * 2.0 for i in order])
    data += 0.6 * rng.standard_normal(data.shape)
    events = np.column_stack([np.arange(len(order)) * 10, np.zeros(len(order), int),
                              [event_id[names[i]] for i in order]])
    info = mne.create_info([f"EEG{c:02d}" for c in range(CHANNELS)], SFREQ, "eeg")
    return mne.EpochsArray(data * 1e-6, info, events=events, tmin=TMIN, event_id=event_id,
                           verbose="error")


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e")
    images = write_images(d / "images", S, seed=11, prefix="stim")
    names = [p.stem for p in images]
    model = save_tiny_sequential(d / "tiny.pt")
    run(["features", "--model", model, "--images", d / "images", "--layers", "0,2",
         "--resize", 40, "--crop", 32, "--threads", 2, "--out", d / "models.h5", "-q"])
    with h5py.File(d / "models.h5", "r") as f:
        model_rdm = squareform(f["rdms"][()][1])
        assert [x.decode() for x in f["stimuli"][()]] == names
    coords = classical_mds(model_rdm)
    # Event ids in an order unrelated to the images: sorted ids are not image order.
    ids = [31, 4, 17, 9, 26, 12, 40, 2]
    event_id = {name: ids[i] for i, name in enumerate(names)}
    for n in range(SUBJECTS):
        epochs_for(n, coords, event_id, names).save(d / f"sub-{n + 1:02d}-epo.fif",
                                                    verbose="error")
    subprocess.run([sys.executable, "-m", "permrsa.from_mne", *sorted(map(str, d.glob("sub-*-epo.fif"))),
                    "--out-dir", str(d / "epochs")], check=True, capture_output=True, text=True)
    run(["rdm", "--epochs", f"{d / 'epochs'}/sub-*_epochs.h5", "--method", "euclidean",
         "--out", d / "group.h5", "-q"])
    cfg = write_config(d / "study.toml", {
        "brain": {"file": f"{d / 'group.h5'}:/rdms", "layout": "subjects-pairs-time",
                  "times": f"{d / 'group.h5'}:/axes/time"},
        "models": {"file": f"{d / 'models.h5'}:/rdms", "names": f"{d / 'models.h5'}:/layers"},
        "analysis": {"scheme": "sign-flip", "permutations": 500, "seed": 4},
        "correction": {"cluster_threshold": "t-default", "tfce": True},
        "bootstrap": {"samples": 300},
        "output": {"file": str(d / "results.h5")}})
    proc = run(["run", cfg])
    return d, names, event_id, proc


def test_the_stimulus_names_survive_the_chain_and_the_models_are_reordered(chain):
    d, names, event_id, proc = chain
    by_id = [name for name, _ in sorted(event_id.items(), key=lambda x: x[1])]
    with h5py.File(d / "group.h5", "r") as f:
        assert [x.decode() for x in f["stimuli"][()]] == by_id  # rows in sorted-id order
    assert "in another order; the model RDMs are reordered to the brain's order" in proc.stderr
    with h5py.File(d / "results.h5", "r") as f:
        assert [x.decode() for x in f["axes/stimulus"][()]] == by_id


def test_the_cluster_onset_ci_covers_the_planted_onset(chain):
    d, _, _, _ = chain
    with h5py.File(d / "results.h5", "r") as f:
        onset = f["onset/cluster_time"][()]
        ci = f["bootstrap/cluster_onset_ci"][()]
        times = f["axes/time"][()]
        assert f.attrs["tfce_step"] > 0 and "tfce_step = \"auto\"" in f.attrs["config"]
        assert f["subject_maps"].shape[0] == SUBJECTS
    planted = times[np.argmin(np.abs(times - ONSET))]
    for layer in range(2):
        assert ci[layer, 0] <= planted <= ci[layer, 1], (layer, ci[layer], planted)
        assert abs(onset[layer] - planted) <= 0.02, onset


def test_info_and_the_report_show_the_onsets_and_tfce(chain):
    d, _, _, _ = chain
    info = run(["info", d / "results.h5"]).stdout
    assert "maps: one-sample t of Spearman rho (N = 20)" in info
    assert "cluster onset" in info and "TFCE:" in info and "noise ceiling:" in info
    run(["report", d / "results.h5", "--out", d / "report"])
    html = (d / "report" / "index.html").read_text()
    for section in ('id="latencies"', 'id="tfce"', 'id="noise-ceiling"'):
        assert section in html


def test_event_names_that_are_not_the_image_names_are_refused(chain, tmp_path):
    d, names, event_id, _ = chain
    with h5py.File(d / "group.h5", "r") as f:
        rdms, time = f["rdms"][()], f["axes/time"][()]
    with h5py.File(tmp_path / "renamed.h5", "w") as f:
        f["rdms"] = rdms
        f["axes/time"] = time
        f.create_dataset("stimuli", data=[f"face/{i:02d}" for i in range(S)],
                         dtype=h5py.string_dtype())
    cfg = write_config(tmp_path / "c.toml", {
        "brain": {"file": f"{tmp_path / 'renamed.h5'}:/rdms", "layout": "subjects-pairs-time",
                  "times": f"{tmp_path / 'renamed.h5'}:/axes/time"},
        "models": {"file": f"{d / 'models.h5'}:/rdms"},
        "analysis": {"scheme": "sign-flip", "permutations": 50},
        "output": {"file": str(tmp_path / "out.h5")}})
    proc = run(["run", cfg], check=False)
    assert proc.returncode == 2
    assert "name different stimuli: 8 only in" in proc.stderr and '"face/00"' in proc.stderr
    assert '"stim_001"' in proc.stderr
    assert not (tmp_path / "out.h5").exists()
