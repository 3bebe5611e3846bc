"""pip install ./python: the permrsa package with the extension the CMake build made.

Build first (cmake -S . -B build -G Ninja && cmake --build build), then, offline:
    python3 -m venv --system-site-packages .venv     # Debian's numpy/h5py/pandas/matplotlib
    .venv/bin/pip install --no-build-isolation ./python
PERMRSA_BUILD_DIR names the build folder (default: build/ beside python/)."""
import glob
import os
import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
BUILD = pathlib.Path(os.environ.get("PERMRSA_BUILD_DIR", HERE.parent / "build"))


class BuildWithExtension(build_py):
    """Copies permrsa/_permrsa*.so from the CMake build into the package."""

    def run(self):
        super().run()
        found = sorted(glob.glob(str(BUILD / "python" / "permrsa" / "_permrsa*.so")))
        if not found:
            raise SystemExit(f"permrsa: no _permrsa extension in {BUILD}/python/permrsa: build it "
                             "with CMake (-DPERMRSA_WITH_PYTHON=ON) first, or set PERMRSA_BUILD_DIR")
        target = pathlib.Path(self.build_lib) / "permrsa"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(found[0], target)


setup(
    name="permrsa",
    version="0.1.0",
    description="Time-resolved RSA with permutation statistics: Python front end",
    packages=["permrsa"],
    python_requires=">=3.11",
    # Needs numpy, h5py, pandas, matplotlib: Debian's python3-* packages (not all of them carry
    # pip metadata, so they are not listed as requirements here).
    cmdclass={"build_py": BuildWithExtension},
    zip_safe=False,
)
