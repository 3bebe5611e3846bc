"""The README's end-to-end example runs as written: images -> tools/export_model.py ->
`permrsa features` -> `permrsa run` (1000 permutations, clusters) -> results file -> `info`.

The commands are read from README.md (the sh block after `<!-- readme-example: features -->`),
so the README cannot drift from what works. Substitutions, and nothing else: `python3` is
this interpreter (Debian's, with torch), `build/src/permrsa` is $PERMRSA_BIN,
`../shared/data/seed-eeg-vgg16` is $PERMRSA_SEED_DATA and `config/` is the repository's;
the lines run in a temporary folder.

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

from permrsa_testing import BIN, SEED_DATA

REPO = pathlib.Path(__file__).resolve().parents[2]


def readme_example():
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- readme-example: features -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no features example block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_features_example_runs_from_images_to_results(tmp_path):
    lines = readme_example()
    env = dict(os.environ, PERMRSA_SEED_DATA=str(SEED_DATA))
    for line in lines:
        args = shlex.split(line)
        args = [{"python3": sys.executable, "build/src/permrsa": BIN}.get(a, a) for a in args]
        args = [a.replace("../shared/data/seed-eeg-vgg16", str(SEED_DATA)) for a in args]
        args = [str(REPO / a) if a.startswith(("config/", "tools/")) else a for a in args]
        proc = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=1800)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"

    with h5py.File(tmp_path / "resnet18_rdms.h5") as f:
        layers = [s.decode() for s in f["/layers"][()]]
        assert f["/rdms"].shape == (6, 1176)
    with h5py.File(tmp_path / "resnet18-results.h5") as f:
        assert [s.decode() for s in f["/axes/layer"][()]] == layers
        assert f["/observed"].shape == (6, 218)
        assert f["/p_cluster"].shape == (6, 218)
        assert f.attrs["permutations"] == 1000
        assert "/clusters/p" in f
