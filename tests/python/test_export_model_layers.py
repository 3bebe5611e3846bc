"""tools/export_model.py --list-layers (module type, output shape, conventional names) and
--layers in either spelling.

Where the expected values come from:
- module types: the torchvision model's own named_modules() (the class of the module a node
  calls); function nodes (flatten, add) by the function's name in torchvision's node names;
- output shapes: a real forward pass of torchvision's create_feature_extractor (eager, all
  nodes) on a probe of the same size;
- conventional names: the VGG paper (Simonyan & Zisserman 2015, Table 1: configurations A, D,
  E have 1-1-2-2-2, 2-2-3-3-3 and 2-2-4-4-4 convolutions in their five blocks, each block
  followed by a max-pool, then FC-4096, FC-4096, FC-1000), named as Caffe's model zoo names
  them (conv<block>_<n>, relu<block>_<n>, pool<block>, fc6..fc8, relu6/7, drop6/7), and AlexNet's
  Caffe names (conv1..conv5, pool1, pool2, pool5, fc6..fc8), written out here by hand;
- exported outputs: the same torchvision weights (torch.manual_seed(seed) before building, as
  the tool does) through create_feature_extractor in eager mode.
"""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
torchvision = pytest.importorskip("torchvision")
from torchvision.models.feature_extraction import create_feature_extractor  # noqa: E402

EXPORT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "export_model.py"


def export_model(*args):
    return subprocess.run([sys.executable, str(EXPORT), *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def listing(arch, *extra):
    """The --list-layers rows as dicts (the header names the columns)."""
    proc = export_model("--arch", arch, "--list-layers", *extra)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("# node")
    columns = ["node", "name", "type", "shape"] if " name " in lines[0] else \
        ["node", "type", "shape"]
    rows = [dict(zip(columns, line.split())) for line in lines[1:]]
    # Aligned: every column starts at the same character in every line.
    starts = [[i for i in range(len(line)) if line[i] != " " and (i == 0 or line[i - 1] == " ")]
              for line in lines[1:]]
    assert all(s[:len(columns) - 1] == starts[0][:len(columns) - 1] for s in starts)
    return rows


def torchvision_model(arch, seed=0):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.inplace = False
    return model.eval()


def forward_shapes(model, nodes, size):
    extractor = create_feature_extractor(model, return_nodes={n: n for n in nodes}).eval()
    with torch.no_grad():
        out = extractor(torch.randn(1, 3, *size, generator=torch.Generator().manual_seed(1)))
    return {k: "x".join(map(str, v.shape)) for k, v in out.items()}


@pytest.mark.parametrize("arch,size,extra", [
    ("vgg16", (224, 224), ()),
    ("alexnet", (224, 224), ()),
    ("resnet18", (160, 128), ("--probe-size", "160x128")),
    ("vgg11_bn", (96, 96), ("--probe-size", "96")),
])
def test_types_are_the_modules_and_shapes_are_a_forward_pass(arch, size, extra):
    rows = listing(arch, *extra)
    model = torchvision_model(arch)
    modules = dict(model.named_modules())
    for row in rows:
        node = row["node"]
        # A module called twice gets a suffix (layer1.0.relu_1 calls layer1.0.relu).
        target = node if node in modules else node.rsplit("_", 1)[0]
        if target in modules:
            assert row["type"] == type(modules[target]).__name__, row
        else:  # a function node: its name is the function's (flatten, add, add_1)
            assert row["type"] == node.rsplit(".", 1)[-1].split("_")[0], row
    shapes = forward_shapes(model, [r["node"] for r in rows], size)
    assert [r["node"] for r in rows] == list(shapes)
    assert {r["node"]: r["shape"] for r in rows} == shapes


def vgg_names(convs_per_block, bn=False):
    names = []
    for block, count in enumerate(convs_per_block, start=1):
        for n in range(1, count + 1):
            names += [f"conv{block}_{n}"] + ([f"bn{block}_{n}"] if bn else []) + \
                [f"relu{block}_{n}"]
        names.append(f"pool{block}")
    return names + ["fc6", "relu6", "drop6", "fc7", "relu7", "drop7", "fc8"]


@pytest.mark.parametrize("arch,expected", [
    ("vgg16", vgg_names([2, 2, 3, 3, 3])),
    ("vgg19", vgg_names([2, 2, 4, 4, 4])),
    ("vgg11_bn", vgg_names([1, 1, 2, 2, 2], bn=True)),
    ("alexnet", ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "conv3", "relu3", "conv4",
                 "relu4", "conv5", "relu5", "pool5", "fc6", "relu6", "drop6", "fc7", "relu7",
                 "fc8"]),
])
def test_conventional_names_follow_the_papers(arch, expected):
    rows = listing(arch)
    named = [r for r in rows if r["name"] != "-"]
    assert [r["name"] for r in named] == expected
    kinds = {"conv": "Conv2d", "relu": "ReLU", "pool": "MaxPool2d", "fc": "Linear",
             "drop": "Dropout", "bn": "BatchNorm2d"}
    for r in named:
        assert r["type"] == kinds[r["name"].rstrip("0123456789_")], r
    # Only torchvision's additions have no conventional name.
    assert {r["node"] for r in rows if r["name"] == "-"} <= {"avgpool", "flatten",
                                                             "classifier.0"}


def test_vgg16_has_13_convs_5_pools_and_fc6_to_fc8():
    names = [r["name"] for r in listing("vgg16")]
    convs = [n for n in names if n.startswith("conv")]
    assert len(convs) == 13 and convs[0] == "conv1_1" and convs[-1] == "conv5_3"
    assert [n for n in names if n.startswith("pool")] == [f"pool{b}" for b in range(1, 6)]
    assert [n for n in names if n.startswith("fc")] == ["fc6", "fc7", "fc8"]


def test_layers_by_conventional_name_export_those_nodes_under_those_names(tmp_path):
    out = tmp_path / "vgg16.pt"
    proc = export_model("--arch", "vgg16", "--random-init", "--seed", 3, "--out", out,
                        "--layers", "conv5_3,fc7,relu7,features.30")
    assert proc.returncode == 0, proc.stderr
    scripted = torch.jit.load(str(out))
    model = torchvision_model("vgg16", seed=3)
    reference = create_feature_extractor(model, return_nodes={
        "features.28": "conv5_3", "classifier.3": "fc7", "classifier.4": "relu7",
        "features.30": "features.30"}).eval()
    image = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        got, want = scripted(image), reference(image)
    # The keys are the names as asked, in network order.
    assert list(got) == ["conv5_3", "features.30", "fc7", "relu7"]
    assert "4 layers (conv5_3 ... relu7)" in proc.stdout
    for key in want:
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-5, atol=1e-6)
    assert (got["relu7"] >= 0).all() and (got["fc7"] < 0).any()  # fc7 is before its ReLU


def test_an_unknown_layer_lists_every_valid_name():
    proc = export_model("--arch", "alexnet", "--random-init", "--out", "/nonexistent/x.pt",
                        "--layers", "conv6")
    assert proc.returncode == 2
    message = proc.stderr.strip().splitlines()[-1]
    assert "--layers: unknown layer 'conv6'" in message
    for name in ["features.0", "classifier.6", "conv1", "pool5", "fc8", "avgpool", "flatten"]:
        assert name in message.split("its last node): ")[1].split(", "), name
    proc = export_model("--arch", "alexnet", "--random-init", "--out", "/nonexistent/x.pt",
                        "--layers", "conv1,features.0")
    assert proc.returncode == 2 and "already given as 'conv1'" in proc.stderr


def test_a_modules_name_still_stands_for_its_last_node(tmp_path):
    # create_feature_extractor's rule (torchvision docs, "About Node Names"): "layer3" returns
    # the output of layer3's last node, layer3.1.relu_1.
    out = tmp_path / "r18.pt"
    proc = export_model("--arch", "resnet18", "--random-init", "--seed", 2, "--out", out,
                        "--layers", "layer3,conv1")
    assert proc.returncode == 0, proc.stderr
    reference = create_feature_extractor(torchvision_model("resnet18", seed=2),
                                         return_nodes={"conv1": "conv1",
                                                       "layer3.1.relu_1": "layer3"}).eval()
    image = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        got, want = torch.jit.load(str(out))(image), reference(image)
    assert list(got) == ["conv1", "layer3"]
    for key in want:
        np.testing.assert_allclose(got[key].numpy(), want[key].numpy(), rtol=1e-5, atol=1e-6)
