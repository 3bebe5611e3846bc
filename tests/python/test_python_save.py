"""Results of permrsa.run saved with res.save (issue 18, item 8): complete files.

Where the expected values come from: the file must record its own name in the resolved config
(output.file) and, as sha256_* attributes, hashlib.sha256 over each input array's dtype, shape
and C-order bytes (computed here independently); with include_inputs=True the arrays
themselves, which the report then uses for its RDM and MDS figures. The maps must equal the
CLI's on the same arrays (test_python_bindings.py checks that bit for bit; here the saved file
is compared with the in-memory results).
"""
import hashlib

import h5py
import numpy as np

from python_package import permrsa


def digest(a):
    a = np.ascontiguousarray(a)
    return hashlib.sha256(f"{a.dtype.str}|{a.shape}|".encode() + a.tobytes()).hexdigest()


def arrays():
    rng = np.random.Generator(np.random.Philox(8))
    S, L, T = 9, 3, 20
    P = S * (S - 1) // 2
    models = rng.random((L, P)).astype(np.float32)
    brain = 0.4 * models[0].astype(float)[:, None] + rng.random((P, T))
    return brain, models


def test_save_records_its_name_and_the_inputs_sha256(tmp_path):
    brain, models = arrays()
    res = permrsa.run(brain, models, permutations=50, seed=3)
    res.save(tmp_path / "study.h5")
    with h5py.File(tmp_path / "study.h5", "r") as f:
        assert f'file = "{tmp_path / "study.h5"}"' in f.attrs["config"]
        assert f.attrs["sha256_brain_file"] == digest(brain)
        assert f.attrs["sha256_models_file"] == digest(models)
        assert "inputs" not in f
        np.testing.assert_array_equal(f["observed"][()], res.observed.to_numpy())


def test_include_inputs_keeps_the_arrays_for_the_report(tmp_path):
    brain, models = arrays()
    res = permrsa.run(brain, models, permutations=50, seed=3)
    res.save(tmp_path / "with.h5", include_inputs=True)
    with h5py.File(tmp_path / "with.h5", "r") as f:
        np.testing.assert_array_equal(f["inputs/brain"][()], brain)
        np.testing.assert_array_equal(f["inputs/models"][()], models)
    assert not list(tmp_path.glob("*.partial-*"))
    from permrsa import report
    page = report.write_report(tmp_path / "with.h5", tmp_path / "report")
    html = page.read_text()
    assert 'id="fig-rdms"' in html and 'id="fig-mds"' in html
