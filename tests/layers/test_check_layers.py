"""check_layers.py finds an include that crosses a layer the wrong way (and passes a clean tree).
Expected values: the rules in check_layers.py's docstring, applied to trees made here."""
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parent / "check_layers.py"


def tree(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def check(root):
    return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(root)], capture_output=True, text=True)


BASE = {"include/permrsa/LAYERS": "matrix.hpp numeric\nengine.hpp engine\n",
        "include/permrsa/matrix.hpp": "#pragma once\n",
        "include/permrsa/engine.hpp": '#include "permrsa/matrix.hpp"\n',
        "src/kernels/k.cpp": '#include "numeric/ranks.hpp"\n#include "permrsa/matrix.hpp"\n',
        "src/numeric/ranks.hpp": "#pragma once\n",
        "src/cli/main.cpp": '#include "permrsa/engine.hpp"\n#include "cli/x.hpp"\n',
        "python/src/m.cpp": '#include "permrsa/engine.hpp"\n'}


def test_a_tree_that_keeps_the_layers_passes(tmp_path):
    proc = check(tree(tmp_path, BASE))
    assert proc.returncode == 0, proc.stdout
    assert "0 violation(s)" in proc.stdout


def test_core_reaching_into_the_engine_fails(tmp_path):
    proc = check(tree(tmp_path, dict(BASE, **{"src/kernels/k.cpp": '#include "core/null_maps.hpp"\n'})))
    assert proc.returncode == 1
    assert 'src/kernels/k.cpp:1: includes "core/null_maps.hpp": kernels may not depend on core' in proc.stdout


def test_the_command_line_including_a_private_header_fails(tmp_path):
    proc = check(tree(tmp_path, dict(BASE, **{"src/cli/main.cpp": '#include "io/h5_handles.hpp"\n'})))
    assert proc.returncode == 1
    assert "cli may include public headers (permrsa/...) only" in proc.stdout


def test_a_public_header_without_a_layer_fails(tmp_path):
    proc = check(tree(tmp_path, dict(BASE, **{"include/permrsa/new.hpp": "#pragma once\n"})))
    assert proc.returncode == 1
    assert "include/permrsa/new.hpp: a public header with no layer" in proc.stdout
