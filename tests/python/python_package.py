"""Imports the permrsa Python package for the tests of python/ (test_python_*.py), or skips
them with the reason when it was not built (-DPERMRSA_WITH_PYTHON=OFF)."""
import pytest

permrsa = pytest.importorskip(
    "permrsa", reason="the permrsa Python package is not importable: build with "
                      "-DPERMRSA_WITH_PYTHON=ON (ctest puts <build>/python on PYTHONPATH)")
engine = pytest.importorskip("permrsa._permrsa", reason="the permrsa._permrsa extension is not built")
