"""Distributed runs on the real data, and failure behaviour under mpirun (issue 3 acceptance
"Real data" and "Error handling"; DESIGN.md invariants 1-3). Registered with ctest as
mpi_real_data (PROCESSORS 3).

Where the expected values come from:
- Real data: the 49-image EEG x VGG16 data set in $PERMRSA_SEED_DATA, run with the repository's
  config/seed-eeg-vgg16.toml and --set analysis.permutations=200. The reference is the same
  config run by one process without mpirun; `mpirun -n 2` and `-n 3`, each with the default grid
  and with an explicit data-block grid (--grid 2x1, --grid 3x1), must give files that
  `h5diff -r` reports identical (no tolerance, attributes included; the same output name in every
  run, so the stored config text is the same).
- Bad input: a small valid synthetic data set (S=10, L=3, T=24) that runs cleanly under
  mpirun -n 3, then (a) its brain .npy with one NaN, (b) its config with an unknown key, and
  (c) --grid 2x2 under 3 ranks. Each must exit with code 2 within 30 s, print exactly one line
  holding "permrsa: error" on stderr (one message, not one per rank) that names the offending
  thing (the brain file, the unknown key, --grid), and leave no output file (neither the output
  name nor a temporary file beside it). The contract is tests/python/README.md ("2 for
  usage/config/input errors (one-line message on stderr ...)", "a failed run leaves no output
  file") and issue 3 ("A bad input detected on any rank makes all ranks exit within seconds with
  exit code 2 and one clear message, printed once").
"""
import pathlib
import subprocess
import time

import numpy as np
import pytest

from mpi_test_grids import MPIRUN, h5diff, mpirun
from permrsa_testing import SEED_DATA, real_data, run, write_config

REPO = pathlib.Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "seed-eeg-vgg16.toml"

needs_mpirun = pytest.mark.skipif(MPIRUN is None, reason="mpirun is not installed")
needs_data = real_data


# ---------------------------------------------------------------------------------------------
# real data

@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """(work folder, common arguments, serial result): the config's output goes to
    work/results.h5 in every run."""
    work = tmp_path_factory.mktemp("mpi_real")
    out = work / "results.h5"
    common = ["run", CONFIG, "--set", "analysis.permutations=200",
              "--set", f'output.file="{out}"', "--quiet"]
    env = {"PERMRSA_SEED_DATA": str(SEED_DATA)}
    run([*common, "--threads", "2"], env=env, timeout=600)
    serial = work / "serial.h5"
    out.rename(serial)
    return work, common, env, serial


@needs_mpirun
@needs_data
@pytest.mark.parametrize("n,grid", [(2, []), (2, ["--grid", "2x1"]),
                                    (3, []), (3, ["--grid", "3x1"])],
                         ids=["n2-default", "n2-2x1", "n3-default", "n3-3x1"])
def test_real_data_mpirun_equals_serial(real, n, grid):
    work, common, env, serial = real
    out = work / "results.h5"
    if out.exists():
        out.unlink()
    proc = mpirun(n, [*common, *grid, "--threads", "1"], timeout=900,
                  env={"PERMRSA_SEED_DATA": env["PERMRSA_SEED_DATA"]})
    assert proc.returncode == 0, (f"mpirun -n {n} {' '.join(grid)} exited {proc.returncode}\n"
                                  f"{proc.stderr[-3000:]}")
    target = work / f"n{n}{'-' + grid[1] if grid else '-default'}.h5"
    out.rename(target)
    code, diff = h5diff(serial, target)
    assert code == 0, f"mpirun -n {n} {' '.join(grid)}: h5diff -r exit {code}\n{diff}"


# ---------------------------------------------------------------------------------------------
# bad input under mpirun -n 3

S, L, T, K = 10, 3, 24, 40
P = S * (S - 1) // 2


def small_case(root):
    rng = np.random.default_rng(20240612)
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "brain.npy", rng.normal(0.5, 0.1, size=(P, T)))
    np.save(root / "models.npy", rng.uniform(0.1, 1.0, size=(L, P)))
    out = root / "out" / "results.h5"
    out.parent.mkdir(exist_ok=True)
    cfg = write_config(root / "config.toml", {
        "brain": {"file": "brain.npy", "layout": "pairs-time", "time_start": 0.0,
                  "time_step": 0.01},
        "models": {"file": "models.npy", "kind": "dissimilarity"},
        "analysis": {"scheme": "stimulus", "metric": "spearman", "permutations": K, "seed": 5},
        "correction": {"cluster_threshold": "permutation-p", "connectivity": "layer-time"},
        "output": {"file": str(out)},
    })
    return cfg, out


def run_failing(cfg, out, extra=()):
    t0 = time.monotonic()
    try:
        proc = mpirun(3, ["run", cfg, *extra, "--threads", "1"], timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"mpirun -n 3 permrsa run {' '.join(map(str, extra))} did not exit within "
                    "60 s (deadlock?)")
    seconds = time.monotonic() - t0
    leftovers = sorted(p.name for p in out.parent.iterdir())
    return proc, seconds, leftovers


def check_failure(proc, seconds, leftovers, tokens):
    errors = [ln for ln in proc.stderr.splitlines() if "permrsa: error" in ln]
    problems = []
    if proc.returncode != 2:
        problems.append(f"exit code {proc.returncode}, expected 2")
    if seconds > 30:
        problems.append(f"took {seconds:.1f} s, expected <= 30 s")
    if len(errors) != 1:
        problems.append(f"{len(errors)} lines hold 'permrsa: error', expected exactly 1")
    elif not all(tok in errors[0] for tok in tokens):
        problems.append(f"the message does not name {tokens}: {errors[0]}")
    if leftovers:
        problems.append(f"files left in the output folder: {leftovers}")
    assert not problems, "\n".join(problems) + f"\nstderr:\n{proc.stderr[-3000:]}"


@needs_mpirun
def test_small_case_runs_cleanly_under_mpirun(tmp_path):
    """The unchanged data set (the base of the bad-input cases) runs under mpirun -n 3."""
    cfg, out = small_case(tmp_path)
    proc = mpirun(3, ["run", cfg, "--threads", "1", "--quiet"], timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name]


@needs_mpirun
@pytest.mark.parametrize("grid", [[], ["--grid", "3x1"]], ids=["default", "3x1"])
def test_nan_in_brain_exits_2_once(tmp_path, grid):
    """The NaN sits in the last time block: with --grid 3x1 only the last rank's block holds it."""
    cfg, out = small_case(tmp_path)
    brain = np.load(tmp_path / "brain.npy")
    brain[P // 2, T - 3] = np.nan
    np.save(tmp_path / "brain.npy", brain)
    check_failure(*run_failing(cfg, out, grid), tokens=["brain.npy"])


@needs_mpirun
def test_unknown_config_key_exits_2_once(tmp_path):
    cfg, out = small_case(tmp_path)
    cfg.write_text(cfg.read_text().replace("[analysis]\n", "[analysis]\npermutatoins = 100\n", 1))
    check_failure(*run_failing(cfg, out), tokens=["permutatoins"])


@needs_mpirun
def test_grid_mismatching_ranks_exits_2_once(tmp_path):
    cfg, out = small_case(tmp_path)
    check_failure(*run_failing(cfg, out, ["--grid", "2x2"]), tokens=["--grid"])
