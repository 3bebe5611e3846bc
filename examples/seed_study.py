"""The original study, end to end from Python: 49 images, group EEG decoding RDMs (N = 23) x the
22 VGG16 layers, with permutation statistics, figures and the HTML report.

Run it (notebook-style: each "# %%" cell also runs on its own in Jupyter or VS Code):

    PYTHONPATH=build/python /usr/bin/python3 examples/seed_study.py --out seed-study/
    # data elsewhere:  PERMRSA_SEED_DATA=/path/to/seed-eeg-vgg16 ... (or --data)

It reads the data in place, from the folder tools/seed_data.py finds ($PERMRSA_SEED_DATA,
../shared/data/seed-eeg-vgg16 beside the repository, or where `python3 tools/fetch_seed_data.py`
put it), and writes results.h5, the figures and report/index.html into --out.
"""
# %% Settings
import argparse
import pathlib
import sys
import time

import numpy as np
import scipy.io

import permrsa
from permrsa import figures, report

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import seed_data  # noqa: E402  (tools/seed_data.py: the one lookup of the data folder)

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--data", default=seed_data.find_seed_data(),
                    help="the seed-eeg-vgg16 folder (default: tools/seed_data.py's lookup)")
parser.add_argument("--out", default="seed-study")
parser.add_argument("--permutations", type=int, default=10000)
parser.add_argument("--metric", default="spearman", help="the study used kendall-b (slower)")
args, _ = parser.parse_known_args()
if args.data is None:
    sys.exit(f"seed_study.py: {seed_data.missing_message()}")
data, out = pathlib.Path(args.data), pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)

# %% The data: brain RDMs (1176 pairs x 218 times), layer correlations (22 x 49 x 49)
brain = np.load(data / "brain_rdms.npy")
layer_corr = np.load(data / "vgg16_layer_corr.npy")
times = scipy.io.loadmat(data / "time_vector.mat")["time"].ravel()
layers = (data / "vgg16_layers.txt").read_text().split()
# Stimulus categories, by index (the data set's README).
categories = (["fearful face"] * 8 + ["happy face"] * 8 + ["neutral face"] * 8 + ["animal"] * 8
              + ["scene"] * 9 + ["object"] * 8)
print(f"brain {brain.shape}, models {layer_corr.shape}, {len(times)} times "
      f"({times[0]:.3f} .. {times[-1]:.3f} s)")

# %% The analysis: the settings of config/seed-eeg-vgg16.toml, on arrays in memory.
# Baseline: subtract each pair's mean over -0.2 <= t < 0. Layer RDMs are 1 - correlation.
start = time.perf_counter()
res = permrsa.run(brain, layer_corr, times=times, layers=layers, baseline=(-0.2, 0.0),
                  model_kind="similarity", metric=args.metric, scheme="stimulus",
                  permutations=args.permutations, seed=1, tail="greater",
                  correction={"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                              "connectivity": "layer-time", "cluster_statistic": "mass"})
print(f"{args.permutations} permutations in {time.perf_counter() - start:.1f} s")

# %% The significant clusters: layers, time range, peak, mass, p
print(res.significant_clusters()[["layer", "start", "end", "peak", "peak_layer", "statistic", "p"]]
      .to_string())
# Maps are DataFrames with named axes: the similarity of one layer over time, or at one time.
print(res.observed.loc["block5_conv3"].idxmax(), "s: block5_conv3's peak")
print(res.observed.loc[:, res.times[np.argmin(np.abs(res.times - 0.1))]].idxmax(),
      ": the best layer at 100 ms")

# %% Save, and read back exactly what `permrsa run` would have written
res.save(out / "results.h5")
res = permrsa.load(out / "results.h5")

# %% Figures: each function returns a matplotlib Figure
figures.time_courses(res).savefig(out / "time_courses.png", dpi=150)
figures.heatmap(res).savefig(out / "heatmap.png", dpi=150)
figures.peak_latency(res).savefig(out / "peak_latency.png", dpi=150)
figures.null_distribution(res).savefig(out / "null_distribution.png", dpi=150)
# RDMs are inputs, not results: draw them from the arrays (brain at 100 ms, three layers).
t100 = int(np.argmin(np.abs(times - 0.1)))
model_rdms = 1.0 - layer_corr
figures.rdm_images({"EEG, 100 ms": brain[:, t100], layers[0]: model_rdms[0],
                    layers[12]: model_rdms[12], layers[-1]: model_rdms[-1]},
                   categories).savefig(out / "rdms.png", dpi=150)
figures.mds(brain, times, at=[0.0, 0.1, 0.2, 0.4], categories=categories).savefig(
    out / "mds.png", dpi=150)

# %% The HTML report (the same as `permrsa report results.h5 --out report/`)
page = report.write_report(res, out / "report", categories=categories, inputs=(brain, model_rdms))
print(f"open {page}")
