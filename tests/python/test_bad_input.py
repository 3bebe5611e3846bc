"""Bad input: every case must exit with code 2, print a one-line message on stderr that names
the file and the config field and the expected vs actual value, and leave no output file (neither
the output name nor a temporary file beside it).

Where the expected values come from: the contract in tests/python/README.md ("Exit 0 ok, 2 for
usage/config/input errors (one-line message on stderr naming the file, the field and expected vs
actual)", "a failed run leaves no output file"), DESIGN.md invariants 2 and 3, and the error list
of issue 2. Each case starts from one small valid synthetic data set (S=8, L=3, T=20, random
numbers from a fixed NumPy seed) written in tmp_path, changes one thing, and names the tokens the
message must contain: the file's name, the field (e.g. "brain.file") and the offending or expected
values that this test itself planted. The unchanged data set must run with exit code 0.
"""
import os
import pathlib

import numpy as np
import pytest

from permrsa_testing import run, write_config

S, L, T = 8, 3, 20
P = S * (S - 1) // 2
K = 30


class Case:
    """A valid data set in a folder; cases edit its arrays or its config before writing."""

    def __init__(self, root):
        rng = np.random.default_rng(20240611)
        self.root = pathlib.Path(root)
        self.out_dir = self.root / "out"
        self.output = self.out_dir / "results.h5"
        self.brain = rng.normal(0.5, 0.1, size=(P, T))
        self.models = rng.uniform(0.1, 1.0, size=(L, P))
        self.times = np.round(-0.05 + 0.01 * np.arange(T), 10)
        self.layers = [f"conv{i + 1}" for i in range(L)]
        self.config = {
            "brain": {"file": "brain.npy", "layout": "pairs-time", "times": "times.npy"},
            "models": {"file": "models.npy", "kind": "dissimilarity", "names": "layers.txt"},
            "analysis": {"scheme": "stimulus", "metric": "spearman", "permutations": K,
                         "seed": 3, "tail": "greater", "precision": "float64"},
            "correction": {"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                           "cluster_statistic": "mass", "connectivity": "time"},
            "output": {"file": str(self.output)},
        }
        self.extra_args = []
        self.post_write = []   # callables run after the files are written
        self.extra_toml = ""   # raw TOML appended to the config

    def write(self):
        self.out_dir.mkdir(exist_ok=True)
        np.save(self.root / "brain.npy", self.brain)
        np.save(self.root / "models.npy", self.models)
        np.save(self.root / "times.npy", self.times)
        (self.root / "layers.txt").write_text("\n".join(self.layers) + "\n")
        cfg = self.root / "config.toml"
        write_config(cfg, self.config)
        if self.extra_toml:
            with open(cfg, "a") as f:
                f.write(self.extra_toml)
        for fn in self.post_write:
            fn(self)
        return cfg

    def run(self):
        cfg = self.write()
        return run(["run", cfg, *self.extra_args], check=False, timeout=120)


def square(models_condensed):
    out = np.zeros((models_condensed.shape[0], S, S))
    iu = np.triu_indices(S, k=1)
    for l, row in enumerate(models_condensed):
        out[l][iu] = row
        out[l] = out[l] + out[l].T
    return out


# --- the cases: each edits a valid Case and returns the tokens the message must hold.
# A token is a string or a tuple of alternatives (any one of them); matching ignores case.

def nan_brain(c):
    c.brain[5, 7] = np.nan
    return ["brain.npy", "brain.file", "nan"]


def inf_models(c):
    c.models[1, 4] = np.inf
    return ["models.npy", "models.file", "inf"]


def constant_model_layer(c):
    c.models[1, :] = 0.7
    return ["models.npy", "models.file", "constant"]


def constant_brain_column(c):
    c.brain[:, 9] = 0.55
    return ["brain.npy", "brain.file", "constant"]


def asymmetric_square_model(c):
    sq = square(c.models)
    sq[2, 1, 5] += 0.25  # D[1][5] != D[5][1] in layer 2
    c.models = sq
    return ["models.npy", "models.file", "symmetric"]


def p_not_triangular(c):
    c.brain = c.brain[:27]
    c.models = c.models[:, :27]
    return [("brain.npy", "models.npy"), ("brain.file", "models.file"), "27"]


def s_mismatch(c):
    rng = np.random.default_rng(7)
    c.models = rng.uniform(0.1, 1.0, size=(L, 36))  # S = 9 vs the brain's S = 8
    return [("brain.npy", "models.npy"), ("brain.file", "models.file"), ("36", "s = 9", "s=9"),
            ("28", "s = 8", "s=8")]


def t_mismatch(c):
    c.times = c.times[:19]
    return ["times.npy", "brain.times", "19", "20"]


def missing_file(c):
    c.config["brain"]["file"] = "no_such_brain.npy"
    return ["no_such_brain.npy", "brain.file"]


def truncated_npy(c):
    def truncate(case):
        path = case.root / "brain.npy"
        data = path.read_bytes()
        path.write_bytes(data[:len(data) - 8 * 50])  # 50 float64 values short
    c.post_write.append(truncate)
    return ["brain.npy", "brain.file"]


def int64_brain(c):
    c.brain = np.arange(P * T, dtype=np.int64).reshape(P, T) % 97
    return ["brain.npy", "brain.file", ("int64", "<i8", "i8"), "float"]


def unknown_metric(c):
    c.config["analysis"]["metric"] = "cosine"
    return ["config.toml", "analysis.metric", "cosine", "kendall-b"]


def unknown_tail(c):
    c.config["analysis"]["tail"] = "both"
    return ["config.toml", "analysis.tail", "both", "two-sided"]


def unknown_key(c):
    c.config["analysis"]["permutationz"] = 10
    # the message lists the valid keys of [analysis]
    return ["config.toml", "analysis.permutationz", "metric", "permutations", "seed", "tail",
            "precision", "permutation_file"]


def unknown_section(c):
    c.extra_toml = "\n[statistics]\nalpha = 0.05\n"
    return ["config.toml", "statistics", "analysis", "correction"]


def k_zero(c):
    c.config["analysis"]["permutations"] = 0
    return ["config.toml", "analysis.permutations"]


def k_negative(c):
    c.config["analysis"]["permutations"] = -5
    return ["config.toml", "analysis.permutations", "-5"]


def set_without_equals(c):
    c.extra_args = ["--set", "analysis.metric"]
    return ["--set", "analysis.metric"]


def set_unknown_key(c):
    c.extra_args = ["--set", "analysis.colour=red"]
    return ["analysis.colour", "permutations", "metric"]


def permutation_file_not_a_permutation(c):
    def write_perms(case):
        rng = np.random.default_rng(11)
        perms = np.array([rng.permutation(S) for _ in range(10)], dtype=np.int64)
        perms[4] = [0, 0, 2, 3, 4, 5, 6, 7]  # 0 twice, 1 missing
        np.save(case.root / "perms.npy", perms)
    c.post_write.append(write_perms)
    c.config["analysis"]["permutation_file"] = "perms.npy"
    return ["perms.npy", "analysis.permutation_file"]


def permutation_file_wrong_s(c):
    def write_perms(case):
        rng = np.random.default_rng(12)
        perms = np.array([rng.permutation(S + 1) for _ in range(10)], dtype=np.int64)
        np.save(case.root / "perms.npy", perms)
    c.post_write.append(write_perms)
    c.config["analysis"]["permutation_file"] = "perms.npy"
    return ["perms.npy", "analysis.permutation_file", "9", "8"]


def empty_baseline(c):
    c.config["brain"]["baseline"] = [1.0, 2.0]  # times run from -0.05 to 0.14 s
    return ["brain.baseline"]


# brain.layout = "subjects-layers-time": the file holds per-subject maps (N x L x T).
def as_subject_maps(c):
    rng = np.random.default_rng(21)
    c.brain = rng.normal(0.05, 0.1, size=(6, L, T))
    c.config["brain"]["layout"] = "subjects-layers-time"
    del c.config["models"]["file"]
    del c.config["models"]["kind"]
    c.config["analysis"]["scheme"] = "sign-flip"
    c.config["correction"]["cluster_threshold"] = "t-default"


def maps_with_stimulus_scheme(c):
    as_subject_maps(c)
    c.config["analysis"]["scheme"] = "stimulus"
    return ["config.toml", "analysis.scheme", "sign-flip", "subjects-layers-time"]


def maps_with_models_file(c):
    as_subject_maps(c)
    c.config["models"]["file"] = "models.npy"
    return ["config.toml", "models.file", "subjects-layers-time"]


def maps_not_three_dimensional(c):
    as_subject_maps(c)
    c.brain = c.brain[0]
    return ["brain.npy", "brain.file", "3-d", "subjects x layers x times"]


def maps_names_mismatch(c):
    as_subject_maps(c)
    c.layers = c.layers[:2]
    return ["layers.txt", "models.names", "l = 3", "found 2"]


def maps_with_baseline(c):
    as_subject_maps(c)
    c.config["brain"]["baseline"] = [-0.05, 0.0]
    return ["config.toml", "brain.baseline", "subjects-layers-time"]


def maps_with_nan(c):
    as_subject_maps(c)
    c.brain[2, 1, 3] = np.nan
    return ["brain.npy", "brain.file", "nan"]


CASES = [nan_brain, inf_models, constant_model_layer, constant_brain_column,
         asymmetric_square_model, p_not_triangular, s_mismatch, t_mismatch, missing_file,
         truncated_npy, int64_brain, unknown_metric, unknown_tail, unknown_key, unknown_section,
         k_zero, k_negative, set_without_equals, set_unknown_key,
         permutation_file_not_a_permutation, permutation_file_wrong_s, empty_baseline,
         maps_with_stimulus_scheme, maps_with_models_file, maps_not_three_dimensional,
         maps_names_mismatch, maps_with_baseline, maps_with_nan]


def test_valid_case_runs(tmp_path):
    c = Case(tmp_path)
    proc = c.run()
    assert proc.returncode == 0, f"the valid fixture failed:\n{proc.stderr}"
    assert c.output.is_file()
    assert os.listdir(c.out_dir) == ["results.h5"], os.listdir(c.out_dir)


def test_valid_square_models_and_permutation_file_run(tmp_path):
    """The valid variants that the bad cases start from (square models, a permutation file,
    a baseline window) must run too, so that each bad case fails for its one planted fault."""
    c = Case(tmp_path)
    c.models = square(c.models)
    c.config["brain"]["baseline"] = [-0.05, 0.0]
    rng = np.random.default_rng(13)
    perms = np.array([rng.permutation(S) for _ in range(10)], dtype=np.int64)
    c.config["analysis"]["permutation_file"] = "perms.npy"
    c.post_write.append(lambda case: np.save(case.root / "perms.npy", perms))
    proc = c.run()
    assert proc.returncode == 0, f"the valid fixture failed:\n{proc.stderr}"
    assert c.output.is_file()


def test_valid_subject_maps_run(tmp_path):
    """The per-subject maps variant the maps_* cases start from runs."""
    c = Case(tmp_path)
    as_subject_maps(c)
    proc = c.run()
    assert proc.returncode == 0, f"the valid maps fixture failed:\n{proc.stderr}"
    assert c.output.is_file()


@pytest.mark.parametrize("case", CASES, ids=[f.__name__ for f in CASES])
def test_bad_input(tmp_path, case):
    c = Case(tmp_path)
    tokens = case(c)
    proc = c.run()
    report = (f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    assert proc.returncode == 2, report
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected a one-line message on stderr\n{report}"
    message = lines[0].lower()
    for token in tokens:
        options = token if isinstance(token, tuple) else (token,)
        assert any(o.lower() in message for o in options), (
            f"message does not contain {' or '.join(map(repr, options))}\n{report}")
    leftovers = os.listdir(c.out_dir)
    assert leftovers == [], f"output folder not empty after a failed run: {leftovers}"
    assert not c.output.exists()
