"""What the benchmarks share: the table format (a plain-text table for the terminal and the
same rows as markdown, for --out and the closing notes) and the machine description."""

import os
import pathlib
import platform
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tools"))
import seed_data  # noqa: E402  (tools/seed_data.py: the one lookup of the real data folder)


def seed_data_folder():
    """The real data folder as tools/seed_data.py finds it (a string for argparse defaults), or
    "" when there is none (the benchmarks then use synthetic data of the same shape)."""
    found = seed_data.find_seed_data()
    return str(found) if found else ""


def table(head, rows):
    """(text, markdown) of `rows` under `head`."""
    cells = [head] + [[str(c) for c in r] for r in rows]
    width = [max(len(r[i]) for r in cells) for i in range(len(head))]
    text = []
    for i, r in enumerate(cells):
        text.append(" | ".join(c.ljust(w) for c, w in zip(r, width)))
        if i == 0:
            text.append("-+-".join("-" * w for w in width))
    md = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    md += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(text), "\n".join(md)


def fmt_time(s):
    """Seconds as '12.3 ms' or '1.23 s'; '-' for NaN."""
    if s != s:
        return "-"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def cpu_name():
    """The CPU model from /proc/cpuinfo (for the table header)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def built_binary(build, script, path="src/permrsa"):
    """<build>/<path> (src/permrsa, bench/permrsa_bench_kernel, ...), or exits with a message
    naming `script` when it is not built."""
    binary = pathlib.Path(build).resolve() / path
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"{script}: {binary} not found: build it first "
                         f"(cmake --build {build} --target {binary.name})")
    return binary


def permrsa_binary(build, script):
    """<build>/src/permrsa, or exits with a message naming `script` when it is not built."""
    return built_binary(build, script)


def emit(header, text, md, out=None):
    """Prints the header and the table; with `out`, writes the same as markdown there."""
    print(header)
    print(text)
    if out:
        pathlib.Path(out).write_text(header + "\n\n" + md + "\n")
