"""Writes tests/data/golden/<case>.json from the current build (see golden_outputs.py). Run it
only when results are meant to change, and say why in the commit:
    PERMRSA_BIN=build/src/permrsa PYTHONPATH=tests/python /usr/bin/python3 tests/python/make_golden.py [case ...]
"""
import json
import sys
import tempfile

import golden_outputs as g

for case in sys.argv[1:] or g.CASES:
    with tempfile.TemporaryDirectory() as work:
        prints = g.fingerprint(g.run_case(case, work))
    g.GOLDEN.mkdir(parents=True, exist_ok=True)
    (g.GOLDEN / f"{case}.json").write_text(json.dumps(prints, indent=1, sort_keys=True) + "\n")
    print(f"{case}: {len(prints)} datasets and attributes")
