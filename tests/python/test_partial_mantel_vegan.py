"""The formula method with permute = "model" is R vegan's partial Mantel test (issue 17).
Where the expected values come from: vegan 2.6's mantel.partial(x, y, z, method, permutations),
run here through Rscript (Debian r-base-core, r-cran-vegan) on the same RDMs, with permrsa's own
permutations passed to vegan as a matrix (rows 1..K of analysis.permutation_file, 1-based).

- Its $statistic equals permrsa's /observed within 1e-12 (pearson, spearman, kendall = tau-b).
- Its $signif equals permrsa's /p_uncorrected exactly. vegan counts a permuted value within
  sqrt(.Machine$double.eps) below the observed one as reaching it; permrsa compares exactly. So
  a cell where some permuted value lies in that band may differ by those counts: the test
  reports every such cell and checks the difference is exactly them.
"""
import shutil
import subprocess

import numpy as np
import pytest

from permrsa_testing import SEED_DATA, read_results, real_data, run, write_config

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")

R_SCRIPT = r"""
suppressPackageStartupMessages(library(vegan))
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]; method <- args[2]; cells <- as.integer(args[3])
n <- as.integer(args[4])
todist <- function(v) structure(v, Size = n, Diag = FALSE, Upper = FALSE, class = "dist")
x <- as.matrix(read.table(file.path(dir, "x.txt")))   # L x P models (rows)
y <- as.matrix(read.table(file.path(dir, "y.txt")))   # T x P brain (rows)
z <- scan(file.path(dir, "z.txt"), quiet = TRUE)      # P covariate
perms <- as.matrix(read.table(file.path(dir, "perms.txt"))) + 1
cellsfile <- as.matrix(read.table(file.path(dir, "cells.txt")))  # (layer, time), 0-based
out <- NULL
eps <- sqrt(.Machine$double.eps)
for (i in seq_len(nrow(cellsfile))) {
  l <- cellsfile[i, 1] + 1; t <- cellsfile[i, 2] + 1
  m <- mantel.partial(todist(x[l, ]), todist(y[t, ]), todist(z), method = method,
                      permutations = perms)
  band <- sum(m$perm >= m$statistic - eps & m$perm < m$statistic)
  out <- rbind(out, c(m$statistic, m$signif, band))
}
write.table(format(out, digits = 17), file.path(dir, "vegan.txt"), row.names = FALSE,
            col.names = FALSE, quote = FALSE)
"""

R_METHOD = {"pearson": "pearson", "spearman": "spearman", "kendall-b": "kendall"}


def vegan(tmp_path, models, brain, covariate, perms, cells, metric):
    """(statistic, signif, near-tie count) per cell, from mantel.partial."""
    d = tmp_path / "r"
    d.mkdir(exist_ok=True)
    np.savetxt(d / "x.txt", models, fmt="%.17g")
    np.savetxt(d / "y.txt", brain.T, fmt="%.17g")
    np.savetxt(d / "z.txt", covariate, fmt="%.17g")
    np.savetxt(d / "perms.txt", perms, fmt="%d")
    np.savetxt(d / "cells.txt", np.asarray(cells), fmt="%d")
    (d / "script.R").write_text(R_SCRIPT)
    n = perms.shape[1]
    proc = subprocess.run(["Rscript", str(d / "script.R"), str(d), R_METHOD[metric],
                           str(len(cells)), str(n)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return np.loadtxt(d / "vegan.txt", ndmin=2)


def compare(res, out, cells, perms_count):
    """Statistic within 1e-12; p equal, except by vegan's near-tie counts (reported)."""
    reports = []
    for (l, t), (statistic, signif, band) in zip(cells, out):
        assert abs(res["/observed"][l, t] - statistic) <= 1e-12, (l, t)
        p = res["/p_uncorrected"][l, t]
        if band:
            reports.append(f"cell ({l}, {t}): {int(band)} permuted value(s) within "
                           f"sqrt(.Machine$double.eps) below the observed one")
            assert p == pytest.approx(signif - band / (perms_count + 1), abs=1e-15) or p == signif
        else:
            assert p == signif, (l, t, p, signif)
    if reports:
        print("vegan's tolerance band:\n" + "\n".join(reports))


@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b"])
def test_statistic_and_p_equal_vegan_on_simulated_rdms(tmp_path, metric):
    S, L, T, K = 10, 2, 3, 199
    P = S * (S - 1) // 2
    rng = np.random.default_rng(77)
    z = rng.normal(size=P)
    models = 0.6 * z + rng.normal(size=(L, P))
    models[1] = np.round(models[1], 1)  # ties, for the rank metrics
    brain = 0.5 * z[:, None] + 0.3 * models[0][:, None] + rng.normal(size=(P, T))
    perms = np.array([rng.permutation(S) for _ in range(K)])
    np.save(tmp_path / "models.npy", models)
    np.save(tmp_path / "brain.npy", brain)
    np.save(tmp_path / "cov.npy", z[None, :])
    np.save(tmp_path / "perms.npy", perms)
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": "brain.npy"}, "models": {"file": "models.npy"},
        "covariates": {"file": "cov.npy"},
        "analysis": {"metric": metric, "precision": "float64", "permutation_file": "perms.npy"},
        "output": {"file": str(tmp_path / "out.h5")}})
    run(["run", cfg, "-q"])
    res = read_results(tmp_path / "out.h5")
    cells = [(l, t) for l in range(L) for t in range(T)]
    compare(res, vegan(tmp_path, models, brain, z, perms, cells, metric), cells, K)


@real_data
@pytest.mark.parametrize("metric", ["pearson", "spearman", "kendall-b"])
def test_statistic_and_p_equal_vegan_on_the_study_data(tmp_path, metric):
    """vgg16_layer_corr.npy layers against brain_rdms.npy after the baseline correction (each
    pair minus its mean over -0.2 <= t < 0), block1_conv1 partialled out, at a few time points."""
    import scipy.io
    K = 99
    corr = np.load(SEED_DATA / "vgg16_layer_corr.npy")
    S = corr.shape[1]
    upper = np.triu_indices(S, k=1)
    rdms = np.array([1 - c[upper] for c in corr])
    names = (SEED_DATA / "vgg16_layers.txt").read_text().split()
    brain = np.load(SEED_DATA / "brain_rdms.npy")
    time = scipy.io.loadmat(SEED_DATA / "time_vector.mat")["time"].ravel()
    window = (time >= -0.2) & (time < 0)
    brain = brain - brain[:, window].mean(axis=1, keepdims=True)
    rng = np.random.default_rng(5)
    perms = np.array([rng.permutation(S) for _ in range(K)])
    np.save(tmp_path / "perms.npy", perms)
    cfg = write_config(tmp_path / "run.toml", {
        "brain": {"file": str(SEED_DATA / "brain_rdms.npy"),
                  "times": str(SEED_DATA / "time_vector.mat") + ":time", "baseline": [-0.2, 0.0]},
        "models": {"file": str(SEED_DATA / "vgg16_layer_corr.npy"), "kind": "similarity",
                   "names": str(SEED_DATA / "vgg16_layers.txt")},
        "covariates": {"layers": ["block1_conv1"]},
        "analysis": {"metric": metric, "precision": "float64", "permutation_file": "perms.npy"},
        "output": {"file": str(tmp_path / "out.h5")}})
    run(["run", cfg, "-q"])
    res = read_results(tmp_path / "out.h5")
    kept = [n for n in names if n != "block1_conv1"]
    assert [n.decode() for n in res["/axes/layer"]] == kept
    times = [60, 100, 140]  # before, around and after the peak of the study's maps
    cells = [(l, t) for l in (0, 8, 20) for t in times]
    models = np.array([rdms[names.index(kept[l])] for l in range(len(kept))])
    out = vegan(tmp_path, models, brain, rdms[names.index("block1_conv1")], perms, cells, metric)
    compare(res, out, cells, K)
