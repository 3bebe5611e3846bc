"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/): small valid files
of each format the readers take, so that libFuzzer starts from inputs that reach deep into
them; and the valid HDF5 and v7.3 files among the replayed regressions (regressions/hdf5,
regressions/mat). fuzz_hdf5 builds its files from its input's choices, so its seeds are plain
byte patterns. Run with Debian's Python (numpy, scipy, h5py) from this folder:
    /usr/bin/python3 make_corpus.py
The files are committed; rerunning rewrites the same contents (no random numbers, except the
timestamps SciPy and HDF5 put into their headers)."""
import pathlib

import h5py
import numpy as np
import scipy.io

HERE = pathlib.Path(__file__).resolve().parent / "corpus"
REGRESSIONS = pathlib.Path(__file__).resolve().parent / "regressions"
M = np.array([[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]])  # M(r, c) = 10 r + c


def npy():
    out = HERE / "npy"
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "float64_2x3.npy", M)
    np.save(out / "float32_vector.npy", np.arange(5, dtype=np.float32) / 4)
    np.save(out / "int64_2x2.npy", np.array([[0, 1], [1, 0]], dtype=np.int64))
    np.save(out / "uint8_3.npy", np.array([0, 2, 1], dtype=np.uint8))
    np.save(out / "fortran_2x3.npy", np.asfortranarray(M))
    np.save(out / "bigendian_2x3.npy", M.astype(">f8"))
    np.save(out / "scalar.npy", np.float64(0.5))
    with open(out / "version2_2x3.npy", "wb") as f:
        np.lib.format.write_array(f, M, version=(2, 0))


def mat():
    out = HERE / "mat"
    out.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(out / "v5_double.mat", {"x": M})
    scipy.io.savemat(out / "v5_compressed.mat", {"x": M}, do_compression=True)
    scipy.io.savemat(out / "v5_int32_and_single.mat",
                     {"x": np.array([[0, 1], [1, 0]], dtype=np.int32),
                      "s": np.arange(3, dtype=np.float32)})
    scipy.io.savemat(out / "v4_double.mat", {"x": M}, format="4")
    out = REGRESSIONS / "mat"
    out.mkdir(parents=True, exist_ok=True)
    # v7.3: HDF5 behind a 512-byte MAT header (version 0x0200, "IM"); MATLAB stores the
    # transpose (column-major) and names the class in an attribute.
    path = out / "v73_double.mat"
    with h5py.File(path, "w", userblock_size=512, libver="earliest") as f:
        dataset = f.create_dataset("x", data=M.T)
        string = h5py.h5t.C_S1.copy()
        string.set_size(6)
        string.set_strpad(h5py.h5t.STR_NULLTERM)
        attribute = h5py.h5a.create(dataset.id, b"MATLAB_class", string,
                                    h5py.h5s.create(h5py.h5s.SCALAR))
        attribute.write(np.array(b"double", dtype="S6"), mtype=string)
    header = b"MATLAB 7.3 MAT-file, permrsa fuzz corpus".ljust(116, b" ")
    with open(path, "r+b") as f:
        f.write(header + b"\0" * 8 + b"\x00\x02" + b"IM")


def hdf5():
    # fuzz_hdf5's seeds: byte patterns it reads as choices (type, shape, layout, values...).
    seeds = HERE / "hdf5"
    seeds.mkdir(parents=True, exist_ok=True)
    for k in range(6):
        (seeds / f"choices_{k}.bin").write_bytes(bytes((i * (2 * k + 3) + k) % 256
                                                       for i in range(160)))
    out = REGRESSIONS / "hdf5"
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(out / "double_and_names.h5", "w", libver="earliest") as f:
        f["x"] = M
        f["names"] = np.array([b"conv1", b"fc8"])  # fixed-length strings
    with h5py.File(out / "int32_gzip_chunked.h5", "w", libver="earliest") as f:
        f.create_dataset("x", data=np.array([[0, 1], [1, 0]], dtype=np.int32), chunks=(1, 2),
                         compression="gzip")
        f["names"] = ["a", "b"]  # variable-length strings
    with h5py.File(out / "float32_shuffle_fletcher.h5", "w", libver="earliest") as f:
        f.create_dataset("x", data=M.astype(np.float32), chunks=(2, 2), shuffle=True,
                         fletcher32=True)


CONFIGS = {
    "stimulus.toml": """[brain]
file = "brain.npy"
layout = "pairs-time"
times = "times.npy"
baseline = [-0.1, 0.0]

[models]
file = "models.h5:/rdms"
kind = "dissimilarity"
names = "layers.txt"

[analysis]
scheme = "stimulus"
metric = "kendall-b"
permutations = 1000
seed = 0x2a
tail = "two-sided"
precision = "float64"

[correction]
cluster_threshold = "statistic"
cluster_value = 0.1
cluster_statistic = "size"
connectivity = "layer-time"
tfce = true
tfce_step = 1e-2

[output]
file = "results.h5"
""",
    "signflip.toml": """# per-subject maps, sign-flip test
[brain]
files = ["sub-01.mat:rdm", 'sub-02.mat:rdm']
time_start = -0.2
time_step = 0.004

[models]
file = "models.npy"

[analysis]
scheme = "sign-flip"
group_statistic = "t"
fisher_z = true
permutations = 10_000

[correction]
cluster_threshold = "t-default"
cluster_alpha = 0.05

[bootstrap]
samples = 100
compare_layers = ["conv1", "fc8"]
""",
    "covariates.toml": """# partial correlations (issue 17)
[brain]
file = "brain.npy"

[models]
file = "models.npy"
names = "layers.txt"

[covariates]
file = "pixels.npy"
kind = "similarity"
names = "pixel_names.txt"
layers = ["block1_conv1"]
method = "residual"
permute = "model"

[analysis]
metric = "kendall-b"
""",
    "inline.toml": """brain = { file = "b.npy", layout = "time-pairs" }
models = { file = "m.npy", names = "n.h5:/layers" }
analysis.permutations = 9
analysis.permutation_file = 'perms.npy'
output.file = \"\"\"out.h5\"\"\"
""",
}


def toml():
    out = HERE / "toml"
    out.mkdir(parents=True, exist_ok=True)
    for name, text in CONFIGS.items():
        (out / name).write_text(text)


if __name__ == "__main__":
    npy()
    mat()
    hdf5()
    toml()
