"""permrsa.run on NumPy arrays (the C++ engine, through the pybind11 module _permrsa), and thin
wrappers around the CLI's other stages (`permrsa features`, `permrsa rdm`)."""
import os
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

from .errors import InputError
from .results import Results, from_analysis, load

# The names that label in-memory inputs in the engine's messages (they stand where the CLI
# prints a file name).
BRAIN_NAME = "<brain array>"
MODELS_NAME = "<models array>"


def _toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    raise TypeError(f"permrsa.run: cannot pass {value!r} ({type(value).__name__}) as a setting")


def _toml(sections):
    lines = []
    for name, keys in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in keys.items() if v is not None]
    return "\n".join(lines) + "\n"


def run(brain, models, *, times=None, layers=None, layout=None, baseline=None, time_start=None,
        time_step=None, model_kind=None, metric=None, scheme=None, permutations=None, seed=None,
        tail=None, precision=None, group_statistic=None, fisher_z=None, correction=None,
        bootstrap=None, threads=0, batch_size=64):
    """Runs the permutation analysis on arrays in memory; returns a :class:`Results`.

    The settings are the config keys of `permrsa run` (README "Config"); None keeps the engine's
    default. The numbers are the CLI's bit for bit for the same inputs and settings.

    brain: P x T (layout "pairs-time", default), T x P ("time-pairs") or N x P x T
        ("subjects-pairs-time", per-subject RDMs) dissimilarities, condensed like SciPy's
        squareform.
    models: L x P condensed or L x S x S square RDMs (model_kind "similarity": 1 - s).
    times: T seconds (default: time_start + time_step * t). layers: L names.
    baseline: (start, end) seconds: subtract each pair's mean over start <= t < end.
    correction: dict of [correction] keys, e.g. {"connectivity": "layer-time", "tfce": True}.
    bootstrap: dict of [bootstrap] keys ({"samples": 1000}), needs per-subject data.
    threads: worker threads (0 = all cores). The GIL is released while the engine runs.
    Bad input raises permrsa.InputError (a ValueError) with the CLI's message.
    """
    from . import _permrsa  # the C++ engine: built with -DPERMRSA_WITH_PYTHON=ON

    sections = {
        "brain": {"file": BRAIN_NAME, "layout": layout,
                  "baseline": list(baseline) if baseline is not None else None,
                  "time_start": time_start, "time_step": time_step},
        "models": {"file": MODELS_NAME, "kind": model_kind},
        "analysis": {"scheme": scheme, "metric": metric, "permutations": permutations,
                     "seed": seed, "tail": tail, "precision": precision,
                     "group_statistic": group_statistic, "fisher_z": fisher_z},
        "correction": dict(correction or {}),
    }
    if bootstrap is not None:
        sections["bootstrap"] = dict(bootstrap)
    brain = np.asarray(brain)
    models = np.asarray(models)
    for name, a in ((BRAIN_NAME, brain), (MODELS_NAME, models)):
        if a.dtype.kind not in "fiu":
            raise InputError(f"{name}: expected a float32 or float64 array, found dtype {a.dtype}")
    times = None if times is None else np.asarray(times, dtype=np.float64).ravel()
    analysis = _permrsa.run(brain, models, times, [str(x) for x in (layers or [])],
                            _toml(sections), int(threads), int(batch_size))
    return from_analysis(analysis)


def _cli():
    """The permrsa binary: $PERMRSA_BIN, next to this package's build folder, or on PATH."""
    candidates = [os.environ.get("PERMRSA_BIN")]
    here = pathlib.Path(__file__).resolve().parent
    candidates += [str(here.parent.parent / "src" / "permrsa"), shutil.which("permrsa")]
    for c in candidates:
        if c and os.access(c, os.X_OK) and pathlib.Path(c).is_file():
            return c
    raise FileNotFoundError("permrsa: the permrsa command was not found: set PERMRSA_BIN to "
                            "build/src/permrsa or put it on PATH")


def _has_subcommand(name):
    try:
        proc = subprocess.run([_cli(), name, "--help"], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return False
    return proc.returncode == 0


def _call_stage(name, args):
    if not _has_subcommand(name):
        raise NotImplementedError(f"permrsa.{name}: this permrsa build has no `permrsa {name}` "
                                  "subcommand")
    proc = subprocess.run([_cli(), name, *map(str, args)], capture_output=True, text=True)
    if proc.returncode == 2:
        raise InputError(proc.stderr.strip().removeprefix("permrsa: error: "))
    if proc.returncode != 0:
        raise RuntimeError(f"permrsa {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc


def _load_array(path):
    path = str(path)
    if path.endswith(".npy"):
        return np.load(path)
    import h5py
    file, _, dataset = path.partition(":")
    with h5py.File(file, "r") as f:
        return f[dataset or "/"][()]


def features(config, *, out=None, args=()):
    """Layer RDMs from images with a TorchScript model: runs `permrsa features CONFIG` (the CLI
    stage, see its --help) and loads the file it writes. `out` is passed as --out; `args` are
    further command-line options. Returns the loaded array (L x P) when `out` is a .npy or
    HDF5 source, else the CompletedProcess."""
    extra = ["--out", out] if out is not None else []
    proc = _call_stage("features", [config, *extra, *args])
    return _load_array(out) if out is not None else proc


def rdm(config, *, out=None, args=()):
    """Brain RDMs from EEG epochs: runs `permrsa rdm CONFIG` (the CLI stage, see its --help) and
    loads the file it writes, as features()."""
    extra = ["--out", out] if out is not None else []
    proc = _call_stage("rdm", [config, *extra, *args])
    return _load_array(out) if out is not None else proc


def run_config(config, *, overrides=(), threads=None):
    """Runs `permrsa run CONFIG` (the CLI, one process) and loads its results file."""
    args = [config]
    for o in overrides:
        args += ["--set", o]
    if threads:
        args += ["--threads", threads]
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "results.h5"
        proc = subprocess.run([_cli(), "run", *map(str, args), "--set", f"output.file={out}",
                               "--quiet"], capture_output=True, text=True)
        if proc.returncode == 2:
            raise InputError(proc.stderr.strip().removeprefix("permrsa: error: "))
        if proc.returncode != 0:
            raise RuntimeError(f"permrsa run failed (exit {proc.returncode}): {proc.stderr.strip()}")
        return load(out)
