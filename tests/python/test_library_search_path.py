"""The build tree's permrsa and libpermrsa.so do not look for shared libraries in the folder they
run from, and the Python modules permrsa starts (`permrsa report`) do not import from it either.

CMake pads the build-tree RUNPATH of a target it installs with a trailing ':', and ld.so(8)
reads an empty RUNPATH entry as the current working directory. So build/src/permrsa, started in
a folder that held a file named libtbb.so.12, tried to load that file ("file too short", exit
127), and would have run code from any library planted there.

`permrsa report` (and the MNE epochs reader) run `python3 -m ...`, which puts the working folder
first on sys.path: a matplotlib.py lying there was imported instead of matplotlib, and the report
was not written.

Where the expected values come from: ld.so(8) (an empty entry of a search path is the current
directory), the ELF dynamic section as `readelf -d` prints it, and Python's documentation of
`-m` and PYTHONSAFEPATH (3.11); the libraries planted are the ones `ldd` lists for each binary,
each a text file that the loader refuses if it opens it; the Python decoys exit with a message.
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from permrsa_testing import BIN

BUILD_SRC = Path(BIN).resolve().parent


def needed_libraries(binary):
    """Every shared library the loader resolves for `binary` (sonames, transitively)."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in out.splitlines() if "=>" in line]
    assert len(names) > 10, out  # TBB, HDF5, MPI, matio, spdlog, ... and theirs
    return names


def runpath_entries(binary):
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    m = re.search(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]", out)
    return None if m is None else m.group(1).split(":")


def plant_decoys(folder, names):
    """A file under every library name, in the folder itself and in the subfolders ld.so probes
    first (glibc-hwcaps, tls, the platform's): all text, so loading any of them fails."""
    subdirs = ["", "glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2",
               "tls", "x86_64", "tls/x86_64"]
    for sub in subdirs:
        (folder / sub).mkdir(parents=True, exist_ok=True)
        for name in names:
            (folder / sub / name).write_text("not a shared library\n")


def shared_library():
    found = sorted(BUILD_SRC.glob("libpermrsa.so.*.*"))
    if not found:
        pytest.skip(f"no libpermrsa.so.* beside {BIN}")
    return found[0]


def torch_module():
    found = sorted(BUILD_SRC.glob("libpermrsa_torch.so"))
    if not found:
        pytest.skip(f"no LibTorch module beside {BIN} (built without LibTorch)")
    return found[0]


@pytest.mark.parametrize("which", ["executable", "shared library", "LibTorch module"])
def test_no_empty_runpath_entry(which):
    binary = {"executable": lambda: Path(BIN).resolve(), "shared library": shared_library,
              "LibTorch module": torch_module}[which]()
    entries = runpath_entries(binary)
    if entries is not None:
        assert "" not in entries, f"{binary}: RUNPATH {entries} has an empty entry (the cwd)"
        assert all(e.startswith("/") for e in entries), f"{binary}: relative RUNPATH {entries}"


def test_executable_ignores_libraries_in_the_working_folder(tmp_path):
    plant_decoys(tmp_path, needed_libraries(Path(BIN).resolve()))
    proc = subprocess.run([str(Path(BIN).resolve()), "--version"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("permrsa "), proc.stdout
    # A whole run from that folder (the embedded demo, which writes results.h5 there): the
    # libraries loaded later with dlopen (TBB's allocator, Open MPI's components) too.
    proc = subprocess.run([str(Path(BIN).resolve()), "run", "--threads", "2"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results.h5").stat().st_size > 0


def test_shared_library_ignores_libraries_in_the_working_folder(tmp_path):
    lib = shared_library()
    plant_decoys(tmp_path, needed_libraries(lib))
    proc = subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(lib)!r})"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_report_ignores_python_modules_in_the_working_folder(tmp_path):
    pytest.importorskip("matplotlib", reason="permrsa report needs matplotlib")
    exe = str(Path(BIN).resolve())
    proc = subprocess.run([exe, "run", "--threads", "2"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in ["matplotlib", "h5py", "numpy"]:
        (tmp_path / f"{name}.py").write_text(f'raise SystemExit("decoy {name} imported")\n')
    (tmp_path / "permrsa").mkdir()
    (tmp_path / "permrsa" / "__init__.py").write_text('raise SystemExit("decoy permrsa")\n')
    proc = subprocess.run([exe, "report", "results.h5", "--out", "report"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert "decoy" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report" / "index.html").stat().st_size > 0
