"""Bad input to `permrsa features` (and a features file of the wrong size in `permrsa run`):
exit code 2, a message naming the file or option and what was expected, and no output file
(neither the output name nor a temporary beside it).

Expected values come from the contract of issue 5 ("Errors (exit 2, clear message): missing or
non-TorchScript model file; unknown layer; unreadable or corrupt image; fewer than 3 images; a
model output that is not a tensor or dict of tensors; a stimulus count that does not match the
brain data when the file is used in run") and DESIGN.md invariants 2 and 3. Models are tiny
TorchScript modules scripted here; images are generated ones (synthetic_images.py, or cut
versions), and the brain RDMs of the stimulus-count check are random, so nothing needs the real data."""
import numpy as np
import pytest
import torch

from features_reference import save_tiny_sequential
from permrsa_testing import run, write_config
from synthetic_images import write_images


class TupleNet(torch.nn.Module):
    def forward(self, x):
        return x.mean(dim=1), x.amax(dim=1)



def image_folder(root, count):
    folder = root / "images"
    write_images(folder, count)
    return folder


def features(tmp_path, *args):
    out = tmp_path / "out" / "rdms.h5"
    out.parent.mkdir(exist_ok=True)
    proc = run(["features", "--out", out, "--resize", 40, "--crop", 32, *args], check=False)
    leftovers = list(out.parent.iterdir())
    return proc, leftovers


def assert_input_error(proc, leftovers, *tokens):
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    for token in tokens:
        assert token in message, (token, message)
    assert leftovers == [], leftovers


def test_a_valid_small_case_runs(tmp_path):
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", image_folder(tmp_path, 5))
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in leftovers] == ["rdms.h5"]


def test_a_missing_model_file_is_named(tmp_path):
    proc, leftovers = features(tmp_path, "--model", tmp_path / "nope.pt",
                               "--images", image_folder(tmp_path, 5))
    assert_input_error(proc, leftovers, "nope.pt", "--model", "no such file")


def test_a_file_that_is_not_torchscript_is_refused(tmp_path):
    weights = tmp_path / "state_dict.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), weights)  # a state dict, not TorchScript
    proc, leftovers = features(tmp_path, "--model", weights, "--images", image_folder(tmp_path, 5))
    assert_input_error(proc, leftovers, "state_dict.pt", "--model", "expected a TorchScript file")


def test_an_unknown_layer_lists_the_valid_names(tmp_path):
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", image_folder(tmp_path, 5), "--layers", "0,fc7")
    assert_input_error(proc, leftovers, "--layers", "unknown layer 'fc7'",
                       "the model's layers are: 0, 1, 2")


def test_a_corrupt_image_is_named(tmp_path):
    folder = image_folder(tmp_path, 5)
    victim = sorted(folder.iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:300])  # a PNG cut short
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", folder)
    assert_input_error(proc, leftovers, victim.name, "--images", "expected a readable PNG or JPEG")


def test_a_missing_image_in_a_list_is_named(tmp_path):
    listing = tmp_path / "list.txt"
    images = write_images(tmp_path / "images", 4)
    listing.write_text("\n".join(str(p) for p in images) + "\nmissing.png\n")
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", listing)
    assert_input_error(proc, leftovers, "missing.png", "--images")


def test_fewer_than_three_images_are_refused(tmp_path):
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", image_folder(tmp_path, 2))
    assert_input_error(proc, leftovers, "--images", "expected at least 3 images", "found 2")


def test_a_model_returning_a_tuple_is_refused(tmp_path):
    model = tmp_path / "tuple.pt"
    torch.jit.script(TupleNet()).save(str(model))
    proc, leftovers = features(tmp_path, "--model", model, "--images", image_folder(tmp_path, 5))
    assert_input_error(proc, leftovers, "tuple.pt", "Tuple",
                       "expected a tensor or a dict of named tensors")


def test_a_budget_below_the_model_is_refused(tmp_path):
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", image_folder(tmp_path, 5), "--memory-budget", "16MiB")
    assert_input_error(proc, leftovers, "--memory-budget 16 MiB", "too small")


@pytest.mark.parametrize("text", ["lots", "-1G", "4XB"])
def test_a_budget_that_is_not_a_size_is_refused(tmp_path, text):
    proc, leftovers = features(tmp_path, "--model", save_tiny_sequential(tmp_path / "m.pt"),
                               "--images", image_folder(tmp_path, 5), "--memory-budget", text)
    assert_input_error(proc, leftovers, "--memory-budget", text)


def test_run_refuses_a_features_file_with_another_stimulus_count(tmp_path):
    rdms = tmp_path / "ten.h5"
    brain = tmp_path / "brain49.npy"  # 49 stimuli: 1176 pairs x 5 times
    np.save(brain, np.random.default_rng(0).random((49 * 48 // 2, 5)))
    run(["features", "--model", save_tiny_sequential(tmp_path / "m.pt"), "--images",
         image_folder(tmp_path, 10), "--out", rdms, "--resize", 40, "--crop", 32])
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    config = write_config(tmp_path / "c.toml", {
        "brain": {"file": str(brain), "layout": "pairs-time"},
        "models": {"file": f"{rdms}:/rdms"},
        "analysis": {"permutations": 10},
        "output": {"file": str(out_dir / "results.h5")}})
    proc = run(["run", config], check=False)
    assert_input_error(proc, list(out_dir.iterdir()), "ten.h5:/rdms", "models.file",
                       "S = 49 stimuli", "(3, 45)", "S = 10 stimuli")
