"""The installed library (issue 16): `cmake --install` into a temporary prefix, then a ten-line host
program (tests/consumer) configured with find_package(permrsa) and linked to permrsa::permrsa
runs an analysis on arrays in memory. Where the expected values come from: `permrsa run` on the
same data and config; every dataset of its results file must equal the host program's, bit for
bit (the host reads the arrays itself, so the files differ only in the attributes that name
input files)."""
import os
import pathlib
import shutil
import subprocess

import h5py
import numpy as np

from permrsa_testing import BIN, run

HERE = pathlib.Path(__file__).resolve().parent
BUILD = pathlib.Path(os.environ.get("PERMRSA_BUILD_DIR", pathlib.Path(BIN).resolve().parents[1]))


def sh(*args, **kwargs):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}"
    return proc


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def test_a_host_program_built_with_find_package_equals_permrsa_run(tmp_path):
    prefix = tmp_path / "prefix"
    sh("cmake", "--install", BUILD, "--prefix", prefix)
    for installed in ["include/permrsa/engine.hpp", "lib/cmake/permrsa/permrsaConfig.cmake",
                      "lib/cmake/permrsa/permrsaConfigVersion.cmake", "lib/libpermrsa.so"]:
        assert (prefix / installed).exists(), installed
    assert not (prefix / "include" / "permrsa" / "null_state_file.hpp").exists()  # a file format: private
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    sh("cmake", "-S", HERE, "-B", tmp_path / "build", *generator, f"-DCMAKE_PREFIX_PATH={prefix}")
    sh("cmake", "--build", tmp_path / "build")

    run(["simulate", "--out", tmp_path / "data", "--stimuli", 14, "--layers", 3, "--times", 30, "--quiet"])
    config = tmp_path / "data" / "config.toml"
    config.write_text(config.read_text().replace("permutations = 1000", "permutations = 300"))
    run(["run", config, "--quiet", "--set", f"output.file={tmp_path / 'cli.h5'}"])
    sh(tmp_path / "build" / "consumer", config, tmp_path / "host.h5", cwd=tmp_path)

    cli, host = datasets(tmp_path / "cli.h5"), datasets(tmp_path / "host.h5")
    assert sorted(cli) == sorted(host)
    for name, value in cli.items():
        assert np.asarray(value).tobytes() == np.asarray(host[name]).tobytes(), name
