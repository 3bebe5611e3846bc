#!/usr/bin/env python3
"""`permrsa rdm --method lda` against a scikit-learn loop (issue 6 benchmark).

Workload: one synthetic subject (`permrsa simulate --epochs`) with S = 49 stimuli (P = 1176
pairs), 128 channels, T = 218 time points and 40 trials per stimulus, 5 folds: 1176 x 218 x 5 =
1,281,840 binary LDA fits with LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").

- permrsa: the whole problem, `--threads N` (default 2).
- scikit-learn: the loop a user writes (per pair, time point and fold: fit, predict,
  accuracy_score), on a random sample of (pair, time point) cells, split over N processes with
  OPENBLAS_NUM_THREADS=1 (the same N cores), extrapolated linearly to all P x T cells. The
  sampled accuracies are checked to equal permrsa's.
- The study: `--study-subjects` subjects (default 2) with 1 MPI rank x N threads and with N ranks
  x 1 thread, scaled to 23 subjects (the scaling is stated in the table when fewer are measured).

Prints a table (workload, time, throughput, ratio vs scikit-learn); --out also writes markdown.
"""
import argparse
import multiprocessing as mp
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from bench_common import skip_dead_munge  # noqa: E402
from bench_table import cpu_name, fmt_time, table  # noqa: E402


def sklearn_worker(args):
    path, cells, folds_seed = args
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import h5py
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import PredefinedSplit
    with h5py.File(path, "r") as f:
        labels = f["labels"][()]
        stimuli = np.unique(labels)
        needed = sorted({t for _, _, t in cells})
        data = {t: f["data"][:, :, t].astype(np.float64) for t in needed}
    folds = folds_seed
    out = []
    start = time.perf_counter()
    for i, j, t in cells:
        rows = np.flatnonzero((labels == stimuli[i]) | (labels == stimuli[j]))
        x, y = data[t][rows], labels[rows]
        scores = []
        for train, test in PredefinedSplit(folds[rows]).split():
            clf = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x[train], y[train])
            scores.append(accuracy_score(y[test], clf.predict(x[test])))
        out.append(np.mean(scores))
    return time.perf_counter() - start, out


def timed(cmd, env=None):
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sample", type=int, default=24, help="(pair, time point) cells for scikit-learn")
    ap.add_argument("--study-subjects", type=int, default=2, help="subjects measured for the study rows")
    ap.add_argument("--times", type=int, default=218)
    ap.add_argument("--workdir", help="keep the synthetic data here (default: a temporary folder)")
    ap.add_argument("--keep-munge", action="store_true",
                    help="leave PMIx's munge authentication on even without a munge daemon")
    ap.add_argument("--out", help="also write the table as markdown")
    a = ap.parse_args()
    munge_note = "" if a.keep_munge else skip_dead_munge()
    binary = str(pathlib.Path(a.build) / "src" / "permrsa")
    mpirun = shutil.which("mpirun")
    S, C, T, R, F, N_STUDY = 49, 128, a.times, 40, 5, 23
    P = S * (S - 1) // 2
    work = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="permrsa-eeg-bench-"))
    subjects = max(1, a.study_subjects)
    if not (work / f"sub-{subjects:02d}_epochs.h5").exists():
        subprocess.run([binary, "simulate", "--epochs", "--out", work, "--stimuli", str(S),
                        "--channels", str(C), "--times", str(T), "--trials", str(R),
                        "--subjects", str(subjects), "--quiet"], check=True)
    sub1 = work / "sub-01_epochs.h5"

    t_permrsa = timed([binary, "rdm", "--epochs", sub1, "--method", "lda", "--folds", str(F),
                       "--out", work / "one.h5", "--threads", str(a.threads), "--quiet"])

    import h5py
    with h5py.File(work / "one.h5", "r") as f:
        ours, folds = f["rdms"][()], f["folds"][()]
    rng = np.random.default_rng(0)
    pairs = [(i, j) for i in range(S) for j in range(i + 1, S)]
    picks = rng.choice(P, size=a.sample, replace=False)
    times = rng.integers(0, T, size=a.sample)
    cells = [(pairs[p][0], pairs[p][1], int(t)) for p, t in zip(picks, times)]
    chunks = [cells[k::a.threads] for k in range(a.threads)]
    with mp.get_context("spawn").Pool(a.threads) as pool:
        results = pool.map(sklearn_worker, [(str(sub1), ch, folds) for ch in chunks])
    t_sample = max(r[0] for r in results)
    theirs = {c: v for ch, r in zip(chunks, results) for c, v in zip(ch, r[1])}
    mismatches = sum(ours[pairs.index((i, j)), t] != v for (i, j, t), v in theirs.items())
    t_sklearn = t_sample * (P * T) / a.sample
    fits = P * T * F

    rows = [["permrsa rdm lda, 1 subject", fmt_time(t_permrsa), f"{fits / t_permrsa:,.0f} fits/s",
             f"{t_sklearn / t_permrsa:.0f}x"],
            [f"scikit-learn loop, 1 subject (extrapolated from {a.sample} of {P * T} cells, "
             f"{a.threads} processes)", fmt_time(t_sklearn), f"{fits / t_sklearn:,.0f} fits/s", "1x"]]
    study = []
    if mpirun:
        files = [str(work / f"sub-{n + 1:02d}_epochs.h5") for n in range(subjects)]
        for ranks, threads in [(1, a.threads), (a.threads, 1)]:
            # Each rank gets `threads` cores: without --map-by PE, Open MPI binds a job of at
            # most two ranks one core per rank, and 1 rank x 2 threads would share one core.
            cmd = [mpirun, "-n", str(ranks), "--map-by", f"slot:PE={threads}", "--oversubscribe",
                   "--allow-run-as-root", binary, "rdm",
                   "--epochs", *files, "--method", "lda", "--folds", str(F), "--out",
                   work / f"study{ranks}.h5", "--threads", str(threads), "--quiet"]
            t = timed(cmd)
            scaled = t * N_STUDY / subjects
            note = "" if subjects == N_STUDY else f" (measured {subjects} subjects: {fmt_time(t)}, x {N_STUDY}/{subjects})"
            study.append((ranks, scaled))
            rows.append([f"study, {N_STUDY} subjects, {ranks} MPI rank(s) x {threads} thread(s){note}",
                         fmt_time(scaled), f"{N_STUDY * fits / scaled:,.0f} fits/s",
                         f"{N_STUDY * t_sklearn / scaled:.0f}x"])
        same = subprocess.run(["h5diff", "-r", work / "study1.h5", work / f"study{a.threads}.h5"],
                              capture_output=True).returncode == 0
    text, md = table(["workload", "time", "throughput", "ratio vs scikit-learn"], rows)
    header = (f"EEG decoding RDMs: S={S} (P={P}), {C} channels, T={T}, {R} trials/stimulus, {F} folds; "
              f"{cpu_name()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    notes = [f"scikit-learn accuracies equal permrsa's on all {a.sample} sampled cells: {mismatches == 0}"]
    if mpirun:
        notes.append(f"1-rank and {a.threads}-rank study files identical (h5diff): {same}")
        if munge_note:
            notes.append("launcher: " + munge_note)
    print(header)
    print(text)
    for n in notes:
        print(n)
    if a.out:
        pathlib.Path(a.out).write_text(header + "\n\n" + md + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
