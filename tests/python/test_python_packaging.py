"""`pip install ./python` on top of the CMake build, offline, into a venv that sees Debian's
python3-numpy/h5py/pandas/matplotlib, and the example script on the real data.

Where the expected values come from: the package in the build tree (PYTHONPATH route) is the
peer of the installed one: both must give the same numbers; the example's results file must
load and hold the real data's shape (22 layers x 218 time points, the data set's README).
"""
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from permrsa_testing import SEED_DATA, real_data
from python_package import permrsa

REPO = pathlib.Path(__file__).resolve().parents[2]
BUILD_PYTHON = pathlib.Path(permrsa.__file__).resolve().parents[1]  # <build>/python


def clean_env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return env


def test_pip_install_of_the_python_folder_works_offline(tmp_path):
    source = tmp_path / "python"
    shutil.copytree(REPO / "python", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", tmp_path / "venv"], check=True)
    env = clean_env() | {"PERMRSA_BUILD_DIR": str(BUILD_PYTHON.parent)}
    pip = subprocess.run([tmp_path / "venv" / "bin" / "pip", "install", "--no-build-isolation",
                          "--no-index", str(source)], capture_output=True, text=True, env=env)
    assert pip.returncode == 0, pip.stderr
    script = ("import numpy as np, permrsa; rng = np.random.default_rng(4); "
              "b = rng.random((28, 6)); m = rng.random((2, 28)); "
              "r = permrsa.run(b, m, permutations=50, seed=2); "
              "print(permrsa.__file__); print(r.observed.to_numpy().tobytes().hex())")
    installed = subprocess.run([tmp_path / "venv" / "bin" / "python", "-c", script], capture_output=True,
                               text=True, env=clean_env(), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    where, numbers = installed.stdout.split()
    assert where.startswith(str(tmp_path / "venv"))
    import numpy as np
    rng = np.random.default_rng(4)
    b, m = rng.random((28, 6)), rng.random((2, 28))
    assert numbers == permrsa.run(b, m, permutations=50, seed=2).observed.to_numpy().tobytes().hex()


@real_data
def test_the_example_runs_the_real_data_end_to_end(tmp_path):
    env = clean_env() | {"PYTHONPATH": str(BUILD_PYTHON), "PERMRSA_SEED_DATA": str(SEED_DATA)}
    proc = subprocess.run([sys.executable, REPO / "examples" / "seed_study.py", "--out", tmp_path,
                           "--permutations", "200"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    res = permrsa.load(tmp_path / "results.h5")
    assert res.observed.shape == (22, 218)
    assert (tmp_path / "report" / "index.html").is_file()
    for name in ("time_courses", "heatmap", "peak_latency", "rdms", "mds", "null_distribution"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
