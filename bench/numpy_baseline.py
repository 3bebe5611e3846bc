#!/usr/bin/python3
"""A vectorised NumPy/SciPy implementation of permrsa's stimulus-scheme analysis: the baseline
that bench/run_benchmarks.py times side by side with `permrsa run`.

It is written the way a competent user would write it, not as a strawman:
  - ranks (Spearman) or z-scores (Pearson) are computed once, for both sides;
  - per batch of permutations the model rows are gathered into one (L*batch) x P matrix and the
    null maps come from ONE matrix product with the BLAS NumPy is linked to (OpenBLAS, float32
    or float64);
  - the permutation-p cluster-forming threshold needs the null before it can be applied. By
    default the null maps are kept in memory (one pass of matrix products, (K+1) x L x T values;
    the cheaper choice for NumPy); `--null-storage regenerate` instead keeps each cell's top
    values and regenerates the permutations for a second pass, as permrsa does;
  - clusters (time connectivity) come from a vectorised run-length scan over a whole batch of maps
    (np.bincount sums each run in time order); layer-time connectivity uses scipy.ndimage.label.

It reads the same TOML config as `permrsa run` (the keys of tests/python/README.md), so both sides
see the same data and settings, and writes the same HDF5 names, so that run_benchmarks.py can
check that the p-values agree (with `analysis.permutation_file`, both use the same permutations;
otherwise NumPy's own generator supplies them, since Philox streams differ).

It prints one JSON line with its phase timings on stdout.

Also: `--kendall-loop N` times the textbook scipy.stats.kendalltau loop over the L x T cells for
N permutations (prints permutations/s); the metric permrsa's kendall-b kernel is compared with.

Usage:
  /usr/bin/python3 bench/numpy_baseline.py CONFIG.toml [--set section.key=value]...
        [--out results.h5] [--batch 64] [--null-storage store|regenerate]
        [--kendall-loop N [--workers W]]
"""
import argparse
import json
import os
import pathlib
import sys
import time
import tomllib

import numpy as np
import scipy.io
import scipy.ndimage
import scipy.stats

DEFAULTS = {
    "brain": {"file": None, "layout": "pairs-time", "times": "", "time_start": 0.0,
              "time_step": 1.0, "baseline": None},
    "models": {"file": None, "kind": "dissimilarity", "names": ""},
    "analysis": {"scheme": "stimulus", "metric": "spearman", "permutations": 10000, "seed": 1,
                 "tail": "greater", "precision": "float32", "permutation_file": ""},
    "correction": {"cluster_threshold": "permutation-p", "cluster_alpha": 0.05,
                   "cluster_value": 0.1, "cluster_statistic": "mass", "connectivity": "time"},
    "output": {"file": "results.h5"},
}


# ---------------------------------------------------------------------------------------------
# inputs

def load_config(path, overrides):
    path = pathlib.Path(path).resolve()
    raw = tomllib.loads(path.read_text())
    cfg = {section: dict(keys) for section, keys in DEFAULTS.items()}
    for section, keys in raw.items():
        cfg[section].update(keys)
    for item in overrides:
        key, value = item.split("=", 1)
        section, name = key.split(".", 1)
        try:
            cfg[section][name] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            cfg[section][name] = value
    base = path.parent
    for section, name in (("brain", "file"), ("brain", "times"), ("models", "file"),
                          ("analysis", "permutation_file")):
        value = cfg[section][name]
        if value and not os.path.isabs(value):  # "file.mat:var" joins the same way
            cfg[section][name] = str(base / value)
    return cfg


def read_array(spec):
    """`file.npy`, `file.mat:variable` (v5 via scipy.io, v7.3 via h5py), `file.h5:/dataset`."""
    file, _, name = spec.partition(":") if not spec.endswith(".npy") else (spec, "", "")
    if file.endswith(".npy"):
        return np.load(file)
    if file.endswith(".mat"):
        try:
            return np.asarray(scipy.io.loadmat(file)[name])
        except NotImplementedError:  # v7.3 = HDF5; MATLAB stores arrays transposed
            import h5py
            with h5py.File(file, "r") as f:
                return np.asarray(f[name]).T
    import h5py
    with h5py.File(file, "r") as f:
        return np.asarray(f[name])


def load_inputs(cfg):
    brain = np.asarray(read_array(cfg["brain"]["file"]), dtype=np.float64)
    if cfg["brain"]["layout"] == "time-pairs":
        brain = brain.T
    brain = np.ascontiguousarray(brain)
    P, T = brain.shape
    models = np.asarray(read_array(cfg["models"]["file"]), dtype=np.float64)
    if models.ndim == 3:  # L x S x S square -> condensed upper triangle, row-major
        iu = np.triu_indices(models.shape[1], k=1)
        models = models[:, iu[0], iu[1]]
    if cfg["models"]["kind"] == "similarity":
        models = 1.0 - models
    S = int(round((1 + np.sqrt(1 + 8 * P)) / 2))
    if cfg["brain"]["times"]:
        times = np.asarray(read_array(cfg["brain"]["times"]), dtype=np.float64).ravel()
    else:
        times = cfg["brain"]["time_start"] + cfg["brain"]["time_step"] * np.arange(T)
    if cfg["brain"]["baseline"]:
        b0, b1 = cfg["brain"]["baseline"]
        window = (times >= b0) & (times < b1)
        brain = brain - brain[:, window].mean(axis=1, keepdims=True)
    return np.ascontiguousarray(models), brain, times, S


# ---------------------------------------------------------------------------------------------
# statistics

def oriented(s, tail):
    if tail == "greater":
        return s
    if tail == "less":
        return -s
    return np.abs(s)


class CorrelationMaps:
    """s_k = corr(model_l permuted by pi_k, brain_t) for a batch of permutations, one GEMM."""

    def __init__(self, models, brain, metric, dtype):
        self.S = int(round((1 + np.sqrt(1 + 8 * models.shape[1])) / 2))
        self.L, self.P = models.shape
        self.T = brain.shape[1]
        if metric == "spearman":
            # Doubled centred average ranks: integers, so the dot products are exact in float64
            # and every permutation's ties count exactly; rho = dot / (|u_model| |u_brain|).
            um = 2.0 * scipy.stats.rankdata(models, axis=1) - (self.P + 1)
            ub = 2.0 * scipy.stats.rankdata(brain, axis=0) - (self.P + 1)
            self.denominator = (np.sqrt((um * um).sum(axis=1))[:, None]
                                * np.sqrt((ub * ub).sum(axis=0))[None, :]).astype(dtype)
        elif metric == "pearson":
            um = models - models.mean(axis=1, keepdims=True)
            um /= np.sqrt((um * um).sum(axis=1, keepdims=True))
            ub = brain - brain.mean(axis=0, keepdims=True)
            ub /= np.sqrt((ub * ub).sum(axis=0, keepdims=True))
            self.denominator = None
        else:
            raise SystemExit(f"numpy_baseline: metric {metric} is not vectorised here "
                             "(use --kendall-loop for kendall-b)")
        self.models = np.ascontiguousarray(um, dtype=dtype)
        self.brain = np.ascontiguousarray(ub, dtype=dtype)
        self.iu, self.ju = np.triu_indices(self.S, k=1)

    def maps(self, perms):
        """batch x L x T maps for the permutations in `perms` (batch x S)."""
        g = pair_gathers(perms, self.iu, self.ju)
        batch = perms.shape[0]
        # (L, batch*P) gathered rows, viewed as (L*batch) x P: one GEMM for the whole batch.
        a = np.take(self.models, g.ravel(), axis=1).reshape(self.L * batch, self.P)
        c = (a @ self.brain).reshape(self.L, batch, self.T)
        if self.denominator is not None:
            c = c / self.denominator[:, None, :]
        return c.transpose(1, 0, 2)


def pair_gathers(perms, iu, ju):
    """Condensed index of (pi[i], pi[j]) for every pair (i, j) = (iu[p], ju[p]): batch x P, so
    that the permuted RDM is D'[p] = D[gather[p]]."""
    S = perms.shape[1]
    index = np.zeros((S, S), dtype=np.intp)  # square -> condensed index, both triangles
    index[iu, ju] = index[ju, iu] = np.arange(iu.size)
    return index[perms[:, iu], perms[:, ju]]


def passing_count(alpha, K):
    """Largest count c in [0, K+1] with c / (K+1) <= alpha (float64 division)."""
    total = K + 1
    c = min(total, int(alpha * total) + 2)
    while c > 0 and not (c / total <= alpha):
        c -= 1
    return c


def cluster_maxima_time(e, s, passing, statistic, split_sign):
    """Largest cluster statistic of each map (0 when none), time connectivity: runs of passing
    cells within a layer (and of one sign when split_sign). e, s, passing: batch x L x T."""
    batch, L, T = e.shape
    m = np.zeros((batch, L, T + 1), dtype=bool)  # a False column ends every layer's last run
    m[:, :, :T] = passing
    flat = m.ravel()
    start = flat.copy()
    start[1:] &= ~flat[:-1]
    if split_sign:
        pos = np.zeros((batch, L, T + 1), dtype=bool)
        pos[:, :, :T] = s >= 0
        pos = pos.ravel()
        start[1:] |= flat[1:] & flat[:-1] & (pos[1:] != pos[:-1])
    run = np.cumsum(start) - 1
    where = np.flatnonzero(flat)
    if where.size == 0:
        return np.zeros(batch)
    if statistic == "mass":
        w = np.zeros((batch, L, T + 1), dtype=np.float64)
        w[:, :, :T] = e
        values = np.bincount(run[where], weights=w.ravel()[where])
    else:
        values = np.bincount(run[where]).astype(np.float64)
    owner = np.flatnonzero(start) // (L * (T + 1))  # map of each run (non-decreasing)
    out = np.zeros(batch)
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out[owner[first]] = np.maximum.reduceat(values, first)
    return np.maximum(out, 0.0)


def label_map(passing, s, connectivity, split_sign):
    """Observed-map clusters: ids numbered by first cell in a row-major scan, -1 outside."""
    L, T = passing.shape
    if connectivity == "time":
        structure = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    else:
        structure = scipy.ndimage.generate_binary_structure(2, 1)
    ids = np.full((L, T), -1, dtype=np.int64)
    parts = [passing & (s >= 0), passing & (s < 0)] if split_sign else [passing]
    labels, offset = [], 0
    for part in parts:
        lab, n = scipy.ndimage.label(part, structure=structure)
        labels.append(np.where(lab > 0, lab + offset, 0))
        offset += n
    combined = sum(labels)
    # Renumber by first cell (row-major).
    flat = combined.ravel()
    seen = {}
    for c in np.flatnonzero(flat):
        seen.setdefault(flat[c], len(seen))
    lut = np.full(offset + 1, -1, dtype=np.int64)
    for old, new in seen.items():
        lut[old] = new
    ids = lut[combined]
    return ids, len(seen)


def cluster_maxima_grid(e, s, passing, statistic, split_sign):
    out = np.zeros(e.shape[0])
    for b in range(e.shape[0]):
        ids, n = label_map(passing[b], s[b], "layer-time", split_sign)
        if n:
            sel = ids >= 0
            w = e[b][sel] if statistic == "mass" else None
            out[b] = np.bincount(ids[sel], weights=w, minlength=n).max()
    return out


# ---------------------------------------------------------------------------------------------
# the analysis

def permutation_batches(cfg, S, K, batch, perm_rows):
    """Yields (first k, perms) for k = 1..K in batches; the same sequence every time it is
    called (explicit rows, or NumPy's generator seeded with analysis.seed)."""
    rng = np.random.default_rng(int(cfg["analysis"]["seed"]))
    base = np.arange(S)
    for first in range(1, K + 1, batch):
        n = min(batch, K - first + 1)
        if perm_rows is not None:
            yield first, perm_rows[first - 1:first - 1 + n]
        else:
            yield first, rng.permuted(np.tile(base, (n, 1)), axis=1)


def run_analysis(cfg, batch, null_storage, timings):
    t0 = time.perf_counter()
    models, brain, times, S = load_inputs(cfg)
    a, c = cfg["analysis"], cfg["correction"]
    dtype = np.float32 if a["precision"] == "float32" else np.float64
    perm_rows = None
    if a["permutation_file"]:
        perm_rows = np.asarray(read_array(a["permutation_file"]), dtype=np.int64)
        K = perm_rows.shape[0]
    else:
        K = int(a["permutations"])
    tail = a["tail"]
    split_sign = tail == "two-sided"
    kernel = CorrelationMaps(models, brain, a["metric"], dtype)
    L, T = kernel.L, kernel.T
    cells = L * T
    clusters_of = cluster_maxima_time if c["connectivity"] == "time" else cluster_maxima_grid
    two_pass = c["cluster_threshold"] == "permutation-p"
    timings["load_prepare"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    s0 = kernel.maps(np.arange(S)[None, :])[0]
    e0 = oriented(s0, tail)
    exceed = np.zeros((L, T), dtype=np.int64)
    max_stat = np.empty(K + 1)
    max_stat[0] = e0.max()
    max_cluster = np.zeros(K + 1)
    store = two_pass and null_storage == "store"
    if store:
        null_s = np.empty((K + 1, L, T), dtype=dtype)
        null_s[0] = s0
    if two_pass:
        m = passing_count(c["cluster_alpha"], K)
        top = e0[None].astype(dtype) if not store else None
    else:
        threshold = np.full((L, T), c["cluster_value"])

    # Pass 1: uncorrected counts, maxima; the stored null or each cell's top m+1 values
    # (permutation-p), or the null clusters (fixed threshold).
    for first, perms in permutation_batches(cfg, S, K, batch, perm_rows):
        s = kernel.maps(perms)
        e = oriented(s, tail)
        n = s.shape[0]
        exceed += (e >= e0).sum(axis=0)
        max_stat[first:first + n] = e.reshape(n, cells).max(axis=1)
        if store:
            null_s[first:first + n] = s
        elif two_pass:
            if m + 1 <= K + 1:
                both = np.concatenate([top, e.astype(dtype)])
                keep = min(m + 1, both.shape[0])
                top = np.partition(both, both.shape[0] - keep, axis=0)[both.shape[0] - keep:]
        else:
            max_cluster[first:first + n] = clusters_of(e, s, e > threshold, c["cluster_statistic"],
                                                       split_sign)
    timings["pass1"] = time.perf_counter() - t1

    if two_pass:
        # A value passes iff #{j : e_j >= e} <= m, i.e. iff it exceeds the (m+1)-th largest of
        # the cell's K+1 values.
        t2 = time.perf_counter()
        if m == 0:
            threshold = np.full((L, T), np.inf)
        elif m + 1 > K + 1:
            threshold = np.full((L, T), -np.inf)
        elif store:
            e_all = oriented(null_s, tail)
            threshold = np.partition(e_all, K - m, axis=0)[K - m]
        else:
            threshold = np.partition(top, top.shape[0] - (m + 1), axis=0)[top.shape[0] - (m + 1)]
        timings["threshold"] = time.perf_counter() - t2
        t3 = time.perf_counter()
        if store:
            for first in range(1, K + 1, batch):
                s = null_s[first:first + batch]
                e = oriented(s, tail)
                max_cluster[first:first + s.shape[0]] = clusters_of(
                    e, s, e > threshold, c["cluster_statistic"], split_sign)
        else:  # pass 2: regenerate the same permutations and maps
            for first, perms in permutation_batches(cfg, S, K, batch, perm_rows):
                s = kernel.maps(perms)
                e = oriented(s, tail)
                max_cluster[first:first + s.shape[0]] = clusters_of(
                    e, s, e > threshold, c["cluster_statistic"], split_sign)
        timings["pass2_clusters"] = time.perf_counter() - t3

    # Observed clusters and p-values.
    t4 = time.perf_counter()
    passing0 = e0 > threshold
    ids, n = label_map(passing0, s0, c["connectivity"], split_sign)
    e0d = e0.astype(np.float64)
    table = {"statistic": np.zeros(n), "size": np.zeros(n, dtype=np.int64)}
    if n:
        sel = ids >= 0
        table["size"] = np.bincount(ids[sel], minlength=n)
        table["statistic"] = (np.bincount(ids[sel], weights=e0d[sel], minlength=n)
                              if c["cluster_statistic"] == "mass" else table["size"].astype(float))
        ll, tt = np.nonzero(sel)
        cid = ids[sel]
        for key, v, fn in (("layer_first", ll, np.minimum), ("layer_last", ll, np.maximum),
                           ("time_first", tt, np.minimum), ("time_last", tt, np.maximum)):
            out = np.full(n, -1 if fn is np.maximum else 1 << 40, dtype=np.int64)
            fn.at(out, cid, v)
            table[key] = out
        first_cell = np.array([np.flatnonzero(ids.ravel() == i)[0] for i in range(n)])
        table["sign"] = np.where(s0.ravel()[first_cell] >= 0, 1, -1).astype(np.int8)
        if tail == "less":
            table["sign"][:] = -1
        max_cluster[0] = table["statistic"].max()
    nulls = max_cluster[1:]
    table["p"] = np.array([(1 + np.count_nonzero(nulls >= v)) / (K + 1) for v in table["statistic"]])
    sorted_max = np.sort(max_stat[1:])
    results = {
        "/observed": s0.astype(np.float64),
        "/p_uncorrected": (1 + exceed) / (K + 1),
        "/p_maxstat": (1 + (K - np.searchsorted(sorted_max, e0, side="left"))) / (K + 1),
        "/p_cluster": np.where(ids >= 0, table["p"][np.maximum(ids, 0)] if n else 1.0, 1.0),
        "/cluster_id": ids.astype(np.int32),
        "/null/max_statistic": max_stat,
        "/null/max_cluster": max_cluster,
        "/axes/time": times,
    }
    for key, v in table.items():
        results["/clusters/" + key] = v
    timings["finalize"] = time.perf_counter() - t4
    return results, K


def write_results(path, results):
    import h5py
    with h5py.File(path, "w") as f:
        for name, value in results.items():
            f.create_dataset(name, data=value)


# ---------------------------------------------------------------------------------------------
# the scipy.stats.kendalltau loop

_KENDALL = {}


def _kendall_layers(layers):
    """Worker: tau-b of the given layers for every permutation, one scipy call per cell."""
    models, brain_cols, gathers = _KENDALL["models"], _KENDALL["brain_cols"], _KENDALL["gathers"]
    out = np.empty((len(gathers), len(layers), len(brain_cols)))
    for k, g in enumerate(gathers):
        for i, l in enumerate(layers):
            row = models[l, g]
            for t, column in enumerate(brain_cols):
                out[k, i, t] = scipy.stats.kendalltau(row, column)[0]
    return out


def kendall_loop(cfg, n_perms, workers):
    """The textbook loop: scipy.stats.kendalltau for each of the L x T cells of each permutation.
    SciPy's kendalltau is single-threaded, so with workers > 1 the layers are split over that
    many forked processes (the same core count permrsa gets)."""
    models, brain, _, S = load_inputs(cfg)
    iu, ju = np.triu_indices(S, k=1)
    rng = np.random.default_rng(int(cfg["analysis"]["seed"]))
    perms = np.array([rng.permutation(S) for _ in range(n_perms)])
    L, T = models.shape[0], brain.shape[1]
    _KENDALL.update(models=models, brain_cols=[np.ascontiguousarray(brain[:, t]) for t in range(T)],
                    gathers=list(pair_gathers(perms, iu, ju)))
    chunks = [list(c) for c in np.array_split(np.arange(L), max(1, workers)) if len(c)]
    t0 = time.perf_counter()
    if workers > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            parts = pool.map(_kendall_layers, chunks)
    else:
        parts = [_kendall_layers(c) for c in chunks]
    seconds = time.perf_counter() - t0
    out = np.concatenate(parts, axis=1)
    return {"bench": "kendalltau_loop", "permutations": n_perms, "cells": L * T,
            "workers": workers, "seconds": seconds, "perms_per_s": n_perms / seconds,
            "checksum": float(out.sum())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--out", help="write the results (permrsa's HDF5 names) here")
    ap.add_argument("--batch", type=int, default=64, help="permutations per GEMM")
    ap.add_argument("--null-storage", choices=["store", "regenerate"], default="store")
    ap.add_argument("--kendall-loop", type=int, metavar="N",
                    help="only time the scipy.stats.kendalltau loop over cells for N permutations")
    ap.add_argument("--workers", type=int, default=1,
                    help="processes for the kendalltau loop (layers split between them)")
    args = ap.parse_args(argv)
    cfg = load_config(args.config, args.set)
    if cfg["analysis"]["scheme"] != "stimulus":
        raise SystemExit("numpy_baseline: only the stimulus scheme")
    if args.kendall_loop:
        print(json.dumps(kendall_loop(cfg, args.kendall_loop, args.workers)), flush=True)
        return 0
    timings = {}
    t0 = time.perf_counter()
    results, K = run_analysis(cfg, args.batch, args.null_storage, timings)
    if args.out:
        t1 = time.perf_counter()
        write_results(args.out, results)
        timings["write"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0
    print(json.dumps({"bench": "numpy_baseline", "permutations": K,
                      "precision": cfg["analysis"]["precision"],
                      "metric": cfg["analysis"]["metric"], "null_storage": args.null_storage,
                      "batch": args.batch, "clusters": int(results["/clusters/p"].size),
                      "seconds": timings}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
