"""tools/fetch_seed_data.py against a copy of the study's public files (issue 14).

Source: ../shared/data/upstream-mirror (an exact copy of the repository's files at the pinned
commit; else the upstream/ copy a fetched data folder keeps), by folder and over HTTP from a
local server. Where the expected values come from:
- the fetched folder must equal the data set folder the tests use (seed_data.find_seed_data():
  ../shared/data/seed-eeg-vgg16 in CI): byte for byte for brain_rdms.npy, time_vector.mat and
  every PNG, np.array_equal for vgg16_layer_corr.npy, the same lines in vgg16_layers.txt;
- a changed byte must be refused by the sha256 pinned in the tool (exit 2, the file named with
  both hashes), with nothing left under the destination's name or a temporary one;
- a fetch killed by SIGKILL must leave no destination folder, and a rerun must complete;
- the README's worked example must run as written after the fetch, with no ../shared beside the
  config and no $PERMRSA_SEED_DATA: config/seed-eeg-vgg16.toml finds the fetched folder itself.
"""
import functools
import hashlib
import http.server
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from permrsa_testing import BIN, REPO, SEED_DATA, real_data, read_results
import seed_data

pytestmark = real_data
TOOL = REPO / "tools" / "fetch_seed_data.py"
MIRROR = seed_data.find_upstream_mirror()


@pytest.fixture(autouse=True)
def needs_a_mirror():
    if MIRROR is None:
        pytest.skip("no copy of the study's repository files (../shared/data/upstream-mirror, or "
                    "upstream/ in a fetched data folder)")


def fetch(*args, env=None, **kwargs):
    full_env = {k: v for k, v in os.environ.items() if k != "PERMRSA_SEED_DATA"}
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, env=full_env, **kwargs)


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def assert_equals_the_data_folder(folder):
    for name in ["brain_rdms.npy", "time_vector.mat"]:
        assert (folder / name).read_bytes() == (SEED_DATA / name).read_bytes(), name
    pngs = sorted(p.name for p in (SEED_DATA / "stimuli").glob("*.png"))
    assert len(pngs) == 49
    assert sorted(p.name for p in (folder / "stimuli").iterdir()) == pngs
    for name in pngs:
        assert (folder / "stimuli" / name).read_bytes() == (SEED_DATA / "stimuli" / name).read_bytes()
    got, want = np.load(folder / "vgg16_layer_corr.npy"), np.load(SEED_DATA / "vgg16_layer_corr.npy")
    assert got.shape == (22, 49, 49) and np.array_equal(got, want)
    assert ((folder / "vgg16_layers.txt").read_text().splitlines()
            == (SEED_DATA / "vgg16_layers.txt").read_text().splitlines())


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir())


def test_a_fetch_from_the_mirror_equals_the_data_folder(tmp_path):
    proc = fetch("--from", MIRROR, "--out", tmp_path / "seed")
    assert proc.returncode == 0, proc.stderr
    assert_equals_the_data_folder(tmp_path / "seed")
    assert leftovers(tmp_path) == ["seed"]  # no temporary folder left beside it
    # Its manifest holds every file's sha256, and a second fetch sees it complete.
    manifest = (tmp_path / "seed" / "MANIFEST.sha256").read_text().splitlines()
    assert f"{sha256(tmp_path / 'seed' / 'brain_rdms.npy')}  brain_rdms.npy" in manifest
    again = fetch("--from", MIRROR, "--out", tmp_path / "seed")
    assert again.returncode == 0 and "already complete" in again.stdout


def test_a_changed_byte_in_one_pickle_exits_2_naming_the_file(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    victim = mirror / "analysis" / "models" / "models_layer_rdms" / "rdm_block3_conv2.pkl"
    expected = sha256(victim)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    proc = fetch("--from", mirror, "--out", out / "seed")
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    for token in ["rdm_block3_conv2.pkl", expected, sha256(victim)]:
        assert token in message, (token, message)
    assert leftovers(out) == []  # neither the destination nor a temporary folder


def test_a_missing_file_in_the_source_exits_2_naming_it(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    (mirror / "stimuli" / "stim_017.png").unlink()
    out = tmp_path / "out"
    out.mkdir()
    proc = fetch("--from", mirror, "--out", out / "seed")
    assert proc.returncode == 2
    assert "stim_017.png" in proc.stderr
    assert leftovers(out) == []


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror, 0.1 s per file, and counts the files served."""
    served = 0

    def do_GET(self):
        time.sleep(0.1)
        type(self).served += 1
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_server():
    handler = type("Handler", (SlowHandler,), {"served": 0})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(MIRROR)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    server.shutdown()


def test_a_fetch_killed_half_way_leaves_nothing_and_a_rerun_completes(tmp_path, slow_server):
    url, handler = slow_server
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen([sys.executable, str(TOOL), "--from", url, "--out", str(out / "seed")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while handler.served < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert handler.served >= 5, "the fetch did not start downloading"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert handler.served < 73, "the fetch finished before it was killed"
    assert not (out / "seed").exists()
    stale = [name for name in leftovers(out) if name.startswith(".seed.partial-")]
    assert len(stale) == 1  # the killed fetch's temporary folder, under another name

    rerun = fetch("--from", MIRROR, "--out", out / "seed")
    assert rerun.returncode == 0, rerun.stderr
    assert leftovers(out) == ["seed"]  # the stale temporary folder is gone too
    assert_equals_the_data_folder(out / "seed")


def test_a_download_shows_a_progress_line_and_equals_the_folder_fetch(tmp_path, slow_server):
    url, _ = slow_server
    proc = fetch("--from", url, "--out", tmp_path / "seed", "--progress")
    assert proc.returncode == 0, proc.stderr
    line = proc.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert re.search(r"fetch: 73/73 files, [\d.]+ MB, [\d.]+ MB/s, ETA \d+ s", line), line
    assert_equals_the_data_folder(tmp_path / "seed")


def test_the_destination_is_the_variable_else_the_cache_folder(tmp_path):
    chosen = tmp_path / "chosen"
    assert fetch("--from", MIRROR, "-q", env={"PERMRSA_SEED_DATA": str(chosen),
                                              "XDG_CACHE_HOME": str(tmp_path / "c")}).returncode == 0
    assert (chosen / "brain_rdms.npy").is_file() and not (tmp_path / "c").exists()
    assert fetch("--from", MIRROR, "-q", env={"XDG_CACHE_HOME": str(tmp_path / "c")}).returncode == 0
    assert (tmp_path / "c" / "permrsa" / "seed-eeg-vgg16" / "brain_rdms.npy").is_file()


def readme_worked_example():
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- readme-example: worked -->\s*```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no worked-example block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_worked_example_runs_after_the_fetch_without_the_shared_folder(tmp_path):
    """The README's lines, with `--from MIRROR` added to the fetch (no network here). The config
    is copied to a folder with no ../shared beside it and $PERMRSA_SEED_DATA is unset, so it can
    only find the data in the cache folder the fetch wrote."""
    repo = tmp_path / "repo"
    (repo / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "seed-eeg-vgg16.toml", repo / "config")
    shutil.copytree(REPO / "tools", repo / "tools")
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PERMRSA_SEED_DATA"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    for line in readme_worked_example():
        args = shlex.split(line.split("#")[0])
        if "tools/fetch_seed_data.py" in args:
            args += ["--from", str(MIRROR)]
        args = [{"python3": sys.executable, "build/src/permrsa": BIN}.get(a, a) for a in args]
        args = [str(repo / a) if a.startswith(("config/", "tools/")) else a for a in args]
        proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=1200)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    fetched = tmp_path / "cache" / "permrsa" / "seed-eeg-vgg16"
    results = read_results(work / "seed-eeg-vgg16-results.h5")
    hashes = {str(v) for k, v in results["attrs"].items() if k.startswith("sha256_")}
    for name in ["brain_rdms.npy", "time_vector.mat", "vgg16_layer_corr.npy", "vgg16_layers.txt"]:
        assert sha256(fetched / name) in hashes, name
    assert results["/observed"].shape == (22, 218)
