"""`permrsa features` against PyTorch: the layer RDMs of randomly initialised torchvision models
(fixed seeds) equal the RDMs computed in Python by PyTorch (same preprocessing, pinned in
features_reference.py) and SciPy's pdist, within 1e-5. The images are generated ones
(synthetic_images.py: greyscale and RGB, four aspect ratios), and for VGG16 also the 49 real
stimuli of the study (a real-data test: skipped, and reported so, without the data)."""
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest
import torch
from torchvision.models.feature_extraction import get_graph_node_names

import features_reference as ref
from permrsa_testing import SEED_DATA, real_data, run
from synthetic_images import write_images

EXPORT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "export_model.py"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    write_images(folder, 12, seed=5)
    return folder


def export(arch, weights, out, *extra):
    proc = subprocess.run([sys.executable, str(EXPORT), "--arch", arch, "--weights", str(weights),
                           "--out", str(out), *extra], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


def read_rdms(path):
    with h5py.File(path, "r") as f:
        return (f["/rdms"][()], [s.decode() for s in f["/layers"][()]],
                [s.decode() for s in f["/stimuli"][()]], dict(f.attrs))


@pytest.mark.parametrize("image_set", ["generated", pytest.param("real", marks=real_data)])
def test_every_vgg16_layer_rdm_equals_pytorch_within_1e5(tmp_path, image_set):
    if image_set == "real":
        stimuli = SEED_DATA / "stimuli"  # the 49 images the participants saw
    else:
        stimuli = tmp_path / "images"
        write_images(stimuli, 6, seed=3)
    weights = tmp_path / "vgg16.pth"
    ref.save_random_weights("vgg16", 0, weights)
    model_file = export("vgg16", weights, tmp_path / "vgg16.pt")
    out = tmp_path / "vgg16_rdms.h5"
    run(["features", "--model", model_file, "--images", stimuli, "--out", out, "--threads", 2],
        timeout=3600)
    rdms, layers, stimulus_names, attrs = read_rdms(out)

    model = ref.torchvision_model("vgg16", weights)
    expected_layers = [n for n in get_graph_node_names(model)[1] if n != "x"]
    assert layers == expected_layers  # every graph node, in forward order (features.0 ... classifier.6)
    images = sorted(stimuli.glob("*.png"))
    assert stimulus_names == [p.stem for p in images]  # the names `permrsa run` matches
    torch.set_num_threads(2)
    chunks = ref.layer_activations(ref.feature_extractor(model, layers), images)
    expected = ref.rdms_from_chunks(chunks, layers)
    assert rdms.shape == (len(layers), len(images) * (len(images) - 1) // 2)
    worst = np.abs(rdms - expected).max(axis=1)
    assert worst.max() < 1e-5, dict(zip(layers, worst))
    assert attrs["distance"] == "correlation"
    assert len(attrs["sha256_model"]) == 64


def test_resnet18_selected_layers_equal_pytorch_for_every_distance(tmp_path, generated):
    weights = tmp_path / "resnet18.pth"
    ref.save_random_weights("resnet18", 1, weights)
    model_file = export("resnet18", weights, tmp_path / "resnet18.pt")
    selected = ["layer4.1.relu_1", "conv1", "layer1.0.add", "layer2.0.downsample.1",
                "layer3.1.relu_1", "avgpool", "fc"]
    torch.set_num_threads(2)
    model = ref.torchvision_model("resnet18", weights)
    images = sorted(generated.glob("*.png"))
    reference_chunks = ref.layer_activations(ref.feature_extractor(model, selected), images)
    for distance in ["correlation", "euclidean", "cosine"]:
        out = tmp_path / f"r18_{distance}.h5"
        run(["features", "--model", model_file, "--images", generated, "--out", out, "--threads", 2,
             "--layers", ",".join(selected), "--distance", distance], timeout=1800)
        rdms, layers, _, attrs = read_rdms(out)
        assert layers == selected  # in the order asked for
        assert attrs["distance"] == distance
        chunks = {name: list(parts) for name, parts in reference_chunks.items()}
        expected = ref.rdms_from_chunks(chunks, selected, distance)
        # correlation and cosine lie in [0, 2]: 1e-5 absolute. Euclidean distances scale with
        # the activations: there the bound is 1e-5 relative to the layer's largest distance.
        scale = np.abs(expected).max(axis=1, keepdims=True) if distance == "euclidean" else 1.0
        worst = (np.abs(rdms - expected) / scale).max(axis=1)
        assert worst.max() < 1e-5, (distance, dict(zip(selected, worst)))


def test_scripted_sequential_records_every_child_in_order(tmp_path, generated):
    torch.manual_seed(3)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3), torch.nn.Tanh(), torch.nn.AdaptiveAvgPool2d(4),
        torch.nn.Flatten(), torch.nn.Linear(256, 10)).eval()
    model_file = tmp_path / "seq.pt"
    torch.jit.script(net).save(str(model_file))
    out = tmp_path / "seq.h5"
    run(["features", "--model", model_file, "--images", generated, "--out", out, "--resize", 72,
         "--crop", 64, "--batch", 5])
    rdms, layers, _, _ = read_rdms(out)
    assert layers == [str(i) for i in range(8)]

    def children(x):
        outputs = {}
        for name, child in net.named_children():
            x = child(x)
            outputs[name] = x
        return outputs

    images = sorted(generated.glob("*.png"))
    chunks = ref.layer_activations(children, images, batch=5, resize=72, crop=64)
    expected = ref.rdms_from_chunks(chunks, layers)
    assert np.abs(rdms - expected).max() < 1e-5


def test_a_model_returning_one_tensor_has_one_layer_named_output(tmp_path, generated):
    torch.manual_seed(4)
    net = torch.nn.Conv2d(3, 4, 5, stride=4).eval()
    model_file = tmp_path / "conv.pt"
    torch.jit.script(net).save(str(model_file))
    out = tmp_path / "conv.h5"
    run(["features", "--model", model_file, "--images", generated, "--out", out, "--resize", 40,
         "--crop", 32, "--distance", "cosine"])
    rdms, layers, _, _ = read_rdms(out)
    assert layers == ["output"]
    images = sorted(generated.glob("*.png"))
    chunks = ref.layer_activations(lambda x: {"output": net(x)}, images, resize=40, crop=32)
    assert np.abs(rdms - ref.rdms_from_chunks(chunks, ["output"], "cosine")).max() < 1e-5
