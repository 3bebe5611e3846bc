"""`permrsa run --profile` (issue 20): the phase table on stderr, and the same results file as a
run without it. Expected values: the phase names the README lists, and the file of the plain run
(h5py arrays, compared exactly)."""
import h5py
import numpy as np

from permrsa_testing import run


def test_profile_prints_every_phase_and_changes_no_result(tmp_path):
    base = ["run", "--set", "analysis.permutations=300", "--set",
            "correction.cluster_threshold=\"permutation-p\""]
    plain = run(base + ["--set", f"output.file=\"{tmp_path / 'plain.h5'}\"", "-q"])
    profiled = run(base + ["--set", f"output.file=\"{tmp_path / 'profiled.h5'}\"", "-q",
                           "--profile"])
    assert "--profile" not in plain.stderr
    table = profiled.stderr
    for phase in ("load, check and prepare inputs", "null maps set-up (kernels, per-subject maps)",
                  "observed map", "top-value buffers and map cache set up",
                  "pass 1: kernel and tail orientation",
                  "pass 1: exceedance counts, top values and maxima", "permutation-p thresholds",
                  "pass 2: clusters of the cached maps' passing cells", "summaries and results file",
                  "total"):
        assert phase in table, phase
    total = float([line for line in table.splitlines() if line.startswith("total")][0].split()[1])
    assert total > 0
    with h5py.File(tmp_path / "plain.h5", "r") as a, h5py.File(tmp_path / "profiled.h5", "r") as b:
        for name in ("observed", "p_uncorrected", "p_maxstat", "p_cluster", "null/max_cluster"):
            np.testing.assert_array_equal(a[name][()], b[name][()], err_msg=name)
