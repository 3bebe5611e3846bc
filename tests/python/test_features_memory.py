"""`permrsa features --memory-budget 1GiB` keeps its peak resident memory under about 1.2 GiB
for S = 300 synthetic images through VGG16 when S x (largest layer) is larger than the budget,
and gives the same RDMs as an unlimited budget (issue 5 acceptance "Memory").

Where the expected values come from: the peak RSS is the kernel's ru_maxrss of the permrsa
process (os.wait4), compared with 1.2 GiB; the reference RDMs are the same command with a 64 GiB
budget (activations in memory), and the 1 GiB run must match them bit for bit (the Gram sums
run over fixed 512-feature chunks however the activations are held).

Trade-off for run time (2 cores): the images are 128 x 128 random pixels, preprocessed with
--resize 128 --crop 128 (VGG16's adaptive pooling accepts it), and four layers are kept:
features.1 (relu1_1, 64 x 128 x 128 = 1,048,576 values per image, so 300 images hold
1.17 GiB of float32 activations in that layer alone, over the budget), features.16,
features.30 and classifier.4. The weights are random (seed 0, tools/export_model.py without
--weights), so VGG16's 138 M parameters (528 MiB) sit inside the budget as they would for
trained weights. The model returns every layer (the default export), so one forward pass holds
all 38 of them for its batch: --batch 4 (not the default 8) leaves room in 1 GiB; permrsa says
so, exit 2, when a batch does not fit (tests/python/test_features_bad_input.py)."""
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
from PIL import Image

from permrsa_testing import BIN

EXPORT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "export_model.py"
S = 300
LAYERS = "features.1,features.16,features.30,classifier.4"
GIB = 1 << 30


def run_measured(args):
    """Runs permrsa; returns (exit code, stderr, peak RSS in bytes of that process alone)."""
    proc = subprocess.Popen([BIN, *map(str, args)], stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, stderr, usage.ru_maxrss * 1024  # Linux: ru_maxrss in KiB


def test_a_1gib_budget_holds_for_300_images_through_vgg16_and_changes_no_rdm(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(5)
    for i in range(S):
        Image.fromarray(rng.integers(0, 256, size=(128, 128, 3), dtype=np.uint8)).save(
            images / f"noise_{i:03d}.png")
    model = tmp_path / "vgg16.pt"
    export = subprocess.run([sys.executable, str(EXPORT), "--arch", "vgg16", "--seed", "0",
                             "--out", str(model)], capture_output=True, text=True)
    assert export.returncode == 0, export.stderr
    assert "RANDOMLY INITIALISED" in export.stderr  # the loud warning without --weights

    common = ["features", "--model", model, "--images", images, "--layers", LAYERS,
              "--resize", 128, "--crop", 128, "--threads", 2, "--batch", 4]
    code, log, peak = run_measured([*common, "--memory-budget", "1GiB",
                                    "--out", tmp_path / "budget.h5"])
    assert code == 0, log
    assert "spilled to a scratch file" in log
    print(f"peak RSS with --memory-budget 1GiB: {peak / GIB:.3f} GiB")
    assert peak < 1.2 * GIB, f"peak RSS {peak / GIB:.3f} GiB"

    code, log, unlimited_peak = run_measured([*common, "--memory-budget", "64GiB",
                                              "--out", tmp_path / "unlimited.h5"])
    assert code == 0, log
    assert "in memory" in log
    print(f"peak RSS with --memory-budget 64GiB: {unlimited_peak / GIB:.3f} GiB")
    assert unlimited_peak > 1.2 * GIB  # the budget made the difference

    with h5py.File(tmp_path / "budget.h5") as a, h5py.File(tmp_path / "unlimited.h5") as b:
        assert a["/rdms"].shape == (4, S * (S - 1) // 2)
        assert np.array_equal(a["/rdms"][()], b["/rdms"][()])
        assert list(a["/layers"][()]) == [n.encode() for n in LAYERS.split(",")]
