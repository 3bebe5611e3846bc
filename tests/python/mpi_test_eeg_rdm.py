"""`permrsa rdm` under mpirun writes the same file as one process (issue 6, "The output is
identical whatever the layout"; DESIGN.md invariant 1).

The ranks split subjects x time blocks: with 2 subjects, 2 ranks take one subject each and 3
ranks cut each subject's time axis in two blocks (T = 23 is odd, so the blocks differ in size),
4 work items over 3 ranks. Expected values: none to compute; the reference is the same command
run by one process without mpirun, and the files must be identical by `h5diff -r` (no tolerance,
attributes included)."""
import shutil
import subprocess

import pytest

from permrsa_testing import BIN, run

MPIRUN = shutil.which("mpirun")
pytestmark = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")


@pytest.fixture(scope="module")
def epochs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mpi_eeg")
    run(["simulate", "--epochs", "--out", tmp, "--stimuli", 9, "--channels", 20, "--times", 23,
         "--trials", 10, "--subjects", 2, "--onset", 0.0, "--quiet"])
    return tmp


@pytest.mark.parametrize("ranks", [2, 3])
@pytest.mark.parametrize("method", ["lda", "crossnobis"])
def test_rdm_under_mpirun_equals_one_process_bit_for_bit(epochs, tmp_path, ranks, method):
    args = ["rdm", "--epochs", str(epochs / "sub-*_epochs.h5"), "--method", method,
            "--window", 3, "--quiet"]
    run([*args, "--out", tmp_path / "serial.h5"])
    proc = subprocess.run([MPIRUN, "-n", str(ranks), "--oversubscribe", "--allow-run-as-root", BIN,
                           *map(str, args), "--out", str(tmp_path / "mpi.h5"), "--threads", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    diff = subprocess.run(["h5diff", "-r", str(tmp_path / "serial.h5"), str(tmp_path / "mpi.h5")],
                          capture_output=True, text=True)
    assert diff.returncode == 0, diff.stdout[:3000]


def test_bad_input_on_one_rank_stops_every_rank_with_one_message(epochs, tmp_path):
    """A NaN in the second subject only (read by rank 1): every rank exits with code 2 and rank 0
    prints the message once, naming the file."""
    import h5py
    import numpy as np
    bad = tmp_path / "sub-02_epochs.h5"
    shutil.copy(epochs / "sub-02_epochs.h5", bad)
    with h5py.File(bad, "r+") as f:
        data = f["data"][()]
        data[3, 1, 2] = np.nan
        f["data"][...] = data
    proc = subprocess.run([MPIRUN, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN, "rdm",
                           "--epochs", str(epochs / "sub-01_epochs.h5"), str(bad), "--out",
                           str(tmp_path / "out.h5"), "--threads", "1"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("NaN at trial 3, channel 1, time index 2") == 1, proc.stderr
    assert str(bad) in proc.stderr
    assert not (tmp_path / "out.h5").exists()
