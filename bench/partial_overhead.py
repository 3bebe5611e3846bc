"""What partialling out costs (issue 17): `permrsa run` on the seed shape (S = 49, L = 22,
T = 218; `permrsa simulate` data) without covariates and with one covariate RDM, side by side on
the same data, K and threads, reported as ratios (budget: formula with q = 1 within 1.3x of the
plain run for pearson and spearman).

  /usr/bin/python3 bench/partial_overhead.py --build build [--permutations 10000] [--threads 2]
      [--kendall-permutations 200] [--repeat 3] [--cases all|formula] [--out table.md]

Cases: pearson and spearman (float32, formula, permute model and freedman-lane), kendall-b
(residual, the study's method, and formula) at fewer permutations. The covariate is the first
layer of the simulated models (covariates.layers), so the partial runs test L - 1 = 21 layers: the
ratio is per run, as a user sees it, and also per tested layer."""
import argparse
import pathlib
import subprocess
import tempfile
import time


def timed(binary, config, sets, threads, repeat):
    """The fastest of `repeat` runs (the machine is shared: the minimum is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([binary, "run", str(config), "--threads", str(threads), "-q",
                        *[a for s in sets for a in ("--set", s)]], check=True,
                       stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--permutations", type=int, default=10000)
    ap.add_argument("--kendall-permutations", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="all", help="all, or formula (pearson and spearman, "
                    "formula, model: the 1.3x budget)")
    ap.add_argument("--out")
    args = ap.parse_args()
    binary = pathlib.Path(args.build) / "src" / "permrsa"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        subprocess.run([binary, "simulate", "--out", tmp / "sim", "--stimuli", "49", "--layers",
                        "22", "--times", "218", "-q"], check=True)
        config = tmp / "sim" / "config.toml"
        out = f"output.file={tmp / 'out.h5'}"
        cases = [("pearson", args.permutations, "formula", "model"),
                 ("spearman", args.permutations, "formula", "model"),
                 ("spearman", args.permutations, "formula", "freedman-lane"),
                 ("kendall-b", args.kendall_permutations, "residual", "model"),
                 ("kendall-b", args.kendall_permutations, "formula", "model")]
        if args.cases == "formula":
            cases = cases[:2]
        for metric, k, method, permute in cases:
            base = [f"analysis.metric={metric}", f"analysis.permutations={k}", out,
                    "correction.cluster_threshold=statistic"]
            partial = base + ["covariates.layers=[\"layer1\"]", f"covariates.method={method}",
                              f"covariates.permute={permute}"]
            plain_s = timed(binary, config, base, args.threads, args.repeat)
            partial_s = timed(binary, config, partial, args.threads, args.repeat)
            rows.append((metric, k, method, permute, plain_s, partial_s))
    lines = ["| metric | K | method | permute | plain (s) | partial (s) | ratio | ratio per layer |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for metric, k, method, permute, a, b in rows:
        lines.append(f"| {metric} | {k} | {method} | {permute} | {a:.2f} | {b:.2f} | "
                     f"{b / a:.2f}x | {(b / 21) / (a / 22):.2f}x |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        pathlib.Path(args.out).write_text(table + "\n")


if __name__ == "__main__":
    main()
