"""Shared helpers for the Python cross-check tests: run the permrsa binary, write inputs and
configs, read results. The binary comes from $PERMRSA_BIN (set by ctest); the real data folder
from tools/seed_data.py's lookup ($PERMRSA_SEED_DATA, ../shared/data/seed-eeg-vgg16 beside the
repository, or the fetch tool's cache folder). Tests that read it carry the `real_data` marker
(conftest.py skips them, with the fetch command, when it is missing)."""
import os
import shutil
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import seed_data  # noqa: E402  (tools/seed_data.py: the one lookup of the real data folder)

BIN = os.environ.get("PERMRSA_BIN", "permrsa")
SEED_DATA_FOUND = seed_data.find_seed_data()
SEED_DATA_MISSING = seed_data.missing_message()
# The folder (or, when it is missing, the first place looked in: tests that use it are skipped).
SEED_DATA = SEED_DATA_FOUND or seed_data.candidates()[0][1]
real_data = pytest.mark.real_data


def mpirun_path():
    """mpirun, or None when it is missing or the binary was built without MPI
    (PERMRSA_WITH_MPI=0, set by tests/CMakeLists.txt): the mpirun cases then skip."""
    if os.environ.get("PERMRSA_WITH_MPI") == "0":
        return None
    return shutil.which("mpirun")


def run(args, check=True, env=None, timeout=600):
    """Runs `permrsa *args`; returns the CompletedProcess (text mode, stdout/stderr captured)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"permrsa {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


def write_config(path, sections):
    """Writes a TOML config from {"brain": {...}, "models": {...}, ...}."""
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        for key, value in keys.items():
            lines.append(f"{key} = {toml_value(value)}")
        lines.append("")
    pathlib.Path(path).write_text("\n".join(lines))
    return path


def read_results(path):
    """Reads every dataset and the root attributes of a results file into a dict."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["/" + name] = obj[()]
        f.visititems(visit)
        out["attrs"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return out


def condensed(square):
    """Upper triangle, row-major, as scipy.spatial.distance.squareform."""
    s = square.shape[0]
    iu = np.triu_indices(s, k=1)
    return square[iu]
