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

The sign-flip scheme (issue 4: "bit-identical across ranks, threads and batch sizes") is held to
the same, with the same variants. Data: per-subject brain RDMs (N = 14 subjects, one N x P x T
file, brain.layout = "subjects-pairs-time") that follow layer 2's model RDM with a weight that
varies over subjects, positively at t = 20..39 and negatively at t = 45..54 (two-sided maps have
clusters of both signs; layers 1 and 3 share most of layer 2's structure, so clusters span
layers). Cases, all with layer-time clusters and TFCE:
  - two-sided t, MNE's t-default threshold, K = 500 < 2^14 - 1 (Philox sign patterns);
  - tail greater, t, permutation-p threshold (two passes; the "regenerate" variant redraws them);
  - two-sided t, t-default, the first 9 subjects with K = 1000 >= 2^9 - 1 (all 512 patterns
    enumerated, K becomes 511);
  - two-sided mean statistic with a fixed threshold, pearson, float64, fisher_z.
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


N_SUBJECTS = 14


@pytest.fixture(scope="module")
def subjects_dir(data_dir):
    """Adds per-subject brain RDMs (N, P, T) to data_dir: subjects.npy, and subjects9.npy with
    the first 9 subjects."""
    rng = np.random.default_rng(515151)
    models = np.load(data_dir / "models.npy")
    pattern = (models[2] - models[2].mean()) / models[2].std()
    envelope = np.zeros(T)
    envelope[20:40] = np.hanning(22)[1:21]
    envelope[45:55] = -0.7 * np.hanning(12)[1:11]
    weights = rng.normal(0.3, 0.25, size=N_SUBJECTS)
    brain = (0.5 + 0.8 * weights[:, None, None] * pattern[None, :, None] * envelope[None, None, :]
             + rng.normal(size=(N_SUBJECTS, P, T)))
    brain = np.round(brain, 2)  # ties for the rank metrics
    np.save(data_dir / "subjects.npy", brain)
    np.save(data_dir / "subjects9.npy", brain[:9])
    return data_dir


SIGNFLIP_CASES = {
    "t-default": dict(file="subjects.npy", metric="spearman", precision="float32",
                      tail="two-sided", statistic="t", threshold="t-default", K=K),
    "permutation-p": dict(file="subjects.npy", metric="spearman", precision="float32",
                          tail="greater", statistic="t", threshold="permutation-p", K=K),
    "exhaustive": dict(file="subjects9.npy", metric="pearson", precision="float32",
                       tail="two-sided", statistic="t", threshold="t-default", K=1000),
    "mean-fisher": dict(file="subjects.npy", metric="pearson", precision="float64",
                        tail="two-sided", statistic="mean", threshold="statistic", K=K,
                        fisher_z=True, value=0.05),
}


def signflip_config(data_dir, name, out):
    case = SIGNFLIP_CASES[name]
    path = data_dir / f"signflip-{name}.toml"
    write_config(path, {
        "brain": {"file": case["file"], "layout": "subjects-pairs-time", "time_start": -0.1,
                  "time_step": 0.005},
        "models": {"file": "models.npy", "kind": "dissimilarity", "names": "layers.txt"},
        "analysis": {"scheme": "sign-flip", "metric": case["metric"], "permutations": case["K"],
                     "seed": 77, "tail": case["tail"], "precision": case["precision"],
                     "group_statistic": case["statistic"],
                     "fisher_z": case.get("fisher_z", False)},
        "correction": {"cluster_threshold": case["threshold"], "cluster_alpha": 0.05,
                       "cluster_value": case.get("value", 0.1), "cluster_statistic": "mass",
                       "connectivity": "layer-time", "tfce": True,
                       "tfce_step": 0.2 if case["statistic"] == "t" else 0.005},
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


def h5diff_failures(base, runs):
    failures = []
    for name, args, other in runs:
        proc = subprocess.run(["h5diff", "-r", str(base), str(other)], capture_output=True,
                              text=True)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stdout.splitlines() if ln.strip() != "0 differences found"]
            failures.append(f"{name} ({' '.join(args)}): h5diff exit {proc.returncode}\n"
                            + "\n".join(lines[:60]) + proc.stderr)
    return failures


@pytest.mark.parametrize("case", list(SIGNFLIP_CASES))
def test_signflip_bit_identical_across_threads_and_batches(tmp_path, subjects_dir, case):
    out = subjects_dir / f"signflip-{case}.h5"
    cfg = signflip_config(subjects_dir, case, out)
    base = run_to(cfg, out, tmp_path / "base.h5", ["--threads", "1", "--batch-size", "64"])
    res = read_results(base)
    assert res["attrs"]["scheme"] == "sign-flip"
    n_subjects = 9 if case == "exhaustive" else N_SUBJECTS
    assert res["attrs"]["subjects"] == n_subjects
    k = 2 ** 9 - 1 if case == "exhaustive" else K
    assert res["attrs"]["permutations"] == k and res["/null/max_statistic"].shape == (k + 1,)
    # the problem must exercise the cluster code (both signs when two-sided) and TFCE
    signs = set(res["/clusters/sign"].tolist())
    assert signs == ({-1, 1} if SIGNFLIP_CASES[case]["tail"] == "two-sided" else {1}), (
        f"observed cluster signs {signs}: the test problem is too weak")
    assert any(first < last for first, last in zip(res["/clusters/layer_first"],
                                                   res["/clusters/layer_last"])), (
        "no cluster spans layers")
    assert res["/tfce"].max() > 0 and res["/null/max_tfce"].shape == (k + 1,), "TFCE missing"
    runs = [(name, args, run_to(cfg, out, tmp_path / f"{name}.h5", args))
            for name, args in VARIANTS]
    failures = h5diff_failures(base, runs)
    assert not failures, "\n\n".join(failures)
