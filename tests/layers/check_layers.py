#!/usr/bin/python3
"""The build's layers, checked over every #include line (issue 16): a file may include headers
of its own layer and of the layers its layer depends on, never the other way round.

    numeric  <-  kernels  <-  core  <-  engine  <-  cli, python
    numeric  <-  dist     <-  core, io, eeg, features
    core     <-  io, sim, eeg;  io <- eeg, features, engine;  sim <- engine
    dist     <-  sim

Private headers belong to their folder under src/ (src/core/x.hpp is core). Public headers
(include/permrsa/*.hpp) belong to the layer the table PUBLIC below names. The command line
(src/cli) and the Python bindings (python/src) include public headers only, and their own.
Exit 1 with one line per violation: file:line, the include, the two layers and the rule."""
import pathlib
import re
import sys

REPO = pathlib.Path(sys.argv[sys.argv.index("--repo") + 1]) if "--repo" in sys.argv else \
    pathlib.Path(__file__).resolve().parents[2]

# layer -> the layers it may include (besides itself)
ALLOWED = {
    "numeric": set(),
    "kernels": {"numeric"},
    "dist": {"numeric"},
    "core": {"numeric", "kernels", "dist"},
    "io": {"numeric", "dist", "core"},
    "sim": {"numeric", "dist", "core"},
    "eeg": {"numeric", "dist", "core", "io"},
    "features": {"numeric", "dist", "io"},
    "engine": {"numeric", "kernels", "dist", "core", "io", "sim", "eeg", "features"},
    "cli": {"public"},
    "python": {"public"},
}

# Public header -> its layer. A header missing here is itself a violation (say where it lives).
PUBLIC = {}


def load_public_table():
    table = REPO / "include" / "permrsa" / "LAYERS"
    for line in table.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, layer = line.split()
            PUBLIC[name] = layer


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of_include(path):
    """(layer, public?) of an include path, or (None, False) for a system header."""
    head, _, rest = path.partition("/")
    if head == "permrsa":
        return PUBLIC.get(rest, "unknown public header"), True
    if head in ALLOWED and rest:
        return head, False
    return None, False


def files():
    for layer in ALLOWED:
        folder = REPO / ("python/src" if layer == "python" else f"src/{layer}")
        for f in sorted(folder.rglob("*")):
            if f.suffix in (".hpp", ".cpp"):
                yield f, layer
    for f in sorted((REPO / "include" / "permrsa").rglob("*.hpp")):
        yield f, PUBLIC.get(f.relative_to(REPO / "include" / "permrsa").as_posix(), "unknown public header")


def main():
    load_public_table()
    problems = []
    for f, layer in files():
        rel = f.relative_to(REPO)
        if layer == "unknown public header":
            problems.append(f"{rel}: a public header with no layer in include/permrsa/LAYERS")
            continue
        for number, line in enumerate(f.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target, public = layer_of_include(m.group(1))
            if target is None or target == layer:
                continue
            if target == "unknown public header":
                problems.append(f"{rel}:{number}: includes {m.group(1)}, a public header with no layer")
                continue
            allowed = ALLOWED[layer]
            if "public" in allowed:
                if not public:
                    problems.append(f"{rel}:{number}: includes \"{m.group(1)}\": {layer} may include "
                                    f"public headers (permrsa/...) only")
                continue
            if target not in allowed:
                problems.append(f"{rel}:{number}: includes \"{m.group(1)}\": {layer} may not depend on "
                                f"{target} (allowed: {', '.join(sorted(allowed)) or 'nothing'})")
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
