"""The README's end-to-end example runs as written: images -> tools/export_model.py ->
`permrsa features` -> `permrsa run` (1000 permutations, clusters) -> results file -> `info`.

The commands are read from README.md (the sh block after `<!-- readme-example: features -->`),
so the README cannot drift from what works. Substitutions, and nothing else: `python3` is
this interpreter (Debian's, with torch), `build/src/permrsa` is $PERMRSA_BIN,
`../shared/data/seed-eeg-vgg16` is the data folder (also given as $PERMRSA_SEED_DATA) and
`config/` is the repository's; the lines run in a temporary folder.

The data folder is a generated stand-in laid out like seed-eeg-vgg16 (49 generated images,
random brain RDMs on the study's time axis), so the example's shapes are checked everywhere;
and the real folder, as a real-data test.

Where the expected values come from: the results file must be complete (the datasets README
"Output" lists, with L = the 6 ResNet-18 layers asked for and T = 218 time points of the real
data) and its layer axis must carry the names from the features file."""
import os
import pathlib
import re
import shlex
import subprocess
import sys

import h5py
import numpy as np
import pytest
import scipy.io

from permrsa_testing import BIN, SEED_DATA, real_data
from synthetic_images import write_images

REPO = pathlib.Path(__file__).resolve().parents[2]


def readme_example():
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- readme-example: features -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no features example block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def standin_data(folder):
    """seed-eeg-vgg16's layout with generated contents: stimuli/ (49 images), brain_rdms.npy
    (1176 x 218 random), time_vector.mat (the study's axis: -0.19921875 + i/256 s), 22 random
    layer correlation matrices and their names."""
    write_images(folder / "stimuli", 49, seed=7, prefix="stim")
    rng = np.random.Generator(np.random.Philox(7))
    np.save(folder / "brain_rdms.npy", rng.random((49 * 48 // 2, 218)))
    scipy.io.savemat(folder / "time_vector.mat", {"time": (-51 + np.arange(218))[None, :] / 256})
    activations = rng.standard_normal((22, 49, 30))
    np.save(folder / "vgg16_layer_corr.npy", np.stack([np.corrcoef(a) for a in activations]))
    (folder / "vgg16_layers.txt").write_text("".join(f"layer{i}\n" for i in range(22)))
    return folder


@pytest.mark.parametrize("data", ["stand-in", pytest.param("real", marks=real_data)])
def test_the_readme_features_example_runs_from_images_to_results(tmp_path, data):
    folder = SEED_DATA if data == "real" else standin_data(tmp_path / "seed-eeg-vgg16")
    lines = readme_example()
    env = dict(os.environ, PERMRSA_SEED_DATA=str(folder))
    variables = {}
    for line in lines:
        line = line.split("  #")[0]
        assignment = re.fullmatch(r"(\w+)=\$\((.*)\)\s*", line)  # NAME=$(command)
        args = shlex.split(assignment.group(2) if assignment else line)
        args = [{"python3": sys.executable, "build/src/permrsa": BIN}.get(a, a) for a in args]
        args = [str(REPO / a) if a.startswith(("config/", "tools/")) else a for a in args]
        args = [re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], a) for a in args]
        proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
        if assignment:
            variables[assignment.group(1)] = proc.stdout.strip()
    assert variables["DATA"] == str(folder)  # tools/seed_data.py found the folder in use

    with h5py.File(tmp_path / "resnet18_rdms.h5") as f:
        layers = [s.decode() for s in f["/layers"][()]]
        assert f["/rdms"].shape == (6, 1176)
    with h5py.File(tmp_path / "resnet18-results.h5") as f:
        assert [s.decode() for s in f["/axes/layer"][()]] == layers
        assert f["/observed"].shape == (6, 218)
        assert f["/p_cluster"].shape == (6, 218)
        assert f.attrs["permutations"] == 1000
        assert "/clusters/p" in f
