"""Hostile output locations and faults while writing (issue 15, the output-file classes D2, D4,
D6, D11, D12, D14, D15 and SIGINT): every case ends with the exit code the README promises,
a message that names the option and the path, no file left behind (neither the output nor a
temporary "<name>.tmp-..." beside it) and every input byte for byte as it was.

Where the expected values come from: DESIGN.md invariants 2 ("nothing is lost or half-written")
and 3 (bad input: exit 2 before any heavy work, naming the file; runtime failure: exit 1), the
checkpoint contract of README "Checkpoints" (a stop request saves and exits 75; the resumed run
writes the same file as an uninterrupted one, compared with h5diff), and the reproductions of
issue 15. Inputs are made here: `permrsa simulate` data (S = 12, L = 3, T = 40), simulated
epochs, NumPy arrays, PNG images drawn with NumPy and a tiny TorchScript model
(features_reference.save_tiny_sequential)."""
import os
import pathlib
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from permrsa_testing import BIN
from shard_testing import H5DIFF, MPIRUN

MPI_FLAGS = ["--oversubscribe", "--allow-run-as-root"]


# ---- helpers ---------------------------------------------------------------------------------

def permrsa(args, cwd, timeout=120, launcher=()):
    return subprocess.run([*launcher, BIN, *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def simulate(folder, *extra):
    folder = pathlib.Path(folder)
    proc = permrsa(["simulate", "--out", folder, "--stimuli", 12, "--layers", 3, "--times", 40,
                    "-q", *extra], cwd=folder.parent)
    assert proc.returncode == 0, proc.stderr
    return folder


def snapshot(folder):
    """Every file under `folder` (symbolic links as their targets' bytes), by relative path."""
    folder = pathlib.Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def temporaries(folder):
    return sorted(str(p) for p in pathlib.Path(folder).rglob("*")
                  if ".tmp-" in p.name or p.name.endswith(".partial"))


def refused(proc, *tokens):
    """Exit 2 with one message that holds every token, and no HDF5 text."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    message = proc.stderr.strip().splitlines()[-1]
    for token in tokens:
        assert str(token) in message, (token, message)
    assert "HDF5-DIAG" not in proc.stderr
    return message


def h5_equal(a, b):
    proc = subprocess.run([H5DIFF, "-r", str(a), str(b)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def study(tmp_path):
    return simulate(tmp_path / "study")


@pytest.fixture
def epochs(tmp_path):
    """Two subjects of simulated epochs (small: 12 stimuli x 6 trials, 8 channels, 20 times)."""
    folder = tmp_path / "epochs"
    proc = permrsa(["simulate", "--epochs", "--out", folder, "--subjects", 2, "--channels", 8,
                    "--trials", 6, "--times", 20, "--stimuli", 12, "-q"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return folder


def shards_of(study):
    """Two shards of the study's analysis (K = 1000, so permutations 0:1001)."""
    for name, k in (("a.h5", "0:500"), ("b.h5", "500:1001")):
        proc = permrsa(["run", "config.toml", "-q", "--shard-out", name, "--permutations", k],
                       cwd=study)
        assert proc.returncode == 0, proc.stderr
    return study / "a.h5", study / "b.h5"


def have_features():
    """`permrsa features` needs the LibTorch module beside the binary (PERMRSA_WITH_TORCH)."""
    return (pathlib.Path(BIN).resolve().parent / "libpermrsa_torch.so").exists()


def image_set(folder, count=4):
    """`count` random 48 x 48 RGB PNGs (NumPy seed 3) and a list file naming them."""
    from PIL import Image
    folder.mkdir()
    rng = np.random.default_rng(3)
    names = []
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)).save(folder / f"{i}.png")
        names.append(f"{i}.png")
    (folder / "list.txt").write_text("\n".join(names) + "\n")
    return folder


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs with 8 KiB left free (root only; skipped where it cannot be mounted)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "full"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        free = os.statvfs(folder)
        (folder / "filler").write_bytes(b"\0" * (free.f_bavail * free.f_frsize - 8 * 1024))
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# ---- D2: a checkpoint (or shard) named like the output ---------------------------------------

def test_a_checkpoint_named_like_the_output_or_the_shard_is_refused_and_deletes_nothing(study):
    # Issue 15 D2: `run --checkpoint results.h5` logged "wrote results.h5", then removed the
    # checkpoint, i.e. the results, and exited 0. A results file of an earlier run must survive.
    proc = permrsa(["run", "config.toml", "-q"], cwd=study)
    assert proc.returncode == 0, proc.stderr
    before = snapshot(study)
    refused(permrsa(["run", "config.toml", "-q", "--checkpoint", "results.h5"], cwd=study),
            "results.h5 (--checkpoint): is the same file as output.file (results.h5)")
    refused(permrsa(["run", "config.toml", "-q", "--checkpoint", "./s.h5", "--shard-out", "s.h5",
                     "--permutations", "0:100"], cwd=study),
            "./s.h5 (--checkpoint): is the same file as --shard-out (s.h5)")
    assert snapshot(study) == before
    assert temporaries(study) == []


# ---- D6: an output that is an input -----------------------------------------------------------

RUN_CASES = {
    # name: (extra arguments, tokens of the message)
    "output.file is brain.file": (["--set", "output.file=brain.npy"],
                                  ["brain.npy (output.file)", "brain.file"]),
    "spelled ./": (["--set", "output.file=./brain.npy"], ["./brain.npy (output.file)", "brain.file"]),
    "a symbolic link": (["--set", "output.file=link.npy"], ["link.npy (output.file)", "models.file"]),
    "a hard link": (["--set", "output.file=hard.npy"], ["hard.npy (output.file)", "brain.times"]),
    "the layer names": (["--set", "output.file=layers.txt"], ["layers.txt (output.file)", "models.names"]),
    "the config itself": (["--set", "output.file=config.toml"], ["config.toml (output.file)", "the config file"]),
    "the permutation file": (["--set", "analysis.permutation_file=perms.npy", "--set",
                              "output.file=perms.npy"], ["perms.npy (output.file)", "analysis.permutation_file"]),
    "--shard-out": (["--shard-out", "models.npy", "--permutations", "0:10"],
                    ["models.npy (--shard-out)", "models.file"]),
    "--checkpoint": (["--checkpoint", "times.npy"], ["times.npy (--checkpoint)", "brain.times"]),
    "--shard-out is --pass1-from": (["--shard-out", "p1.h5", "--pass1-from", "p1.h5", "--permutations", "0:10"],
                                    ["p1.h5 (--shard-out)", "--pass1-from"]),
}


@pytest.mark.parametrize("case", list(RUN_CASES))
def test_run_refuses_an_output_that_is_one_of_its_inputs_under_any_spelling(study, case):
    # Issue 15 D6: `--set output.file=brain.npy` overwrote brain.npy and exited 0.
    args, tokens = RUN_CASES[case]
    os.symlink("models.npy", study / "link.npy")
    os.link(study / "times.npy", study / "hard.npy")
    np.save(study / "perms.npy", np.tile(np.arange(12), (1000, 1)))
    (study / "p1.h5").write_bytes(b"any existing file")
    before = snapshot(study)
    refused(permrsa(["run", "config.toml", "-q", *args], cwd=study), *tokens,
            "refusing to overwrite it")
    assert snapshot(study) == before
    assert temporaries(study) == []


def test_merge_refuses_an_output_that_is_a_shard_or_an_input_of_the_analysis(study):
    a, b = shards_of(study)
    before = snapshot(study)
    refused(permrsa(["merge", a, b, "--out", b, "-q"], cwd=study),
            f"{b} (--out): is the same file as a shard")
    refused(permrsa(["merge", a, b, "--out", "brain.npy", "-q"], cwd=study),
            "brain.npy (--out): is the same file as brain.file")
    assert snapshot(study) == before
    assert temporaries(study) == []


def test_rdm_refuses_an_output_that_is_an_epochs_labels_or_times_file(epochs):
    rng = np.random.default_rng(4)
    np.save(epochs / "x.npy", rng.standard_normal((24, 4, 10)))
    np.save(epochs / "labels.npy", np.repeat(np.arange(1, 4), 8))
    np.save(epochs / "t.npy", np.arange(10) * 0.01)
    before = snapshot(epochs)
    refused(permrsa(["rdm", "--epochs", "sub-*_epochs.h5", "--out", "sub-02_epochs.h5", "-q"],
                    cwd=epochs), "sub-02_epochs.h5 (--out): is the same file as --epochs")
    for target in ("x.npy", "labels.npy", "t.npy"):
        refused(permrsa(["rdm", "--epochs", "x.npy", "--labels", "labels.npy", "--times", "t.npy",
                         "--method", "correlation", "--folds", 2, "--out", target, "-q"],
                        cwd=epochs), f"{target} (--out): is the same file as")
    refused(permrsa(["rdm", "--epochs", "x.npy", "--labels", "labels.npy", "--times", "t.npy",
                     "--folds", 2, "--out", "r.h5", "--decision-values", "./r.h5", "-q"],
                    cwd=epochs), "./r.h5 (--decision-values): is the same file as --out")
    assert snapshot(epochs) == before
    assert temporaries(epochs) == []


@pytest.mark.skipif(not have_features(), reason="permrsa built without LibTorch")
def test_features_refuses_an_output_that_is_the_model_the_image_list_or_an_image(tmp_path):
    from features_reference import save_tiny_sequential
    images = image_set(tmp_path / "images")
    model = save_tiny_sequential(tmp_path / "m.pt")
    before = snapshot(tmp_path)
    common = ["features", "--resize", 40, "--crop", 32, "--model", model, "-q"]
    refused(permrsa([*common, "--images", images, "--out", model], cwd=tmp_path),
            f"{model} (--out): is the same file as --model")
    refused(permrsa([*common, "--images", images / "list.txt", "--out", images / "list.txt"],
                    cwd=tmp_path), "list.txt (--out): is the same file as --images")
    refused(permrsa([*common, "--images", images, "--out", images / "2.png"], cwd=tmp_path),
            "2.png (--out): is the same file as --images")
    assert snapshot(tmp_path) == before
    assert temporaries(tmp_path) == []


# ---- D4: a full disk ----------------------------------------------------------------------------

def assert_failed_cleanly(proc, out, full_disk):
    """Exit 1 (not a crash in HDF5's exit handler), one message naming the output, and nothing
    left on the full disk but the filler."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "signal 11" not in proc.stderr and "Segmentation fault" not in proc.stderr
    failures = [line for line in proc.stderr.splitlines() if line.startswith("permrsa: failed:")]
    assert len(failures) == 1, proc.stderr
    assert str(out) in failures[0], failures[0]
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


def test_a_full_disk_ends_with_exit_1_and_no_file_for_run_checkpoint_rdm_and_merge(
        study, epochs, full_disk):
    # Issue 15 D4: "permrsa: failed: ...: No space left on device", then SIGSEGV in HDF5's
    # exit handler (H5F__close_cb): exit 139. Expected: exit 1, no file.
    before = snapshot(study)
    out = full_disk / "r.h5"
    proc = permrsa(["run", "config.toml", "-q", "--set", f"output.file={out}"], cwd=study)
    assert_failed_cleanly(proc, out, full_disk)
    assert "No space left on device" in proc.stderr

    ck = full_disk / "ck.h5"
    proc = permrsa(["run", "config.toml", "-q", "--set", "output.file=never.h5", "--checkpoint", ck,
                    "--checkpoint-every", 100], cwd=study)
    assert_failed_cleanly(proc, ck, full_disk)
    assert not (study / "never.h5").exists()

    proc = permrsa(["rdm", "--epochs", "sub-*_epochs.h5", "--out", out, "-q"], cwd=epochs)
    assert_failed_cleanly(proc, out, full_disk)

    a, b = shards_of(study)
    proc = permrsa(["merge", a, b, "--out", out, "-q"], cwd=study)
    assert_failed_cleanly(proc, out, full_disk)
    for name in ("a.h5", "b.h5"):
        before.pop(name, None)
        (study / name).unlink()
    assert snapshot(study) == before
    assert temporaries(study) == [] and temporaries(epochs) == []


@pytest.mark.skipif(not os.path.exists(MPIRUN), reason="no mpirun")
@pytest.mark.parametrize("ranks", [2, 3])
def test_a_full_disk_under_mpirun_ends_with_exit_1_on_every_rank_and_no_file(study, full_disk,
                                                                             ranks):
    # The parallel results file: a write that fails on one rank only used to leave the others
    # waiting in a collective call forever, and Open MPI's OMPIO can lose a write without an
    # error (then the file lacked attributes, with exit 0). Expected: exit 1, one message.
    out = full_disk / "r.h5"
    proc = permrsa(["run", "config.toml", "-q", "--set", f"output.file={out}", "--grid",
                    f"{ranks}x1"], cwd=study, launcher=[MPIRUN, "-n", str(ranks), *MPI_FLAGS])
    assert_failed_cleanly(proc, out, full_disk)


# ---- D11, D12: rdm's temporary name -----------------------------------------------------------

def test_rdm_into_an_existing_folder_is_refused_and_leaves_no_partial_file(epochs):
    # Issue 15 D11: `rdm --out DIR` left DIR.partial behind.
    (epochs / "DIR").mkdir()
    before = snapshot(epochs)
    refused(permrsa(["rdm", "--epochs", "sub-*_epochs.h5", "--out", "DIR", "-q"], cwd=epochs),
            "DIR (--out): expected a file name, found a folder")
    assert snapshot(epochs) == before
    assert temporaries(epochs) == []


def test_two_concurrent_rdm_runs_to_one_output_both_succeed_with_the_single_run_file(tmp_path):
    # Issue 15 D12: both runs wrote "<out>.partial"; both failed and nothing was written. Here
    # the first run is stopped (SIGSTOP) while its temporary is on disk, the second runs to the
    # end, then the first goes on (SIGCONT): both must succeed, and the file must be the one a
    # run alone writes (the rdm file does not depend on the output name). 3000 time points make
    # the file (5 MB) take long enough to write to be caught.
    folder = tmp_path / "epochs"
    proc = permrsa(["simulate", "--epochs", "--out", folder, "--subjects", 2, "--channels", 8,
                    "--trials", 6, "--times", 3000, "--stimuli", 12, "-q"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    args = ["rdm", "--epochs", "sub-*_epochs.h5", "--method", "correlation", "-q"]
    single = permrsa([*args, "--out", "single.h5"], cwd=folder)
    assert single.returncode == 0, single.stderr
    for _ in range(20):
        first = subprocess.Popen([BIN, *args, "--out", "same.h5"], cwd=folder,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        caught = False
        while first.poll() is None:
            if list(folder.glob("same.h5.*")):
                first.send_signal(signal.SIGSTOP)
                caught = True
                break
            time.sleep(0.0002)
        if caught:
            second = permrsa([*args, "--out", "same.h5"], cwd=folder)
            first.send_signal(signal.SIGCONT)
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        if caught:
            assert second.returncode == 0, second.stderr
            h5_equal(folder / "single.h5", folder / "same.h5")
            assert temporaries(folder) == []
            return
        (folder / "same.h5").unlink()
    pytest.fail("never caught the first run writing")


# ---- D14: every output location before any work ------------------------------------------------

def test_output_locations_are_checked_before_any_work(study, epochs, tmp_path):
    # Issue 15 D14: output.file naming a folder failed only after the whole computation, a
    # checkpoint in a missing folder at its first save with raw HDF5 text, `rdm --out nodir/x.h5`
    # with exit 1. K = 10^7 makes "after the computation" a timeout here.
    before = snapshot(study)
    (study / "folder").mkdir()
    slow = ["--set", "analysis.permutations=10000000"]
    cases = [
        (["run", "config.toml", *slow, "--set", "output.file=folder"],
         ["folder (output.file): expected a file name, found a folder"]),
        (["run", "config.toml", *slow, "--checkpoint", "nodir/ck.h5"],
         ["nodir/ck.h5 (--checkpoint): expected an existing folder", f"found no folder {study / 'nodir'}"]),
        (["run", "config.toml", *slow, "--shard-out", "nodir/s.h5", "--permutations", "0:10"],
         ["nodir/s.h5 (--shard-out): expected an existing folder"]),
        (["run", "config.toml", *slow, "--set", "output.file=/dev/null"],
         ["/dev/null (output.file): expected a file name, found a device"]),
        (["rdm", "--epochs", epochs / "sub-*_epochs.h5", "--out", "nodir/x.h5"],
         ["nodir/x.h5 (--out): expected an existing folder"]),
        (["report", "results.h5", "--out", "nodir/report"],
         ["nodir/report (--out): expected an existing folder"]),
        (["report", "results.h5", "--out", "config.toml"],
         ["config.toml (--out): expected a folder (or a new name), found a file"]),
    ]
    for args, tokens in cases:
        refused(permrsa([*args, "-q"], cwd=study, timeout=60), *tokens)
    shutil.rmtree(study / "folder")
    assert snapshot(study) == before
    assert temporaries(study) == [] and temporaries(epochs) == []


def test_merge_and_features_check_their_output_folder_before_any_work(study, tmp_path):
    a, b = shards_of(study)
    refused(permrsa(["merge", a, b, "--out", "nodir/m.h5", "-q"], cwd=study),
            "nodir/m.h5 (--out): expected an existing folder")
    if have_features():
        from features_reference import save_tiny_sequential
        images = image_set(tmp_path / "images")
        model = save_tiny_sequential(tmp_path / "m.pt")
        refused(permrsa(["features", "--model", model, "--images", images, "--out", "nodir/f.h5",
                         "-q"], cwd=tmp_path), "nodir/f.h5 (--out): expected an existing folder")
        assert not (tmp_path / "nodir").exists()
    assert temporaries(study) == [] and temporaries(tmp_path) == []


def test_a_read_only_folder_is_refused_before_any_work(study, tmp_path):
    # As root every permission bit is ignored, so the read-only folder is a read-only mount.
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,ro", "tmpfs", str(folder)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot mount a read-only tmpfs here")
    else:
        folder.chmod(0o555)
    try:
        refused(permrsa(["run", "config.toml", "-q", "--set", f"output.file={folder / 'r.h5'}"],
                        cwd=study), f"{folder / 'r.h5'} (output.file): cannot write into the folder")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
        else:
            folder.chmod(0o755)


# ---- D15: temporaries of a killed save ----------------------------------------------------------

def big_study(tmp_path):
    """S = 12, L = 20, T = 5000 with the permutation-p threshold: its checkpoint holds the top
    values of 100000 cells (tens of MB), so a save lasts long enough to be caught half-way."""
    folder = tmp_path / "big"
    proc = permrsa(["simulate", "--out", folder, "--stimuli", 12, "--layers", 20, "--times", 5000,
                    "-q"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return folder


def kill_during_a_save(folder, ck, args):
    """SIGKILLs `permrsa run` while a checkpoint temporary is on disk; returns its name."""
    for _ in range(20):
        proc = subprocess.Popen([BIN, *map(str, args)], cwd=folder, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while proc.poll() is None:
            found = sorted(folder.glob(ck.name + ".tmp-*"))
            if found:
                proc.kill()
                proc.wait()
                left = sorted(folder.glob(ck.name + ".tmp-*"))
                if left:
                    return left[0]
                break
            time.sleep(0.0005)
        proc.wait()
        ck.unlink(missing_ok=True)
    pytest.fail("never caught a checkpoint save in progress")


def test_temporaries_of_a_killed_save_are_removed_and_those_of_a_running_process_kept(tmp_path):
    # Issue 15 D15: a save killed by SIGKILL left "ck.h5.tmp-PID" that nothing removed.
    folder = big_study(tmp_path)
    ck = folder / "ck.h5"
    args = ["run", "config.toml", "-q", "--threads", 1, "--set", "output.file=r.h5",
            "--checkpoint", ck.name, "--checkpoint-every", 50, "--checkpoint-seconds", 0]
    stale = kill_during_a_save(folder, ck, args)
    # "<name>.tmp-<pid>-<host>-<n>": the same name with this test's (running) pid stays, and the
    # form of permrsa 0.1.0 ("<name>.tmp-<pid>") of the killed process goes.
    dead_pid, rest = stale.name[len(ck.name) + len(".tmp-"):].split("-", 1)
    running = folder / f"{ck.name}.tmp-{os.getpid()}-{rest}"
    running.write_bytes(b"a save in progress")
    old_form = folder / f"{ck.name}.tmp-{dead_pid}"
    old_form.write_bytes(b"left by permrsa 0.1.0")
    stale_output = folder / f"r.h5.tmp-{dead_pid}-{rest}"
    stale_output.write_bytes(b"left by a killed write of the results")
    before = {k: v for k, v in snapshot(folder).items() if ".tmp-" not in k and k != "ck.h5"}

    proc = permrsa(["run", "config.toml", "--threads", 2, "--set", "output.file=r.h5",
                    "--checkpoint", ck.name], cwd=folder, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "a temporary left by a run that was killed" in proc.stderr
    assert not stale.exists() and not old_form.exists() and not stale_output.exists()
    assert running.exists()
    running.unlink()
    assert temporaries(folder) == []
    assert not ck.exists()  # removed once the results are complete
    after = {k: v for k, v in snapshot(folder).items() if k != "r.h5"}
    assert after == before


# ---- SIGINT --------------------------------------------------------------------------------------

def test_sigint_saves_the_checkpoint_and_the_rerun_writes_the_uninterrupted_file(tmp_path):
    # Issue 15, "SIGINT kills without saving the checkpoint": SIGINT is now a stop request like
    # SIGTERM (exit 75, checkpoint saved); the rerun resumes to the same file (h5diff).
    folder = big_study(tmp_path)
    reference = permrsa(["run", "config.toml", "-q", "--set", "output.file=r.h5"], cwd=folder,
                        timeout=600)
    assert reference.returncode == 0, reference.stderr
    (folder / "r.h5").rename(folder / "reference.h5")
    args = ["run", "config.toml", "--threads", 1, "--set", "output.file=r.h5",
            "--checkpoint", "ck.h5", "--checkpoint-every", 100, "--checkpoint-seconds", 0]
    proc = subprocess.Popen([BIN, *map(str, args)], cwd=folder, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (folder / "ck.h5").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before its first checkpoint"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 75, err
    assert "SIGINT: saved the checkpoint ck.h5 and stopped" in err
    assert (folder / "ck.h5").exists() and not (folder / "r.h5").exists()
    assert temporaries(folder) == []
    resumed = permrsa(["run", "config.toml", "--set", "output.file=r.h5", "--checkpoint", "ck.h5"],
                      cwd=folder, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from ck.h5" in resumed.stderr
    h5_equal(folder / "reference.h5", folder / "r.h5")
    assert not (folder / "ck.h5").exists() and temporaries(folder) == []


def test_sigint_while_the_results_are_written_leaves_no_partial_file(tmp_path):
    # Without a checkpoint SIGINT ends the run, but the temporary being written goes with it.
    # Per-subject maps of 40 layers x 25000 times make a 43 MB results file: the run is stopped
    # (SIGSTOP) as soon as its temporary appears, then gets SIGINT.
    rng = np.random.default_rng(11)
    np.save(tmp_path / "maps.npy", rng.normal(0.05, 0.1, (3, 40, 25000)))
    np.save(tmp_path / "times.npy", np.arange(25000) * 0.001)
    (tmp_path / "c.toml").write_text(
        '[brain]\nfile = "maps.npy"\nlayout = "subjects-layers-time"\ntimes = "times.npy"\n'
        '[analysis]\nscheme = "sign-flip"\npermutations = 7\n'
        '[correction]\ncluster_threshold = "t-default"\n[output]\nfile = "out.h5"\n')
    before = snapshot(tmp_path)
    for _ in range(10):
        proc = subprocess.Popen([BIN, "run", "c.toml", "-q"], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        caught = False
        while proc.poll() is None:
            if list(tmp_path.glob("out.h5.tmp-*")):
                proc.send_signal(signal.SIGSTOP)
                caught = True
                break
            time.sleep(0.0002)
        if caught:
            proc.send_signal(signal.SIGINT)
            proc.send_signal(signal.SIGCONT)
        proc.wait(timeout=120)
        if caught:
            assert proc.returncode == -signal.SIGINT
            assert snapshot(tmp_path) == before  # no out.h5, no temporary
            return
        (tmp_path / "out.h5").unlink()
    pytest.fail("never caught the results being written")
