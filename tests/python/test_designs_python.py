"""Issue 19 in Python: permrsa.run(contrasts=..., groups=...) gives the CLI's numbers bit for bit
(the same engine; expected values: the CLI run of the same arrays written as .npy), the figures
name what they show (read back from the matplotlib objects), and `permrsa info` and the report
list the contrasts and the groups."""
import h5py
import numpy as np
import pytest

pytest.importorskip("permrsa._permrsa")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import permrsa  # noqa: E402
from permrsa import figures, report  # noqa: E402

from permrsa_testing import run, write_config  # noqa: E402

S, L, T, N = 8, 3, 16, 8
P = S * (S - 1) // 2
GROUPS = [0, 1] * 4


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.Generator(np.random.Philox(1919))
    models = rng.random((L, P))
    brain = rng.standard_normal((N, P, T))
    effect = (models[0] - models[0].mean())[:, None]
    brain[:, :, 4:9] += 1.5 * effect    # every subject: layer a fits better than b
    brain[::2, :, 4:9] += 2.0 * effect  # group a (even subjects) more so
    return models, brain


def cli(d, models, brain, analysis, extra):
    np.save(d / "models.npy", models)
    np.save(d / "brain.npy", brain)
    (d / "layers.txt").write_text("a\nb\nc\n")
    sections = {"brain": {"file": str(d / "brain.npy"), "layout": "subjects-pairs-time",
                          "time_start": 0.0, "time_step": 0.01},
                "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
                "analysis": analysis, "output": {"file": str(d / "cli.h5")}}
    for section, keys in extra.items():
        sections.setdefault(section, {}).update(keys)
    run(["run", write_config(d / "cli.toml", sections), "-q"])
    return d / "cli.h5"


def test_contrasts_from_python_equal_the_cli(tmp_path, arrays):
    models, brain = arrays
    res = permrsa.run(brain, models, layout="subjects-pairs-time", layers=["a", "b", "c"],
                      time_start=0.0, time_step=0.01, scheme="sign-flip", permutations=255,
                      tail="two-sided", contrasts=[("a", "b"), ("c", "b")])
    path = cli(tmp_path, models, brain, {"scheme": "sign-flip", "permutations": 255,
                                         "tail": "two-sided"},
               {"contrasts": {"pairs": [["a", "b"], ["c", "b"]]}})
    with h5py.File(path, "r") as f:
        for name in ("a-b", "c-b"):
            for column in ("observed", "mean", "sem", "p_uncorrected", "p_maxstat", "p_cluster"):
                np.testing.assert_array_equal(res.contrasts[name][column].to_numpy(),
                                              f[f"contrasts/{name}/{column}"][()], err_msg=column)
    fig = figures.contrast(res, "a-b")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Spearman rho difference (a - b)"
    assert "mean ± SEM" in ax.get_title()
    assert any(str(p.get_gid()).startswith("sigbar:") for p in ax.patches)  # planted effect
    info = run(["info", str(path)]).stdout
    assert "contrast a-b:" in info and "contrast c-b:" in info
    text = report.write_report(permrsa.load(path), tmp_path / "report").read_text()
    assert 'id="contrasts"' in text and 'id="fig-contrast_a-b"' in text


def test_two_groups_from_python_equal_the_cli(tmp_path, arrays):
    models, brain = arrays
    res = permrsa.run(brain, models, layout="subjects-pairs-time", layers=["a", "b", "c"],
                      time_start=0.0, time_step=0.01, scheme="two-group", permutations=69,
                      groups=GROUPS)
    path = cli(tmp_path, models, brain, {"scheme": "two-group", "permutations": 69},
               {"brain": {"groups": GROUPS}})
    with h5py.File(path, "r") as f:
        for name in ("observed", "p_uncorrected", "p_maxstat", "p_cluster"):
            np.testing.assert_array_equal(getattr(res, name).to_numpy(), f[name][()], err_msg=name)
        assert f.attrs["permutations"] == 69  # C(8, 4) = 70: every relabelling
    np.testing.assert_array_equal(res.groups, GROUPS)
    fig = figures.two_groups(res, "a")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Spearman rho (a)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["group a (n = 4)",
                                                                   "group b (n = 4)"]
    assert "Welch t (a - b)" in ax.get_title()
    info = run(["info", str(path)]).stdout
    assert "two groups: 4 subjects in group a (0), 4 in group b (1)" in info
    page = report.write_report(permrsa.load(path), tmp_path / "report")
    text = page.read_text()
    assert 'id="two-groups"' in text and "Welch t (a - b)" in text
    assert 'id="fig-two_groups_0"' in text


def test_python_refuses_bad_groups_and_pairs(arrays):
    models, brain = arrays
    with pytest.raises(permrsa.InputError, match="groups"):
        permrsa.run(brain, models, layout="subjects-pairs-time", scheme="two-group",
                    groups=[0.5] * N)
    with pytest.raises(permrsa.InputError, match="contrasts"):
        permrsa.run(brain, models, layout="subjects-pairs-time", scheme="sign-flip",
                    contrasts=[("layer_0",)])
