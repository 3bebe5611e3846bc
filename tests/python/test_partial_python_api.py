"""permrsa.run(..., covariates=, covariate_method=) (issue 17): the same maps and attributes as
`permrsa run` with [covariates] on the same inputs (the CLI is the reference: bit-equal maps),
and the p-value adjustment maps. Inputs: NumPy-generated RDMs (S = 12, L = 3, T = 6)."""
import numpy as np
import pytest

from permrsa_testing import read_results, run, write_config
from python_package import permrsa

S, L, T = 12, 3, 6
P = S * (S - 1) // 2


def inputs():
    rng = np.random.default_rng(31)
    z = rng.normal(size=(2, P))
    models = 0.5 * z[0] + rng.normal(size=(L, P))
    brain = 0.5 * z[0][:, None] + 0.3 * models[1][:, None] + rng.normal(size=(P, T))
    return models, brain, z


def cli(tmp_path, models, brain, covariates_section, metric):
    np.save(tmp_path / "m.npy", models)
    np.save(tmp_path / "b.npy", brain)
    cfg = write_config(tmp_path / "c.toml", {
        "brain": {"file": "b.npy"}, "models": {"file": "m.npy"},
        "covariates": covariates_section,
        "analysis": {"metric": metric, "permutations": 49, "seed": 4},
        "output": {"file": str(tmp_path / "o.h5")}})
    run(["run", cfg, "-q"])
    return read_results(tmp_path / "o.h5")


@pytest.mark.parametrize("method,metric", [("formula", "spearman"), ("residual", "kendall-b")])
def test_array_covariates_equal_the_cli(tmp_path, method, metric):
    models, brain, z = inputs()
    np.save(tmp_path / "z.npy", z)
    want = cli(tmp_path, models, brain, {"file": "z.npy", "method": method}, metric)
    got = permrsa.run(brain, models, covariates=z, covariate_method=method, metric=metric,
                      permutations=49, seed=4)
    for name in ("/observed", "/p_uncorrected", "/p_maxstat", "/p_fdr", "/p_bonferroni",
                 "/p_holm"):
        np.testing.assert_array_equal(got.datasets[name], want[name], err_msg=name)
    np.testing.assert_array_equal(got.p_fdr.to_numpy(), want["/p_fdr"])
    assert got.provenance["covariate_method"] == method


def test_layer_name_covariates_leave_the_layer_out(tmp_path):
    models, brain, _ = inputs()
    want = cli(tmp_path, models, brain, {"layers": ["layer_1"]}, "pearson")
    got = permrsa.run(brain, models, covariates=["layer_1"], metric="pearson", permutations=49,
                      seed=4)
    data = got.datasets
    np.testing.assert_array_equal(data["/observed"], want["/observed"])
    assert list(got.layers) == ["layer_0", "layer_2"]


def test_covariate_method_without_covariates_is_an_input_error():
    models, brain, _ = inputs()
    with pytest.raises(permrsa.InputError, match="covariate_method, covariate_permute: need covariates"):
        permrsa.run(brain, models, covariate_method="residual", permutations=9)


def test_a_covariate_array_of_the_wrong_size_names_the_array():
    models, brain, z = inputs()
    with pytest.raises(permrsa.InputError, match=r"<covariates array> \(covariates.file\)"):
        permrsa.run(brain, models, covariates=z[:, :-1], permutations=9)


def test_report_and_figures_name_partial_maps():
    """The report has a section for partial maps (covariates, method, scheme) and counts cells
    per adjustment; figure labels say "partial" (figures.statistic_label)."""
    from permrsa import figures, report
    models, brain, z = inputs()
    res = permrsa.run(brain, models, covariates=z[:1], metric="spearman", permutations=19)
    page = report.render_html(res, {}, 0.05)
    assert 'id="partial"' in page and "covariate_0" in page and "formula" in page
    assert "p_fdr" in page and "p_bonferroni" in page
    assert figures.statistic_label(res) == "partial Spearman rho"
    plain = permrsa.run(brain, models, metric="spearman", permutations=19)
    assert 'id="partial"' not in report.render_html(plain, {}, 0.05)
