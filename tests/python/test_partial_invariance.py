"""Partial maps keep DESIGN.md invariant 1 (issue 17): with [covariates], threads, batch sizes,
MPI grids (mpirun -n 2 and 3: data blocks and permutation groups) and a 2-shard merge give files
that h5diff reports identical (no tolerance, attributes included).
Where the expected values come from: there are none to compute; the reference is permrsa's own
single-process output (--threads 1 --batch-size 64) for the same config.
Data: S = 14 stimuli, 4 layers (layer_0 is also a covariate, so 3 are tested), T = 24, a
covariate file of q = 1 RDM that the models and the brain share, and a planted effect of layer_2
at t = 8..15 so that clusters exist."""
import pathlib
import shutil
import subprocess

import numpy as np
import pytest

from permrsa_testing import BIN, read_results, run, write_config

MPIRUN = shutil.which("mpirun") or "/usr/bin/mpirun"
S, L, T, K = 14, 4, 24, 300
P = S * (S - 1) // 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("partial_invariance")
    rng = np.random.default_rng(1717)
    z = rng.normal(size=P)
    models = 0.5 * z + rng.normal(size=(L, P))
    envelope = np.zeros(T)
    envelope[8:16] = 1.0
    brain = (0.4 * z[:, None] + 0.6 * models[2][:, None] * envelope[None, :]
             + rng.normal(size=(P, T)))
    np.save(root / "models.npy", models)
    np.save(root / "brain.npy", np.round(brain, 2))
    np.save(root / "cov.npy", z[None, :])
    return root


def config(root, method, metric, out, permute):
    return write_config(root / f"{method}-{metric}-{permute}.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy"},
        "covariates": {"file": "cov.npy", "layers": ["layer_0"], "method": method,
                       "permute": permute},
        "analysis": {"metric": metric, "permutations": K, "seed": 9},
        "correction": {"cluster_threshold": "statistic", "cluster_value": 0.1,
                       "connectivity": "layer-time", "tfce": True},
        "output": {"file": str(out)}})


def h5diff(a, b):
    proc = subprocess.run(["h5diff", "-r", str(a), str(b)], capture_output=True, text=True)
    return proc.returncode, proc.stdout[-3000:] + proc.stderr


def moved(out, target):
    pathlib.Path(out).rename(target)
    return target


@pytest.mark.parametrize("method,metric,permute", [
    ("formula", "spearman", "model"), ("residual", "kendall-b", "model"),
    ("formula", "pearson", "model"), ("formula", "spearman", "freedman-lane")])
def test_partial_maps_are_bit_identical_across_layouts(tmp_path, data_dir, method, metric,
                                                       permute):
    out = data_dir / f"{method}-{metric}-{permute}.h5"
    cfg = config(data_dir, method, metric, out, permute)
    run(["run", cfg, "--threads", "1", "--batch-size", "64", "-q"])
    base = moved(out, tmp_path / "base.h5")
    res = read_results(base)
    assert res["/observed"].shape == (L - 1, T) and res["attrs"]["covariates"] == "covariate_0,layer_0"
    assert res["/clusters/size"].shape[0] >= 1, "no observed cluster: the test problem is too weak"
    failures = []

    def check(name, produced):
        code, text = h5diff(base, produced)
        if code != 0:
            failures.append(f"{name}: h5diff exit {code}\n{text}")

    for name, args in [("threads2-batch1", ["--threads", "2", "--batch-size", "1"]),
                       ("batch7", ["--threads", "2", "--batch-size", "7"])]:
        run(["run", cfg, *args, "-q"])
        check(name, moved(out, tmp_path / f"{name}.h5"))
    for n, grid in [(2, "2x1"), (2, "1x2"), (3, "3x1"), (3, "1x3")]:
        proc = subprocess.run([MPIRUN, "-n", str(n), "--oversubscribe", "--allow-run-as-root", BIN,
                               "run", str(cfg), "--grid", grid, "--threads", "1", "-q"],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        check(f"mpirun -n {n} --grid {grid}", moved(out, tmp_path / f"mpi{n}-{grid}.h5"))
    shards = []
    for i, (a, b) in enumerate([(0, 130), (130, K + 1)]):
        shard = tmp_path / f"shard{i}.h5"
        run(["run", cfg, "--permutations", f"{a}:{b}", "--shard-out", shard, "-q"])
        shards.append(shard)
    run(["merge", *shards, "--out", out, "-q"])
    check("2-shard merge", moved(out, tmp_path / "merged.h5"))
    assert not failures, "\n\n".join(failures)
