#!/usr/bin/python3
"""MNE-Python main's one-sample sign-flip cluster test, re-implemented in vectorised NumPy/SciPy:
the third baseline of bench/signflip_vs_mne.py (issue 20, scope 5).

MNE's main branch (PRs #13731 and #14057, 2026) sped up `permutation_cluster_1samp_test`:
  - sum(X**2) over subjects does not change under sign flips (s**2 = 1), so it is computed once;
    a flip's t then needs only the flipped column sums: with m = sum/n,
    t = m / sqrt(sum_sq - n m^2) * sqrt(n (n - 1));
  - the flipped sums are one product `signs @ X` (no flipped copy of X);
  - null maps only need the largest cluster statistic, so no per-cluster index lists are built
    and cluster sums come from one np.bincount over the labels.
MNE applies `signs @ X` one permutation at a time. Here it is one (B x N) @ (N x cells) matrix
product per batch of B flips, in OpenBLAS; the null maps are thresholded on the flipped sums
themselves (|t| > c <=> sum^2 > a per-column bound), t is computed only at the supra-threshold
cells, and each sign's B masks are labelled by ONE scipy.ndimage.label call on a (B, L, T) stack
whose structuring element connects only within a map (the 4-neighbour L x T lattice that MNE's
adjacency=None gives), so that Python's per-map overhead disappears too. This is the fastest form
of that algorithm in NumPy that we found (labelling the supra-threshold cells as a compact graph
with scipy's connected_components, MNE main's form for sparse adjacencies, was slower here);
nothing about the statistics changes.

Flips: K - 1 distinct random sign patterns of the first N - 1 subjects (the last subject keeps
its sign: for a two-sided test a pattern and its negation give the same null maximum, which is
also why MNE fixes one subject), plus the identity, as in MNE; p = mean(|H0| >= |mass|) over the
K values, as in MNE.

  /usr/bin/python3 bench/signflip_numpy.py MAPS.npy THRESHOLD K OUT.npz [--seed 0] [--batch 32]
                                           [--check 32]

It writes t_obs, the observed clusters (label map), their masses and p-values, H0 and the time of
the test alone (loading excluded), and checks that the batched form gives the same null maxima as
a plain per-map computation for the first --check flips (exit 1 if not).
"""
import argparse
import sys
import time

import numpy as np
from scipy import ndimage

# 4-neighbour connectivity within one (L, T) map, none across the batch axis.
LATTICE_2D = ndimage.generate_binary_structure(2, 1)
WITHIN_MAP = np.zeros((3, 3, 3), dtype=bool)
WITHIN_MAP[1] = LATTICE_2D
CHECK_TOLERANCE = 1e-9


class SignFlipT:
    """One-sample t of sign-flipped data from the flipped column sums alone."""

    def __init__(self, X):                      # X: (N, cells)
        self.n = X.shape[0]
        self.sum_sq = np.einsum("nc,nc->c", X, X)
        self.scale = np.sqrt(self.n * (self.n - 1.0))
        # sum_sq - sum^2/n = sum over subjects of (s_i x_i - mean)^2 is 0 only if every s_i x_i
        # is the same, which needs |x_i| equal across subjects: only those columns can give 0/0.
        a = np.abs(X)
        self.degenerate = a.max(0) == a.min(0)

    def from_sums(self, sums):                  # sums: (..., cells); overwritten
        # t = (sum/n) / sqrt(sum_sq - sum^2/n) * sqrt(n(n-1)), in place, in as few passes as NumPy
        # allows; MNE's m / sqrt(sum_sq - n m^2) * sqrt(n(n-1)) with m = sum/n is the same.
        denom = sums * sums
        denom *= -1.0 / self.n
        denom += self.sum_sq
        np.maximum(denom, 0.0, out=denom)
        np.sqrt(denom, out=denom)
        sums *= self.scale / self.n
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(sums, denom, out=sums)
        if self.degenerate.any():               # columns whose t can be 0/0 (as MNE: t = 0)
            bad = sums[..., self.degenerate]
            bad[~np.isfinite(bad)] = 0.0
            sums[..., self.degenerate] = bad
        return sums

    def square_bound(self, threshold):
        """Per column: |t| > threshold  <=>  sum^2 > bound (from t^2 = sum^2 (n-1)/n /
        (sum_sq - sum^2/n)), so null maps are thresholded on the flipped sums without computing
        t; t is then needed only at the few supra-threshold cells. Columns whose t can be 0/0
        get an infinite bound: MNE sets their t to 0."""
        bound = threshold * threshold * self.sum_sq * self.n / (self.n - 1.0 + threshold ** 2)
        bound[self.degenerate] = np.inf
        return bound

    def t_at(self, sums, columns):
        """t of the flipped sums of the given columns."""
        return sums * (self.scale / self.n) / np.sqrt(self.sum_sq[columns] - sums * sums / self.n)


def cluster_masses(t, threshold, structure):
    """Labels and masses of the supra-threshold clusters of t (one map or a stack), both signs.
    Returns (labels_pos, masses_pos, labels_neg, masses_neg); label 0's mass is 0."""
    out = []
    for mask in (t > threshold, t < -threshold):
        labels, n_labels = ndimage.label(mask, structure=structure)
        masses = np.bincount(labels.ravel(), weights=t.ravel(), minlength=n_labels + 1)
        masses[0] = 0.0
        out += [labels, masses]
    return out


def batch_max_mass(stat, sums, bound, shape):
    """sums: (B, cells) flipped column sums -> (B,) largest |cluster mass| of each of the B null
    maps of shape `shape` (0 if a map has no supra-threshold cell)."""
    n_maps, cells = sums.shape
    best = np.zeros(n_maps)
    supra = sums * sums > bound
    positive = sums > 0
    flat = sums.ravel()
    map_starts = np.arange(n_maps) * cells
    for mask in (supra & positive, supra & ~positive):
        mask = mask.reshape((n_maps,) + shape)
        labels, n_labels = ndimage.label(mask, structure=WITHIN_MAP)
        if n_labels == 0:
            continue
        # Only the supra-threshold cells (a few per cent) are touched from here on.
        where = np.flatnonzero(mask)
        lab = labels.ravel()[where]
        t = stat.t_at(flat[where], where % cells)
        masses = np.abs(np.bincount(lab, weights=t, minlength=n_labels + 1))
        # Each cell carries its cluster's |mass|, plus a 0 at the end for maps without cells.
        per_cell = np.append(masses[lab], 0.0)
        # `where` is sorted, so each map's cells are one segment: its maximum is the map's
        starts = np.searchsorted(where, map_starts)
        has = np.diff(np.append(starts, len(where))) > 0
        seg_max = np.maximum.reduceat(per_cell, starts)
        np.maximum(best, np.where(has, seg_max, 0.0), out=best)
    return best


def plain_max_mass(X, signs, threshold, shape):
    """Reference for one flip: flip the data, t from scratch, label the map alone."""
    Y = X * signs[:, None]
    n = Y.shape[0]
    t = (Y.mean(0) / (Y.std(0, ddof=1) / np.sqrt(n))).reshape(shape)
    best = 0.0
    for mask in (t > threshold, t < -threshold):
        labels, n_labels = ndimage.label(mask, structure=LATTICE_2D)
        for c in range(1, n_labels + 1):
            best = max(best, abs(float(t[labels == c].sum())))
    return best


def sign_patterns(n, k, rng):
    """k distinct +-1 patterns over n subjects, the last subject's sign fixed at +1, none the
    identity (as MNE's two-sided orders)."""
    codes = rng.choice(2 ** (n - 1) - 1, size=k, replace=False) + 1
    bits = (codes[:, None] >> np.arange(n - 1)[None, :]) & 1
    signs = np.ones((k, n))
    signs[:, : n - 1] = 1.0 - 2.0 * bits
    return signs


def signflip_cluster_test(maps, threshold, n_permutations, seed=0, batch=256):
    """maps: (N, L, T). Returns dict(t_obs, labels_pos, labels_neg, masses_pos, masses_neg,
    H0, p_pos, p_neg, signs)."""
    n, shape = maps.shape[0], maps.shape[1:]
    X = np.ascontiguousarray(maps.reshape(n, -1), dtype=np.float64)
    stat = SignFlipT(X)
    t_obs = stat.from_sums(X.sum(0)).reshape(shape)
    lp, mp, ln, mn = cluster_masses(t_obs, threshold, LATTICE_2D)
    observed_max = max(np.abs(mp).max(initial=0.0), np.abs(mn).max(initial=0.0))
    signs = sign_patterns(n, n_permutations - 1, np.random.default_rng(seed))
    H0 = np.empty(n_permutations)
    H0[0] = observed_max                        # the identity, as MNE
    bound = stat.square_bound(threshold)
    for start in range(0, len(signs), batch):
        s = signs[start:start + batch]
        H0[1 + start:1 + start + len(s)] = batch_max_mass(stat, s @ X, bound, shape)
    abs_h0 = np.sort(np.abs(H0))

    def p_of(masses):
        # mean(|H0| >= |m|) by one searchsorted over the sorted null
        return (len(abs_h0) - np.searchsorted(abs_h0, np.abs(masses[1:]), side="left")) / len(abs_h0)

    return dict(t_obs=t_obs, labels_pos=lp, labels_neg=ln, masses_pos=mp[1:], masses_neg=mn[1:],
                H0=H0, p_pos=p_of(mp), p_neg=p_of(mn), signs=signs)


def blas_in_use():
    """The BLAS library this process loaded, with OpenBLAS's core and thread count if it is one."""
    import ctypes
    # the BLAS libraries themselves, not Python extension modules linked to them
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
                   if "blas" in line.split()[-1].rsplit("/", 1)[-1]
                   and "cpython" not in line and line.split()[-1].startswith("/")})
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return f"{path} (OpenBLAS core {lib.openblas_get_corename().decode()}, " \
                   f"{lib.openblas_get_num_threads()} threads)"
        except (OSError, AttributeError):
            continue
    return ", ".join(libs) or "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("maps")
    ap.add_argument("threshold", type=float)
    ap.add_argument("permutations", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--check", type=int, default=32,
                    help="flips checked against the plain per-map computation")
    args = ap.parse_args(argv)
    maps = np.load(args.maps)
    t0 = time.perf_counter()
    res = signflip_cluster_test(maps, args.threshold, args.permutations, args.seed, args.batch)
    seconds = time.perf_counter() - t0
    # The batched form against the plain one, on the same flips (not timed).
    X = maps.reshape(maps.shape[0], -1)
    checked = min(args.check, len(res["signs"]))
    worst = max((abs(plain_max_mass(X, res["signs"][i], args.threshold, maps.shape[1:])
                     - res["H0"][1 + i]) for i in range(checked)), default=0.0)
    res.pop("signs")
    np.savez(args.out, seconds=seconds, check_flips=checked, check_max_diff=worst,
             blas=np.array(blas_in_use()), **res)
    print(f"signflip_numpy: {seconds:.3f} s; batched vs plain null maxima on {checked} flips: "
          f"max |diff| {worst:.3g}", file=sys.stderr)
    return 0 if worst <= CHECK_TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
