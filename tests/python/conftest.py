"""pytest setup shared by every test file here: the `real_data` marker.

A test that needs the real data set (seed-eeg-vgg16) carries `@real_data` (or a module-level
`pytestmark = real_data`), from permrsa_testing. When tools/seed_data.py finds no data folder,
those tests are skipped with a message that names the fetch command. A run that selects only
them (`-m real_data`, as ctest's py_*_real_data tests do) and in which nothing ran exits with
77, which ctest reports as skipped (SKIP_RETURN_CODE): a run without the data never claims
checks it did not make."""
import pytest

from permrsa_testing import SEED_DATA_FOUND, SEED_DATA_MISSING

SKIPPED_EXIT_CODE = 77
_outcomes = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_data: needs the real seed-eeg-vgg16 data set (tools/fetch_seed_data.py)")


def pytest_collection_modifyitems(config, items):
    if SEED_DATA_FOUND:
        return
    skip = pytest.mark.skip(reason=SEED_DATA_MISSING)
    for item in items:
        if item.get_closest_marker("real_data"):
            item.add_marker(skip)


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        _outcomes[report.outcome] = _outcomes.get(report.outcome, 0) + 1


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    only_real_data = session.config.getoption("markexpr") == "real_data"
    if only_real_data and exitstatus == 0 and _outcomes["passed"] == 0 and _outcomes["skipped"]:
        reason = SEED_DATA_MISSING if not SEED_DATA_FOUND else "every selected test skipped"
        print(f"\nSKIPPED: {reason}")
        session.exitstatus = SKIPPED_EXIT_CODE
