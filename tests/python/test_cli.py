"""Command line: help texts, simulate -> run, the embedded demo, info, --set and --progress.

Where the expected values come from: the CLI contract in tests/python/README.md and issue 2
("What a user can do when this is done"): the options each subcommand must document, exit codes
(0 ok, 2 usage/input errors), `permrsa run` without a config running the embedded synthetic demo
(which must be the data `permrsa simulate` writes with its default seed, so both give the same
datasets), and the planted effects that `permrsa simulate` itself describes (DIR/README.txt,
e.g. "layer1's RDM around t = 0.1 s (sd 0.025 s)"): each planted (layer, peak time) cell must lie
in a significant observed cluster (p <= 0.05), and every significant cluster must lie within a
planted time window (peak +- 4 sd). No statistic is recomputed here.
"""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from permrsa_testing import BIN, read_results, run

RUN_OPTIONS = ["--set", "--threads", "--batch-size", "--progress", "--quiet"]
SUBCOMMANDS = ["run", "simulate", "info"]


def run_in(cwd, args, timeout=600):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """`permrsa simulate --out d` (default seed) and `permrsa run d/config.toml`."""
    root = tmp_path_factory.mktemp("sim")
    d = root / "d"
    sim = run(["simulate", "--out", d])
    for name in ["brain.npy", "models.npy", "layers.txt", "times.npy", "config.toml"]:
        assert (d / name).is_file(), f"simulate did not write {name}: {sorted(os.listdir(d))}"
    out = root / "sim_results.h5"
    run(["run", d / "config.toml", "--set", f"output.file={out}"])
    return {"dir": d, "stdout": sim.stdout, "results": out}


# ---------------------------------------------------------------- help

def test_top_level_help():
    proc = run(["--help"])
    text = proc.stdout + proc.stderr
    for word in SUBCOMMANDS + ["--help"]:
        assert word in text, f"`permrsa --help` does not mention {word}:\n{text}"


def test_run_help_documents_every_option():
    proc = run(["run", "--help"])
    text = proc.stdout + proc.stderr
    missing = [option for option in RUN_OPTIONS + ["--help"] if option not in text]
    assert not missing, f"`permrsa run --help` does not document {missing}:\n{text}"
    assert re.search(r"config", text, re.IGNORECASE)


def test_simulate_and_info_help():
    proc = run(["simulate", "--help"])
    text = proc.stdout + proc.stderr
    for option in ["--out", "--seed"]:
        assert option in text, f"`permrsa simulate --help` does not document {option}:\n{text}"
    run(["info", "--help"])


# ---------------------------------------------------------------- simulate -> run

def planted_description(simulated):
    """What `permrsa simulate` says it planted: DIR/README.txt (or README) and its own output."""
    text = simulated["stdout"]
    for name in ["README.txt", "README", "README.md"]:
        if (simulated["dir"] / name).exists():
            text = (simulated["dir"] / name).read_text() + "\n" + text
    return text


# e.g. "Planted: layer1's RDM around t = 0.1 s (sd 0.025 s) and layer6's RDM around t = 0.3 s"
PLANTED = re.compile(r"(\S+?)'s RDM around t = ([-+\d.eE]+) s \(sd ([-+\d.eE]+) s\)")


def parse_planted(text, res):
    """[(layer index, time index of the peak, first and last time index of peak +- 4 sd)]."""
    layers = [x.decode() if isinstance(x, bytes) else str(x) for x in res["/axes/layer"]]
    times = res["/axes/time"]
    planted = []
    for name, peak, sd in PLANTED.findall(text):
        peak, sd = float(peak), float(sd)
        assert name in layers, f"planted layer {name} is not in /axes/layer {layers}"
        t_peak = int(np.argmin(np.abs(times - peak)))
        window = np.flatnonzero(np.abs(times - peak) <= 4 * sd)
        planted.append((layers.index(name), t_peak, int(window[0]), int(window[-1])))
    return planted


def test_simulate_run_finds_planted_clusters(simulated):
    """Each planted (layer, peak time) cell lies in a significant cluster, and every significant
    cluster lies in a planted time window (peak +- 4 sd). Neighbouring layers share structure
    with the planted ones (see synthetic.hpp), so a significant cluster may be on another layer,
    but never at a time where nothing was planted."""
    res = read_results(simulated["results"])
    p = res["/clusters/p"]
    assert p.size >= 1 and p.min() <= 0.05, f"no significant cluster: cluster p = {p}"
    text = planted_description(simulated)
    planted = parse_planted(text, res)
    assert len(planted) >= 1, f"could not read the planted effects from:\n{text}"
    cluster_id = res["/cluster_id"]
    for layer, t_peak, _, _ in planted:
        c = int(cluster_id[layer, t_peak])
        assert c >= 0 and p[c] <= 0.05, (
            f"planted effect at layer {layer}, time index {t_peak} is not in a significant "
            f"cluster (cluster id {c}, cluster p {p[c] if c >= 0 else None})")
        assert res["/p_cluster"][layer, t_peak] <= 0.05
    for i in np.flatnonzero(p <= 0.05):
        tf, tl = int(res["/clusters/time_first"][i]), int(res["/clusters/time_last"][i])
        assert any(tf <= w_last and w_first <= tl for _, _, w_first, w_last in planted), (
            f"significant cluster {i} (layers {res['/clusters/layer_first'][i]}.."
            f"{res['/clusters/layer_last'][i]}, times {tf}..{tl}, p = {p[i]}) is outside "
            f"every planted window {planted}")


# ---------------------------------------------------------------- the embedded demo

def test_demo_equals_simulate_then_run(tmp_path, simulated):
    proc = run_in(tmp_path, ["run"])
    assert proc.returncode == 0, proc.stderr
    demo = tmp_path / "results.h5"
    assert demo.is_file(), f"`permrsa run` wrote {sorted(os.listdir(tmp_path))}"
    a = read_results(demo)
    b = read_results(simulated["results"])
    names_a = {k for k in a if k != "attrs"}
    names_b = {k for k in b if k != "attrs"}
    assert names_a == names_b
    for name in sorted(names_a):
        x, y = a[name], b[name]
        assert x.dtype == y.dtype and x.shape == y.shape, name
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), f"{name} differs"
        else:
            assert np.array_equal(x, y), f"{name} differs"
    for key in ["metric", "permutations", "seed", "scheme", "tail"]:
        assert a["attrs"][key] == b["attrs"][key], key


# ---------------------------------------------------------------- info

def test_info_summary(simulated):
    res = read_results(simulated["results"])
    proc = run(["info", simulated["results"]])
    text = proc.stdout
    metric = res["attrs"]["metric"]
    k = int(res["attrs"]["permutations"])
    assert metric in text, f"info does not print the metric {metric}:\n{text}"
    assert re.search(rf"\b{k}\b", text), f"info does not print K = {k}:\n{text}"
    cluster_lines = [ln for ln in text.splitlines()
                     if "cluster" in ln.lower() and re.search(r"\d", ln)]
    assert cluster_lines, f"info prints no cluster line:\n{text}"


def test_info_on_non_hdf5_file(tmp_path):
    junk = tmp_path / "notes.h5"
    junk.write_text("this is not an HDF5 file\n")
    proc = run(["info", junk], check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "notes.h5" in proc.stderr


def test_info_on_missing_file(tmp_path):
    proc = run(["info", tmp_path / "missing.h5"], check=False)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "missing.h5" in proc.stderr


# ---------------------------------------------------------------- --set and --progress

def test_set_overrides_permutations(tmp_path, simulated):
    out = tmp_path / "k37.h5"
    run(["run", simulated["dir"] / "config.toml", "--set", "analysis.permutations=37",
         "--set", f"output.file={out}"])
    res = read_results(out)
    assert int(res["attrs"]["permutations"]) == 37
    assert res["/null/max_statistic"].shape == (38,)
    assert res["/null/max_cluster"].shape == (38,)
    assert "permutations = 37" in res["attrs"]["config"]


RATE = re.compile(r"\d[\d.,]*\s*[kKM]?\s*(perm(utation)?s?\s*/\s*s|/s\b|per second|it/s)",
                  re.IGNORECASE)
ETA = re.compile(r"\bETA\b", re.IGNORECASE)


def progress_lines(stderr):
    # a progress line may be redrawn with carriage returns
    lines = re.split(r"[\r\n]", stderr)
    return [ln for ln in lines if RATE.search(ln) or ETA.search(ln)]


def test_progress_line(tmp_path, simulated):
    out = tmp_path / "p.h5"
    args = ["run", simulated["dir"] / "config.toml", "--set", "analysis.permutations=3000",
            "--set", f"output.file={out}"]
    proc = run([*args, "--progress"])
    lines = progress_lines(proc.stderr)
    assert any(RATE.search(ln) and ETA.search(ln) for ln in lines), (
        f"no progress line with a rate and an ETA on stderr:\n{proc.stderr!r}")
    out.unlink()
    quiet = run(args)  # stderr is a pipe, not a TTY: no progress line
    assert not progress_lines(quiet.stderr), (
        f"progress printed without --progress:\n{quiet.stderr!r}")


def test_output_file_is_relative_to_the_current_directory(tmp_path, simulated):
    """Contract: input paths are relative to the config's folder, output.file to the cwd."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    proc = run_in(cwd, ["run", simulated["dir"] / "config.toml", "--set",
                        "analysis.permutations=20", "--quiet"])
    assert proc.returncode == 0, proc.stderr
    assert (cwd / "results.h5").is_file(), sorted(os.listdir(cwd))
    assert not (simulated["dir"] / "results.h5").exists()


def test_more_threads_than_allowed_cpus_warns(tmp_path, simulated):
    """`--threads N` above the process's CPU affinity (what `mpirun -n 1` sets by default: one
    core per rank) would make the threads share a core; permrsa says so and how to fix it.
    Expected text: src/dist/runtime.cpp's contract. The CPU count comes from os.sched_getaffinity."""
    if shutil.which("taskset") is None:
        pytest.skip("taskset (util-linux) not installed")
    config = simulated["dir"] / "config.toml"
    args = ["run", config, "--set", "analysis.permutations=9", "--threads", 2]
    pinned = subprocess.run(["taskset", "-c", str(min(os.sched_getaffinity(0))), BIN,
                             *map(str, args), "--set", f"output.file={tmp_path / 'a.h5'}"],
                            capture_output=True, text=True, timeout=600)
    assert pinned.returncode == 0, pinned.stderr
    assert "--threads 2 is more than the 1 CPU(s)" in pinned.stderr, pinned.stderr
    assert "--map-by slot:PE=2" in pinned.stderr and "--cpus-per-task=2" in pinned.stderr
    if len(os.sched_getaffinity(0)) >= 2:
        free = run([*args, "--set", f"output.file={tmp_path / 'b.h5'}"])
        assert "more than the" not in free.stderr, free.stderr
