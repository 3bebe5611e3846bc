"""Issue 18, item 10: the threshold log in the tail's own form, bootstrap.samples = 0 switching
the bootstrap off (also from --set), and compare_layers errors that list every valid name.

Where the expected values come from: the t thresholds are scipy.stats.t.ppf (0.95 one-sided,
0.975 two-sided, N - 1 = 19 degrees of freedom), printed with 6 significant digits as the log
does; the layer names are the ones this test writes.
"""
import h5py
import numpy as np
import pytest
from scipy import stats

from permrsa_testing import run, write_config

N, L, T = 20, 3, 16
LAYERS = ["conv1_1", "conv3_1", "fc7"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    d = tmp_path_factory.mktemp("small_items")
    rng = np.random.Generator(np.random.Philox(10))
    S = 8
    P = S * (S - 1) // 2
    np.save(d / "subjects.npy", rng.random((N, P, T)))
    np.save(d / "models.npy", rng.random((L, P)))
    (d / "layers.txt").write_text("\n".join(LAYERS) + "\n")
    return d


def config(d, name, tail="greater", bootstrap=None):
    sections = {
        "brain": {"file": str(d / "subjects.npy"), "layout": "subjects-pairs-time"},
        "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
        "analysis": {"scheme": "sign-flip", "permutations": 50, "tail": tail},
        "correction": {"cluster_threshold": "t-default"},
        "output": {"file": str(d / f"{name}.h5")}}
    if bootstrap is not None:
        sections["bootstrap"] = bootstrap
    return write_config(d / f"{name}.toml", sections)


@pytest.mark.parametrize("tail,text", [
    ("greater", f"t > {stats.t.ppf(0.95, N - 1):.6g}"),
    ("less", f"t < {-stats.t.ppf(0.95, N - 1):.6g}"),
    ("two-sided", f"|t| > {stats.t.ppf(0.975, N - 1):.6g}"),
])
def test_the_threshold_log_has_the_tails_own_form(study, tail, text):
    proc = run(["run", config(study, f"tail_{tail}", tail=tail)])
    assert f"cluster-forming threshold t-default: {text} (Student t, {N - 1} dof)" in proc.stderr
    if tail != "two-sided":
        assert "|t|" not in proc.stderr


def test_bootstrap_samples_zero_switches_the_section_off_also_from_set(study):
    cfg = config(study, "boot", bootstrap={"samples": 20})
    run(["run", cfg, "-q"])
    with h5py.File(study / "boot.h5", "r") as f:
        assert "bootstrap" in f
    run(["run", cfg, "-q", "--set", "bootstrap.samples=0", "--set",
         f"output.file={study / 'boot_off.h5'}"])
    with h5py.File(study / "boot_off.h5", "r") as f:
        assert "bootstrap" not in f
        assert "[bootstrap]" not in f.attrs["config"]


def test_negative_bootstrap_samples_are_refused(study):
    proc = run(["run", config(study, "neg", bootstrap={"samples": -1})], check=False)
    assert proc.returncode == 2
    assert "bootstrap.samples: expected B >= 1 bootstrap samples, or 0 to switch the bootstrap " \
           "off, found -1" in proc.stderr
    assert not (study / "neg.h5").exists()


def test_an_unknown_compared_layer_lists_every_layer(study):
    proc = run(["run", config(study, "cmp", bootstrap={"samples": 10,
                                                       "compare_layers": ["conv1_1", "fc6"]})],
               check=False)
    assert proc.returncode == 2
    assert 'bootstrap.compare_layers: expected a layer name, found "fc6"; the layers ' \
           '(models.names) are: conv1_1, conv3_1, fc7' in proc.stderr
