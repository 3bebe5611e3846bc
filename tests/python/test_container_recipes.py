"""The container recipes take their packages from the one list, .ci/debian-packages.txt, and their
build steps from the one recipe, containers/permrsa.def (issue 8).

Where the expected values come from:
- the package list itself: .ci/install-deps, run with apt-get and sudo replaced by recorders, must
  ask apt-get to install exactly the list's packages, in its order;
- the definition file: containers/def-section.sh must read sections as Apptainer's definition-file
  rules say (a section runs from its %name line to the next one; a section named twice is
  appended; header keywords are case-insensitive);
- the Dockerfile must copy what the .def's %files copies and run the .def's own %post.
"""
import os
import pathlib
import re
import stat
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LIST = ROOT / ".ci" / "debian-packages.txt"
DEF = ROOT / "containers" / "permrsa.def"
DOCKERFILE = ROOT / "containers" / "Dockerfile"
SECTION = ROOT / "containers" / "def-section.sh"
APT_INSTALL = re.compile(r"\b(apt-get|apt|aptitude)\s+(-\S+\s+)*install\b|\bdpkg\s+-i\b")


def packages():
    lines = (line.strip() for line in LIST.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def section(name, path=DEF):
    proc = subprocess.run(["sh", str(SECTION), str(path), name], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def code_lines(text):
    """Lines without comments (shell and Dockerfile comments start with #)."""
    return [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_the_package_list_is_one_package_name_per_line():
    names = packages()
    assert names, f"{LIST} lists no package"
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", n) for n in names), names
    assert len(set(names)) == len(names), "a package is listed twice"


def test_install_deps_installs_exactly_the_listed_packages(tmp_path):
    # Recorders stand in for apt-get and sudo: they log their arguments and succeed.
    log = tmp_path / "apt.log"
    for tool, body in {"apt-get": f'echo "$*" >> {log}\n', "sudo": 'exec "$@"\n'}.items():
        script = tmp_path / tool
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    subprocess.run(["bash", str(ROOT / ".ci" / "install-deps")], check=True, env=env)
    installed = []
    for call in log.read_text().splitlines():
        words = call.split()
        if "install" in words:
            installed += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    assert installed == packages()


def test_ci_run_installs_through_install_deps_and_nothing_else():
    run = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*bash \.ci/install-deps\b", run, re.M)
    assert not any(APT_INSTALL.search(line) for line in code_lines(run))


def test_the_def_installs_packages_only_through_install_deps():
    post = section("post")
    assert re.search(r"^\s*bash /opt/permrsa/src/\.ci/install-deps\s*$", post, re.M), post
    offending = [line for line in code_lines(post) if APT_INSTALL.search(line)]
    assert not offending, f"%post installs packages outside the list: {offending}"
    # Apptainer's debootstrap agent adds the header's Include: packages; there must be none.
    header = DEF.read_text().split("\n%", 1)[0]
    assert not re.search(r"^\s*include\s*:", header, re.I | re.M)


def test_the_def_copies_the_package_list_into_the_image():
    files = dict(line.split() for line in code_lines(section("files")))
    assert files.get(".ci") == "/opt/permrsa/src/.ci"


def test_the_dockerfile_copies_what_the_def_copies():
    copies = [line.split()[1:] for line in code_lines(DOCKERFILE.read_text())
              if line.startswith("COPY ")]
    assert copies == [line.split() for line in code_lines(section("files"))]


def test_the_dockerfile_runs_the_defs_own_post_and_installs_nothing_itself():
    text = DOCKERFILE.read_text()
    assert not any(APT_INSTALL.search(line) for line in code_lines(text))
    assert re.search(r'def-section\.sh "\$def" post > /tmp/post\.sh', text)
    assert "sh -ex /tmp/post.sh" in text
    for part in ("environment", "runscript", "test"):
        assert f'def-section.sh "$def" {part}' in text


@pytest.mark.parametrize("name", ["post", "test", "environment", "runscript"])
def test_every_script_section_of_the_def_is_valid_sh(name):
    proc = subprocess.run(["sh", "-n"], input=section(name), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_section_reader_follows_apptainers_definition_file_rules(tmp_path):
    sample = tmp_path / "sample.def"
    sample.write_text("Bootstrap: debootstrap\nosversion: bookworm\n"
                      "MirrorURL:  http://mirror.example/debian \n"
                      "%post\n  echo one\n%environment\n  export A=1\n"
                      "%post -c /bin/bash\n  echo two\n%runscript\n  exec permrsa \"$@\"\n")
    assert section("post", sample) == "  echo one\n  echo two\n"
    assert section("runscript", sample) == '  exec permrsa "$@"\n'
    run = lambda *a: subprocess.run(["sh", str(SECTION), str(sample), *a],
                                    capture_output=True, text=True)
    assert run("header", "OSVersion").stdout == "bookworm\n"
    assert run("header", "mirrorurl").stdout == "http://mirror.example/debian\n"
    missing = run("test")
    assert missing.returncode == 1 and "no %test section" in missing.stderr


def test_no_section_of_the_def_takes_shell_arguments():
    # containers/verify.sh runs every section with /bin/sh -ex, as Apptainer does by default;
    # an argument such as "%post -c /bin/bash" would make the proof differ from the build.
    assert not re.findall(r"^%[a-z]+[ \t]+\S.*$", DEF.read_text(), re.M)
