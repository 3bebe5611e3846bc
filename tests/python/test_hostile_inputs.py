"""Hostile and damaged input (issue 15): the input-side defect classes D1, D8, D9, D13, D16 and
the notes (time axes, missing times, FIFOs, duplicate layer names). Each test plants one defect
in an otherwise valid data set and checks the three things the README promises for bad input:
exit code 2, a message that names the file and the field (or dataset, variable, option), and
no output file left behind (the output folder stays empty).

Where the expected values come from: the data set is `permrsa simulate --stimuli 12 --layers 3
--times 40` (P = 66 pairs, T = 40 times from -0.1 s in steps of 0.005 s, layers
layer1..layer3: README.txt beside it); every damage is made here with NumPy, SciPy or h5py, and
the message fragments are the file names, fields and values this test planted. The reference
for "a damaged file must be refused" is SciPy: scipy.io.loadmat refuses the same cut and
bit-flipped .mat files (checked below as well)."""
import os
import shutil

import h5py
import numpy as np
import pytest
import scipy.io

from permrsa_testing import run

K_VALID = 99  # permutations for the runs that must succeed (small: only the exit code matters)


@pytest.fixture()
def data(tmp_path):
    """A simulated data set in tmp_path/data and an empty output folder tmp_path/out."""
    folder = tmp_path / "data"
    run(["simulate", "--out", folder, "--stimuli", 12, "--layers", 3, "--times", 40, "-q"])
    (tmp_path / "out").mkdir()
    return folder


def out_dir(data):
    return data.parent / "out"


def refused(args, data, *fragments, timeout=120):
    """Runs permrsa; asserts exit 2, each fragment (case-insensitive) in the one-line message,
    no HDF5-DIAG text, and an empty output folder. Returns the message."""
    proc = run(args, check=False, timeout=timeout)
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 2, report
    message = proc.stderr.lower()
    for fragment in fragments:
        assert str(fragment).lower() in message, f"{fragment!r} missing\n{report}"
    assert "hdf5-diag" not in message, report
    leftovers = os.listdir(out_dir(data))
    assert leftovers == [], f"output left behind: {leftovers}\n{report}"
    return proc.stderr


def run_args(data, *sets, config=None):
    """`permrsa run` of the simulated config, writing to the output folder, with --set KEY=VALUE."""
    args = ["run", config or data / "config.toml", "-q",
            "--set", f"output.file={out_dir(data) / 'results.h5'}",
            "--set", f"analysis.permutations={K_VALID}"]
    for s in sets:
        args += ["--set", s]
    return args


def brain(data):
    return np.load(data / "brain.npy")


# ---- D1: truncated or corrupt MATLAB files (and the other readers' declared sizes) ----------

def test_a_mat_v5_file_cut_short_is_refused_naming_the_file_and_the_variable(data):
    plain = data / "b.mat"
    scipy.io.savemat(plain, {"rdm": brain(data)})
    whole = plain.read_bytes()
    assert run(run_args(data, f"brain.file={plain}:rdm"), check=False).returncode == 0
    (out_dir(data) / "results.h5").unlink()
    for missing in (1, 80):  # the cuts
        cut = data / f"cut{missing}.mat"
        cut.write_bytes(whole[:-missing])
        with pytest.raises((ValueError, OSError)):  # SciPy refuses it too
            scipy.io.loadmat(cut)
        refused(run_args(data, f"brain.file={cut}:rdm"), data, f"cut{missing}.mat:rdm",
                "brain.file", "truncated matlab v5 file", "variable 'rdm'",
                f"only {len(whole) - 128 - 8 - missing} are left")


def test_a_compressed_mat_file_with_a_flipped_bit_is_refused(data):
    packed = data / "c.mat"
    scipy.io.savemat(packed, {"rdm": brain(data)}, do_compression=True)
    damaged = bytearray(packed.read_bytes())
    damaged[-150] ^= 1  # the flip: inside the zlib stream of 'rdm'
    flip = data / "flip.mat"
    flip.write_bytes(bytes(damaged))
    with pytest.raises(Exception):  # SciPy: zlib error
        scipy.io.loadmat(flip)
    refused(run_args(data, f"brain.file={flip}:rdm"), data, "flip.mat:rdm", "brain.file",
            "damaged matlab v5 file", "variable 'rdm'", "zlib")


def write_mat73(path, name, array):
    """A MATLAB v7.3 file as MATLAB writes it: HDF5 with a 512-byte user block holding the
    MAT header (version 0x0200, 'IM'), the variable transposed (column-major), MATLAB_class."""
    with h5py.File(path, "w", userblock_size=512) as f:
        dataset = f.create_dataset(name, data=np.asarray(array).T)
        string = h5py.h5t.C_S1.copy()
        string.set_size(6)
        string.set_strpad(h5py.h5t.STR_NULLTERM)
        attribute = h5py.h5a.create(dataset.id, b"MATLAB_class", string,
                                    h5py.h5s.create(h5py.h5s.SCALAR))
        attribute.write(np.array(b"double", dtype="S6"), mtype=string)
    header = b"MATLAB 7.3 MAT-file, written by test_hostile_inputs.py".ljust(116, b" ")
    with open(path, "r+b") as f:
        f.write(header + b"\0" * 8 + b"\x00\x02" + b"IM")


def test_a_mat_v73_file_cut_short_is_called_truncated_not_empty(data):
    # D16: matio alone said "the file has no variable 'rdm'; its variables are: none".
    whole = data / "v73.mat"
    write_mat73(whole, "rdm", brain(data))
    assert run(run_args(data, f"brain.file={whole}:rdm"), check=False).returncode == 0
    (out_dir(data) / "results.h5").unlink()
    cut = data / "v73cut.mat"
    cut.write_bytes(whole.read_bytes()[:-100])
    message = refused(run_args(data, f"brain.file={cut}:rdm"), data, "v73cut.mat:rdm",
                      "brain.file", "truncated or damaged matlab v7.3 file")
    assert "variables are: none" not in message


def test_an_hdf5_file_cut_short_or_a_dataset_never_written_is_refused(data):
    whole = data / "b.h5"
    with h5py.File(whole, "w") as f:
        f["rdm"] = brain(data)
        f.create_dataset("empty", shape=brain(data).shape, dtype="f8")  # never written
    cut = data / "cut.h5"
    cut.write_bytes(whole.read_bytes()[:-64])
    refused(run_args(data, f"brain.file={cut}:/rdm"), data, "cut.h5:/rdm", "brain.file",
            "truncated file")
    refused(run_args(data, f"brain.file={whole}:/empty"), data, "b.h5:/empty", "brain.file",
            "never written")


# ---- D8, D9: hostile config text --------------------------------------------------------------

def test_a_config_nested_20000_levels_deep_is_refused_without_a_crash(data):
    text = (data / "config.toml").read_text()
    deep = data / "deep.toml"
    deep.write_text(text.replace("[output]", "[output]\nx = " + "[" * 20000 + "]" * 20000, 1))
    line = text.splitlines().index("[output]") + 2
    refused(run_args(data, config=deep), data, "deep.toml", f"line {line}",
            "nest deeper than 64 levels")
    refused(run_args(data, "analysis.seed=" + "[" * 20000), data, "--set analysis.seed",
            "nest deeper than 64 levels")


def test_an_out_of_range_integer_in_the_config_is_a_parse_error(data):
    text = (data / "config.toml").read_text()
    big = data / "big.toml"
    big.write_text(text.replace("permutations = 1000", "permutations = 99999999999999999999999"))
    # No --set of analysis.permutations here: the file's value must be the one refused.
    args = ["run", big, "-q", "--set", f"output.file={out_dir(data) / 'results.h5'}"]
    refused(args, data, "big.toml", "analysis.permutations", "99999999999999999999999",
            "out of range")
    refused(run_args(data, "analysis.seed=-9223372036854775809"), data, "--set analysis.seed",
            "-9223372036854775809", "out of range")


# ---- D13: damaged results files, shards and checkpoints ---------------------------------------

def results_file(data):
    """A complete results file of the simulated data, outside the output folder."""
    path = data / "results.h5"
    run(run_args(data, f"output.file={path}"))
    return path


def damage_cluster_index(f):
    f["/clusters/layer_first"][0] = 50


def damage_short_layer_axis(f):
    del f["/axes/layer"]
    f["/axes/layer"] = np.array([b"layer1"])


def damage_missing_attribute(f):
    del f.attrs["scheme"]


def damage_future_version(f):
    f.attrs["permrsa_version"] = "99.0"


def damage_one_by_one_observed(f):
    del f["/observed"]
    f["/observed"] = np.array([[0.5]])


# (damage, what the message must name): the dataset or attribute at fault.
RESULTS_DAMAGES = [
    (damage_cluster_index, ["/clusters/layer_first", "50"]),
    (damage_short_layer_axis, ["/observed", "/axes/layer", "(1, 40)", "(3, 40)"]),
    (damage_missing_attribute, ["attribute 'scheme'"]),
    (damage_future_version, ["attribute 'permrsa_version'", "99.0"]),
    (damage_one_by_one_observed, ["/observed", "(3, 40)", "(1, 1)"]),
]


@pytest.mark.parametrize("damage,fragments", RESULTS_DAMAGES,
                         ids=[d.__name__ for d, _ in RESULTS_DAMAGES])
def test_info_refuses_a_damaged_results_file_naming_the_dataset(data, damage, fragments):
    path = results_file(data)
    assert run(["info", path], check=False).returncode == 0
    damaged = data / "damaged.h5"
    shutil.copy(path, damaged)
    with h5py.File(damaged, "r+") as f:
        damage(f)
    refused(["info", damaged], data, "damaged.h5", "results file", *fragments)


def shards(data):
    """Two single-pass shards (fixed cluster threshold) covering 0..99."""
    sets = ["correction.cluster_threshold=statistic", "correction.cluster_value=0.1"]
    paths = []
    for part, span in (("a", "0:50"), ("b", "50:")):
        path = data / f"shard_{part}.h5"
        run(run_args(data, *sets) + ["--permutations", span, "--shard-out", path])
        paths.append(path)
    return paths, sets


def test_merge_and_resume_refuse_a_damaged_shard_naming_the_attribute(data):
    (a, b), sets = shards(data)
    merged = out_dir(data) / "merged.h5"
    run(["merge", a, b, "--out", merged, "-q"])
    merged.unlink()
    # K = 10^15 in one shard: before, NullState::empty allocated 10^15 doubles (bad_alloc).
    with h5py.File(b, "r+") as f:
        f.attrs["permutations"] = np.int64(10 ** 15)
    refused(["merge", a, b, "--out", merged, "-q"], data, "shard_b.h5", "attribute permutations",
            "1000000000000000", "analysis.permutations")
    # The same file as a checkpoint to resume from.
    checkpoint = data / "ck.h5"
    shutil.copy(b, checkpoint)
    refused(run_args(data, *sets) + ["--checkpoint", checkpoint], data, "ck.h5",
            "attribute permutations")
    # Exceedance counts beyond the permutations the shard holds (49 of k >= 1 in 0:50).
    with h5py.File(a, "r+") as f:
        f["/exceed"][0] = 1000
    refused(["merge", a, "--out", merged, "-q"], data, "shard_a.h5", "/exceed", "1000",
            "from 0 to 49")


# ---- D16: messages that misled ----------------------------------------------------------------

def test_features_batch_zero_says_what_it_expects(data):
    message = refused(["features", "--model", data / "m.pt", "--images", data, "--batch", 0,
                       "--out", out_dir(data) / "layers.h5"], data, "--batch",
                      "expected a number greater than 0, found 0")
    assert "not in range" not in message


def test_an_unknown_command_is_named_with_the_valid_ones(data):
    refused(["frobnicate"], data, "unknown command 'frobnicate'", "run", "merge", "info")


def test_an_hdf5_dataset_with_an_unavailable_filter_names_the_filter(data):
    if "lzf" not in h5py.filters.encode:
        pytest.skip("this h5py has no LZF filter to write the fixture")
    path = data / "lzf.h5"
    values = np.round(brain(data), 1)  # compressible, so that the chunk is really filtered
    with h5py.File(path, "w") as f:
        f.create_dataset("rdm", data=values, compression="lzf", chunks=values.shape)
    message = refused(run_args(data, f"brain.file={path}:/rdm"), data, "lzf.h5:/rdm",
                      "brain.file", "hdf5 filter 32000 (lzf)", "does not have")
    assert "plugins" not in message


def test_a_brain_with_no_time_points_blames_the_brain_file(data):
    path = data / "p0.npy"
    np.save(path, np.zeros((66, 0)))
    message = refused(run_args(data, f"brain.file={path}"), data, "p0.npy", "brain.file",
                      "at least 1 time point", "(66, 0)")
    assert "brain.times" not in message


def test_a_one_sample_baseline_names_the_baseline_not_the_brain(data):
    # times[0] = -0.1 s is the only sample in [-0.1, -0.099).
    message = refused(run_args(data, "brain.baseline=[-0.1, -0.099]"), data, "config.toml",
                      "brain.baseline", "found 1", "-0.1")
    assert "constant rdm" not in message.lower()


def test_a_set_value_with_a_line_break_is_refused(data):
    refused(run_args(data, "analysis.seed=5\nanalysis.permutations=200"), data,
            "--set analysis.seed", "line break")


# ---- the notes: time axes, missing times, FIFOs, duplicate layer names -------------------------

def test_a_repeated_or_backward_time_is_refused_naming_the_index(data):
    times = np.load(data / "times.npy")
    repeat, back = times.copy(), times.copy()
    repeat[5] = repeat[4]
    back[[7, 8]] = back[[8, 7]]
    np.save(data / "repeat.npy", repeat)
    np.save(data / "back.npy", back)
    refused(run_args(data, f"brain.times={data / 'repeat.npy'}"), data, "repeat.npy",
            "brain.times", "strictly increasing", "times[5] = times[4]")
    refused(run_args(data, f"brain.times={data / 'back.npy'}"), data, "back.npy", "brain.times",
            "step back", "times[8]")


def test_rdm_refuses_epochs_whose_times_repeat(data):
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(1, 4), 6)
    path = data / "epochs.h5"
    with h5py.File(path, "w") as f:
        f["data"] = rng.standard_normal((labels.size, 4, 5))
        f["labels"] = labels
        f["times"] = np.array([0.0, 0.01, 0.01, 0.03, 0.04])
    refused(["rdm", "--epochs", path, "--folds", 3, "--out", out_dir(data) / "rdm.h5"], data,
            "epochs.h5", "times", "strictly increasing", "times[2]")


def test_no_times_and_no_time_start_warns_that_indices_are_seconds(data):
    proc = run(run_args(data, "brain.times="))
    assert "warning" in proc.stderr and "brain.time_start" in proc.stderr, proc.stderr
    assert "sample index" in proc.stderr, proc.stderr
    with h5py.File(out_dir(data) / "results.h5") as f:
        np.testing.assert_array_equal(f["/axes/time"][()], np.arange(40.0))


@pytest.mark.parametrize("field", ["brain.file", "config"])
def test_a_fifo_given_as_input_is_refused_at_once(data, field):
    fifo = data / ("pipe.npy" if field == "brain.file" else "pipe.toml")
    os.mkfifo(fifo)
    if field == "brain.file":
        args = run_args(data, f"brain.file={fifo}")
    else:
        args = ["run", fifo, "-q", "--set", f"output.file={out_dir(data) / 'results.h5'}"]
    # Before, open() blocked until a writer came: forever. The timeout turns a hang into a fail.
    refused(args, data, "pipe.", "fifo", timeout=30)


def test_duplicate_layer_names_are_refused_naming_the_duplicate(data):
    (data / "dup.txt").write_text("conv1\nconv2\nconv1\n")
    refused(run_args(data, f"models.names={data / 'dup.txt'}"), data, "dup.txt", "models.names",
            "'conv1' twice")


def test_a_names_file_that_is_not_text_is_refused_naming_the_line(data):
    # Names go into the results as UTF-8 strings: a binary file (here a .npy) is no names file.
    (data / "names.txt").write_bytes(b"conv1\nconv2\n" + (data / "times.npy").read_bytes()[:40])
    refused(run_args(data, f"models.names={data / 'names.txt'}"), data, "names.txt",
            "models.names", "line 3", "expected a utf-8 name")


def test_report_refuses_a_damaged_results_file_before_starting_python(data):
    path = results_file(data)
    with h5py.File(path, "r+") as f:
        damage_cluster_index(f)
    refused(["report", path, "--out", out_dir(data) / "report", "-q"], data, "results.h5",
            "/clusters/layer_first", "50")


def test_an_hdf5_names_file_whose_string_heap_would_hang_hdf5_is_refused(data):
    # Found by tests/fuzz/fuzz_hdf5: HDF5 1.10.8 (h5py too) never returns from reading these
    # strings. Layout (HDF5 format spec, "Global Heap"): a 16-byte header, then per object a
    # 16-byte header (index, references, reserved, size) and the data padded to 8 bytes:
    # "layer1" at +16, "layer2" at +40, "layer3" at +64, the free space at +88. "layer3"
    # declaring 26 bytes moves HDF5's walk to +64 + 16 + 32 = +112, onto zeros: an object of
    # size 0, which it never steps past.
    path = data / "names.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("names", data=["layer1", "layer2", "layer3"],
                         dtype=h5py.string_dtype())
    raw = bytearray(path.read_bytes())
    collection = raw.find(b"GCOL\x01")
    size_field = collection + 64 + 8
    assert raw[size_field] == 6  # len("layer3")
    raw[size_field] = 26
    path.write_bytes(bytes(raw))
    refused(run_args(data, f"models.names={path}:/names"), data, "names.h5:/names",
            "models.names", "global heap collection", "object 0 at offset 112 declares 0 bytes",
            timeout=60)
