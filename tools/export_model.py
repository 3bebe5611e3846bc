#!/usr/bin/env python3
"""Exports a torchvision architecture as a TorchScript model for `permrsa features`.

The model returns a dict {layer name: activation tensor}, built with torchvision's
create_feature_extractor. Weights come from a local state-dict file (--weights); without one
the network is randomly initialised (seeded by --seed), with a loud warning. Nothing is ever
downloaded.

    python3 tools/export_model.py --arch vgg16 --weights my_vgg16.pth --out vgg16.pt
    python3 tools/export_model.py --arch resnet18 --random-init --seed 0 --out r18.pt \
        --layers layer1,layer2,layer3,layer4,fc
    python3 tools/export_model.py --arch vgg16 --list-layers
    python3 tools/export_model.py --arch vgg16 --random-init --out v.pt --layers conv5_3,fc7

--list-layers prints every graph node with its module type (Conv2d, MaxPool2d, ...; for
functions and methods their name: add, flatten) and its output shape for a probe image
(1 x 3 x 224 x 224, or --probe-size), and, for VGG (vgg11/13/16/19 and their _bn variants) and
AlexNet, the conventional layer names of the papers and Caffe: conv1_1, relu1_1, pool1, ...,
conv5_3, pool5, fc6, relu6, drop6, fc7, relu7, drop7, fc8 (VGG16); conv1, relu1, pool1, ...,
conv5, pool5, fc6 ... fc8 (AlexNet). They are derived from the module sequence: convolutions are
counted within each block between max-pools (VGG) or over the whole network (AlexNet), the
fully connected layers follow on from the last block (fc6 after five), and a ReLU, batch norm or
dropout takes the number of the layer it follows. --layers takes either spelling; the exported
model's outputs are keyed by the names as given.
"""
import argparse
import inspect
import math
import re
import sys

import torch
import torchvision
from torch import fx
from torch.fx.passes.shape_prop import ShapeProp
from torchvision.models.feature_extraction import (NodePathTracer, create_feature_extractor,
                                                   get_graph_node_names)


def fail(message):
    """Bad usage or input: the message on stderr and exit code 2, as permrsa's."""
    print(f"export_model.py: {message}", file=sys.stderr)
    sys.exit(2)


def build(arch, weights, seed):
    """The architecture in eval mode, with every ReLU made out-of-place.

    In-place ReLUs (VGG, ResNet) would overwrite the tensor returned for the layer before them,
    so the conv layer's RDM would silently be the ReLU's."""
    if not hasattr(torchvision.models, arch):
        fail(f"--arch: unknown torchvision architecture '{arch}'")
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    if weights:
        state = torch.load(weights, map_location="cpu")
        if isinstance(state, dict) and "state_dict" in state:
            state = state["state_dict"]
        model.load_state_dict(state)
    for module in model.modules():
        if isinstance(module, torch.nn.ReLU):
            module.inplace = False
    return model.eval()


def default_layers(model):
    """Every node of the eval-mode graph except the input."""
    _, eval_nodes = get_graph_node_names(model)
    return [n for n in eval_nodes if n != "x"]


def graph_nodes(model, probe_shape=None):
    """[(node name, module type or function name, output shape)] of the eval-mode graph, in
    order, without the input. The node names are create_feature_extractor's: the graph is traced
    with torchvision's NodePathTracer and the tracer settings get_graph_node_names uses (checked
    against it); the shapes (None without `probe_shape`) come from running the traced graph on a
    zero probe image of that shape."""
    leaf_modules = [c for _, c in inspect.getmembers(torchvision.ops)
                    if inspect.isclass(c) and issubclass(c, torch.nn.Module)]
    tracer = NodePathTracer(autowrap_modules=(math, torchvision.ops), leaf_modules=leaf_modules)
    graph = tracer.trace(model.eval())
    names = dict(tracer.node_to_qualname)
    if [n for n in names.values() if n != "x"] != default_layers(model):
        raise SystemExit("export_model.py: internal error: the traced node names differ from "
                         "get_graph_node_names'")
    if probe_shape is not None:
        with torch.no_grad():
            ShapeProp(fx.GraphModule(tracer.root, graph)).propagate(torch.zeros(probe_shape))
    out = []
    for node, name in names.items():
        if node.op == "placeholder":
            continue
        if node.op == "call_module":
            kind = type(model.get_submodule(node.target)).__name__
        elif node.op == "call_function":
            kind = getattr(node.target, "__name__", str(node.target))
        else:  # call_method (x.view, x.mean), get_attr
            kind = str(node.target)
        meta = node.meta.get("tensor_meta")
        shape = tuple(meta.shape) if hasattr(meta, "shape") else None
        out.append((name, kind, shape))
    return out


def conventional_names(arch, nodes):
    """{node name: conventional name} for VGG and AlexNet ({} for other architectures), from
    the sequence of module types (see the module docstring)."""
    family = ("vgg" if re.fullmatch(r"vgg\d+(_bn)?", arch)
              else "alexnet" if arch == "alexnet" else None)
    if family is None:
        return {}
    names = {}
    block, in_block, convs, fc, tag, previous = 1, 0, 0, None, None, None
    for node, kind, _ in nodes:
        name = None
        if kind == "Conv2d":
            in_block, convs = in_block + 1, convs + 1
            tag = f"{block}_{in_block}" if family == "vgg" else f"{convs}"
            name = f"conv{tag}"
        elif kind in ("BatchNorm2d", "BatchNorm1d") and tag is not None:
            name = f"bn{tag}"
        elif kind == "ReLU" and tag is not None:
            name = f"relu{tag}"
        elif kind == "MaxPool2d":
            name = f"pool{block if family == 'vgg' else convs}"
            block, in_block = block + 1, 0
        elif kind == "Linear":
            fc = (block if family == "vgg" else convs + 1) if fc is None else fc + 1
            tag = f"{fc}"
            name = f"fc{tag}"
        elif kind == "Dropout" and previous == f"relu{tag}":
            name = f"drop{tag}"
        if name is not None:
            names[node] = name
        previous = name
    if len(set(names.values())) != len(names):
        raise SystemExit(f"export_model.py: internal error: duplicate conventional names ({arch})")
    return names


def resolve_layers(asked, nodes, aliases):
    """{return node: output key}, in network order, for --layers given as node names,
    conventional names, or (as create_feature_extractor allows) a module's name such as
    "layer3", which stands for the module's last node."""
    node_names = [n for n, _, _ in nodes]
    by_alias = {v: k for k, v in aliases.items()}
    chosen, position = {}, {}
    for layer in asked:
        node = layer if layer in node_names else by_alias.get(layer)
        last = node_names.index(node) if node is not None else max(
            (i for i, n in enumerate(node_names) if n.startswith(layer + ".")), default=None)
        if last is None:
            valid = ", ".join(node_names + [a for a in by_alias if a not in node_names])
            fail(f"--layers: unknown layer '{layer}'; valid names (or a module's name for its "
                 f"last node): {valid}")
        node = node or layer
        if node in chosen:
            fail(f"--layers: '{layer}' is node {node}, already given as '{chosen[node]}'")
        chosen[node], position[node] = layer, last
    # The model returns its outputs in network order (create_feature_extractor's).
    return {n: chosen[n] for n in sorted(chosen, key=position.get)}


def export(arch, weights, seed, layers, out):
    """Writes the TorchScript model; returns the names of its outputs, in order."""
    model = build(arch, weights, seed)
    if layers:
        nodes = graph_nodes(model)
        return_nodes = resolve_layers(layers, nodes, conventional_names(arch, nodes))
    else:
        return_nodes = {n: n for n in default_layers(model)}
    extractor = create_feature_extractor(model, return_nodes=return_nodes).eval()
    scripted = torch.jit.script(extractor)
    scripted.save(out)
    return list(return_nodes.values())


def list_layers(arch, seed, probe_shape):
    """The --list-layers table: one line per node, aligned columns."""
    nodes = graph_nodes(build(arch, None, seed), probe_shape)
    aliases = conventional_names(arch, nodes)
    shape_text = lambda s: "x".join(map(str, s)) if s is not None else "-"  # noqa: E731
    rows = [("# node", *(("name",) if aliases else ()), "type",
             f"output for a {shape_text(probe_shape)} probe")]
    rows += [(n, *((aliases.get(n, "-"),) if aliases else ()), kind, shape_text(shape))
             for n, kind, shape in nodes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  ".join([*(c.ljust(w) for c, w in zip(r, widths)), r[-1]]) for r in rows]


def probe_size(text):
    """--probe-size: S (S x S) or HxW; the probe is 1 x 3 x H x W."""
    parts = text.lower().split("x")
    if len(parts) not in (1, 2) or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected S or HxW in pixels (e.g. 224 or 256x192), "
                                         f"found '{text}'")
    h, w = (int(parts[0]),) * 2 if len(parts) == 1 else map(int, parts)
    return (1, 3, h, w)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, help="torchvision.models architecture, e.g. vgg16, resnet18")
    ap.add_argument("--weights", help="local state-dict file (torch.save(model.state_dict()))")
    ap.add_argument("--random-init", action="store_true", help="no weights: random initialisation")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building (default 0)")
    ap.add_argument("--layers", help="comma-separated graph nodes or, for VGG and AlexNet, "
                                     "conventional names (conv5_3, fc7) to return (default: all "
                                     "nodes); the outputs are keyed by the names as given")
    ap.add_argument("--list-layers", action="store_true",
                    help="print every graph node with its type, output shape and conventional "
                         "name, and exit")
    ap.add_argument("--probe-size", type=probe_size, default=(1, 3, 224, 224),
                    help="--list-layers: probe image size, S or HxW (default 224)")
    ap.add_argument("--out", help="TorchScript file to write")
    args = ap.parse_args(argv)

    if args.list_layers:
        print("\n".join(list_layers(args.arch, args.seed, args.probe_size)))
        return 0
    if not args.out:
        ap.error("--out is required")
    if not args.weights:
        print("\n" + "!" * 78 + "\n"
              f"WARNING: no --weights given: {args.arch} is RANDOMLY INITIALISED (seed {args.seed}).\n"
              "Its RDMs say nothing about a trained network. Pass --weights FILE.pth (a local\n"
              "state dict) for real features; nothing is downloaded.\n" + "!" * 78 + "\n",
              file=sys.stderr)
    layers = [s for s in args.layers.split(",") if s] if args.layers else None
    nodes = export(args.arch, args.weights, args.seed, layers, args.out)
    print(f"wrote {args.out}: {args.arch}, {len(nodes)} layers ({nodes[0]} ... {nodes[-1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
