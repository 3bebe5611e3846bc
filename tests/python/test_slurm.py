"""Slurm array jobs, merge and MPI jobs on a real local Slurm cluster (issue 7 acceptance).

The cluster: .ci/start-slurm (munged, slurmctld and slurmd on this machine, slurm.conf generated
from this host's name and cores). The tests start it themselves and skip, saying so, only when
not run as root.

Where the expected values come from: one uninterrupted single-process `permrsa run` of the same
config (DESIGN.md invariant 1: the output does not depend on how permutations are split across
array tasks, on a resubmitted task, or on the number of MPI ranks). Comparisons are `h5diff -r`
with no tolerance, attributes included, on files written under the same name.
"""
import os
import pathlib
import subprocess
import time

import pytest

from permrsa_testing import BIN, run
from shard_testing import checkpoint_progress, h5diff, make_study, single_run

REPO = pathlib.Path(__file__).resolve().parents[2]
JOBS = REPO / "jobs"

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="the local Slurm cluster (munged, slurmctld, slurmd) needs root")


@pytest.fixture(scope="module", autouse=True)
def cluster():
    proc = subprocess.run([str(REPO / ".ci" / "start-slurm")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"could not start the local Slurm cluster:\n{proc.stdout}\n{proc.stderr}"


def env():
    e = dict(os.environ)
    e["PERMRSA"] = str(pathlib.Path(BIN).resolve())
    return e


def sh(*cmd, check=True):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env(), timeout=120)
    if check:
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))}: {proc.stdout}\n{proc.stderr}"
    return proc


def job_state(job):
    """The state of a job or array task by sacct-free means: squeue while it is known, else
    scontrol; "" when Slurm forgot it."""
    out = sh("scontrol", "show", "job", job, check=False).stdout
    for word in out.split():
        if word.startswith("JobState="):
            return word.split("=", 1)[1]
    return ""


def wait_for(jobs, timeout=600):
    start = time.monotonic()
    pending = set(jobs)
    while pending and time.monotonic() - start < timeout:
        for job in list(pending):
            state = job_state(job)
            if state in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", ""):
                pending.discard(job)
        time.sleep(0.5)
    assert not pending, f"jobs {pending} did not finish in {timeout} s"


def array_tasks(array_id, tasks):
    return [f"{array_id}_{i}" for i in range(tasks)]


def test_a_four_task_two_stage_array_chain_gives_the_single_run_file(tmp_path):
    config = make_study(tmp_path, permutations=2000)
    reference = single_run(config, tmp_path / "results.h5")
    proc = sh(JOBS / "submit.sh", config, "--tasks", 4, "--workdir", tmp_path / "study",
              "--out", tmp_path / "results.h5")
    ids = dict(line.split(":")[0:2] for line in proc.stdout.splitlines() if ":" in line and line[0] != "l")
    assert "array (stage 2)" in ids and "threshold merge" in ids, proc.stdout  # the two-stage chain
    final = ids["merge"].split()[0]
    wait_for([final], timeout=900)
    assert job_state(final) in ("COMPLETED", ""), (tmp_path / "study" / "logs").glob("*")
    assert (tmp_path / "study" / "pass1.h5").exists()
    assert len(list((tmp_path / "study" / "shards2").glob("*.h5"))) == 4
    code, diff = h5diff(reference, tmp_path / "results.h5")
    assert code == 0, diff


def test_a_cancelled_task_resubmitted_alone_completes_the_merge_and_without_it_the_merge_fails(tmp_path):
    # Each task must still be running when scancel comes, after its first checkpoint (every 1000
    # permutations): S = 100, L = 8, T = 200, 25000 permutations take about 1.7 s on one core
    # of the development machine (2026-12-08), twice that with the four tasks sharing two cores.
    # At S = 40 a task took 0.4 s, too close to the time to see its checkpoint and cancel it.
    config = make_study(tmp_path, permutations=100000, threshold="statistic",
                        shape=["--stimuli", 100, "--layers", 8, "--times", 200])
    reference = single_run(config, tmp_path / "results.h5")
    workdir = tmp_path / "study"
    tasks = 4
    array = sh("sbatch", "--parsable", "--export=ALL", "--array=0-3", f"--output={tmp_path}/task-%a.log",
               JOBS / "array_task.sbatch", config, 1, workdir, tasks, "--checkpoint-every", 1000).stdout.strip()
    victim = f"{array}_2"
    ckpt = workdir / "checkpoints" / "stage1-part-2.h5"
    start = time.monotonic()
    while checkpoint_progress(ckpt) == 0.0 and time.monotonic() - start < 300:
        time.sleep(0.05)
    assert job_state(victim) == "RUNNING", job_state(victim)
    sh("scancel", victim)
    wait_for(array_tasks(array, tasks))
    assert job_state(victim) in ("CANCELLED", ""), job_state(victim)
    assert not (workdir / "shards1" / "part-2.h5").exists()
    shard_files = sorted((workdir / "shards1").glob("*.h5"))
    assert len(shard_files) == 3

    # Without task 2: exit 2, naming the missing range (part 2 of 4 of 0:40001), no output.
    proc = run(["merge", *shard_files, "--out", tmp_path / "results.h5"], check=False)
    assert proc.returncode == 2, proc.stderr
    assert "missing permutations 50000:75000" in proc.stderr, proc.stderr
    assert not (tmp_path / "results.h5").exists()

    again = sh("sbatch", "--parsable", "--export=ALL", "--array=2", f"--output={tmp_path}/task-again.log",
               JOBS / "array_task.sbatch", config, 1, workdir, tasks, "--checkpoint-every", 1000).stdout.strip()
    wait_for([f"{again}_2"])
    log = (tmp_path / "task-again.log").read_text()
    assert "resuming from" in log, log  # the cancelled task's checkpoint
    assert (workdir / "shards1" / "part-2.h5").exists(), log
    merge = sh("sbatch", "--parsable", "--export=ALL", f"--output={tmp_path}/merge.log",
               JOBS / "merge.sbatch", tmp_path / "results.h5", workdir / "shards1").stdout.strip()
    wait_for([merge])
    code, diff = h5diff(reference, tmp_path / "results.h5")
    assert code == 0, diff + (tmp_path / "merge.log").read_text()


@pytest.mark.parametrize("launcher", ["srun", "mpirun"])
def test_the_mpi_job_script_runs_two_ranks_under_slurm_and_gives_the_single_process_file(tmp_path, launcher):
    config = make_study(tmp_path, permutations=1000)
    reference = single_run(config, tmp_path / "results.h5")
    e = env()
    e["PERMRSA_LAUNCHER"] = launcher
    proc = subprocess.run(["sbatch", "--parsable", "--export=ALL", "--wait", f"--output={tmp_path}/mpi.log",
                           str(JOBS / "mpi.sbatch"), str(config), "--set", f"output.file={tmp_path / 'results.h5'}"],
                          capture_output=True, text=True, env=e, timeout=600)
    log = (tmp_path / "mpi.log").read_text() if (tmp_path / "mpi.log").exists() else ""
    assert proc.returncode == 0, proc.stderr + log
    assert "2 ranks" in log, log
    code, diff = h5diff(reference, tmp_path / "results.h5")
    assert code == 0, diff
