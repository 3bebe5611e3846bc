"""Invariance (DESIGN.md invariant 1, issue 2 acceptance "bit-identical output for 1 vs 2 threads
and for two batch sizes"), for one process.

Where the expected values come from: there are none to compute. The reference is permrsa's own
output for the same config with --threads 1 --batch-size 64; every other run (2 threads, batch
size 1, an odd batch size 7) must give a file that `h5diff` reports identical (exit code 0, no
tolerance, attributes included). The synthetic problem (S=20, L=5, T=60, K=500, a planted effect
in layers 1-3 around t = 20..39 so that clusters exist) is large enough that permutation batches
and threads split the work; clusters use layer-time connectivity and the permutation-p threshold,
which takes two passes over the permutations. Every run uses the same config file and output
name (each result is moved away afterwards), so that the stored config text is the same too.
"""
import subprocess

import numpy as np
import pytest

from permrsa_testing import read_results, run, write_config

S, L, T, K = 20, 5, 60, 500
P = S * (S - 1) // 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("invariance")
    rng = np.random.default_rng(424242)
    # A latent dissimilarity structure shared by layers (more strongly by layers 1..3), and
    # a brain that follows it between t = 20 and t = 39.
    latent = rng.normal(size=P)
    models = np.empty((L, P))
    weights = [0.2, 0.8, 1.0, 0.8, 0.2]
    for l in range(L):
        models[l] = 1.0 + weights[l] * latent + 0.6 * rng.normal(size=P)
    envelope = np.zeros(T)
    envelope[20:40] = np.hanning(22)[1:21]
    brain = 0.5 + 0.35 * latent[:, None] * envelope[None, :] + rng.normal(size=(P, T))
    # some ties in the brain RDM for the rank metrics
    brain = np.round(brain, 2)
    np.save(root / "brain.npy", brain)
    np.save(root / "models.npy", models)
    (root / "layers.txt").write_text("".join(f"layer{l}\n" for l in range(L)))
    return root


def config(data_dir, metric, precision, out):
    path = data_dir / f"{metric}-{precision}.toml"
    write_config(path, {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": -0.1,
                  "time_step": 0.005},
        "models": {"file": "models.npy", "kind": "dissimilarity", "names": "layers.txt"},
        "analysis": {"scheme": "stimulus", "metric": metric, "permutations": K, "seed": 99,
                     "tail": "greater", "precision": precision},
        "correction": {"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                       "cluster_statistic": "mass", "connectivity": "layer-time",
                       "tfce": True, "tfce_step": 0.02},
        "output": {"file": str(out)},
    })
    return path


VARIANTS = [("threads2", ["--threads", "2", "--batch-size", "64"]),
            ("batch1", ["--threads", "2", "--batch-size", "1"]),
            ("batch7", ["--threads", "1", "--batch-size", "7"]),
            # A memory budget too small to keep pass 1's maps: pass 2 regenerates them.
            ("regenerate", ["--threads", "2", "--memory-per-rank", "0.001"])]


def run_to(cfg, out, target, args):
    """Runs the config (whose output.file is `out`) and moves the result to `target`, so that
    every run sees the same config text (the resolved config is stored in the file)."""
    if out.exists():
        out.unlink()
    run(["run", cfg, *args])
    out.rename(target)
    return target


@pytest.mark.parametrize("metric,precision", [("spearman", "float32"), ("spearman", "float64"),
                                              ("pearson", "float32"), ("pearson", "float64"),
                                              ("kendall-b", "float32")])
def test_bit_identical_across_threads_and_batches(tmp_path, data_dir, metric, precision):
    out = data_dir / f"{metric}-{precision}.h5"
    cfg = config(data_dir, metric, precision, out)
    base = run_to(cfg, out, tmp_path / "base.h5", ["--threads", "1", "--batch-size", "64"])
    res = read_results(base)
    # the problem must exercise the cluster code: at least one observed cluster
    assert res["/clusters/size"].shape[0] >= 1, "no observed cluster: the test problem is too weak"
    assert res["/null/max_statistic"].shape == (K + 1,)
    assert res["/tfce"].max() > 0 and res["/null/max_tfce"].shape == (K + 1,), "TFCE missing"
    failures = []
    for name, args in VARIANTS:
        other = run_to(cfg, out, tmp_path / f"{name}.h5", args)
        proc = subprocess.run(["h5diff", "-r", str(base), str(other)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stdout.splitlines() if ln.strip() != "0 differences found"]
            failures.append(f"{name} ({' '.join(args)}): h5diff exit {proc.returncode}\n"
                            + "\n".join(lines[:60]) + proc.stderr)
    assert not failures, "\n\n".join(failures)
