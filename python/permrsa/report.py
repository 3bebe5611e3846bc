"""The HTML report of a results file:

    python3 -m permrsa.report results.h5 --out report/ [--categories labels.txt]

writes every figure as PNG and SVG into report/ and a self-contained report/index.html (the
PNGs inlined as data: URIs, inline CSS, a Content-Security-Policy that forbids loading anything:
it makes no network requests). The page holds the run's config, inputs and provenance, the
table of significant clusters (layer, start, end, peak, statistic, p) and the figures.
`permrsa report` (the CLI) runs this module. Exit codes as the CLI: 2 for a bad input."""
import argparse
import base64
import html
import io
import os
import pathlib
import sys

import numpy as np
import pandas as pd

from . import figures
from .errors import ResultsFileError
from .results import load

# Figures of every report, and those that need the input RDMs (read from the paths in the config).
RESULT_FIGURES = ("time_courses", "heatmap", "peak_latency", "null_distribution")
INPUT_FIGURES = ("rdms", "mds")
CAPTIONS = {
    "time_courses": "Similarity time course per layer (colour: depth). Bars under the curves: "
                    "significant clusters; triangles: onsets; dots: peaks.",
    "heatmap": "Layer x time map of the observed statistic with the outlines of significant clusters.",
    "generalisation": "Time x time generalisation: the brain RDM at t1 against the brain RDM at t2, "
                      "with the outlines of significant clusters; dashed: the diagonal t1 = t2 "
                      "(an RDM against itself, not tested).",
    "peak_latency": "Peak latency against layer depth (bootstrap 95% CIs when computed).",
    "null_distribution": "Null distribution of the largest cluster statistic; lines: observed clusters.",
    "rdms": "RDMs (rank-normalised colours): the brain at its peak time and three model layers; "
            "lines: category boundaries.",
    "mds": "Classical MDS of the brain RDM at selected times, coloured by category.",
}


def read_source(text, base="."):
    """An array named like a config input: "file.npy", "file.mat:var", "file.h5:/ds"."""
    file, sep, dataset = text.partition(":")
    if not sep and not text.endswith(".npy"):
        file, dataset = text, ""
    path = pathlib.Path(base) / file
    if path.suffix == ".npy":
        return np.load(path)
    if path.suffix == ".mat":
        try:
            import scipy.io
            return np.asarray(scipy.io.loadmat(path)[dataset])
        except NotImplementedError:  # v7.3: an HDF5 file (MATLAB stores it transposed)
            pass
    import h5py
    with h5py.File(path, "r") as f:
        return np.asarray(f[dataset][()])


def input_rdms(res):
    """(brain P x T, models L x P) from the inputs the config names, raw (before the baseline
    correction), or None when they cannot be read (e.g. results of permrsa.run)."""
    cfg = res.config or {}
    brain_cfg, model_cfg = cfg.get("brain", {}), cfg.get("models", {})
    stored = res.datasets or {}
    if "/inputs/brain" in stored and "/inputs/models" in stored:
        # Results of permrsa.run saved with include_inputs=True: the arrays themselves.
        brain, models = np.asarray(stored["/inputs/brain"]), np.asarray(stored["/inputs/models"], float)
        layout = brain_cfg.get("layout", "pairs-time")
        brain = brain.T if layout == "time-pairs" else brain
        brain = brain.mean(axis=0) if layout == "subjects-pairs-time" else brain
        if model_cfg.get("kind") == "similarity":
            models = 1.0 - models
        return checked_inputs(res, brain, models)
    try:
        if brain_cfg.get("files"):
            arrays = [read_source(f) for f in brain_cfg["files"]]
            if brain_cfg.get("layout") == "time-pairs":
                arrays = [a.T for a in arrays]
            brain = np.mean(arrays, axis=0)
        else:
            brain = read_source(brain_cfg["file"])
            layout = brain_cfg.get("layout", "pairs-time")
            brain = brain.T if layout == "time-pairs" else brain
            brain = brain.mean(axis=0) if layout == "subjects-pairs-time" else brain
        models = read_source(model_cfg["file"]).astype(float)
    except (KeyError, OSError, ValueError):
        return None
    if model_cfg.get("kind") == "similarity":
        models = 1.0 - models
    return checked_inputs(res, brain, models)


def checked_inputs(res, brain, models):
    """(brain P x T, models L x P) when they fit the results, else None."""
    brain, models = np.asarray(brain, dtype=float), np.asarray(models, dtype=float)
    if models.ndim == 3:
        iu = np.triu_indices(models.shape[1], 1)
        models = np.stack([m[iu] for m in models])
    if brain.ndim != 2 or models.ndim != 2 or brain.shape != (models.shape[1], len(res.times)):
        return None
    return brain, models


def make_figures(res, categories=None, mds_times=None, alpha=0.05, inputs=None):
    """{name: Figure} for the report; the input figures only when the inputs can be read
    (`inputs`: (brain P x T, model RDMs L x P or L x S x S), else the files the config names)."""
    if figures.is_generalisation(res):  # rows are times t1: no layers, no model RDMs
        return {"generalisation": figures.generalisation(res, alpha=alpha),
                "null_distribution": figures.null_distribution(res, alpha=alpha)}
    out = {
        "time_courses": figures.time_courses(res, alpha=alpha),
        "heatmap": figures.heatmap(res, alpha=alpha),
        "peak_latency": figures.peak_latency(res),
        "null_distribution": figures.null_distribution(res, alpha=alpha),
    }
    for name in res.contrasts or {}:
        out[f"contrast_{name}"] = figures.contrast(res, name, alpha=alpha)
    if res.groups is not None and res.subject_maps is not None:
        for i, layer in enumerate(res.layers[:6]):  # the first six layers: one figure each
            out[f"two_groups_{i}"] = figures.two_groups(res, i, alpha=alpha)
    inputs = input_rdms(res) if inputs is None else checked_inputs(res, *inputs)
    if inputs is not None:
        brain, models = inputs
        peak = int(np.unravel_index(np.argmax(res.observed.to_numpy()), res.observed.shape)[1])
        L = len(res.layers)
        chosen = sorted({0, L // 2, L - 1})
        rdms = {f"brain, t = {res.times[peak] * 1000:.0f} ms": brain[:, peak]}
        rdms.update({res.layers[i]: models[i] for i in chosen})
        out["rdms"] = figures.rdm_images(rdms, categories)
        if mds_times is None:
            after = res.times[res.times >= 0]
            after = after if after.size else res.times
            mds_times = list(np.quantile(after, [0.0, 0.15, 0.3, 0.6]))
        out["mds"] = figures.mds(brain, res.times, mds_times, categories)
    return out


def _table(frame, table_id):
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = []
        for c in frame.columns:
            v = r[c]
            text = f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
            cells.append(f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _dl(items):
    return "<dl>" + "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(str(v))}</dd>"
                            for k, v in items) + "</dl>"


STYLE = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #bbb;padding:2px 8px;text-align:right}
th{background:#eee}figure{margin:1.5em 0}img{max-width:100%}pre{background:#f6f6f6;padding:1em;
overflow-x:auto;font-size:12px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 1em}
dt{font-weight:bold}dd{margin:0;font-family:monospace;word-break:break-all}"""


def _unused(section, key, config):
    """Settings the analysis did not use, left out of the settings list (the config keeps them)."""
    correction = config.get("correction", {})
    if section == "correction" and key == "cluster_value":
        return correction.get("cluster_threshold") != "statistic"
    if section == "correction" and key == "tfce_step":
        return not correction.get("tfce", False)
    return False


def resolved_settings(res):
    """Every resolved setting as (section.key, value), numbers as written (0.05)."""
    config = res.config or {}
    out = []
    for section, keys in config.items():
        if section in ("brain", "models", "covariates") or not isinstance(keys, dict):
            continue
        out += [(f"{section}.{k}", v) for k, v in keys.items() if not _unused(section, k, config)]
    prov = res.provenance or {}
    out += [(k, prov[k]) for k in ("statistic_label", "stimuli", "subjects", "tfce_step") if k in prov]
    return out


def _interval(row, stem):
    low, high = row[f"{stem}_low"], row[f"{stem}_high"]
    if np.isnan(row[f"{stem}_time"]):
        return "none"
    return f"{row[f'{stem}_time']:.4g} s [{low:.4g}, {high:.4g}]"


def latency_section(res, alpha):
    """Per layer: peak, cluster onset (observed), and the bootstrap intervals when present."""
    peaks = figures.peak_times(res)
    rows = {"layer": res.layers, "peak (s)": peaks}
    if res.onset is not None:
        rows[f"cluster onset (s, p <= {alpha:g})"] = res.onset.to_numpy()
    if res.bootstrap is not None:
        lat = res.bootstrap["latency"]
        rows["bootstrap peak [95% CI]"] = [_interval(r, "peak") for _, r in lat.iterrows()]
        if "threshold_onset_time" in lat:
            rows["bootstrap cluster onset [95% CI]"] = [_interval(r, "onset") for _, r in lat.iterrows()]
            rows["resamples without onset"] = lat["onset_missing"].to_numpy()
            rows["threshold onset [95% CI]"] = [_interval(r, "threshold_onset")
                                                for _, r in lat.iterrows()]
    text = _table(pd.DataFrame(rows), "latencies")
    if res.bootstrap is not None and "difference" in res.bootstrap:
        d = res.bootstrap["difference"]
        text += (f'<p id="layer-difference">Peak latency difference {html.escape(d["layers"][0])} '
                 f'&minus; {html.escape(d["layers"][1])}: {d["estimate"]:.4g} s, 95% CI '
                 f'[{d["ci"][0]:.4g}, {d["ci"][1]:.4g}], bootstrap p = {d["p"]:.4g}</p>')
    return '<h2 id="latencies">Peaks and onsets</h2>' + text


def tfce_section(res, alpha):
    if res.tfce is None:
        return ""
    values, p = res.tfce.to_numpy(), res.p_tfce.to_numpy()
    layer, t = np.unravel_index(int(np.argmax(values)), values.shape)
    step = (res.provenance or {}).get("tfce_step")
    return (f'<h2 id="tfce">TFCE</h2><p>{int(np.sum(p <= alpha))} cells with p &le; {alpha:g}; '
            f'peak {values[layer, t]:.4g} at {html.escape(res.layers[layer])}, '
            f'{res.times[t]:.4g} s (p = {p[layer, t]:.4g})'
            + (f"; height step {float(step):.4g}" if step is not None else "") + ".</p>")


def generalisation_section(res, alpha):
    """Time x time generalisation (results with the attribute generalise): how far from the
    diagonal the significant clusters reach, i.e. how long the brain's geometry is sustained."""
    if not figures.is_generalisation(res):
        return ""
    times = np.asarray(res.times, dtype=float)
    ids = res.cluster_id.to_numpy()
    significant = res.clusters.index[res.clusters["p"] <= alpha]
    rows, cols = np.nonzero(np.isin(ids, np.asarray(significant)))
    text = ('<h2 id="generalisation">Time x time generalisation</h2><p>Cell (t1, t2) is '
            f'{html.escape(figures.statistic_label(res))}; rows of the tables are the times t1 '
            '(layer "t1=i" is time point i), columns the times t2. The diagonal t1 = t2 compares '
            "an RDM with itself and is not tested (NaN, p = 1). Clusters join 4-neighbours of "
            f"the T x T grid. {len(significant)} clusters with p &le; {alpha:g}")
    if rows.size:
        lag = np.abs(times[rows] - times[cols])
        k = int(np.argmax(lag))
        text += (f"; their cells lie up to {lag[k]:.4g} s off the diagonal (t1 = "
                 f"{times[rows[k]]:.4g} s, t2 = {times[cols[k]]:.4g} s)")
    return text + ".</p>"


def noise_ceiling_section(res):
    if res.noise_ceiling is None:
        return ""
    nc = res.noise_ceiling
    peak = int(np.argmax(nc["upper"].to_numpy()))
    return (f'<h2 id="noise-ceiling">Noise ceiling</h2><p>Lower bound '
            f'{nc["lower"].min():.4g} to {nc["lower"].max():.4g}, upper bound '
            f'{nc["upper"].min():.4g} to {nc["upper"].max():.4g}; the upper bound peaks at '
            f'{nc.index[peak]:.4g} s ({nc["upper"].iloc[peak]:.4g}, lower '
            f'{nc["lower"].iloc[peak]:.4g}).</p>')
def _partial_section(res, alpha):
    """Partial correlations (results with covariates, issue 17): what was partialled out and how,
    and the cells each adjustment of the uncorrected p-values keeps."""
    prov = res.provenance or {}
    parts = []
    if prov.get("covariates"):
        items = [("covariates", prov["covariates"]),
                 ("method", prov.get("covariate_method")),
                 ("permute", prov.get("covariate_permute"))]
        parts.append('<h2 id="partial">Partial correlations</h2>'
                     "<p>Every map is the partial correlation of the layer with the brain, the "
                     "covariates held out. A layer that is a covariate has no map. The noise "
                     "ceiling bounds plain correlations and is left out.</p>" + _dl(items))
    counts = [(name, int((getattr(res, name).to_numpy() <= alpha).sum()))
              for name in ("p_uncorrected", "p_fdr", "p_holm", "p_bonferroni", "p_maxstat")
              if getattr(res, name, None) is not None]
    if len(counts) > 2:
        parts.append(f'<h2 id="adjusted">Cells with p &le; {alpha:g}</h2>' + _dl(counts))
    return "".join(parts)


def contrasts_section(res, alpha):
    """[contrasts]: per pair, its significant clusters (start, end, statistic, p)."""
    if not res.contrasts:
        return ""
    parts = ['<h2 id="contrasts">Layer contrasts</h2><p>Paired sign-flip tests of r_A - r_B '
             "across subjects, each pair its own family over time.</p>"]
    for name, clusters in res.contrast_clusters.items():
        shown = clusters[clusters["p"] <= alpha]
        parts.append(f"<h3>{html.escape(name)}</h3>" + (
            _table(shown[["start", "end", "statistic", "p"]], f"contrast-{html.escape(name)}")
            if len(shown) else f"<p>No cluster with p &le; {alpha:g}.</p>"))
    return "".join(parts)


def two_group_section(res):
    if res.groups is None:
        return ""
    n_a, n_b = int(np.sum(res.groups == 0)), int(np.sum(res.groups == 1))
    return (f'<h2 id="two-groups">Two groups</h2><p>Group a: {n_a} subjects, group b: {n_b}; '
            f"statistic: {html.escape(figures.statistic_label(res))}; the group labels were "
            "permuted.</p>")


def caption(res, name):
    """The figure's caption: fixed ones, and one per contrast or two-group layer figure."""
    if name.startswith("contrast_"):
        return (f"Layer contrast {name.removeprefix('contrast_')}: mean difference across "
                "subjects ± SEM; bars: its significant clusters.")
    if name.startswith("two_groups_"):
        layer = res.layers[int(name.removeprefix("two_groups_"))]
        return (f"Two groups, layer {layer}: each group's mean ± SEM; bars: significant clusters "
                "of the group difference.")
    return CAPTIONS[name]


def render_html(res, figure_files, alpha):
    """The page; figure_files maps a figure name to (png bytes, svg file name)."""
    prov = res.provenance
    sig = res.significant_clusters(alpha)
    table = sig.reset_index()[["cluster", "layer", "start", "end", "peak", "statistic", "p"]]
    settings = resolved_settings(res)
    inputs = []
    for section in ("brain", "models", "covariates"):
        for key, value in (res.config or {}).get(section, {}).items():
            inputs.append((f"{section}.{key}", value))
    inputs += [(k, v) for k, v in prov.items() if k.startswith("sha256_")]
    provenance = [("results file", res.source), ("permrsa_version", prov.get("permrsa_version")),
                  ("seed", prov.get("seed")), ("layers", len(res.layers)),
                  ("time points", f"{len(res.times)} ({res.times[0]:.4g} .. {res.times[-1]:.4g} s)")]
    partial = _partial_section(res, alpha)
    figs = []
    for name, (png, svg) in figure_files.items():
        data = base64.b64encode(png).decode()
        figs.append(f'<figure id="fig-{name}"><img alt="{name}" src="data:image/png;base64,{data}">'
                    f'<figcaption>{html.escape(caption(res, name))} '
                    f'(<a href="{html.escape(svg)}">SVG</a>)</figcaption></figure>')
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>permrsa report: {html.escape(pathlib.Path(res.source).name)}</title>
<style>{STYLE}</style></head><body>
<h1>permrsa report</h1>
<p>{len(res.clusters)} clusters, {len(sig)} with p &le; {alpha:g}
({len(res.layers)} layers x {len(res.times)} time points).</p>
<h2 id="significant-clusters">Significant clusters (p &le; {alpha:g})</h2>
{_table(table, "clusters")}
{latency_section(res, alpha)}
{generalisation_section(res, alpha)}
{tfce_section(res, alpha)}
{noise_ceiling_section(res)}
{contrasts_section(res, alpha)}
{two_group_section(res)}
{partial}<h2>Figures</h2>
{'' if 'rdms' in figure_files else '<p id="no-input-figures">No RDM or MDS figures: the input RDMs are not readable from these results (the files the config names are missing, or results of permrsa.run saved without include_inputs=True).</p>'}
{''.join(figs)}
<h2>Settings</h2>{_dl(settings)}
<h2>Inputs</h2>{_dl(inputs)}
<h2>Provenance</h2>{_dl(provenance)}
<h2>Config</h2><pre id="config">{html.escape(res.config_text)}</pre>
</body></html>
"""


def write_report(results, out, categories=None, mds_times=None, alpha=0.05, inputs=None):
    """Writes PNG and SVG figures and index.html into `out`; returns the index.html path.
    `results`: a path or a Results object; `inputs`: (brain, model RDMs) arrays for the RDM and
    MDS figures when the config's files do not hold them (results of permrsa.run).
    index.html appears only when complete."""
    res = load(results) if isinstance(results, (str, os.PathLike)) else results
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    import matplotlib.pyplot as plt
    for name, fig in make_figures(res, categories, mds_times, alpha, inputs).items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        (out / f"{name}.png").write_bytes(buffer.getvalue())
        fig.savefig(out / f"{name}.svg", format="svg")
        plt.close(fig)
        files[name] = (buffer.getvalue(), f"{name}.svg")
    page = out / "index.html"
    partial = out / "index.html.partial"
    partial.write_text(render_html(res, files, alpha), encoding="utf-8")
    partial.replace(page)
    return page


def read_categories(path):
    """One label per stimulus, one per line (blank lines ignored)."""
    return [x.strip() for x in pathlib.Path(path).read_text().splitlines() if x.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="permrsa report", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="results file written by permrsa run (or merge)")
    parser.add_argument("--out", required=True, help="folder for index.html and the figures")
    parser.add_argument("--categories", help="text file: one category label per stimulus")
    parser.add_argument("--mds-times", type=float, nargs="+", help="times (s) of the MDS panels")
    parser.add_argument("--alpha", type=float, default=0.05, help="cluster p threshold (0.05)")
    args = parser.parse_args(argv)
    try:
        categories = read_categories(args.categories) if args.categories else None
        page = write_report(args.results, args.out, categories, args.mds_times, args.alpha)
    except (ResultsFileError, FileNotFoundError) as e:
        print(f"permrsa report: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
