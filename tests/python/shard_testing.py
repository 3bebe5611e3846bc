"""Helpers for the shard, checkpoint and Slurm tests: synthetic data big enough to stop a run
half-way, configs, a single-run reference, h5diff, and reading a checkpoint's progress."""
import os
import pathlib
import shutil
import signal
import subprocess
import time

import h5py

from permrsa_testing import mpirun_path, run

# "" (never a file) when mpirun is missing or the binary has no MPI: the mpirun cases skip.
MPIRUN = mpirun_path() or ""
H5DIFF = shutil.which("h5diff") or "/usr/bin/h5diff"


def make_study(folder, permutations=6000, threshold="permutation-p", seed=1, data_seed=7, shape=()):
    """`permrsa simulate` data (S = 24, L = 6, T = 120) and a config for it, in `folder`.
    K = 6000 with the permutation-p threshold takes about 0.4 s single-threaded (2026-12-08),
    with a checkpoint every 250 permutations about 50 of them: stop_half_way steps the run so
    that a stop lands half-way however fast it is."""
    folder = pathlib.Path(folder)
    run(["simulate", "--out", folder / "data", "--seed", data_seed, "--quiet", *shape])
    config = folder / "data" / "config.toml"
    text = config.read_text()
    text = text.replace("permutations = 1000", f"permutations = {permutations}")
    text = text.replace("seed = 1", f"seed = {seed}")
    text = text.replace('cluster_threshold = "permutation-p"', f'cluster_threshold = "{threshold}"')
    if threshold == "statistic":
        text = text.replace("cluster_alpha = 0.05", "cluster_alpha = 0.05\ncluster_value = 0.1")
    config.write_text(text)
    return config


def single_run(config, out, extra=()):
    """The reference: one uninterrupted `permrsa run`, written as `out`, then moved to
    `out`.single (so that the file compared with it can be written under the same name: the
    results file stores output.file in its config attribute)."""
    out = pathlib.Path(out)
    run(["run", config, "--set", f"output.file={out}", "--quiet", *extra])
    reference = out.with_suffix(".single.h5")
    out.rename(reference)
    return reference


def h5diff(a, b):
    """h5diff with no tolerance, attributes included; returns (exit code, output)."""
    proc = subprocess.run([H5DIFF, "-r", str(a), str(b)], capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def checkpoint_progress(path):
    """Fraction of the work a checkpoint holds (both passes of the permutation-p threshold
    count), or 0.0 when it does not exist yet."""
    try:
        with h5py.File(path, "r") as f:
            k = int(f.attrs["permutations"]) + 1
            done = sum(int(b - a) for a, b in f["/pass1"][()]) + sum(int(b - a) for a, b in f["/pass2"][()])
            return done / (k * (2 if int(f.attrs["two_pass"]) else 1))
    except (OSError, KeyError):
        return 0.0


def _session_members(session):
    """The processes of a session (the command, and under mpirun its ranks)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == session:
                    members.append(int(entry))
            except OSError:  # ended meanwhile
                pass
    return members


def _signal_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _wait_stopped(pids, limit=1.0):
    """Waits (at most `limit` s) until every process in pids is stopped or gone."""
    end = time.monotonic() + limit
    for pid in pids:
        while time.monotonic() < end:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    state = stat.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                break
            if state in ("T", "t", "Z", "X"):
                break
            time.sleep(0.0005)


def stop_half_way(cmd, checkpoint, sig, fraction=0.45, timeout=300, step=0.01):
    """Starts cmd, waits until its checkpoint holds `fraction` of the work, sends `sig` to the
    process; returns (exit code, fraction saved when the signal was sent).

    The run goes on only `step` seconds at a time: its whole session (mpirun and the ranks too)
    is frozen with SIGSTOP while the checkpoint is read, then continued. A free-running poll
    missed the window on a busy machine: pass 2 replays cached maps, so the second half of the
    work can take less than a tenth of a second, less than one poll when two ranks keep both
    cores busy (CI, 2026-12-08: a stop meant for 0.45 landed at 0.98)."""
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    start = time.monotonic()
    seen = 0.0
    while proc.poll() is None and time.monotonic() - start < timeout:
        members = _session_members(proc.pid)
        _signal_all(members, signal.SIGSTOP)
        _wait_stopped(members)
        seen = checkpoint_progress(checkpoint)
        if seen >= fraction:
            proc.send_signal(sig)
            _signal_all(members, signal.SIGCONT)
            break
        _signal_all(members, signal.SIGCONT)
        time.sleep(step)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, seen, err
