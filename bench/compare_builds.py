"""Two builds of permrsa side by side on the same workloads, interleaved in one run: a change
that should not cost speed (issue 16's redesign) is held to "within 5%" here. Not a test.

    /usr/bin/python3 bench/compare_builds.py --baseline OLD/build/src/permrsa --candidate build/src/permrsa [--rounds 5]

Workloads (the end-to-end and sign-flip benchmarks of bench/README.md):
  seed      config/seed-eeg-vgg16.toml as committed (real data: 1176 pairs x 218 times x 22
            layers, Spearman, K = 10000, permutation-p clusters over layers x time); synthetic
            data of the same shape when the real data set is missing;
  signflip  N = 23 per-subject maps of 22 layers x 218 times (subjects-layers-time), one-sample t,
            two-sided, t-default layer-time clusters, K = 10000.
Each round runs the baseline and the candidate once per workload, alternating which goes first;
the table gives the medians, the ratio candidate / baseline, and whether both builds wrote the
same datasets (h5py, bit for bit). The machine is shared: only the ratio means anything.
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from bench_table import seed_data_folder, table

REPO = pathlib.Path(__file__).resolve().parents[1]


def signflip_config(work):
    rng = np.random.Generator(np.random.Philox(23))
    maps = 0.02 + 0.05 * rng.standard_normal((23, 22, 218))
    maps[:, 8:16, 60:120] += 0.06  # a planted effect, so that clusters exist
    np.save(work / "maps.npy", maps)
    np.save(work / "times.npy", (-51 + np.arange(218)) / 256)
    (work / "signflip.toml").write_text(
        '[brain]\nfile = "maps.npy"\nlayout = "subjects-layers-time"\ntimes = "times.npy"\n'
        '[analysis]\nscheme = "sign-flip"\npermutations = 10000\ntail = "two-sided"\n'
        '[correction]\ncluster_threshold = "t-default"\nconnectivity = "layer-time"\n'
        '[output]\nfile = "out.h5"\n')
    return work / "signflip.toml"


def seed_config(work):
    if seed_data_folder():
        return REPO / "config" / "seed-eeg-vgg16.toml", "real data"
    rng = np.random.Generator(np.random.Philox(49))
    np.save(work / "brain.npy", rng.random((1176, 218)))
    np.save(work / "models.npy", rng.random((22, 1176)))
    (work / "seed.toml").write_text(
        '[brain]\nfile = "brain.npy"\n[models]\nfile = "models.npy"\n[analysis]\npermutations = 10000\n'
        '[correction]\nconnectivity = "layer-time"\n[output]\nfile = "out.h5"\n')
    return work / "seed.toml", "synthetic data of the seed shape"


def timed_run(binary, config, out, threads):
    start = time.perf_counter()
    proc = subprocess.run([binary, "run", config, "--quiet", "--threads", str(threads),
                           "--set", f"output.file={out}"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{binary} run {config} failed: {proc.stderr}")
    return elapsed


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o[()]).tobytes())
                     if isinstance(o, h5py.Dataset) else None)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", help="also write the table as markdown here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        seed, seed_data = seed_config(work)
        workloads = {"seed (end to end, " + seed_data + ")": seed,
                     "signflip (N = 23 maps, t, layer-time clusters)": signflip_config(work)}
        rows = []
        for name, config in workloads.items():
            times = {"baseline": [], "candidate": []}
            order = ["baseline", "candidate"]
            for r in range(args.rounds):
                for which in (order if r % 2 == 0 else order[::-1]):
                    out = work / f"{which}.h5"
                    times[which].append(timed_run(getattr(args, which), config, out, args.threads))
            same = datasets(work / "baseline.h5") == datasets(work / "candidate.h5")
            old, new = statistics.median(times["baseline"]), statistics.median(times["candidate"])
            rows.append([name, f"{old:.3f} s", f"{new:.3f} s", f"{new / old:.3f}",
                         "yes" if new / old <= 1.05 else "no", "identical" if same else "DIFFERENT"])
        head = ["workload", "baseline (median)", "candidate (median)", "candidate / baseline",
                "within 5%", "datasets"]
        text, md = table(head, rows)
        print(f"{args.rounds} rounds, {args.threads} threads, interleaved; {os.uname().nodename}")
        print(text)
        if args.out:
            pathlib.Path(args.out).write_text(md + "\n")


if __name__ == "__main__":
    main()
