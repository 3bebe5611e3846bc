#!/usr/bin/python3
"""Fetches the real EEG x VGG16 data set (seed-eeg-vgg16) from the study's public repository.

The study's repository, brainhack-school2020/deep_representational_learning, pinned at commit
4679166cb2aea73dbdf36b5fa5f712c97ef5ac27, holds the files this folder is made from:

  derivatives/output_rdms.npy                         -> brain_rdms.npy (byte for byte)
  analysis/time_vector.mat                            -> time_vector.mat (byte for byte)
  analysis/models/models_layer_rdms/rdm_<layer>.pkl   -> vgg16_layer_corr.npy (22 x 49 x 49):
      each a pickled pandas DataFrame holding one layer's 49 x 49 correlation matrix, stacked
      in the order of vgg16_layers.txt
  stimuli/stim_NNN.png                                -> stimuli/ (byte for byte)

It also keeps the verified source files, in their repository paths, under upstream/, so that
the folder can be made again offline (`--from DIR/upstream`) and the fetch tested anywhere.

Every file's sha256 is pinned below (the hashes of the git blobs at that commit) and checked
before the file is used, and before any pickle is loaded: unpickling runs code. The folder is
assembled under a temporary name beside the destination and renamed when complete, so an
interrupted or failed fetch leaves nothing under the destination's name.

Usage:
  python3 tools/fetch_seed_data.py                       # from GitHub, into the default folder
  python3 tools/fetch_seed_data.py --from ../shared/data/upstream-mirror --out DIR

Destination: --out DIR, else $PERMRSA_SEED_DATA, else ${XDG_CACHE_HOME:-~/.cache}/permrsa/
seed-eeg-vgg16 (the last place permrsa, its tests and its examples look: tools/seed_data.py).
Exit codes: 0 done (or already there), 2 bad source or usage (a hash mismatch, a missing file,
an existing folder that differs), 1 a runtime failure (network, disk).
"""
import argparse
import hashlib
import io
import os
import pathlib
import shutil
import signal
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import seed_data  # noqa: E402  (the shared lookup: same folder as this tool)

UPSTREAM = ("https://raw.githubusercontent.com/brainhack-school2020/deep_representational_learning/"
            "4679166cb2aea73dbdf36b5fa5f712c97ef5ac27/")

LAYERS = ["block1_conv1", "block1_conv2", "block1_pool", "block2_conv1", "block2_conv2",
          "block2_pool", "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
          "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool", "block5_conv1",
          "block5_conv2", "block5_conv3", "block5_pool", "flatten", "fc1", "fc2", "predictions"]
STIMULI = 49

# sha256 of each upstream file at the pinned commit (as `sha256sum` prints them). Checked
# against `git show 4679166c:<path> | sha256sum` of the repository's snapshot.
PINNED_SHA256 = """
4789a3826d13f406727547f3e50c56e9f2b9c62c3955552d19bf2e1280a4ac3d  analysis/models/models_layer_rdms/rdm_block1_conv1.pkl
089ec092f4edc3ecd798db0c5f8a07b7b731c4ce65e57d8c657998a5185a5fe3  analysis/models/models_layer_rdms/rdm_block1_conv2.pkl
3afade2d3ae0feee9241e8ea45390265c0a71989246b2a8788d609e4e4cc32af  analysis/models/models_layer_rdms/rdm_block1_pool.pkl
47c653c922e9e57bbd3dcd5c9983c98c050536d4601d23932180be0fa13dfde4  analysis/models/models_layer_rdms/rdm_block2_conv1.pkl
217e0e0a52fa7c33613caa57ca75dc126c18083b4fd09ed9f79f4c343da0d798  analysis/models/models_layer_rdms/rdm_block2_conv2.pkl
705d179634e217f6b365a864239340fc75e51d66ba7e49e2adcbc233a4f128da  analysis/models/models_layer_rdms/rdm_block2_pool.pkl
6bbb0a821d63dd6ef191066e385f33a5254d47cec6f734100b6c1220b9e0fe2f  analysis/models/models_layer_rdms/rdm_block3_conv1.pkl
3fb156cc782ee79353df658403e6e85156de6ad82626d8a337cf53a3a67335fa  analysis/models/models_layer_rdms/rdm_block3_conv2.pkl
6f0d495f9027f153b1770ae99ca9e9c9eda29787ec114d5e44e7ee2264d9fc83  analysis/models/models_layer_rdms/rdm_block3_conv3.pkl
4f4ef09715a42db3b51bf4f30d34ec9abc066c7caf589c7743e49df03b1b87ed  analysis/models/models_layer_rdms/rdm_block3_pool.pkl
e9ebaa8e59b500501faaa096355fe359d16c3dd92e784a584fad71338ed7757e  analysis/models/models_layer_rdms/rdm_block4_conv1.pkl
58330ae1cf0bb24d452f5e6de3bf03fd0a3273e28bec9f5b635c1d0d02f89cca  analysis/models/models_layer_rdms/rdm_block4_conv2.pkl
e7424705910769e7732738f42a4346897a552e0b420b404c05d34bc1ea5ba780  analysis/models/models_layer_rdms/rdm_block4_conv3.pkl
dc8b58cb2c9bc73ce80df54c6afb2e81f80d94b459dd7e0699fffeb9a74c0c24  analysis/models/models_layer_rdms/rdm_block4_pool.pkl
ca55d7cbf4117a2d4ab2b1f478e96d4da09944adfacac6d437719a02375babdc  analysis/models/models_layer_rdms/rdm_block5_conv1.pkl
9f3329aac09a907428039602d9dd5891d8f856745cd1c71901fd1951dc7f37f7  analysis/models/models_layer_rdms/rdm_block5_conv2.pkl
c893b51ef2b641182b8eb33f5b3ec6a05eaf6bcda50d65de42a03fef3b021a92  analysis/models/models_layer_rdms/rdm_block5_conv3.pkl
610fe36a1fb7953ac5bba019f62fdcf650f7add34b7134203fd462ae3fefe560  analysis/models/models_layer_rdms/rdm_block5_pool.pkl
ad9639eb171a20013a537848e3495f8b131014ba992bc77d17a2743b3e1acc97  analysis/models/models_layer_rdms/rdm_fc1.pkl
85559da9080850bacdd60af5c2081b8c6cbeda8184ef861ea09250f10edddbe7  analysis/models/models_layer_rdms/rdm_fc2.pkl
610fe36a1fb7953ac5bba019f62fdcf650f7add34b7134203fd462ae3fefe560  analysis/models/models_layer_rdms/rdm_flatten.pkl
107b39a0639507ed67c81bdc4352f746efca919a47f39e0501f45c86ab625349  analysis/models/models_layer_rdms/rdm_predictions.pkl
3e694333048f6b5bf948cd29b5f850c81533b7131402efd0553392a40b649aec  analysis/time_vector.mat
7b760a8929cdeebdf29ceb8519138287f661bf35dd3a2b2624114f1b0c5e2af0  derivatives/output_rdms.npy
5631271b44c44680ff7c41698fb46d58781abf811465a8bf4f8434da6c643ebc  stimuli/stim_001.png
a8c01aaf63468ed5cfe37c1d716b6df5755e0a944ff684862cd95014cc907b94  stimuli/stim_002.png
4e68eb8f42b78c0ae5c100e7ea5eafdfd55b390e6002da7a91f558bc69fcaeb4  stimuli/stim_003.png
66f12cf6739eefd0365657e94c7e43785419838be8341ff6952675b43d046b11  stimuli/stim_004.png
315d50670b9d3ef5c52071b3d43815e722fb3b79dfeb4aa521163132a7c4e2b7  stimuli/stim_005.png
63bfd91e53a7f051c5f077648b014a6b0c6977bba91a6e314396f7edb062edbd  stimuli/stim_006.png
876ec6f6d1f876c97ce50bf9bb9f25a3dc030ecc79bbbe3bdbb16c2fc1f67efa  stimuli/stim_007.png
bd38db542d0ec0331965ab17f3863fd413b997a899e6d5c21f0f1d244ce538dc  stimuli/stim_008.png
52c71955724054ffe4e3d780693eca33669c9a8b5846c06eac039971ea82fb6a  stimuli/stim_009.png
deb1012ba6cf6a94ee2984cc95b3ff5a031222f23e2ffa115e8fc17514a112ba  stimuli/stim_010.png
88cf2f15e5eda89cd45d79589feb6a1049dc222e6ed47d6d318d61ba78edc724  stimuli/stim_011.png
deaf33353fb75ce4b55eef5e5d6c3ae4ca2056ed2c4c1056f58021c66df8f6f0  stimuli/stim_012.png
d5e299dee7d4c2e2f8030ea627e1ad36f618bb84b23de93e4479ee05e42b95e1  stimuli/stim_013.png
63531054abca7afd545342116117e37c7c776fbf4d3b0f20b67c986dd0ee7ef2  stimuli/stim_014.png
5c082e08a6100e72897266b0c8b787b45873a8bd5b15a233af7a93b82341c836  stimuli/stim_015.png
105ac182a7af2a5b4ab8516ded106d479352d138b5e90382487b7547d44c16c6  stimuli/stim_016.png
d6c993ba7aa199817b96f086d11355c8fb8b90151c8e7452635bbb3bacc663cc  stimuli/stim_017.png
049dba6d81ded6dc47ac25137b55f7fccbc680ff508c3d0c2e02a10741cba7aa  stimuli/stim_018.png
1e17fbab7c97d7ace51a91f21f127abaeecdf158cbd426330f716dc394cd18a0  stimuli/stim_019.png
5685f9b7fac97c454b50337c69f22e602c9363f53c0336d5d9a523ff63f80919  stimuli/stim_020.png
3d9e8f507de7f68d455b5cd89ca8c4f6afb58b17992a029684c1d879bdfd4b6b  stimuli/stim_021.png
c8a8045dea0631ef2fc257104e0304c71b380fbbe16b2408e1a92d476a122aab  stimuli/stim_022.png
0f108968258f3cdd37419f5a708b72aa867904ed7ff5ac9802c4faad88c779f6  stimuli/stim_023.png
f424920e8dc6ef3eb69a291e49c7b6cb44651962e42d5d5fb82db73e4b5f6dbd  stimuli/stim_024.png
4a1858778e6332d606563408a43ff42520c7beda59171fd22396e4d164f5c79d  stimuli/stim_025.png
0d9c92ae9f01ba310b0b6f1e52e385fc9bbba09aff3d226a913796ebb9437a8b  stimuli/stim_026.png
cdf8d635a02cf1cdc9cd6462cdd1841e29f1876ba403c1b3f8e1c601691c8938  stimuli/stim_027.png
447b9b9d268032883d8fed672e18b0106ef5130ea21f58f7d0e0dfb2d9094d55  stimuli/stim_028.png
7b59c6d5aca83e61423c9cdd36f90c73313b15d29afac1d783f71dc6438b4f26  stimuli/stim_029.png
5220c83d963890d805c0bb3e07e64a272fb07b85ac65d2468d20ba52b08a118b  stimuli/stim_030.png
ab925cfb9792083b8a383430664a283f11691167b44d88a9ba79e38b99abdf24  stimuli/stim_031.png
feaa2eeba07ef6967be5ad7a77a0be0cb13b11b8fc26bba7f3361c94ac17f54c  stimuli/stim_032.png
8e364f6c576c8c24b75ff917ef58082b43054f8748cf078dba9614cb172a6a4e  stimuli/stim_033.png
bb86f689598f9c9845a06967b179cd4a58e323c80f677ed09c1441d860d950e9  stimuli/stim_034.png
426b82d79f43c797c4f705016b6a647e8bb894f904c479cc9ecfc64ab80db508  stimuli/stim_035.png
6f007805cf2cef831374cbdf381f20a58b2c673b9efe5247ac55a0d9db222060  stimuli/stim_036.png
2992a8544e58de9c4e8288c32d0f1ee8b0092922c9b32a00e8d39ece36a24129  stimuli/stim_037.png
0c4cf2d285d0bef57ddf5e945e2fa339ad5182cafb416cc29712fe3a3c46d00a  stimuli/stim_038.png
589a56734d093fafa6b54ad1de8d8d4e6873ce2a84bc031ae135b159c0a68ff8  stimuli/stim_039.png
24c757b1b18d80e3ec4c4df742595a69a1d661087cce4680052bdcd3b571074a  stimuli/stim_040.png
ecb92f671298f95f9fc009053ae3f0a0fc0dea9633385f01c3322ae408feadd4  stimuli/stim_041.png
d6d97de081f6034e4c14b836849433fdfd32e041cafc3719a68c884c8f668382  stimuli/stim_042.png
b7f8d4f4fbcb8b8a23b7ca0df666818e042038b8a2d0fb384bb64be49c0e00af  stimuli/stim_043.png
972aa32a416913aa419ac0a30dd25039f92483e5357231f80d4eb1e57c64dc39  stimuli/stim_044.png
516e1e27ceb3b6d69fbaff22fa42b55aaa10350a9b16bbfcc86f4f557dcb3a58  stimuli/stim_045.png
80b72d95fc41296191fd44df86949e52b85d0c29ca6fdd7823a8a28f11af13e3  stimuli/stim_046.png
f6ecbf5ba045ea264f664e485010485957e04848308aebb3ec40732852986707  stimuli/stim_047.png
767f574314b03043a01baba6a7eebebd1404177dfdde4c8cba8777e0a87f5127  stimuli/stim_048.png
b413d61910364dee9b4ff7e78b5e8938b9ad801955603e310d829dd3951d890b  stimuli/stim_049.png
"""


class FetchError(Exception):
    """Bad source or usage: exit 2."""


def pinned():
    table = {}
    for line in PINNED_SHA256.strip().splitlines():
        digest, path = line.split(maxsplit=1)
        table[path] = digest
    return table


def plan():
    """[(upstream path, what it becomes)] in fetch order."""
    files = [("derivatives/output_rdms.npy", "brain_rdms.npy"),
             ("analysis/time_vector.mat", "time_vector.mat")]
    files += [(f"analysis/models/models_layer_rdms/rdm_{layer}.pkl", None) for layer in LAYERS]
    files += [(f"stimuli/stim_{i:03d}.png", f"stimuli/stim_{i:03d}.png")
              for i in range(1, STIMULI + 1)]
    return files


class Progress:
    """One line on stderr, redrawn in place: files, bytes, rate, ETA. On a terminal by default;
    elsewhere only with --progress."""

    def __init__(self, total_files, enabled):
        self.total_files, self.enabled = total_files, enabled
        self.files = self.bytes = 0
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, nbytes=0, file_done=False, force=False):
        self.bytes += nbytes
        self.files += int(file_done)
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < 0.1):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = self.bytes / elapsed
        eta = (self.total_files - self.files) * elapsed / max(self.files, 1)
        sys.stderr.write(f"\rfetch: {self.files}/{self.total_files} files, "
                         f"{self.bytes / 1e6:.1f} MB, {rate / 1e6:.1f} MB/s, ETA {eta:.0f} s  ")
        sys.stderr.flush()

    def finish(self):
        if self.enabled:
            self.update(force=True)
            sys.stderr.write("\n")


class Source:
    """A folder (read in place, no network) or a base URL (http, https, file)."""

    def __init__(self, spec):
        self.spec = spec
        self.folder = pathlib.Path(spec) if "://" not in spec else None
        if self.folder is not None and not self.folder.is_dir():
            raise FetchError(f"--from {spec}: expected a folder or a URL, found no such folder")

    def read(self, path, progress):
        if self.folder is not None:
            f = self.folder / path
            if not f.is_file():
                raise FetchError(f"{f}: missing from the source folder {self.folder} "
                                 f"(expected the study's repository layout)")
            data = f.read_bytes()
            progress.update(len(data))
            return data
        url = self.spec.rstrip("/") + "/" + path
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                chunks = []
                while chunk := response.read(1 << 16):
                    chunks.append(chunk)
                    progress.update(len(chunk))
                return b"".join(chunks)
        except urllib.error.HTTPError as e:
            raise FetchError(f"{url}: HTTP {e.code} {e.reason} (expected the file at the pinned "
                             f"commit)") from e
        except (urllib.error.URLError, OSError) as e:
            raise RuntimeError(f"{url}: download failed: {e}") from e

    def name(self, path):
        return str(self.folder / path) if self.folder is not None else self.spec.rstrip("/") + "/" + path


def verified(source, path, expected, progress):
    data = source.read(path, progress)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise FetchError(f"{source.name(path)}: expected sha256 {expected}, found {actual} "
                         f"(not the study's file at the pinned commit)")
    return data


def layer_correlations(pickles):
    """Unpickles the 22 verified DataFrames and stacks them: (22, 49, 49) float64."""
    import numpy as np
    import pandas as pd
    stack = []
    for layer, data in zip(LAYERS, pickles):
        frame = pd.read_pickle(io.BytesIO(data))
        values = np.asarray(frame, dtype=np.float64)
        if values.shape != (STIMULI, STIMULI) or not np.isfinite(values).all():
            raise FetchError(f"rdm_{layer}.pkl: expected a finite {STIMULI} x {STIMULI} "
                             f"correlation matrix, found shape {values.shape}")
        stack.append(values)
    return np.ascontiguousarray(np.stack(stack))


def write_file(folder, name, data):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def manifest(folder):
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "MANIFEST.sha256"):
        rel = path.relative_to(folder).as_posix()
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {rel}")
    return "\n".join(lines) + "\n"


README = """# seed-eeg-vgg16 (fetched by permrsa's tools/fetch_seed_data.py)

Made from the public repository brainhack-school2020/deep_representational_learning at commit
4679166cb2aea73dbdf36b5fa5f712c97ef5ac27 ({source}), every file checked against its pinned
sha256 before use.

| file | made from |
| --- | --- |
| `brain_rdms.npy` | `derivatives/output_rdms.npy`, byte for byte: group-average (N = 23) EEG decoding RDMs, float64 (1176 pairs, 218 times) |
| `time_vector.mat` | `analysis/time_vector.mat`, byte for byte: variable `time`, (1, 218) seconds |
| `vgg16_layer_corr.npy` | `analysis/models/models_layer_rdms/rdm_<layer>.pkl`: the 22 layers' 49 x 49 correlation matrices, stacked in the order of `vgg16_layers.txt` |
| `vgg16_layers.txt` | the 22 layer names, in network order |
| `stimuli/stim_NNN.png` | `stimuli/stim_NNN.png`, byte for byte: the 49 images, in RDM row order |

`upstream/` holds the verified source files in their repository paths (to make this folder
again offline: `python3 tools/fetch_seed_data.py --from upstream --out other`).
`MANIFEST.sha256` lists every file's sha256 (`sha256sum -c MANIFEST.sha256`).
"""


def assemble(source, folder, progress):
    table = pinned()
    pickles = []
    for upstream, target in plan():
        data = verified(source, upstream, table[upstream], progress)
        write_file(folder, f"upstream/{upstream}", data)
        if target is None:
            pickles.append(data)
        else:
            write_file(folder, target, data)
        progress.update(file_done=True)
    buffer = io.BytesIO()
    import numpy as np
    np.save(buffer, layer_correlations(pickles))
    write_file(folder, "vgg16_layer_corr.npy", buffer.getvalue())
    write_file(folder, "vgg16_layers.txt", ("\n".join(LAYERS) + "\n").encode())
    write_file(folder, "README.md", README.format(source=source.spec).encode())
    write_file(folder, "MANIFEST.sha256", manifest(folder).encode())


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(dest):
    """Temporary folders of fetches that were killed (their pid is gone)."""
    for stale in dest.parent.glob(f".{dest.name}.partial-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def already_there(dest):
    """True when dest is a complete fetch (its manifest matches); FetchError when it differs."""
    recorded = dest / "MANIFEST.sha256"
    if recorded.is_file() and recorded.read_text() == manifest(dest):
        return True
    raise FetchError(f"{dest}: exists and is not an intact fetch (its MANIFEST.sha256 is missing "
                     f"or does not match its files); remove it, or use --force to replace it")


def destination(args):
    if args.out:
        return pathlib.Path(args.out)
    if os.environ.get(seed_data.ENV):
        return pathlib.Path(os.environ[seed_data.ENV])
    return seed_data.cache_folder()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", default=UPSTREAM, metavar="DIR_OR_URL",
                        help="a copy of the repository's files (folder: no network) or a base URL "
                             "(default: GitHub's raw files at the pinned commit)")
    parser.add_argument("--out", help="destination folder (default: $PERMRSA_SEED_DATA, else "
                                      "${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16)")
    parser.add_argument("--force", action="store_true", help="replace an existing destination")
    parser.add_argument("--progress", action="store_true", help="progress line even when stderr "
                                                                "is not a terminal")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress line, no summary")
    args = parser.parse_args(argv)

    dest = destination(args).absolute()
    partial = dest.parent / f".{dest.name}.partial-{os.getpid()}"

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if dest.exists() and not args.force:
            if already_there(dest):
                if not args.quiet:
                    print(f"fetch_seed_data: {dest} is already complete (MANIFEST.sha256 matches)")
                return 0
        source = Source(args.source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_partials(dest)
        partial.mkdir()
        progress = Progress(len(plan()), (sys.stderr.isatty() or args.progress) and not args.quiet)
        assemble(source, partial, progress)
        progress.finish()
        if dest.exists():  # --force: move the old folder aside first, then swap
            old = dest.parent / f".{dest.name}.old-{os.getpid()}"
            dest.rename(old)
            partial.rename(dest)
            shutil.rmtree(old)
        else:
            partial.rename(dest)
        if not args.quiet:
            print(f"fetch_seed_data: wrote {dest} ({len(plan())} files checked against their "
                  f"pinned sha256)")
        return 0
    except FetchError as e:
        print(f"fetch_seed_data: {e}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as e:
        print(f"fetch_seed_data: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        print(f"fetch_seed_data: interrupted ({e or 'SIGINT'}); nothing was written to {dest}",
              file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(partial, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
