"""permrsa.features (python/permrsa/engine.py) against `permrsa features` with the same
arguments: the same file, read back as a dict. Expected values come from the CLI itself (the
peer; its RDMs are checked against PyTorch in test_features_pytorch.py), read with h5py."""
import h5py
import numpy as np
import pytest

from features_reference import save_tiny_sequential
from permrsa_testing import run
from synthetic_images import write_images
from python_package import permrsa


def test_features_runs_the_cli_stage_and_reads_the_file_it_writes(tmp_path):
    images = tmp_path / "images"
    stimuli = write_images(images, 5)
    model = save_tiny_sequential(tmp_path / "m.pt")
    crop = ["--resize", 40, "--crop", 32]
    got = permrsa.features(model, images, tmp_path / "py.h5", layers=["0", "2"], threads=1,
                           args=crop)
    run(["features", "--model", model, "--images", images, "--layers", "0,2", "--threads", 1,
         *crop, "--out", tmp_path / "cli.h5"])
    with h5py.File(tmp_path / "cli.h5", "r") as f:
        assert np.array_equal(got["rdms"], f["rdms"][()])
    assert got["rdms"].shape == (2, 10)
    assert got["layers"] == ["0", "2"]
    assert got["stimuli"] == [p.stem for p in stimuli]  # the names `permrsa run` matches
    assert got["attrs"]["model"] == str(model)

    with pytest.raises(permrsa.InputError, match=r"nope\.pt: --model: no such file"):
        permrsa.features(tmp_path / "nope.pt", images, tmp_path / "x.h5")
    assert not (tmp_path / "x.h5").exists()
