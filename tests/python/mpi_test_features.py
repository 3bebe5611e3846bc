"""`permrsa features` under mpirun: ranks share the images (whole global batches each), gather
the Gram panels, and the RDMs equal one process's bit for bit (issue 5: "Under mpirun, ranks
share the images and the Gram blocks are combined. The result is identical to one rank.").

Where the expected values come from: there are none to compute. The reference is the same
command run by one process without mpirun, keeping its activations in memory; the mpirun runs
(2 ranks, --batch 3 so that the 20 images make 7 batches, split 3 + 4) must write identical
/rdms (np.array_equal, no tolerance), /layers and /stimuli, once in memory and once with
--spill (activations through the scratch file). The model is a torchvision ResNet-18 with
random weights (seed 2), exported by tools/export_model.py; the images are 20 generated ones
(synthetic_images.py), so the test runs without the real data."""
import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from permrsa_testing import BIN, run
from synthetic_images import write_images

MPIRUN = shutil.which("mpirun")
RANKS = int(os.environ.get("PERMRSA_MPI_RANKS", "2"))
EXPORT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "export_model.py"
LAYERS = "conv1,layer1.1.relu_1,layer2.0.add,layer3,layer4,fc"

pytestmark = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")


def read(path):
    with h5py.File(path, "r") as f:
        return f["/rdms"][()], list(f["/layers"][()]), list(f["/stimuli"][()])


def test_ranks_sharing_the_images_give_the_serial_rdms_bit_for_bit(tmp_path):
    model = tmp_path / "r18.pt"
    subprocess.run([sys.executable, str(EXPORT), "--arch", "resnet18", "--seed", "2",
                    "--layers", LAYERS, "--out", str(model)], check=True, capture_output=True)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(p) for p in write_images(tmp_path / "images", 20)))
    common = ["--model", model, "--images", listing, "--batch", 3, "--resize", 128, "--crop", 112,
              "--threads", 1]
    serial = tmp_path / "serial.h5"
    run(["features", *common, "--out", serial])
    expected = read(serial)
    for extra in ([], ["--spill"]):
        out = tmp_path / f"mpi{'_'.join(extra)}.h5"
        cmd = [MPIRUN, "-n", str(RANKS), "--oversubscribe", "--allow-run-as-root", BIN,
               "features", *map(str, common), "--out", str(out), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
        got = read(out)
        assert np.array_equal(got[0], expected[0]), np.abs(got[0] - expected[0]).max()
        assert got[1:] == expected[1:]
