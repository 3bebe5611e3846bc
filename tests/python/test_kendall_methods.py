"""The two Kendall kernels give the same files (issue 20: the bit-parallel tau-a / tau-b must equal
the merge-sort count bit for bit, so every result of a kendall run is unchanged).

Where the expected values come from: permrsa's own output with PERMRSA_KENDALL_METHOD=merge-sort
(Knight's algorithm, the kernel of the commits before the bit-parallel one, itself checked
against scipy.stats.kendalltau by test_reference_crosscheck.py). The same config run with
PERMRSA_KENDALL_METHOD=bit-parallel, on the AVX-512 path and on the portable path
(PERMRSA_KENDALL_POPCOUNT=portable), must give a file that `h5diff` reports identical (exit 0, no
tolerance). Data: S = 20 stimuli (P = 190), L = 4, T = 40, K = 300, permutation-p clusters (two
passes), with ties on both sides (values rounded) and without; and the real 49-image data with
kendall-b (K = 60)."""
import subprocess

import numpy as np
import pytest

from permrsa_testing import REPO, real_data, run, write_config

S, L, T, K = 20, 4, 40, 300
P = S * (S - 1) // 2
METHODS = [("bit-parallel", {"PERMRSA_KENDALL_METHOD": "bit-parallel"}),
           ("portable", {"PERMRSA_KENDALL_METHOD": "bit-parallel",
                         "PERMRSA_KENDALL_POPCOUNT": "portable"})]


def h5diff(a, b):
    proc = subprocess.run(["h5diff", "-r", str(a), str(b)], capture_output=True, text=True)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip() != "0 differences found"]
    return proc.returncode, "\n".join(lines[:40]) + proc.stderr


def run_each_method(cfg, out, tmp_path, extra=()):
    """Runs cfg (output.file = out) with merge-sort, then each bit-parallel path; returns the
    failures of h5diff against the merge-sort file."""
    base = tmp_path / "merge-sort.h5"
    run(["run", cfg, "--quiet", *extra], env={"PERMRSA_KENDALL_METHOD": "merge-sort"})
    out.rename(base)
    failures = []
    for name, env in METHODS:
        run(["run", cfg, "--quiet", *extra], env=env)
        other = tmp_path / f"{name}.h5"
        out.rename(other)
        code, text = h5diff(base, other)
        if code != 0:
            failures.append(f"{name}: h5diff exit {code}\n{text}")
    return failures


@pytest.mark.parametrize("metric", ["kendall-b", "kendall-a"])
@pytest.mark.parametrize("ties", [True, False])
def test_bit_parallel_files_equal_merge_sort_files(tmp_path, metric, ties):
    rng = np.random.default_rng(2020)
    latent = rng.normal(size=P)
    models = 1.0 + np.outer([0.3, 0.9, 0.6, 0.1], latent) + 0.7 * rng.normal(size=(L, P))
    envelope = np.zeros(T)
    envelope[10:25] = np.hanning(17)[1:16]
    brain = 0.5 + 0.4 * latent[:, None] * envelope[None, :] + rng.normal(size=(P, T))
    if ties:
        models, brain = np.round(models, 1), np.round(brain, 1)
    np.save(tmp_path / "models.npy", models)
    np.save(tmp_path / "brain.npy", brain)
    (tmp_path / "layers.txt").write_text("".join(f"layer{l}\n" for l in range(L)))
    out = tmp_path / "results.h5"
    cfg = write_config(tmp_path / "kendall.toml", {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": -0.05,
                  "time_step": 0.01},
        "models": {"file": "models.npy", "kind": "dissimilarity", "names": "layers.txt"},
        "analysis": {"scheme": "stimulus", "metric": metric, "permutations": K, "seed": 5,
                     "tail": "greater"},
        "correction": {"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                       "cluster_statistic": "mass", "connectivity": "layer-time"},
        "output": {"file": str(out)},
    })
    failures = run_each_method(cfg, out, tmp_path)
    assert not failures, "\n\n".join(failures)


@real_data
def test_seed_data_kendall_b_files_are_identical(tmp_path):
    out = tmp_path / "results.h5"
    failures = run_each_method(REPO / "config" / "seed-eeg-vgg16.toml", out, tmp_path,
                               ["--set", "analysis.metric=kendall-b",
                                "--set", "analysis.permutations=60",
                                "--set", f"output.file={out}"])
    assert not failures, "\n\n".join(failures)
