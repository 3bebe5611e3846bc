"""permrsa.load: results files of the CLI, of MPI runs, and damaged or foreign files.

Where the expected values come from: each file is also read directly with h5py (the peer), and
the loaded maps, axes and cluster rows must equal those raw datasets; the MPI file must equal
the one-process file (the engine guarantees identical bits, tests/python/test_invariance.py).
"""
import shutil
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest

from permrsa_testing import BIN, read_results, run as run_cli, write_config
from python_package import permrsa


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("sim")
    run_cli(["simulate", "--out", d, "--stimuli", 14, "--layers", 5, "--times", 40])
    cfg = write_config(d / "c.toml", {
        "brain": {"file": str(d / "brain.npy"), "times": str(d / "times.npy")},
        "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
        "analysis": {"permutations": 400, "seed": 3},
        "correction": {"connectivity": "layer-time", "tfce": True},
        "output": {"file": str(d / "results.h5")}})
    run_cli(["run", cfg, "--quiet"])
    return d / "results.h5", cfg


def test_load_gives_maps_with_named_layer_and_time_axes(results_file):
    path, _ = results_file
    raw = read_results(path)
    res = permrsa.load(path)
    layers = [x.decode() for x in raw["/axes/layer"]]
    for name in ("observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id", "tfce", "p_tfce"):
        frame = getattr(res, name)
        assert isinstance(frame, pd.DataFrame)
        assert frame.index.name == "layer" and frame.columns.name == "time"
        assert list(frame.index) == layers
        np.testing.assert_array_equal(frame.columns.to_numpy(), raw["/axes/time"])
        np.testing.assert_array_equal(frame.to_numpy(), raw[f"/{name}"])
    assert res.observed.loc[layers[2]].shape == (40,)
    np.testing.assert_array_equal(res.null["max_cluster"], raw["/null/max_cluster"])


def test_the_cluster_table_holds_every_cluster_with_times_in_seconds(results_file):
    path, _ = results_file
    raw = read_results(path)
    res = permrsa.load(path)
    t = raw["/axes/time"]
    assert len(res.clusters) == len(raw["/clusters/p"]) > 0
    np.testing.assert_array_equal(res.clusters["p"], raw["/clusters/p"])
    np.testing.assert_array_equal(res.clusters["statistic"], raw["/clusters/statistic"])
    np.testing.assert_array_equal(res.clusters["start"], t[raw["/clusters/time_first"]])
    np.testing.assert_array_equal(res.clusters["end"], t[raw["/clusters/time_last"]])
    for c, row in res.clusters.iterrows():
        # The peak is a cell of the cluster, holding its largest statistic.
        inside = raw["/cluster_id"] == c
        best = np.max(row["sign"] * raw["/observed"][inside])
        li = res.layers.index(row["peak_layer"])
        ti = int(np.flatnonzero(t == row["peak"])[0])
        assert inside[li, ti] and row["sign"] * raw["/observed"][li, ti] == best
    sig = res.significant_clusters(0.05)
    assert (sig["p"] <= 0.05).all() and list(sig["p"]) == sorted(sig["p"])


def test_load_gives_the_config_and_the_provenance(results_file):
    path, cfg = results_file
    res = permrsa.load(path)
    assert res.config["analysis"]["permutations"] == 400
    assert res.config["correction"]["connectivity"] == "layer-time"
    assert res.provenance["permrsa_version"] == res.version == permrsa.__version__
    assert res.provenance["seed"] == 3
    assert set(k for k in res.provenance if k.startswith("sha256_")) >= {"sha256_brain_file"}


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="mpirun is not installed")
def test_load_reads_a_file_written_by_mpi_ranks_the_same_way(results_file, tmp_path):
    path, cfg = results_file
    mpi_file = tmp_path / "mpi.h5"
    proc = subprocess.run(["mpirun", "-n", "2", "--oversubscribe", "--allow-run-as-root", BIN, "run",
                           str(cfg), "--quiet", "--grid", "2x1", "--set", f"output.file={mpi_file}"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    one, two = permrsa.load(path), permrsa.load(mpi_file)
    pd.testing.assert_frame_equal(one.observed, two.observed, check_exact=True)
    pd.testing.assert_frame_equal(one.clusters, two.clusters, check_exact=True)
    pd.testing.assert_frame_equal(one.p_tfce, two.p_tfce, check_exact=True)


def damaged_copy(path, tmp_path, edit):
    copy = tmp_path / "damaged.h5"
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as f:
        edit(f)
    return copy


def test_a_file_from_another_version_gets_a_clear_error(results_file, tmp_path):
    path, _ = results_file
    copy = damaged_copy(path, tmp_path, lambda f: f.attrs.__setitem__("permrsa_version", "9.3.0"))
    with pytest.raises(permrsa.ResultsFileError, match=r"damaged.h5: written by permrsa 9.3.0; "
                                                       r"this module reads results files of version 0.1.x"):
        permrsa.load(copy)


def test_a_file_with_missing_datasets_gets_a_clear_error(results_file, tmp_path):
    path, _ = results_file

    def drop(f):
        del f["clusters/p"]
        del f["axes/time"]
    copy = damaged_copy(path, tmp_path, drop)
    with pytest.raises(permrsa.ResultsFileError,
                       match=r"damaged.h5: not a complete permrsa results file: missing datasets "
                             r"/clusters/p, /axes/time"):
        permrsa.load(copy)


def test_a_map_of_the_wrong_shape_gets_a_clear_error(results_file, tmp_path):
    path, _ = results_file

    def shrink(f):
        del f["p_maxstat"]
        f["p_maxstat"] = np.zeros((2, 3))
    with pytest.raises(permrsa.ResultsFileError, match=r"/p_maxstat: expected shape \(5, 40\)"):
        permrsa.load(damaged_copy(path, tmp_path, shrink))


def test_files_that_are_not_results_get_clear_errors(tmp_path):
    (tmp_path / "notes.h5").write_text("not HDF5")
    with pytest.raises(permrsa.ResultsFileError, match="notes.h5: not an HDF5 results file"):
        permrsa.load(tmp_path / "notes.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = [1.0]
    with pytest.raises(permrsa.ResultsFileError, match="attribute permrsa_version is missing"):
        permrsa.load(tmp_path / "other.h5")
    with pytest.raises(FileNotFoundError, match="missing.h5: no such results file"):
        permrsa.load(tmp_path / "missing.h5")
    assert issubclass(permrsa.ResultsFileError, ValueError)
