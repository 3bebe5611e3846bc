"""Checkpoints and shards without Slurm (issue 7, "Killed run" and "Bad shards").

Where the expected values come from: the reference is always one uninterrupted `permrsa run` of
the same config (DESIGN.md invariant 1: the output does not depend on being resumed from a
checkpoint or on how the permutations are split). Every comparison is `h5diff -r` with no
tolerance (attributes included), on files written under the same name. The data are
`permrsa simulate` synthetic data (S = 24, L = 6, T = 120) with the permutation-p cluster
threshold, whose two passes make the checkpoint hold both the per-cell top values and the
per-permutation cluster maxima.
"""
import pathlib
import signal
import subprocess

import pytest

from permrsa_testing import BIN, run
from shard_testing import MPIRUN, checkpoint_progress, h5diff, make_study, single_run, stop_half_way

EXIT_STOPPED = 75


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("study")
    config = make_study(folder)
    reference = single_run(config, folder / "results.h5", ["--threads", "1"])
    return folder, config, reference


def resume_after(study, tmp_path, sig, launcher=()):
    folder, config, reference = study
    out = folder / "results.h5"
    ckpt = tmp_path / "run.ckpt.h5"
    cmd = [*launcher, BIN, "run", config, "--set", f"output.file={out}", "--threads", "1",
           "--checkpoint", ckpt, "--checkpoint-every", "250"]
    code, seen, err = stop_half_way(cmd, ckpt, sig)
    assert 0.3 <= seen < 0.9, f"stopped at {seen:.2f} of the work, expected about half-way\n{err}"
    assert not out.exists(), "a stopped run must not leave a results file"
    assert ckpt.exists()
    if sig == signal.SIGUSR1:
        assert code == EXIT_STOPPED, err
        assert "saved the checkpoint" in err
    else:
        assert code != 0
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "resuming from" in proc.stderr or launcher, proc.stderr
    code, diff = h5diff(reference, out)
    out.unlink()
    assert code == 0, diff
    assert not ckpt.exists(), "the checkpoint is removed once the results are written"


def test_a_run_killed_half_way_resumes_from_its_checkpoint_to_the_identical_file(study, tmp_path):
    resume_after(study, tmp_path, signal.SIGKILL)


def test_sigusr1_saves_the_checkpoint_stops_with_75_and_the_rerun_is_identical(study, tmp_path):
    resume_after(study, tmp_path, signal.SIGUSR1)


def test_sigterm_also_saves_and_stops(study, tmp_path):
    folder, config, _ = study
    ckpt = tmp_path / "term.ckpt.h5"
    cmd = [BIN, "run", config, "--set", f"output.file={tmp_path / 'x.h5'}", "--threads", "1",
           "--checkpoint", ckpt, "--checkpoint-every", "250"]
    code, seen, err = stop_half_way(cmd, ckpt, signal.SIGTERM)
    assert code == EXIT_STOPPED, err
    assert checkpoint_progress(ckpt) >= seen


def test_under_mpirun_with_two_ranks_a_killed_run_resumes_to_the_single_process_file(study, tmp_path):
    # mpirun forwards SIGUSR1 to every rank; SIGKILL of mpirun ends the job. Both ranks agree on
    # the resume point: rank 0 wrote the checkpoint, every rank reads it.
    launcher = [MPIRUN, "-n", "2", "--oversubscribe", "--allow-run-as-root"]
    resume_after(study, tmp_path, signal.SIGKILL, launcher)
    resume_after(study, tmp_path, signal.SIGUSR1, launcher)


def test_a_checkpoint_resumes_on_another_number_of_ranks(study, tmp_path):
    # The checkpoint holds the state of the whole run (gathered to rank 0), not of a rank grid:
    # stopped under mpirun -n 2, it resumes in one process, and stopped in one process, under
    # mpirun -n 3, each to the single-process file.
    folder, config, reference = study
    out = folder / "results.h5"
    for first, second in ([MPIRUN, "-n", "2"], []), ([], [MPIRUN, "-n", "3"]):
        ckpt = tmp_path / f"grid{len(first)}.ckpt.h5"
        def command(launcher):
            extra = ["--oversubscribe", "--allow-run-as-root"] if launcher else []
            return [*launcher, *extra, BIN, "run", config, "--set", f"output.file={out}",
                    "--threads", "1", "--checkpoint", ckpt, "--checkpoint-every", "250"]
        code, seen, err = stop_half_way(command(first), ckpt, signal.SIGUSR1)
        assert code == EXIT_STOPPED and 0.3 <= seen < 0.9, err
        proc = subprocess.run([str(c) for c in command(second)], capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr
        code, diff = h5diff(reference, out)
        out.unlink()
        assert code == 0, diff
        assert not ckpt.exists()


def test_a_checkpoint_of_another_config_is_refused(study, tmp_path):
    folder, config, _ = study
    ckpt = tmp_path / "other.ckpt.h5"
    cmd = [BIN, "run", config, "--set", f"output.file={tmp_path / 'x.h5'}", "--threads", "1",
           "--checkpoint", ckpt, "--checkpoint-every", "250"]
    stop_half_way(cmd, ckpt, signal.SIGUSR1)
    proc = run([*cmd[1:], "--set", "analysis.seed=2"], check=False)
    assert proc.returncode == 2
    assert "refusing a file written for another analysis: seed" in proc.stderr
    assert str(ckpt) in proc.stderr
    assert not (tmp_path / "x.h5").exists()


# ---- shards and merge ------------------------------------------------------------------------

def shards(config, folder, ranges, extra=()):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for r in ranges:
        path = folder / f"part-{r.replace(':', '-').replace('/', '-of-')}.h5"
        run(["run", config, "--permutations", r, "--shard-out", path, "--quiet", *extra])
        paths.append(path)
    return paths


def test_shards_of_both_stages_merge_to_the_single_run_bit_for_bit(study, tmp_path):
    folder, config, reference = study
    first = shards(config, tmp_path / "s1", ["0:1000", "1000:3500", "3500:6001"])
    run(["merge", *first, "--out", tmp_path / "pass1.h5", "--quiet"])
    second = shards(config, tmp_path / "s2", ["0/3", "1/3", "2/3"], ["--pass1-from", tmp_path / "pass1.h5"])
    out = folder / "results.h5"
    run(["merge", tmp_path / "pass1.h5", *second, "--out", out, "--quiet"])
    code, diff = h5diff(reference, out)
    out.unlink()
    assert code == 0, diff


def expect_refused(args, out, *phrases):
    proc = run(["merge", *args, "--out", out], check=False)
    assert proc.returncode == 2, proc.stderr
    for phrase in phrases:
        assert phrase in proc.stderr, proc.stderr
    assert not pathlib.Path(out).exists()
    assert not list(pathlib.Path(out).parent.glob(pathlib.Path(out).name + ".tmp-*"))


@pytest.fixture(scope="module")
def pass1_shards(study, tmp_path_factory):
    _, config, _ = study
    folder = tmp_path_factory.mktemp("pass1")
    return config, folder, shards(config, folder, ["0:3000", "3000:6001"])


def test_merging_shards_of_two_seeds_fails_naming_both(pass1_shards, tmp_path):
    config, folder, (a, b) = pass1_shards
    (other,) = shards(config, tmp_path, ["3000:6001"], ["--set", "analysis.seed=2"])
    expect_refused([a, other], tmp_path / "out.h5", str(a), str(other), "seed 1 vs 2")


def test_merging_overlapping_ranges_fails_naming_the_shards_and_the_overlap(pass1_shards, tmp_path):
    config, folder, (a, b) = pass1_shards
    (overlap,) = shards(config, tmp_path, ["2500:6001"])
    expect_refused([a, overlap], tmp_path / "out.h5", str(a), str(overlap), "2500:3000")


def test_merging_with_a_gap_names_the_missing_range(pass1_shards, tmp_path):
    config, folder, (a, b) = pass1_shards
    expect_refused([a], tmp_path / "out.h5", "missing permutations 3000:6001", str(a))


def test_merging_a_truncated_shard_fails_naming_it(pass1_shards, tmp_path):
    config, folder, (a, b) = pass1_shards
    cut = tmp_path / "truncated.h5"
    data = b.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    expect_refused([a, cut], tmp_path / "out.h5", str(cut), "truncated")


def test_merging_a_shard_of_different_input_data_fails(pass1_shards, tmp_path):
    config, folder, (a, b) = pass1_shards
    other_config = make_study(tmp_path / "other", data_seed=8)
    (other,) = shards(other_config, tmp_path / "o", ["3000:6001"])
    expect_refused([a, other], tmp_path / "out.h5", str(a), str(other), "input files")
