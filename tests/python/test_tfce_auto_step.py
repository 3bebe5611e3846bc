"""correction.tfce_step = "auto" (the default, issue 18): the TFCE height step is the largest
|statistic| of the observed map / 100, FSL's 100 height steps, whatever the statistic's units.

Where the expected values come from:
- the step: NumPy's max(|/observed|) / 100 of the written map (the definition);
- the maps: the same run with that number given explicitly as tfce_step, which the TFCE tests
  against MNE (test_signflip_mne.py, test_python_bindings.py) already cover; "auto" must give
  the same bits, also under mpirun with two data blocks (the maximum is reduced over ranks).
"""
import shutil

import h5py
import numpy as np
import pytest

from permrsa_testing import run, write_config

MPIRUN = shutil.which("mpirun")
N, L, T = 12, 4, 30


@pytest.fixture(scope="module")
def maps_study(tmp_path_factory):
    d = tmp_path_factory.mktemp("tfce_auto")
    rng = np.random.Generator(np.random.Philox(18))
    maps = 0.02 * rng.standard_normal((N, L, T))
    maps[:, 1:3, 10:20] += 0.03  # a planted effect: t values far above 1
    np.save(d / "maps.npy", maps)
    np.save(d / "times.npy", np.arange(T) / 100.0)
    return d


def config(d, name, step=None, scheme="sign-flip"):
    correction = {"cluster_threshold": "t-default", "connectivity": "layer-time", "tfce": True}
    if step is not None:
        correction["tfce_step"] = step
    return write_config(d / f"{name}.toml", {
        "brain": {"file": str(d / "maps.npy"), "layout": "subjects-layers-time",
                  "times": str(d / "times.npy")},
        "analysis": {"scheme": scheme, "permutations": 300, "seed": 5, "tail": "two-sided"},
        "correction": correction,
        "output": {"file": str(d / f"{name}.h5")}})


def read(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in ("observed", "tfce", "p_tfce", "null/max_tfce")}, \
            dict(f.attrs)


def test_auto_is_the_default_and_is_max_abs_observed_over_100(maps_study):
    d = maps_study
    run(["run", config(d, "auto"), "-q"])
    maps, attrs = read(d / "auto.h5")
    expected = np.max(np.abs(maps["observed"])) / 100
    assert maps["observed"].max() > 3  # t units: the old fixed 0.01 would take 300+ heights
    assert attrs["tfce_step"] == expected
    assert 'tfce_step = "auto"' in attrs["config"]


def test_auto_gives_the_bits_of_the_same_step_given_as_a_number(maps_study):
    d = maps_study
    run(["run", config(d, "auto2"), "-q"])
    _, attrs = read(d / "auto2.h5")
    run(["run", config(d, "explicit", step=float(attrs["tfce_step"])), "-q"])
    auto, _ = read(d / "auto2.h5")
    explicit, explicit_attrs = read(d / "explicit.h5")
    assert explicit_attrs["tfce_step"] == attrs["tfce_step"]
    for name in auto:
        np.testing.assert_array_equal(auto[name], explicit[name], err_msg=name)


def test_an_explicit_step_is_used_as_given(maps_study):
    d = maps_study
    run(["run", config(d, "fixed", step=0.25), "-q"])
    _, attrs = read(d / "fixed.h5")
    assert attrs["tfce_step"] == 0.25
    assert "tfce_step = 0.25" in attrs["config"]


def test_a_word_other_than_auto_is_refused_with_exit_2(maps_study):
    d = maps_study
    proc = run(["run", config(d, "bad", step="automatic"), "-q"], check=False)
    assert proc.returncode == 2
    assert 'correction.tfce_step: expected "auto" or a positive height step, found "automatic"' \
        in proc.stderr
    assert not (d / "bad.h5").exists()


@pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")
def test_two_ranks_with_two_data_blocks_agree_on_the_auto_step(maps_study):
    # Each rank sees half the time points: the step is the maximum over both blocks.
    d = maps_study
    run(["run", config(d, "serial"), "-q"])
    import subprocess
    from permrsa_testing import BIN
    proc = subprocess.run([MPIRUN, "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN, "run",
                           str(config(d, "mpi")), "--grid", "2x1", "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    serial, serial_attrs = read(d / "serial.h5")
    mpi, mpi_attrs = read(d / "mpi.h5")
    assert mpi_attrs["tfce_step"] == serial_attrs["tfce_step"]
    for name in serial:
        np.testing.assert_array_equal(serial[name], mpi[name], err_msg=name)
