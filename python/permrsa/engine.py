"""permrsa.run on NumPy arrays (the C++ engine, through the pybind11 module _permrsa), and thin
wrappers around the CLI's other stages (`permrsa features`, `permrsa rdm`)."""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np

from .errors import InputError
from .results import from_analysis, load

# The names that label in-memory inputs in the engine's messages (they stand where the CLI
# prints a file name).
BRAIN_NAME = "<brain array>"
MODELS_NAME = "<models array>"
COVARIATES_NAME = "<covariates array>"


def _setting(key, value):
    """One setting as the engine takes it: bool, int, float, str, or a list of floats or strs
    (NumPy scalars become Python ones). No TOML text on the way in: the engine reads the value
    through the same key table as a config file."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    if key == "brain.groups":
        groups = np.asarray(value)
        if groups.ndim != 1 or groups.dtype.kind not in "iub":
            raise InputError(f"permrsa.run: groups: expected one integer (0 or 1) per subject, "
                             f"found {value!r}")
        return [int(v) for v in groups]
    if key == "contrasts.pairs":
        pairs = [list(p) for p in value]
        if not all(len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
            raise InputError(f"permrsa.run: contrasts: expected [(\"layer A\", \"layer B\"), "
                             f"...], found {value!r}")
        return [[str(x) for x in p] for p in pairs]
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return [str(v) for v in items]
        if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               for v in items):
            return [float(v) for v in items]
    raise TypeError(f"permrsa.run: {key}: cannot pass {value!r} ({type(value).__name__}) as a setting")


def _settings(sections):
    """[("section.key", value), ...] of the settings that are not None, and the sections given."""
    settings = [(f"{name}.{k}", _setting(f"{name}.{k}", v))
                for name, keys in sections.items() for k, v in keys.items() if v is not None]
    return settings, list(sections)


def run(brain, models=None, *, times=None, layers=None, layout=None, baseline=None, time_start=None,
        time_step=None, model_kind=None, metric=None, scheme=None, permutations=None, seed=None,
        tail=None, precision=None, group_statistic=None, fisher_z=None, correction=None,
        bootstrap=None, threads=0, batch_size=None, memory_gib=None, covariates=None,
        covariate_method=None, covariate_permute=None, contrasts=None, groups=None,
        generalise=None):
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
    covariates: RDMs partialled out of every map ([covariates]): layer names (a list of str,
        rows of `models`, which are then left out of the maps), or an array of q x P condensed
        or q x S x S square dissimilarities (a single P vector is one covariate).
    covariate_method: "formula" (default; vegan's mantel.partial) or "residual" (pingouin 0.3,
        the original study).
    covariate_permute: "model" (default: the model's labels, as vegan) or "freedman-lane" (the
        brain's residuals; pearson or spearman with the formula method).
    contrasts: [("layer A", "layer B"), ...]: the sign-flip test of r_A - r_B per pair
        ([contrasts] pairs; per-subject data, scheme "sign-flip"); Results.contrasts.
    groups: one 0 (group a) or 1 (group b) per subject, for scheme "two-group" (brain.groups).
    generalise: True for the time x time generalisation (analysis.generalise): the maps are the
        brain RDM at t1 (rows, layers "t1=0", "t1=1", ...) against the brain RDM at t2, with no
        models (`models` must be None); the diagonal t1 = t2 is not tested.
    threads: worker threads (0 = all cores). The GIL is released while the engine runs.
    batch_size, memory_gib: None keeps the engine's defaults (EngineOptions: 64 permutations per
        kernel call; 2 GiB).
    memory_gib: the memory budget (the CLI's --memory-per-rank): a run estimated to need more,
        e.g. for too many permutations or bootstrap samples, raises InputError up front.
    Bad input raises permrsa.InputError (a ValueError) with the CLI's message.
    """
    from . import _permrsa  # the C++ engine: built with -DPERMRSA_WITH_PYTHON=ON

    sections = {
        "brain": {"file": BRAIN_NAME, "layout": layout,
                  "baseline": list(baseline) if baseline is not None else None,
                  "time_start": time_start, "time_step": time_step, "groups": groups},
        "models": {"file": None if models is None else MODELS_NAME, "kind": model_kind},
        "analysis": {"scheme": scheme, "metric": metric, "permutations": permutations,
                     "seed": seed, "tail": tail, "precision": precision,
                     "group_statistic": group_statistic, "fisher_z": fisher_z,
                     "generalise": generalise},
        "correction": dict(correction or {}),
    }
    if bootstrap is not None:
        sections["bootstrap"] = dict(bootstrap)
    if contrasts is not None:
        sections["contrasts"] = {"pairs": contrasts}
    covariate_array = None
    if covariates is not None:
        given = {"method": covariate_method, "permute": covariate_permute}
        if isinstance(covariates, str) or (isinstance(covariates, (list, tuple)) and covariates
                                           and all(isinstance(c, str) for c in covariates)):
            given["layers"] = [covariates] if isinstance(covariates, str) else list(covariates)
        else:
            covariate_array = np.asarray(covariates)
            if covariate_array.ndim == 1:
                covariate_array = covariate_array[None, :]
            given["file"] = COVARIATES_NAME
        sections["covariates"] = given
    elif covariate_method is not None or covariate_permute is not None:
        raise InputError("permrsa.run: covariate_method, covariate_permute: need covariates")
    brain = np.asarray(brain)
    # No models (analysis.generalise): an empty array stands for them; the engine's checks say
    # what the settings need.
    given_models = models is not None
    models = np.asarray(models) if given_models else np.zeros((0, 0))
    arrays = ((BRAIN_NAME, brain),) + (((MODELS_NAME, models),) if given_models else ())
    if covariate_array is not None:
        arrays += ((COVARIATES_NAME, covariate_array),)
    for name, a in arrays:
        if a.dtype.kind not in "fiu":
            raise InputError(f"{name}: expected a float32 or float64 array, found dtype {a.dtype}")
    times = None if times is None else np.asarray(times, dtype=np.float64).ravel()
    settings, given = _settings(sections)
    analysis = _permrsa.run(brain, models, times, [str(x) for x in (layers or [])], settings,
                            given, int(threads), None if batch_size is None else int(batch_size),
                            None if memory_gib is None else float(memory_gib), covariate_array)
    for message in analysis.warnings:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    keys = {BRAIN_NAME: "brain.file", MODELS_NAME: "models.file", COVARIATES_NAME: "covariates.file"}
    return from_analysis(analysis, {keys[name]: a for name, a in arrays})


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


def _call_stage(name, args, env=None):
    proc = subprocess.run([_cli(), name, *map(str, args)], capture_output=True, text=True,
                          env=None if env is None else {**os.environ, **env})
    if proc.returncode == 2:
        raise InputError(proc.stderr.strip().splitlines()[-1].removeprefix("permrsa: error: ")
                         .removeprefix("permrsa: "))
    if proc.returncode != 0:
        raise RuntimeError(f"permrsa {name} failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return proc


def _read_stage_file(path):
    """Every dataset of an HDF5 file `permrsa features` or `permrsa rdm` wrote, by name without
    the leading '/' (strings decoded), and the root attributes under "attrs"."""
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                value = obj[()]
                if obj.dtype.kind in "OS":
                    value = [v.decode() if isinstance(v, bytes) else str(v) for v in value]
                out[name] = value
        f.visititems(visit)
        out["attrs"] = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    return out


def _options(**options):
    args = []
    for name, value in options.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, (list, tuple)):
            value = ",".join(map(str, value))
        args += [flag, value]
    return args


def features(model, images, out, *, layers=None, batch=None, threads=None, args=()):
    """Layer RDMs of a TorchScript model on a set of images: runs `permrsa features --model MODEL
    --images IMAGES --out OUT` (see its --help; `args` adds further options such as
    ["--resize", 256, "--crop", 224]) and reads the file it writes, which `permrsa run` takes as
    models.file. Returns a dict: "rdms" (L x P float64, condensed upper triangles), "layers",
    "stimuli" and "attrs" (model, sha256, preprocessing...). Bad input raises InputError with
    the CLI's message."""
    _call_stage("features", ["--model", model, "--images", images, "--out", out,
                             *_options(layers=layers, batch=batch, threads=threads), *args])
    return _read_stage_file(out)


def _this_python():
    """PERMRSA_PYTHON / PERMRSA_PYTHONPATH for a CLI stage that runs a module of this package
    (`permrsa rdm` converting -epo.fif files), so that it runs this interpreter and package;
    the caller's own settings win."""
    env = {"PERMRSA_PYTHON": sys.executable,
           "PERMRSA_PYTHONPATH": str(pathlib.Path(__file__).resolve().parent.parent)}
    return {k: v for k, v in env.items() if not os.environ.get(k)}


def rdm(epochs, out, *, method="lda", folds=None, threads=None, args=()):
    """Brain RDMs from EEG/MEG epochs, one subject per item: runs `permrsa rdm --epochs FILE...
    --method METHOD --out OUT` (see its --help; `args` adds options such as ["--window", 3]) and
    reads the file it writes, which `permrsa run` takes as brain.file. `epochs` is a path, a glob,
    an mne.Epochs object or a list of them. Paths may be HDF5/.mat/.npy epochs or MNE -epo.fif
    files (the CLI converts those with permrsa.from_mne, run by this interpreter). mne.Epochs
    objects are written by permrsa.from_mne.convert (data channels, bads left out; pick others
    with epochs.copy().pick(...) first) to temporary HDF5 files that /subjects then names.
    Returns a dict: "rdms" (N x P x T, or P x T for one subject), "mean" (P x T), "axes/time",
    "stimuli", "subjects", "folds" and "attrs". Bad input raises InputError with the CLI's
    message."""
    from . import from_mne
    single = isinstance(epochs, (str, os.PathLike)) or from_mne.is_epochs(epochs)
    items = [epochs] if single else list(epochs)
    objects = [x for x in items if from_mne.is_epochs(x)]
    with tempfile.TemporaryDirectory(prefix="permrsa-rdm-") as tmp:
        try:
            converted = iter(from_mne.convert(objects, tmp) if objects else [])
        except from_mne.MneMissing as e:
            raise InputError(str(e)) from None
        files = [next(converted) if from_mne.is_epochs(x) else x for x in items]
        epoch_args = [a for f in files for a in ("--epochs", f)]
        _call_stage("rdm", [*epoch_args, "--method", method, "--out", out,
                            *_options(folds=folds, threads=threads), *args], env=_this_python())
    return _read_stage_file(out)


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
