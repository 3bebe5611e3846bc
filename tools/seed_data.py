"""Where the real EEG x VGG16 data set (seed-eeg-vgg16) is: the one lookup that the fetch tool,
the tests, the benchmarks and the examples share. permrsa's config reader applies the same order
to ${PERMRSA_SEED_DATA:-...} in a config (src/io/seed_data_folder.cpp).

Order:
  1. $PERMRSA_SEED_DATA, when set (then only it: a typo must not silently pick another copy);
  2. ../shared/data/seed-eeg-vgg16 beside the repository;
  3. ${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16, where tools/fetch_seed_data.py writes.
A folder counts when it holds brain_rdms.npy.

The study's own files (what the fetch tool reads) are found as: ../shared/data/upstream-mirror
beside the repository, else the upstream/ copy that the fetch tool keeps in the data folder."""
import os
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[1]
ENV = "PERMRSA_SEED_DATA"
MARKER = "brain_rdms.npy"
FETCH_COMMAND = "python3 tools/fetch_seed_data.py"


def cache_folder():
    """${XDG_CACHE_HOME:-~/.cache}/permrsa/seed-eeg-vgg16 (XDG base directory spec)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "permrsa" / "seed-eeg-vgg16"


def beside_repository(repo=REPO):
    return pathlib.Path(repo).resolve().parent / "shared" / "data" / "seed-eeg-vgg16"


def candidates(repo=REPO):
    """[(where it comes from, folder)] in lookup order."""
    if os.environ.get(ENV):
        return [(f"${ENV}", pathlib.Path(os.environ[ENV]))]
    return [("beside the repository", beside_repository(repo)), ("the cache", cache_folder())]


def find_seed_data(repo=REPO):
    """The first candidate folder that holds the data set, or None."""
    for _, folder in candidates(repo):
        if (folder / MARKER).is_file():
            return folder
    return None


def missing_message(repo=REPO):
    looked = "; ".join(f"{label}: {folder}" for label, folder in candidates(repo))
    return (f"the real data set seed-eeg-vgg16 was not found (looked in {looked}); "
            f"fetch it with `{FETCH_COMMAND}` (or set {ENV} to its folder)")


def find_upstream_mirror(repo=REPO):
    """A folder with the study's repository files at the pinned commit, or None."""
    shared = pathlib.Path(repo).resolve().parent / "shared" / "data" / "upstream-mirror"
    data = find_seed_data(repo)
    for folder in [shared] + ([data / "upstream"] if data else []):
        if (folder / "derivatives" / "output_rdms.npy").is_file():
            return folder
    return None


if __name__ == "__main__":
    # `python3 tools/seed_data.py` prints the folder (for shells: DATA=$(python3 tools/seed_data.py)),
    # or says where it looked and exits 2.
    import sys
    found = find_seed_data()
    if found is None:
        print(f"seed_data: {missing_message()}", file=sys.stderr)
        sys.exit(2)
    print(found)
