"""Calibration of the partial tests (issue 17). Null: two model RDMs x (layers) that share
structure with a covariate RDM z (r(x, z) about 0.5: x = distances of 1.1 f_z + noise features,
z = distances of f_z), and brain RDMs built from z plus independent noise over the pairs, with no
x effect, for a 2-layer x 3-time map (S = 12 stimuli, K = 99, pearson, max-statistic FWER at
alpha = 0.05, 500 simulations each).
Where the expected values come from: the definition of calibration. The plain test (no
covariates) must reject far more often than 0.05 (x correlates with the brain through z); each
partial scheme's FWER must lie in [0.03, 0.07] (the binomial 95% band around 0.05 for 500
simulations is about +-0.019). The default scheme (model, as vegan) is the one the README names;
this test keeps both in the band. The measured rates are printed (-s) for the README figure."""
import numpy as np
from scipy.spatial.distance import pdist

from python_package import permrsa

S, L, T, K, RUNS = 12, 2, 3, 99, 500


def simulated(seed):
    rng = np.random.default_rng(seed)
    fz = rng.normal(size=(S, 4))
    z = pdist(fz)
    models = np.array([pdist(1.1 * fz + rng.normal(size=(S, 4))) for _ in range(L)])
    brain = np.stack([z + 0.5 * z.std() * rng.normal(size=z.size) for _ in range(T)], axis=1)
    return models, brain, z


def family_wise_rejections(covariates=None, permute=None):
    hits, rxz = 0, []
    for i in range(RUNS):
        models, brain, z = simulated(i)
        rxz.append(np.corrcoef(models[0], z)[0, 1])
        kw = {} if covariates is None else {"covariates": z[None, :], "covariate_permute": permute}
        r = permrsa.run(brain, models, metric="pearson", permutations=K, seed=i + 1, threads=1,
                        **kw)
        hits += bool(r.p_maxstat.to_numpy().min() <= 0.05)
    return hits / RUNS, float(np.mean(rxz))


def test_partial_schemes_are_calibrated_where_the_plain_test_is_not():
    plain, rxz = family_wise_rejections()
    model, _ = family_wise_rejections(True, "model")
    freedman_lane, _ = family_wise_rejections(True, "freedman-lane")
    print(f"\nmean r(x, z) = {rxz:.3f}; FWER at 0.05 over {RUNS} simulations: plain {plain:.3f}, "
          f"partial model {model:.3f}, partial freedman-lane {freedman_lane:.3f}")
    assert 0.4 <= rxz <= 0.6
    assert plain >= 0.5
    assert 0.03 <= model <= 0.07
    assert 0.03 <= freedman_lane <= 0.07
