"""`permrsa features` with a layer of no activations (issue 15, D3: an empty axis): it died with
SIGFPE (exit 136, an integer division by the layer's size of 0). It must exit 2 naming the model,
the layer and the cause, and leave no output file; the same model with that layer left out runs.

Where the expected values come from: the contract of issue 15 (exit 2, a message naming the file
and the empty axis, nothing left behind). The model is scripted here: a dict of two outputs, one
of them a 0-element slice of the input; the images are random 40 x 40 PNGs from a fixed seed."""
from typing import Dict

import numpy as np
import torch
from PIL import Image

from permrsa_testing import run


class EmptyLayerNet(torch.nn.Module):
    def forward(self, x) -> Dict[str, torch.Tensor]:
        return {"empty": x[:, :0].flatten(1), "mean": x.mean(dim=1).flatten(1)}


def test_a_layer_without_activations_is_refused_naming_the_model_and_the_layer(tmp_path):
    model = tmp_path / "m.pt"
    torch.jit.script(EmptyLayerNet()).save(str(model))
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(15)
    for i in range(4):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(images / f"{i}.png")
    out = tmp_path / "out"
    out.mkdir()
    proc = run(["features", "--model", model, "--images", images, "--out", out / "rdms.h5"], check=False)
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    for token in ("m.pt", "--layers", "'empty'", "no activations", "0 elements"):
        assert token in message, (token, message)
    assert list(out.iterdir()) == []
    proc = run(["features", "--model", model, "--images", images, "--out", out / "rdms.h5",
                "--layers", "mean"], check=False)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == ["rdms.h5"]
