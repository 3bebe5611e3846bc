"""LibTorch is loaded only by `permrsa features` (issue 4: its static start-up cost ~0.5 s on
every subcommand while the executable linked it).

Expected behaviour comes from src/features/torch_backend_loader.cpp's contract: the executable
does not link LibTorch; `permrsa features` opens libpermrsa_torch.so from beside the
executable (build tree), from <prefix>/lib*/permrsa (installed tree) or from
$PERMRSA_TORCH_MODULE; a missing or broken module is a run-time failure (exit 1) whose message
names the path, and leaves no output. The loading itself is observed with glibc's LD_DEBUG."""
import pathlib
import subprocess

import h5py
import numpy as np

from features_reference import save_tiny_sequential
from permrsa_testing import BIN, run
from synthetic_images import write_images

BUILD_DIR = pathlib.Path(BIN).resolve().parents[1]  # <build>/src/permrsa


def image_list(tmp_path, count=4):
    listing = tmp_path / "images.txt"
    listing.write_text("".join(f"{p}\n" for p in write_images(tmp_path / "images", count)))
    return listing


def features_args(tmp_path, out):
    return ["features", "--model", save_tiny_sequential(tmp_path / "m.pt"), "--images",
            image_list(tmp_path), "--resize", 40, "--crop", 32, "--out", out]


def loaded_libraries(proc):
    """Shared objects the dynamic loader opened, from LD_DEBUG=files lines 'file=NAME [0];'."""
    names = set()
    for line in proc.stderr.splitlines():
        if "file=" in line and "generating link map" in line:
            names.add(line.split("file=", 1)[1].split()[0])
    return names


def test_the_executable_does_not_link_libtorch():
    needed = subprocess.run(["readelf", "-d", BIN], capture_output=True, text=True,
                            check=True).stdout
    needed = [line for line in needed.splitlines() if "(NEEDED)" in line]
    assert needed, "readelf found no NEEDED entries"
    assert not [line for line in needed if "torch" in line or "c10" in line], needed


def test_run_does_not_load_libtorch_and_features_does(tmp_path):
    run(["simulate", "--out", tmp_path / "sim", "--stimuli", 12, "--layers", 2, "--times", 10])
    config = tmp_path / "sim" / "config.toml"
    config.write_text(config.read_text().replace("permutations = 1000", "permutations = 9"))
    ran = run(["run", config, "--set", f"output.file={tmp_path / 'r.h5'}"],
              env={"LD_DEBUG": "files"})
    ran_libs = loaded_libraries(ran)
    assert any("libhdf5" in n for n in ran_libs), ran_libs  # LD_DEBUG did report
    assert not [n for n in ran_libs if "torch" in n or "c10" in n], ran_libs

    feat = run(features_args(tmp_path, tmp_path / "f.h5"), env={"LD_DEBUG": "files"})
    feat_libs = loaded_libraries(feat)
    assert any(n.endswith("libpermrsa_torch.so") for n in feat_libs), feat_libs
    assert any("libtorch_cpu" in n for n in feat_libs), feat_libs


def test_a_missing_module_is_named_and_leaves_no_output(tmp_path):
    out = tmp_path / "out" / "f.h5"
    out.parent.mkdir()
    proc = run(features_args(tmp_path, out), check=False,
               env={"PERMRSA_TORCH_MODULE": str(tmp_path / "nowhere" / "libpermrsa_torch.so")})
    assert proc.returncode == 1, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert "nowhere/libpermrsa_torch.so: no such file" in message, message
    assert "PERMRSA_TORCH_MODULE" in message, message
    assert list(out.parent.iterdir()) == []


def test_a_file_that_is_not_a_module_is_refused(tmp_path):
    fake = tmp_path / "libpermrsa_torch.so"
    fake.write_text("not an ELF file\n")
    out = tmp_path / "out" / "f.h5"
    out.parent.mkdir()
    proc = run(features_args(tmp_path, out), check=False, env={"PERMRSA_TORCH_MODULE": str(fake)})
    assert proc.returncode == 1, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert f"{fake}: cannot load the LibTorch module" in message, message
    assert list(out.parent.iterdir()) == []


def test_an_installed_tree_finds_its_module_and_gives_the_same_rdms(tmp_path):
    prefix = tmp_path / "prefix"
    # src/'s install script (the executable and the module); unlike `cmake --install <build>`
    # it writes no install_manifest.txt into the build tree, which is read-only in the
    # container's %test.
    subprocess.run(["cmake", f"-DCMAKE_INSTALL_PREFIX={prefix}", "-P",
                    str(BUILD_DIR / "src" / "cmake_install.cmake")],
                   check=True, capture_output=True, text=True)
    modules = list(prefix.glob("lib*/**/permrsa/libpermrsa_torch.so"))
    assert len(modules) == 1, list(prefix.rglob("*"))
    installed = prefix / "bin" / "permrsa"
    args = [str(a) for a in features_args(tmp_path, tmp_path / "installed.h5")]
    proc = subprocess.run([str(installed), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run(features_args(tmp_path, tmp_path / "build_tree.h5"))
    with h5py.File(tmp_path / "installed.h5") as a, h5py.File(tmp_path / "build_tree.h5") as b:
        assert np.array_equal(a["rdms"][()], b["rdms"][()])
        assert a["rdms"].shape[1] == 6  # 4 images -> 6 pairs
