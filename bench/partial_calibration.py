"""Family-wise error rates of the plain and the partial tests under a null with a correlated
covariate (issue 17; the README's calibration figure). The same null as
tests/python/test_partial_calibration.py: model RDMs x = distances of w f_z + noise features,
covariate z = distances of f_z, brain = z + independent noise over the pairs, no x effect;
a 2-layer x 3-time map, S = 12, K = 99, pearson, max-statistic FWER at alpha = 0.05.

  PYTHONPATH=build/python /usr/bin/python3 bench/partial_calibration.py [--runs 1000]
      [--weights 0.6,1.1,2.0] [--png calibration.png]

Prints one row per weight w (mean r(x, z) and the FWER of each scheme, with its binomial 95%
interval); --png also draws them."""
import argparse

import numpy as np
from scipy.spatial.distance import pdist

import permrsa

S, L, T, K = 12, 2, 3, 99
SCHEMES = (("plain", None), ("partial, permute model", "model"),
           ("partial, freedman-lane", "freedman-lane"))


def simulated(seed, weight):
    rng = np.random.default_rng(seed)
    fz = rng.normal(size=(S, 4))
    z = pdist(fz)
    models = np.array([pdist(weight * fz + rng.normal(size=(S, 4))) for _ in range(L)])
    brain = np.stack([z + 0.5 * z.std() * rng.normal(size=z.size) for _ in range(T)], axis=1)
    return models, brain, z


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--weights", default="0.6,1.1,2.0")
    ap.add_argument("--png")
    args = ap.parse_args()
    rows = []
    for w in (float(x) for x in args.weights.split(",")):
        hits = {name: 0 for name, _ in SCHEMES}
        rxz = []
        for i in range(args.runs):
            models, brain, z = simulated(10_000 + i, w)
            rxz.append(np.corrcoef(models[0], z)[0, 1])
            for name, permute in SCHEMES:
                kw = {} if permute is None else {"covariates": z[None, :],
                                                 "covariate_permute": permute}
                r = permrsa.run(brain, models, metric="pearson", permutations=K, seed=i + 1,
                                threads=1, **kw)
                hits[name] += bool(r.p_maxstat.to_numpy().min() <= 0.05)
        rows.append((w, float(np.mean(rxz)), {k: v / args.runs for k, v in hits.items()}))
    half = 1.96 * np.sqrt(0.05 * 0.95 / args.runs)
    print(f"FWER at alpha = 0.05, {args.runs} simulations per row "
          f"(a calibrated test: 0.05 +- {half:.3f})")
    print("| mean r(x, z) | " + " | ".join(name for name, _ in SCHEMES) + " |")
    print("| --- |" + " --- |" * len(SCHEMES))
    for w, r, rates in rows:
        print(f"| {r:.2f} | " + " | ".join(f"{rates[name]:.3f}" for name, _ in SCHEMES) + " |")
    if args.png:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 3.5))
        x = np.arange(len(rows))
        for j, (name, _) in enumerate(SCHEMES):
            ax.bar(x + (j - 1) * 0.27, [rates[name] for _, _, rates in rows], 0.27, label=name,
                   zorder=2)
        ax.axhspan(0.05 - half, 0.05 + half, color="grey", alpha=0.3, lw=0, zorder=0)
        ax.axhline(0.05, color="black", lw=0.8)
        ax.set_xticks(x, [f"r(x, z) = {r:.2f}" for _, r, _ in rows])
        ax.set_ylabel("family-wise error rate")
        ax.set_yscale("log")
        ax.legend(frameon=False, fontsize=8)
        fig.tight_layout()
        fig.savefig(args.png, dpi=120)


if __name__ == "__main__":
    main()
