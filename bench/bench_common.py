"""What the kernel benchmarks share (run_benchmarks.py, kernel_scaling.py): running and measuring
processes, the OpenBLAS environment of the NumPy side, the sgemm measurement with its best-core
selection, and the machine's peak rates from permrsa_bench_kernel's register-only loops.

Errors name the script that was started (sys.argv[0]), so that a failed command says whose it was.
"""
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
FORCED_CORES = ["SkylakeX", "Cooperlake", "Haswell"]  # tried when OpenBLAS autodetects


def _script():
    return pathlib.Path(sys.argv[0]).stem or "bench"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# processes

def run(cmd, env=None, check=True, cwd=None):
    """Runs cmd; returns (CompletedProcess, wall seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.perf_counter() - t0
    if check and proc.returncode != 0:
        raise SystemExit(f"{_script()}: {' '.join(map(str, cmd))} exited {proc.returncode}\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc, seconds


def run_measured(cmd, env=None, check=True):
    """Runs cmd; returns (CompletedProcess-like, wall seconds, peak RSS in MiB). Peak RSS comes
    from /usr/bin/time -v when it is installed, else from the child's rusage (os.wait4). With
    check=False a failed command returns its CompletedProcess (non-zero returncode) instead of
    ending the script."""
    cmd = [str(c) for c in cmd]
    if os.access("/usr/bin/time", os.X_OK):
        proc, seconds = run(["/usr/bin/time", "-v", *cmd], env=env, check=check)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        return proc, seconds, int(m.group(1)) / 1024 if m else float("nan")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        proc = subprocess.CompletedProcess(cmd, child.returncode, out.read(), err.read())
    if check and proc.returncode != 0:
        raise SystemExit(f"{_script()}: {' '.join(cmd)} exited {proc.returncode}\n{proc.stderr}")
    return proc, seconds, usage.ru_maxrss / 1024


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------------------------------
# BLAS environment

def find_openblas(explicit):
    """A folder holding OpenBLAS's libblas.so.3, or None (then NumPy keeps its own BLAS)."""
    candidates = [explicit] if explicit else []
    candidates += [os.environ.get("PERMRSA_OPENBLAS_DIR"),
                   "/usr/lib/x86_64-linux-gnu/openblas-pthread",
                   "/usr/lib/x86_64-linux-gnu/openblas-openmp",
                   "/usr/lib/x86_64-linux-gnu/openblas-serial"]
    for c in candidates:
        if c and (pathlib.Path(c) / "libblas.so.3").exists():
            return str(pathlib.Path(c).resolve())
    if explicit:
        raise SystemExit(f"{_script()}: --openblas {explicit}: no libblas.so.3 there")
    # Debian's default libblas3 is the reference BLAS, some 60x slower than OpenBLAS here: a
    # NumPy baseline on it is no careful baseline, and every ratio against it is inflated.
    print(f"{_script()}: WARNING: no OpenBLAS found (apt-get install libopenblas0-pthread, or "
          "--openblas DIR): NumPy runs on the BLAS it finds, and ratios against it are not the "
          "ones bench/README.md reports", file=sys.stderr, flush=True)
    return None


def blas_env(base, openblas_dir, threads, coretype="unset"):
    """Environment for a NumPy subprocess: OpenBLAS first, N threads, and OPENBLAS_CORETYPE /
    OPENBLAS_L2_SIZE unset (coretype="unset") or the core forced (coretype=NAME)."""
    env = dict(base)
    for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[k] = str(threads)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if coretype != "unset":
        env["OPENBLAS_CORETYPE"] = coretype
    if openblas_dir:
        env["LD_LIBRARY_PATH"] = openblas_dir + (":" + env["LD_LIBRARY_PATH"]
                                                 if env.get("LD_LIBRARY_PATH") else "")
    return env


# numpy.matmul on the kernel's shapes, in its own process (so that its BLAS environment is its
# own). Reports the BLAS that was loaded and the OpenBLAS core that ran. The operands are drawn
# in their own dtype, and the float64 check covers a corner of the product only (256 rows x 16
# columns, several of OpenBLAS's tiles): at S = 800 the full operands take 1 GB and more, and a
# forced core that is wrong for the CPU is wrong everywhere.
GEMM_SNIPPET = r"""
import ctypes, json, sys, time
import numpy as np
m, k, n, dtype, min_time = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
rng = np.random.default_rng(0)
a = rng.standard_normal((m, k), dtype=dtype)
b = rng.standard_normal((k, n), dtype=dtype)
c = a @ b
rows, cols = min(m, 256), min(n, 16)
ref = a[:rows].astype(np.float64) @ b[:, :cols].astype(np.float64)
rel_err = float(np.abs(c[:rows, :cols] - ref).max() / np.abs(ref).max())
times = []
t_start = time.perf_counter()
while len(times) < 5 or (time.perf_counter() - t_start < min_time and len(times) < 2000):
    t0 = time.perf_counter()
    np.matmul(a, b, out=c)
    times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2]
info = {"lib": None, "core": None, "config": None, "threads": None}
libs = [l.split()[-1] for l in open("/proc/self/maps") if "blas" in l and l.split()[-1].startswith("/")]
info["libs"] = sorted(set(libs))
try:
    import threadpoolctl
    for d in threadpoolctl.threadpool_info():
        if d.get("user_api") == "blas":
            info.update(lib=d.get("filepath"), core=d.get("architecture"), threads=d.get("num_threads"),
                        internal_api=d.get("internal_api"), version=d.get("version"))
except ImportError:
    pass
for path in info["libs"]:
    try:
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        info["core"] = info["core"] or lib.openblas_get_corename().decode()
        info["config"] = lib.openblas_get_config().decode()
        info["lib"] = info["lib"] or path
        info["internal_api"] = "openblas"
        break
    except (OSError, AttributeError):
        continue
if info.get("internal_api") != "openblas":
    info["lib"] = info["lib"] or ",".join(info["libs"]) or "unknown"
print(json.dumps({"seconds_median": med, "seconds_best": times[0], "reps": len(times),
                  "gflops": 2.0 * m * k * n / med / 1e9, "gflops_best": 2.0 * m * k * n / times[0] / 1e9,
                  "rel_err": rel_err, "numpy": np.__version__, **info}))
"""


def measure_gemm(env, m, k, n, dtype, min_time):
    proc, _ = run([PY, "-c", GEMM_SNIPPET, m, k, n, dtype, min_time], env=env, check=False)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json_lines(proc.stdout)[-1]


class BlasChoice:
    """Which OpenBLAS core runs with OPENBLAS_CORETYPE/L2_SIZE unset, and the fastest of that one
    and a few forced cores that compute correctly, measured by sgemm on m x k . k x n.

    An OpenBLAS older than the CPU falls back to a generic core (Debian bookworm's 0.3.21 picks
    Prescott on Sapphire Rapids), so targets are judged against the fastest core measured.
    Attributes: auto_env, best_env, best_core (the OPENBLAS_CORETYPE value or "unset"),
    core_results {coretype: measure_gemm result}, sgemm_auto, is_openblas, name (library and
    version), best_core_name, auto_core_name, label (for table cells)."""

    def __init__(self, base_env, openblas, threads, m, k, n, min_time):
        self.auto_env = blas_env(base_env, openblas, threads)
        self.sgemm_auto = measure_gemm(self.auto_env, m, k, n, "float32", min_time)
        self.core_results = {"unset": self.sgemm_auto}
        self.is_openblas = self.sgemm_auto.get("internal_api") == "openblas"
        if self.is_openblas:
            for core in FORCED_CORES:
                r = measure_gemm(blas_env(base_env, openblas, threads, core), m, k, n, "float32",
                                 min_time / 2)
                # A forced core that is wrong on this CPU (big error) or crashes is not a candidate.
                if "error" not in r and r.get("rel_err", 1) < 1e-4:
                    self.core_results[core] = r
        self.best_core = max(self.core_results,
                             key=lambda c: self.core_results[c].get("gflops", 0))
        self.best_env = blas_env(base_env, openblas, threads, self.best_core)
        self.name = (f"OpenBLAS {self.sgemm_auto.get('version') or ''}".strip()
                     if self.is_openblas else f"NOT OpenBLAS ({self.sgemm_auto.get('lib')})")
        self.best_core_name = self.core_results[self.best_core].get("core") or self.best_core
        self.auto_core_name = self.sgemm_auto.get("core") or "?"
        self.label = (f"{self.name}, core {self.best_core_name}" if self.is_openblas
                      else self.name)
        if self.best_core != "unset":
            self.label += f" (OPENBLAS_CORETYPE={self.best_core})"

    def log(self):
        for c, r in self.core_results.items():
            log(f"      OPENBLAS_CORETYPE={c}: core {r.get('core')}, "
                f"{r.get('gflops', 0):.1f} GFLOP/s")


# ---------------------------------------------------------------------------------------------
# the MPI launcher

MUNGE_SOCKET = pathlib.Path("/run/munge/munge.socket.2")


def munge_daemon_answers():
    """Whether a munge daemon accepts connections (a socket file may outlive its daemon)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(str(MUNGE_SOCKET))
            return True
        except OSError:
            return False


def skip_dead_munge():
    """Open MPI 4.1's PMIx authenticates the launched processes with munge whenever libmunge is
    installed; with no munge daemon running it retries the daemon's socket with a growing
    back-off, 2.25 s per mpirun (strace: 10 connects to /run/munge/munge.socket.2, 50 ... 450 ms
    apart; `mpirun -n 2 true` 2.3 s, 0.03 s without). That is the machine's set-up, not
    permrsa's cost, so without a daemon a benchmark disables the munge component for its mpirun
    commands (PMIX_MCA_psec=^munge, in its own environment only) and says so in its table. An
    explicit PMIX_MCA_psec is left alone. Returns the note, or "" when nothing was changed."""
    if "PMIX_MCA_psec" in os.environ or munge_daemon_answers():
        return ""
    libdirs = ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib")
    if not any(any(pathlib.Path(d).glob("libmunge.so*")) for d in libdirs):
        return ""
    os.environ["PMIX_MCA_psec"] = "^munge"
    return (f"libmunge is installed but no munge daemon answers on {MUNGE_SOCKET}: "
            "PMIX_MCA_psec=^munge was set for mpirun, which otherwise spends 2.25 s per start "
            "retrying the daemon (--keep-munge measures that)")


# ---------------------------------------------------------------------------------------------
# the machine's peak

PEAK_CASES = "fp32-peak:float32,fp64-peak:float64,int16-peak:avx512vnni"


def measure_peaks(kernel_bench, threads):
    """{(case, threads): G ops/s} from permrsa_bench_kernel's register-only loops, on 1 thread
    and on `threads` threads at once. Cases: "fp32-fma", "fp64-fma" (flop/s) and "int16-vpdpwssd"
    (int16 multiply-adds x 2 per second; absent without AVX-512 VNNI). Each is the best of the
    binary's 3 repetitions: a peak is a bound, and another process on the cores only lowers it."""
    proc, _ = run([kernel_bench, "--threads", threads, "--cases", PEAK_CASES])
    return {(r["case"], r["threads"]): r["gflops_best"] for r in json_lines(proc.stdout)
            if r.get("bench") == "peak"}


def best_peaks(rounds):
    """The highest rate of each (case, threads) over several measure_peaks results."""
    out = {}
    for r in rounds:
        for key, value in r.items():
            out[key] = max(out.get(key, 0.0), value)
    return out


def peak_warning(peaks, threads):
    """A note when the N-thread float32 peak came out below 1.5 x the 1-thread one: the cores
    were shared with another process whenever it was measured, so percentages of the N-thread
    peak are overstated (on a quiet 2-core host it is 2 x). "" otherwise."""
    one, many = peaks.get(("fp32-fma", 1)), peaks.get(("fp32-fma", threads))
    if threads < 2 or not one or not many or many >= 1.5 * one:
        return ""
    return (f"WARNING: the {threads}-thread float32 FMA peak ({many:.0f} GFLOP/s) is only "
            f"{many / one:.2f}x the 1-thread one ({one:.0f}): another process held a core "
            f"whenever it was measured, so every '% of {threads}-thread peak' is overstated; "
            "re-run on a quiet machine")


def fmt_pct(x):
    return "-" if x != x else f"{x:.0%}"
