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
"""
import argparse
import sys

import torch
import torchvision
from torchvision.models.feature_extraction import create_feature_extractor, get_graph_node_names


def build(arch, weights, seed):
    """The architecture in eval mode, with every ReLU made out-of-place.

    In-place ReLUs (VGG, ResNet) would overwrite the tensor returned for the layer before them,
    so the conv layer's RDM would silently be the ReLU's."""
    if not hasattr(torchvision.models, arch):
        raise SystemExit(f"export_model.py: --arch: unknown torchvision architecture '{arch}'")
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


def export(arch, weights, seed, layers, out):
    model = build(arch, weights, seed)
    nodes = layers or default_layers(model)
    extractor = create_feature_extractor(model, return_nodes={n: n for n in nodes}).eval()
    scripted = torch.jit.script(extractor)
    scripted.save(out)
    return nodes


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, help="torchvision.models architecture, e.g. vgg16, resnet18")
    ap.add_argument("--weights", help="local state-dict file (torch.save(model.state_dict()))")
    ap.add_argument("--random-init", action="store_true", help="no weights: random initialisation")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed before building (default 0)")
    ap.add_argument("--layers", help="comma-separated graph nodes to return (default: all)")
    ap.add_argument("--list-layers", action="store_true", help="print the graph nodes and exit")
    ap.add_argument("--out", help="TorchScript file to write")
    args = ap.parse_args(argv)

    if args.list_layers:
        print("\n".join(default_layers(build(args.arch, None, args.seed))))
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
