"""Results of one analysis with their axes: permrsa.load("results.h5") for a file written by
`permrsa run` (one process or MPI ranks: the same layout) or by a merge, and the object
permrsa.run returns. The layout is the README's "Output" table (src/io/results_writer.cpp)."""
import dataclasses
import os
import hashlib
import pathlib
import tomllib

import numpy as np
import pandas as pd

from .errors import ResultsFileError

# Files of these format versions (the writer's permrsa_version, major.minor) are read.
SUPPORTED_VERSIONS = ("0.1",)
# Present in every results file.
REQUIRED = ("/observed", "/p_uncorrected", "/p_maxstat", "/p_cluster", "/cluster_id",
            "/clusters/statistic", "/clusters/p", "/clusters/size", "/clusters/layer_first",
            "/clusters/layer_last", "/clusters/time_first", "/clusters/time_last",
            "/clusters/sign", "/null/max_statistic", "/null/max_cluster", "/axes/time",
            "/axes/layer")
MAPS = ("observed", "p_uncorrected", "p_maxstat", "p_cluster", "cluster_id", "tfce", "p_tfce",
        "p_fdr", "p_bonferroni", "p_holm")


@dataclasses.dataclass(frozen=True)
class Results:
    """One analysis. Every (layer, time) map is a DataFrame with index "layer" (names, network
    order) and columns "time" (seconds); `datasets` holds the raw arrays under the file's
    dataset names, exactly as stored."""
    source: str
    layers: list
    times: np.ndarray
    observed: pd.DataFrame
    p_uncorrected: pd.DataFrame
    p_maxstat: pd.DataFrame
    p_cluster: pd.DataFrame
    cluster_id: pd.DataFrame
    clusters: pd.DataFrame
    null: dict
    cell_threshold: pd.DataFrame = None
    tfce: pd.DataFrame = None
    p_tfce: pd.DataFrame = None
    # Adjustments of p_uncorrected over the whole map (files before issue 17 have none).
    p_fdr: pd.DataFrame = None
    p_bonferroni: pd.DataFrame = None
    p_holm: pd.DataFrame = None
    noise_ceiling: pd.DataFrame = None
    # Per layer: the first time of its earliest cluster with p_cluster <= correction.alpha
    # (/onset/cluster_time; NaN: none). None for files written before issue 18.
    onset: pd.Series = None
    # With per-subject data: each subject's metric map (N x L x T array) and their mean and SEM
    # across subjects (layer x time DataFrames), whatever the group statistic.
    subject_maps: np.ndarray = None
    group_mean: pd.DataFrame = None
    group_sem: pd.DataFrame = None
    bootstrap: dict = None
    # [contrasts]: {"A-B": DataFrame indexed by time with observed, mean, sem, p_uncorrected,
    # p_maxstat, p_cluster, cluster_id (and p_tfce)}; the cluster tables in contrast_clusters.
    contrasts: dict = None
    contrast_clusters: dict = None
    # Two groups: each subject's group, 0 (a) or 1 (b), in /subject_maps order.
    groups: np.ndarray = None
    config: dict = None
    config_text: str = ""
    provenance: dict = None
    datasets: dict = None
    _analysis: object = None
    _inputs: dict = None  # permrsa.run's input arrays by config key ("brain.file", ...)

    @property
    def version(self):
        return self.provenance.get("permrsa_version")

    def significant_clusters(self, alpha=0.05):
        """The clusters with p <= alpha, most significant first."""
        table = self.clusters[self.clusters["p"] <= alpha]
        return table.sort_values(["p", "statistic"], ascending=[True, False], kind="stable")

    def save(self, path, include_inputs=False):
        """Writes the results file exactly as `permrsa run` would (results of permrsa.run).

        The file records its own name (output.file) and, as sha256_<key> attributes, the
        sha256 of each input array (over its dtype, shape and C-order bytes: input_digest).
        include_inputs=True also stores the arrays as /inputs/brain, /inputs/models (and
        /inputs/covariates), so that the report can draw the RDM and MDS figures. The file
        appears under its name only when complete."""
        if self._analysis is None:
            raise ValueError(f"{self.source}: only results of permrsa.run can be saved; this one "
                             "was loaded from a file already")
        inputs = self._inputs or {}
        hashes = [(key, input_digest(a)) for key, a in inputs.items()]
        path = os.fspath(path)
        if not include_inputs:
            self._analysis.save(path, hashes)
            return
        import h5py
        partial = f"{path}.partial-{os.getpid()}"
        try:
            self._analysis.save(partial, hashes)
            with h5py.File(partial, "a") as f:
                for key, a in inputs.items():
                    f[f"/inputs/{key.split('.')[0]}"] = np.ascontiguousarray(a)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)


def input_digest(array):
    """sha256 over an array's dtype, shape and C-order bytes: what `res.save` records."""
    a = np.ascontiguousarray(array)
    return hashlib.sha256(f"{a.dtype.str}|{a.shape}|".encode() + a.tobytes()).hexdigest()


def _text(v):
    return v.decode() if isinstance(v, bytes) else v


def _grid(values, layers, times):
    return pd.DataFrame(values, index=pd.Index(layers, name="layer"),
                        columns=pd.Index(times, name="time"))


def _cluster_table(d, layers, times, observed):
    n = len(d["/clusters/p"])
    tf = np.asarray(d["/clusters/time_first"], dtype=np.int64)
    tl = np.asarray(d["/clusters/time_last"], dtype=np.int64)
    lf = np.asarray(d["/clusters/layer_first"], dtype=np.int64)
    ll = np.asarray(d["/clusters/layer_last"], dtype=np.int64)
    sign = np.asarray(d["/clusters/sign"], dtype=np.int64)
    ids = d["/cluster_id"]
    peak_layer, peak_time = [], []
    for c in range(n):
        # The peak: the cluster's cell with the largest statistic in the cluster's direction.
        cells = np.argwhere(ids == c)
        e = sign[c] * observed[cells[:, 0], cells[:, 1]]
        li, ti = cells[int(np.argmax(e))]
        peak_layer.append(layers[li])
        peak_time.append(times[ti])
    return pd.DataFrame({
        "cluster": np.arange(n),
        "layer": [layers[a] if a == b else f"{layers[a]}..{layers[b]}" for a, b in zip(lf, ll)],
        "start": times[tf] if n else np.array([]), "end": times[tl] if n else np.array([]),
        "peak": np.asarray(peak_time, dtype=float), "peak_layer": peak_layer,
        "statistic": np.asarray(d["/clusters/statistic"], dtype=float),
        "p": np.asarray(d["/clusters/p"], dtype=float),
        "size": np.asarray(d["/clusters/size"], dtype=np.int64),
        "sign": sign, "layer_first": lf, "layer_last": ll, "time_first": tf, "time_last": tl,
    }).set_index("cluster")


def _bootstrap(d, layers):
    if "/bootstrap/peak_time" not in d:
        return None
    out = {"latency": pd.DataFrame({
        "peak_time": d["/bootstrap/peak_time"],
        "peak_low": d["/bootstrap/peak_ci"][:, 0], "peak_high": d["/bootstrap/peak_ci"][:, 1],
        # The cluster onset: the first time in a cluster that would be significant (issue 18).
        "onset_time": d["/bootstrap/cluster_onset_time"],
        "onset_low": d["/bootstrap/cluster_onset_ci"][:, 0],
        "onset_high": d["/bootstrap/cluster_onset_ci"][:, 1],
        "onset_missing": d["/bootstrap/onset_missing"],
        # The first single cell above the cluster-forming threshold.
        "threshold_onset_time": d["/bootstrap/threshold_onset_time"],
        "threshold_onset_low": d["/bootstrap/threshold_onset_ci"][:, 0],
        "threshold_onset_high": d["/bootstrap/threshold_onset_ci"][:, 1],
        "threshold_onset_missing": d["/bootstrap/threshold_onset_missing"],
    }, index=pd.Index(layers, name="layer")),
        "peak_samples": d.get("/bootstrap/peak_samples")}
    if "/bootstrap/difference/layers" in d:
        out["difference"] = {
            "layers": tuple(_text(x) for x in d["/bootstrap/difference/layers"]),
            "estimate": float(d["/bootstrap/difference/estimate"][0]),
            "ci": tuple(float(x) for x in d["/bootstrap/difference/ci"]),
            "p": float(d["/bootstrap/difference/p"][0])}
    return out


def _contrasts(d, times):
    if "/contrasts/names" not in d:
        return None, None
    tables, clusters = {}, {}
    for name in (_text(x) for x in d["/contrasts/names"]):
        g = f"/contrasts/{name}/"
        columns = ["observed", "mean", "sem", "p_uncorrected", "p_maxstat", "p_cluster",
                   "cluster_id", "p_tfce"]
        tables[name] = pd.DataFrame({c: np.asarray(d[g + c]) for c in columns if g + c in d},
                                    index=pd.Index(times, name="time"))
        tf = np.asarray(d[g + "clusters/time_first"], dtype=np.int64)
        tl = np.asarray(d[g + "clusters/time_last"], dtype=np.int64)
        clusters[name] = pd.DataFrame({
            "start": times[tf], "end": times[tl],
            "statistic": np.asarray(d[g + "clusters/statistic"], dtype=float),
            "p": np.asarray(d[g + "clusters/p"], dtype=float),
            "size": np.asarray(d[g + "clusters/size"], dtype=np.int64),
            "sign": np.asarray(d[g + "clusters/sign"], dtype=np.int64)})
    return tables, clusters


def _build(source, d, attrs, analysis=None):
    missing = [name for name in REQUIRED if name not in d]
    if missing:
        raise ResultsFileError(f"{source}: not a complete permrsa results file: missing "
                               f"dataset{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    layers = [_text(x) for x in d["/axes/layer"]]
    times = np.asarray(d["/axes/time"], dtype=np.float64)
    for name in MAPS:
        if f"/{name}" in d and np.shape(d[f"/{name}"]) != (len(layers), len(times)):
            raise ResultsFileError(f"{source}: /{name}: expected shape ({len(layers)}, "
                                   f"{len(times)}) (layers x times from /axes), found "
                                   f"{np.shape(d[f'/{name}'])}")
    observed = np.asarray(d["/observed"])
    grid = {name: _grid(d[f"/{name}"], layers, times) for name in MAPS if f"/{name}" in d}
    null = {k.removeprefix("/null/"): v for k, v in d.items()
            if k.startswith("/null/") and k != "/null/cell_threshold"}
    noise = None
    if "/noise_ceiling/lower" in d:
        noise = pd.DataFrame({"lower": d["/noise_ceiling/lower"], "upper": d["/noise_ceiling/upper"]},
                             index=pd.Index(times, name="time"))
    config_text = _text(attrs.get("config", ""))
    try:
        config = tomllib.loads(config_text) if config_text else {}
    except tomllib.TOMLDecodeError as e:
        raise ResultsFileError(f"{source}: the config attribute is not valid TOML: {e}") from None
    cell_threshold = d.get("/null/cell_threshold")
    onset = None
    if "/onset/cluster_time" in d:
        onset = pd.Series(np.asarray(d["/onset/cluster_time"], dtype=np.float64),
                          index=pd.Index(layers, name="layer"), name="cluster_onset")
    contrast_tables, contrast_clusters = _contrasts(d, times)
    return Results(
        source=str(source), layers=layers, times=times, clusters=_cluster_table(d, layers, times, observed),
        null=null, noise_ceiling=noise, onset=onset, subject_maps=d.get("/subject_maps"),
        group_mean=_grid(d["/group/mean"], layers, times) if "/group/mean" in d else None,
        group_sem=_grid(d["/group/sem"], layers, times) if "/group/sem" in d else None,
        bootstrap=_bootstrap(d, layers), config=config,
        contrasts=contrast_tables, contrast_clusters=contrast_clusters,
        groups=np.asarray(d["/groups"]) if "/groups" in d else None,
        config_text=config_text, provenance={k: _text(v) for k, v in attrs.items() if k != "config"},
        datasets=d, _analysis=analysis,
        cell_threshold=None if cell_threshold is None else _grid(cell_threshold, layers, times),
        **{name: grid.get(name) for name in MAPS})


def from_analysis(analysis, inputs=None):
    """Results of permrsa.run from the engine's in-memory analysis; `inputs`: its arrays by
    config key, kept for save()."""
    res = _build("permrsa.run", dict(analysis.datasets()), dict(analysis.attributes()), analysis)
    return dataclasses.replace(res, _inputs=inputs)


def load(path):
    """Reads a results file (CLI, MPI or merged run) into a Results object.

    Raises FileNotFoundError for a missing file and ResultsFileError (a ValueError) naming the
    file for a file that is not HDF5, comes from an unsupported permrsa version, or lacks
    datasets."""
    import h5py

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such results file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ResultsFileError(f"{path}: not an HDF5 results file ({e})") from None
    with f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        version = _text(attrs.get("permrsa_version"))
        if version is None:
            raise ResultsFileError(f"{path}: not a permrsa results file: the root attribute "
                                   "permrsa_version is missing")
        if ".".join(str(version).split(".")[:2]) not in SUPPORTED_VERSIONS:
            raise ResultsFileError(
                f"{path}: written by permrsa {version}; this module reads results files of "
                f"version {', '.join(v + '.x' for v in SUPPORTED_VERSIONS)} (use the matching permrsa)")
        d = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                d["/" + name] = obj[()]
        f.visititems(visit)
    return _build(path, d, attrs)
