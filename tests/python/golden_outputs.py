"""Golden outputs: the sha256 of every dataset and root attribute of the results files that a
fixed set of runs writes, so that a change meant to leave every result as it was (issue 16's
redesign, and any refactoring after it) can be held to that bit for bit.

tests/data/golden/<case>.json holds, per case, {name: sha256} over each dataset's dtype, shape
and bytes (C order) and each root attribute's value, except the `config` attribute (it names the
temporary input paths). They were made by the binary of the commit before issue 16's redesign
(make_golden.py; regenerate only when a result is meant to change, and say why in the commit),
except signflip, tfce and bootstrap: remade on 2026-12-06 when the sign-flip kernel's sums took
their grouped order (README "Statistics"; last bits of t, 1/(K + 1) in two cells' p_uncorrected).
A later feature may add datasets or attributes: only the names in the golden file are compared.

Cases (inputs from `permrsa simulate`, made with our own Philox generator, and per-subject
stacks derived from them by NumPy's Philox, both fixed by seed):
- seed: config/seed-eeg-vgg16.toml as committed (the real data: a real_data test);
- signflip: per-subject Spearman maps, two-sided one-sample t, t-default layer-time clusters;
- tfce: the same with TFCE (explicit tfce_step) and the max statistic;
- bootstrap: sign-flip with the permutation-p threshold, [bootstrap] and a layer comparison;
- shards: the stimulus scheme's two-stage chain (2 shards per stage) merged;
- mpirun3: the stimulus scheme under `mpirun -n 3`.
"""
import hashlib
import json
import pathlib
import shutil
import subprocess

import h5py
import numpy as np

from permrsa_testing import BIN, REPO, run

GOLDEN = REPO / "tests" / "data" / "golden"
MPIRUN = shutil.which("mpirun") or "/usr/bin/mpirun"
CASES = ["seed", "signflip", "tfce", "bootstrap", "shards", "mpirun3"]
SUBJECTS = 12


def digest(value):
    a = np.asarray(value)
    if a.dtype.kind in "OSU":  # strings: their text
        text = "\n".join(x.decode() if isinstance(x, bytes) else str(x) for x in a.ravel())
        payload = f"{a.shape}|{text}".encode()
    else:
        payload = f"{a.dtype.str}|{a.shape}|".encode() + np.ascontiguousarray(a).tobytes()
    return hashlib.sha256(payload).hexdigest()


def fingerprint(path):
    """{"/dataset": sha256, "@attribute": sha256} of a results file (not the config text)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["/" + name] = digest(obj[()])
        f.visititems(visit)
        for key, value in f.attrs.items():
            if key != "config":
                out["@" + key] = digest(value)
    return out


def study(folder):
    """`permrsa simulate` data and its stimulus-scheme config (K = 600, permutation-p)."""
    run(["simulate", "--out", folder, "--seed", 11, "--stimuli", 16, "--layers", 4, "--times", 50,
         "--quiet"])
    config = folder / "config.toml"
    config.write_text(config.read_text().replace("permutations = 1000", "permutations = 600"))
    return config


def subject_config(folder, name, analysis, correction, bootstrap=None):
    """N = 12 per-subject RDM stacks: the simulated brain plus subject noise (Philox seed 5)."""
    brain = np.load(folder / "brain.npy")
    rng = np.random.Generator(np.random.Philox(5))
    stack = brain[None] + 0.15 * rng.standard_normal((SUBJECTS, *brain.shape))
    if not (folder / "subjects.npy").exists():
        np.save(folder / "subjects.npy", stack)
    lines = ["[brain]", 'file = "subjects.npy"', 'layout = "subjects-pairs-time"', 'times = "times.npy"',
             "[models]", 'file = "models.npy"', 'names = "layers.txt"', "[analysis]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in analysis.items()]
    lines += ["[correction]"] + [f"{k} = {json.dumps(v)}" for k, v in correction.items()]
    if bootstrap:
        lines += ["[bootstrap]"] + [f"{k} = {json.dumps(v)}" for k, v in bootstrap.items()]
    lines += ["[output]", 'file = "results.h5"']
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


SIGN_FLIP = {"scheme": "sign-flip", "metric": "spearman", "permutations": 800, "seed": 3,
             "tail": "two-sided", "group_statistic": "t"}


def run_case(case, work):
    """Runs one case in `work` (a fresh folder); returns the results file."""
    work = pathlib.Path(work)
    data = work / "data"
    out = work / "results.h5"
    if case == "seed":
        run(["run", REPO / "config" / "seed-eeg-vgg16.toml", "--quiet", "--set", f"output.file={out}"])
        return out
    config = study(data)
    if case == "signflip":
        cfg = subject_config(data, case, SIGN_FLIP, {"cluster_threshold": "t-default",
                                                    "connectivity": "layer-time"})
    elif case == "tfce":
        cfg = subject_config(data, case, SIGN_FLIP, {"cluster_threshold": "t-default", "tfce": True,
                                                    "tfce_step": 0.1})
    elif case == "bootstrap":
        cfg = subject_config(data, case, dict(SIGN_FLIP, tail="greater"),
                             {"cluster_threshold": "permutation-p"},
                             {"samples": 200, "compare_layers": ["layer1", "layer4"]})
    elif case == "shards":
        shards1, shards2 = work / "s1", work / "s2"
        shards1.mkdir()
        shards2.mkdir()
        for part in range(2):
            run(["run", config, "--quiet", "--permutations", f"{part}/2",
                 "--shard-out", shards1 / f"part{part}.h5"])
        run(["merge", *sorted(shards1.glob("*.h5")), "--out", work / "pass1.h5", "--quiet"])
        for part in range(2):
            run(["run", config, "--quiet", "--permutations", f"{part}/2", "--pass1-from",
                 work / "pass1.h5", "--shard-out", shards2 / f"part{part}.h5"])
        run(["merge", work / "pass1.h5", *sorted(shards2.glob("*.h5")), "--out", out, "--quiet"])
        return out
    elif case == "mpirun3":
        proc = subprocess.run([MPIRUN, "-n", "3", "--oversubscribe", "--allow-run-as-root", BIN, "run",
                               str(config), "--quiet", "--threads", "1", "--set", f"output.file={out}"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return out
    else:
        raise ValueError(case)
    run(["run", cfg, "--quiet", "--set", f"output.file={out}"])
    return out


def golden(case):
    return json.loads((GOLDEN / f"{case}.json").read_text())
