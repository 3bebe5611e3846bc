"""Every result of a fixed set of runs equals its golden fingerprint bit for bit (issue 16: the
redesign changes no result). Where the expected values come from: tests/data/golden/*.json,
written by make_golden.py with the binary of the commit before the redesign (see
golden_outputs.py for the cases and what is hashed). Names a later feature adds are not in the
golden files and are not compared; a name missing from the output is a failure."""
import pytest

import golden_outputs as g
from permrsa_testing import real_data


@pytest.mark.parametrize("case", [pytest.param("seed", marks=real_data)] +
                         [c for c in g.CASES if c != "seed"])
def test_results_equal_the_golden_fingerprint(tmp_path, case):
    expected = g.golden(case)
    got = g.fingerprint(g.run_case(case, tmp_path))
    missing = sorted(set(expected) - set(got))
    assert not missing, f"{case}: missing {missing}"
    changed = sorted(name for name in expected if got[name] != expected[name])
    assert not changed, f"{case}: changed {changed}"
