#!/usr/bin/env python3
"""`permrsa features` against the Python PyTorch reference, side by side on this machine with the
same thread count: images/s of the forward pass (preprocessing included) and time per layer RDM.

Both sides run the same TorchScript-exported torchvision model (random weights, seed 0; the
timing does not depend on the weights) on the same images with the same preprocessing. The
Python side is what a user would write: torchvision transforms, the create_feature_extractor
model in eager mode under torch.inference_mode, batches of the same size, and then per layer
either scipy.spatial.distance.pdist (the definition) or a NumPy Gram/corrcoef in float64 (the
fast way). permrsa's phases come from its log lines ("forward pass: ...", "RDMs: ...").

    /usr/bin/python3 bench/features_vs_pytorch.py --build build --images "$(python3 tools/seed_data.py)/stimuli" \\
        [--arch resnet18] [--layers a,b] [--threads 2] [--out table.md]
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from scipy.spatial.distance import pdist

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "python"))
import bench_table  # noqa: E402
import features_reference as ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--images", required=True)
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--layers", default="conv1,layer1.1.relu_1,layer2.1.relu_1,layer3.1.relu_1,"
                                        "layer4.1.relu_1,avgpool,fc")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--out")
    args = ap.parse_args()

    images = sorted(pathlib.Path(args.images).glob("*.png"))
    layers = args.layers.split(",")
    binary = bench_table.permrsa_binary(args.build, "features_vs_pytorch")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        weights = tmp / "w.pth"
        ref.save_random_weights(args.arch, 0, weights)
        model_file = tmp / "m.pt"
        subprocess.run([sys.executable, str(HERE.parent / "tools" / "export_model.py"), "--arch",
                        args.arch, "--weights", str(weights), "--out", str(model_file)],
                       check=True, capture_output=True)
        # permrsa
        t0 = time.perf_counter()
        proc = subprocess.run([str(binary), "features", "--model", str(model_file), "--images",
                               args.images, "--layers", args.layers, "--out", str(tmp / "r.h5"),
                               "--threads", str(args.threads), "--batch", str(args.batch)],
                              capture_output=True, text=True, check=True)
        permrsa_total = time.perf_counter() - t0
        forward = re.search(r"forward pass: (\d+) images on rank 0 in ([\d.]+) s", proc.stderr)
        rdm = re.search(r"RDMs: (\d+) layers in ([\d.]+) s", proc.stderr)
        p_forward, p_rdm = float(forward.group(2)), float(rdm.group(2)) / len(layers)

        # PyTorch (Python), same threads and batches
        torch.set_num_threads(args.threads)
        model = ref.torchvision_model(args.arch, weights)
        extractor = ref.feature_extractor(model, layers)
        t0 = time.perf_counter()
        chunks = ref.layer_activations(extractor, images, batch=args.batch)
        py_forward = time.perf_counter() - t0
        acts = {n: np.concatenate(chunks[n]).astype(np.float64) for n in layers}
        t0 = time.perf_counter()
        for n in layers:
            pdist(acts[n], "correlation")
        py_pdist = (time.perf_counter() - t0) / len(layers)
        t0 = time.perf_counter()
        for n in layers:
            1.0 - np.corrcoef(acts[n])
        py_corrcoef = (time.perf_counter() - t0) / len(layers)

    S = len(images)
    rows = [
        [f"forward {args.arch}, {S} images (with preprocessing)", "PyTorch eager (Python)",
         bench_table.fmt_time(py_forward), f"{S / py_forward:.2f} images/s", "1.00"],
        ["", "permrsa features (LibTorch, TorchScript)", bench_table.fmt_time(p_forward),
         f"{S / p_forward:.2f} images/s", f"{py_forward / p_forward:.2f}"],
        [f"one layer RDM ({len(layers)} layers, mean)", "scipy pdist(correlation), float64",
         bench_table.fmt_time(py_pdist), "", "1.00"],
        ["", "numpy 1 - corrcoef, float64 (OpenBLAS)", bench_table.fmt_time(py_corrcoef), "",
         f"{py_pdist / py_corrcoef:.2f}"],
        ["", "permrsa Gram (Eigen SYRK, float64)", bench_table.fmt_time(p_rdm), "",
         f"{py_pdist / p_rdm:.2f}"],
        ["whole command", "permrsa features (load, forward, RDMs, write)",
         bench_table.fmt_time(permrsa_total), f"{S / permrsa_total:.2f} images/s", ""],
    ]
    text, md = bench_table.table(["workload", "implementation", "time", "throughput",
                                  "speed vs baseline"], rows)
    header = (f"{bench_table.cpu_name()}, {args.threads} threads on both sides, torch "
              f"{torch.__version__}, batch {args.batch}")
    bench_table.emit(header, text, md, args.out)


if __name__ == "__main__":
    main()
