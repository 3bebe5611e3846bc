"""/p_fdr, /p_bonferroni and /p_holm (issue 17): adjustments of /p_uncorrected over the whole
layer x time map, written by every run. Where the expected values come from:
mne.stats.fdr_correction(p, method="indep") (Benjamini-Hochberg) and
statsmodels.stats.multitest.multipletests(p, method="bonferroni" / "holm"), on the run's own
/p_uncorrected; equality is exact (the same operations in the same order)."""
import shutil
import subprocess

import mne
import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from permrsa_testing import BIN, read_results, run

MPIRUN = shutil.which("mpirun") or "/usr/bin/mpirun"


def adjusted_maps(tmp_path, extra):
    out = tmp_path / "out.h5"
    # The simulated data plant effects in some layers and time windows, so the map holds small
    # p-values, p = 1 and many ties (K = 49: p on a grid of 1/50).
    run(["simulate", "--out", tmp_path / "sim", "--stimuli", 10, "--layers", 3, "--times", 30,
         "-q"])
    run(["run", tmp_path / "sim" / "config.toml", "--set", "analysis.permutations=49",
         "--set", f"output.file={out}", *extra, "-q"])
    return read_results(out)


@pytest.mark.parametrize("extra", [[], ["--set", "analysis.tail=two-sided"]])
def test_adjusted_maps_equal_mne_and_statsmodels(tmp_path, extra):
    res = adjusted_maps(tmp_path, extra)
    p = res["/p_uncorrected"]
    assert len(np.unique(p)) < p.size  # ties are part of the check
    _, fdr = mne.stats.fdr_correction(p, method="indep")
    np.testing.assert_array_equal(res["/p_fdr"], fdr)
    flat = p.ravel()
    for method, name in (("bonferroni", "/p_bonferroni"), ("holm", "/p_holm")):
        want = multipletests(flat, method=method)[1].reshape(p.shape)
        np.testing.assert_array_equal(res[name], want, err_msg=method)
    assert res["/p_fdr"].shape == p.shape


def test_adjustments_do_not_depend_on_the_grid(tmp_path):
    # The adjustments are over the whole map: 2 ranks as 2 data blocks give the same bits as one
    # process (h5diff-identical files, so the maps too).
    res = adjusted_maps(tmp_path, [])
    out2 = tmp_path / "grid.h5"
    proc = subprocess.run([MPIRUN, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN, "run",
                           str(tmp_path / "sim" / "config.toml"), "--set",
                           "analysis.permutations=49", "--set", f"output.file={out2}",
                           "--grid", "2x1", "-q"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    other = read_results(out2)
    for name in ("/p_uncorrected", "/p_fdr", "/p_bonferroni", "/p_holm"):
        np.testing.assert_array_equal(res[name], other[name], err_msg=name)
