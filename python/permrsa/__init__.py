"""permrsa from Python: run the engine on NumPy arrays, load results files, draw the figures and
write the HTML report.

    import permrsa
    res = permrsa.run(brain, models, times=times, metric="spearman", permutations=10000)
    res = permrsa.load("results.h5")
    res.observed                      # pandas DataFrame: index "layer", columns "time"
    res.significant_clusters()        # the cluster table
    from permrsa import figures; figures.time_courses(res).savefig("tc.png")

`python3 -m permrsa.report results.h5 --out report/` writes the figures and index.html.
"""
from .errors import InputError, ResultsFileError
from .results import Results, load
from .engine import run, features, rdm

__all__ = ["run", "load", "features", "rdm", "Results", "InputError", "ResultsFileError"]
__version__ = "0.1.0"
