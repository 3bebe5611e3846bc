"""The report of a sign-flip study with TFCE, the bootstrap and the noise ceiling, rendered in
headless Chromium (Debian chromium + chromium-driver, driven by python3-selenium): every section
issue 18 asks for is on the page, and no image is broken.

Where the expected values come from: the sections are the ones the results file holds (read
with h5py here); "not broken" is the browser's own decoding (complete and naturalWidth > 100),
as in test_python_report.py. The data: `permrsa simulate` plus seeded per-subject noise
(NumPy's Philox), so no real data is needed.
"""
import shutil

import h5py
import numpy as np
import pytest

from permrsa_testing import run, write_config

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium is not installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                                reason="Debian chromium and chromium-driver are not installed")
N = 8


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    d = tmp_path_factory.mktemp("sections")
    run(["simulate", "--out", d, "--stimuli", 12, "--layers", 4, "--times", 40, "-q"])
    brain = np.load(d / "brain.npy")
    rng = np.random.Generator(np.random.Philox(12))
    np.save(d / "subjects.npy", brain[None] + 0.5 * brain.std() * rng.standard_normal((N, *brain.shape)))
    cfg = write_config(d / "study.toml", {
        "brain": {"file": str(d / "subjects.npy"), "layout": "subjects-pairs-time",
                  "times": str(d / "times.npy")},
        "models": {"file": str(d / "models.npy"), "names": str(d / "layers.txt")},
        "analysis": {"scheme": "sign-flip", "permutations": 200, "seed": 2},
        "correction": {"cluster_threshold": "t-default", "tfce": True},
        "bootstrap": {"samples": 100, "compare_layers": ["layer1", "layer4"]},
        "output": {"file": str(d / "results.h5")}})
    run(["run", cfg, "-q"])
    run(["report", d / "results.h5", "--out", d / "report"])
    return d


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--no-first-run", "--disable-background-networking"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def test_every_section_is_shown_and_no_image_is_broken(report_page, browser):
    d = report_page
    with h5py.File(d / "results.h5", "r") as f:
        assert "tfce" in f and "noise_ceiling" in f and "bootstrap" in f and "onset" in f
        layers = [x.decode() for x in f["axes/layer"][()]]
    browser.get((d / "report" / "index.html").as_uri())
    for section in ("significant-clusters", "latencies", "tfce", "noise-ceiling", "adjusted",
                    "layer-difference"):
        assert browser.find_elements("id", section), section
    rows = browser.find_elements("css selector", "table#latencies tbody tr")
    assert [r.find_elements("css selector", "td")[0].text for r in rows] == layers
    header = [th.text for th in browser.find_elements("css selector", "table#latencies thead th")]
    assert "bootstrap cluster onset [95% CI]" in header and "threshold onset [95% CI]" in header
    images = browser.find_elements("css selector", "img")
    assert len(images) >= 5
    for img in images:
        assert browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", img) > 100
    # The settings list shows numbers as written.
    settings = browser.page_source
    assert "correction.cluster_alpha</dt><dd>0.05</dd>" in settings
    assert "0.050000000000000003" not in settings
