"""MNE-Python epochs (`-epo.fif` files or mne.Epochs objects) to the HDF5 epochs files that
`permrsa rdm` reads:

    python3 -m permrsa.from_mne sub-*-epo.fif --out-dir epochs/
    permrsa rdm --epochs 'epochs/sub-*_epochs.h5' --out group_rdms.h5

`sub-01-epo.fif` becomes `epochs/sub-01_epochs.h5` (the suffix -epo.fif, _epo.fif, -epo.fif.gz,
_epo.fif.gz, .fif or .fif.gz gives way to _epochs.h5), holding
  /data         trials x channels x times, float64: epochs.get_data() of the picked channels
                (MNE's units, V or T; a -epo.fif stores float32 unless saved with fmt="double")
  /labels       trials, int64: the event id of each trial (epochs.events[:, 2])
  /times        times, float64: epochs.times, seconds
  /event_names  trials, UTF-8 strings: the event name of each trial, from epochs.event_id
                (the name whose id is /labels[i]; hierarchical names such as "face/01" stay whole)
  /channels     channels, UTF-8 strings: the names of the channels in /data
and root attributes `source` (the .fif file, or "mne.Epochs" for an object), `picks`, `sfreq`,
`mne_version` and `created_by`.

Channels: `--picks` (default "data": every data channel, i.e. EEG/MEG/sEEG/ECoG/fNIRS, not EOG,
ECG or stim) as MNE understands picks (channel types or names, comma-separated); channels marked
bad (info["bads"]) are left out. Several inputs must share the picked channel set, the time axis
and the name of every event id; a shared set in another order is put into the first input's order.

Each file is written to <name>.partial; when every input has been converted, the partial files are
renamed, so a bad input leaves no output at all. Exit codes, as permrsa's: 0 done; 2 bad input (the
message names the file and what is wrong: not a FIF file, not epochs, no events, mixed channel
sets, ...); 3 MNE-Python cannot be imported (`apt-get install python3-mne`); 1 a runtime failure.
`permrsa rdm --epochs x-epo.fif` runs this module (with --manifest) and reads its output."""
import argparse
import glob
import os
import pathlib
import sys

import numpy as np

from .errors import InputError

SUFFIXES = ("-epo.fif.gz", "_epo.fif.gz", "-epo.fif", "_epo.fif", ".fif.gz", ".fif")
EXIT_INPUT_ERROR, EXIT_RUNTIME_FAILURE, EXIT_NO_MNE = 2, 1, 3


class MneMissing(ImportError):
    """MNE-Python cannot be imported."""


def _mne():
    try:
        import mne
    except ImportError as e:
        raise MneMissing(f"MNE-Python is not importable ({e}): install python3-mne "
                         "(Debian) or mne (pip)") from None
    return mne


def is_epochs(obj):
    """True for an mne.Epochs-like object (without importing MNE for paths)."""
    return all(hasattr(obj, a) for a in ("get_data", "events", "event_id", "times", "info"))


def output_name(path):
    """sub-01-epo.fif -> sub-01_epochs.h5."""
    name = pathlib.Path(path).name
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)] + "_epochs.h5"
    return name + "_epochs.h5"


def _fif_contents(path):
    """Why mne.read_epochs refused `path`, from the FIF file's block structure (or None)."""
    try:
        from mne.io.constants import FIFF
        from mne.io.open import fiff_open
        from mne.io.tag import read_tag
        from mne.io.tree import dir_tree_find
    except ImportError:  # another MNE layout: fall back on MNE's own message
        return None
    try:
        fid, tree, _ = fiff_open(str(path))
    except Exception as e:  # noqa: BLE001 (MNE raises ValueError, OSError, ...)
        return f"expected a FIF file, found none ({e})"
    with fid:
        if not dir_tree_find(tree, FIFF.FIFFB_MNE_EPOCHS):
            if dir_tree_find(tree, FIFF.FIFFB_RAW_DATA):
                return ("expected MNE epochs, found continuous (raw) data: epoch it first, e.g. "
                        "mne.Epochs(raw, events, event_id).save('sub-01-epo.fif')")
            if dir_tree_find(tree, FIFF.FIFFB_EVOKED):
                return ("expected MNE epochs, found evoked (averaged) data: permrsa rdm needs the "
                        "single trials (the -epo.fif file)")
            return "expected MNE epochs, found a FIF file without an epochs block"
        for block in dir_tree_find(tree, FIFF.FIFFB_MNE_EVENTS):
            for entry in block["directory"]:
                if entry.kind == FIFF.FIFF_MNE_EVENT_LIST:
                    events = read_tag(fid, entry.pos).data
                    if events is None or np.size(events) == 0:
                        return ("expected epochs with events, found an empty event list (were "
                                "all epochs dropped?)")
                    return None
        return "expected epochs with events, found no event list"


def read(path):
    """mne.read_epochs(path), or InputError naming the file and what it holds instead."""
    mne = _mne()
    path = pathlib.Path(path)
    if not path.is_file():
        raise InputError(f"{path}: expected an MNE epochs file (-epo.fif), found no such file")
    try:
        return mne.read_epochs(str(path), preload=True, verbose="error")
    except Exception as e:  # noqa: BLE001 (MNE's readers raise ValueError, KeyError, ...)
        why = _fif_contents(path) or f"mne.read_epochs failed: {type(e).__name__}: {e}"
        raise InputError(f"{path}: {why}") from None


def _arrays(epochs, name, picks, owned=False):
    """The datasets of one output file, checked; `name` labels the input in messages. The
    channels are picked on a copy unless the caller `owned` the object."""
    mne = _mne()
    if not is_epochs(epochs):
        raise InputError(f"{name}: expected an mne.Epochs object or an -epo.fif path, found "
                         f"{type(epochs).__name__}")
    picked = epochs if owned else epochs.copy()
    if not getattr(picked, "preload", True):
        picked.load_data()  # also drops the bad epochs, so that len() is known
    events = np.asarray(picked.events)
    if len(picked) == 0 or events.size == 0:
        raise InputError(f"{name}: events: expected at least one epoch with an event, found none "
                         "(were all epochs dropped?)")
    try:
        picked.pick(picks, exclude="bads")
    except ValueError as e:
        raise InputError(f"{name}: --picks {','.join(picks)}: {e}") from None
    if not picked.ch_names:
        raise InputError(f"{name}: channels: expected at least one channel for picks "
                         f"{','.join(picks)} (bad channels left out), found none")
    labels = events[:, 2].astype(np.int64)
    names_of = {}
    for event_name, event in picked.event_id.items():
        if int(event) in names_of:
            raise InputError(f"{name}: event_id: expected one name per event id, found "
                             f"{names_of[int(event)]!r} and {event_name!r} for id {int(event)}")
        names_of[int(event)] = str(event_name)
    unnamed = sorted(set(labels.tolist()) - set(names_of))
    if unnamed:
        raise InputError(f"{name}: event_id: expected a name for every event id in the events, "
                         f"found none for {', '.join(map(str, unnamed[:3]))}")
    return {
        "data": np.ascontiguousarray(picked.get_data(), dtype=np.float64),
        "labels": labels,
        "times": np.asarray(picked.times, dtype=np.float64),
        "event_names": [names_of[int(x)] for x in labels],
        "channels": list(picked.ch_names),
        "names_of": names_of,
        "attrs": {"source": name, "picks": ",".join(picks),
                  "sfreq": float(picked.info["sfreq"]), "mne_version": mne.__version__,
                  "created_by": "permrsa.from_mne"},
    }


def _check_same_layout(first, first_name, arrays, name):
    """Channels, times and event names as the first input's (reorders a permuted channel set)."""
    if arrays["channels"] != first["channels"]:
        have, want = set(arrays["channels"]), set(first["channels"])
        if have != want:
            extra = [c for c in arrays["channels"] if c not in want][:3]
            missing = [c for c in first["channels"] if c not in have][:3]
            raise InputError(
                f"{name}: channels: expected the {len(want)} channels of {first_name}, found "
                f"{len(have)}: not in {first_name}: {', '.join(extra) or 'none'}; missing: "
                f"{', '.join(missing) or 'none'} (pick a common set, e.g. with "
                "epochs.pick(...) or --picks)")
        order = [arrays["channels"].index(c) for c in first["channels"]]
        arrays["data"] = np.ascontiguousarray(arrays["data"][:, order, :])
        arrays["channels"] = list(first["channels"])
    if not np.array_equal(arrays["times"], first["times"]):
        raise InputError(f"{name}: times: expected the time axis of {first_name} "
                         f"({len(first['times'])} points, {first['times'][0]:g} to "
                         f"{first['times'][-1]:g} s), found {len(arrays['times'])} points, "
                         f"{arrays['times'][0]:g} to {arrays['times'][-1]:g} s")
    for event, event_name in arrays["names_of"].items():
        other = first["names_of"].get(event)
        if other is not None and other != event_name:
            raise InputError(f"{name}: event_id: expected event id {event} to be named "
                             f"{other!r} (as in {first_name}), found {event_name!r}")


def write(arrays, path):
    """Writes one epochs file to <path>.partial (renamed by the caller)."""
    import h5py
    text = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f["data"] = arrays["data"]
        f["labels"] = arrays["labels"]
        f["times"] = arrays["times"]
        f.create_dataset("event_names", data=arrays["event_names"], dtype=text)
        f.create_dataset("channels", data=arrays["channels"], dtype=text)
        for key, value in arrays["attrs"].items():
            f.attrs[key] = value


def _expand(sources):
    """Paths (globs expanded, sorted, as permrsa rdm does) and objects, in order."""
    out = []
    for s in sources:
        if is_epochs(s):
            out.append(s)
            continue
        text = os.fspath(s)
        if any(c in text for c in "*?[") and not pathlib.Path(text).exists():
            found = sorted(glob.glob(text))
            if not found:
                raise InputError(f"{text}: expected -epo.fif files matching it, found none")
            out += found
        else:
            out.append(text)
    return out


def convert(sources, out_dir, *, picks=("data",), log=None):
    """Converts epochs (paths, globs or mne.Epochs objects) into `out_dir`; returns the output
    paths in input order. Objects are named epochs-000_epochs.h5, ... Raises InputError (nothing
    written) for a bad input; MneMissing when MNE-Python cannot be imported."""
    picks = [picks] if isinstance(picks, str) else list(picks)
    items = _expand(sources if isinstance(sources, (list, tuple)) else [sources])
    if not items:
        raise InputError("expected at least one epochs file or mne.Epochs, found none")
    out_dir = pathlib.Path(out_dir)
    targets, names = [], []
    for i, item in enumerate(items):
        names.append("mne.Epochs" if is_epochs(item) else item)
        targets.append(out_dir / (f"epochs-{i:03d}_epochs.h5" if is_epochs(item)
                                  else output_name(item)))
    seen = {}
    for target, name in zip(targets, names):
        if target in seen:
            raise InputError(f"{name}: expected a distinct output name, found {target.name} for "
                             f"{seen[target]} as well (convert them into separate --out-dir "
                             "folders)")
        seen[target] = name
    out_dir.mkdir(parents=True, exist_ok=True)
    partials = []
    try:
        first = None
        for i, (item, target, name) in enumerate(zip(items, targets, names)):
            if name == "mne.Epochs":
                name = f"mne.Epochs #{i}"
            epochs = item if is_epochs(item) else read(item)
            arrays = _arrays(epochs, name, picks, owned=not is_epochs(item))
            if first is None:
                first, first_name = arrays, name
            else:
                _check_same_layout(first, first_name, arrays, name)
            partial = target.with_name(target.name + ".partial")
            partials.append(partial)
            write(arrays, partial)
            del epochs
            if log:
                log(f"{name} -> {target}: {arrays['data'].shape[0]} trials x "
                    f"{arrays['data'].shape[1]} channels x {arrays['data'].shape[2]} times, "
                    f"{len(arrays['names_of'])} events")
        for partial, target in zip(partials, targets):
            partial.replace(target)
        partials = []
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return targets


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python3 -m permrsa.from_mne", description=__doc__.split("\n\n")[0],
        epilog="Output datasets: /data, /labels, /times, /event_names, /channels.")
    parser.add_argument("epochs", nargs="+", help="-epo.fif files (or quoted globs)")
    parser.add_argument("--out-dir", required=True, help="folder for the <name>_epochs.h5 files")
    parser.add_argument("--picks", default="data",
                        help="MNE channel picks, comma-separated (default: data; bads left out)")
    parser.add_argument("--manifest", help="also write the output paths, one per line in input "
                                           "order, to this file (used by permrsa rdm)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        outputs = convert(args.epochs, args.out_dir, picks=args.picks.split(","),
                          log=None if args.quiet else print)
        if args.manifest:
            pathlib.Path(args.manifest).write_text("".join(f"{p}\n" for p in outputs))
    except MneMissing as e:
        print(f"permrsa.from_mne: error: {e}", file=sys.stderr)
        return EXIT_NO_MNE
    except InputError as e:
        print(f"permrsa.from_mne: error: {e}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except OSError as e:
        print(f"permrsa.from_mne: failed: {e}", file=sys.stderr)
        return EXIT_RUNTIME_FAILURE
    return 0


if __name__ == "__main__":
    sys.exit(main())
