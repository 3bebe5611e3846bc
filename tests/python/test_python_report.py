"""The HTML report (python3 -m permrsa.report, and `permrsa report`), checked in headless
Chromium (Debian `chromium` + `chromium-driver`, driven by python3-selenium).

Where the expected values come from: the results file itself, read with h5py (the significant
clusters are the rows of /clusters with p <= 0.05), and the browser: Chromium's DevTools
network log (Network.requestWillBeSent, via chromedriver's performance log) lists every request
the page makes; a control page with one remote image proves the log sees requests, and a local
HTTP server confirms it. The real data are read from $PERMRSA_SEED_DATA in place.
"""
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import threading

import h5py
import numpy as np
import pytest

from permrsa_testing import SEED_DATA, real_data, run as run_cli
from python_package import permrsa  # noqa: F401  (skips without the package)
from permrsa import report

REPO = pathlib.Path(__file__).resolve().parents[2]
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium is not installed")
pytestmark = [
    real_data,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None,
                       reason="Debian chromium and chromium-driver are not installed"),
]
# The stimulus categories of the real data (its README: 0-based index ranges).
CATEGORIES = ["fearful"] * 8 + ["happy"] * 8 + ["neutral"] * 8 + ["animal"] * 8 + \
             ["scene"] * 9 + ["object"] * 8


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    results = d / "results.h5"
    run_cli(["run", REPO / "config" / "seed-eeg-vgg16.toml", "--quiet",
             "--set", "analysis.permutations=1000", "--set", f"output.file={results}"],
            env={"PERMRSA_SEED_DATA": str(SEED_DATA)})
    (d / "categories.txt").write_text("\n".join(CATEGORIES) + "\n")
    # The CLI subcommand, which runs python3 -m permrsa.report.
    proc = run_cli(["report", results, "--out", d / "out", "--categories", d / "categories.txt"])
    assert "index.html" in proc.stdout
    return d


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def requests_of(driver, url):
    """Loads url; returns the URLs of every request the page made (DevTools network log)."""
    driver.get_log("performance")  # drop older entries
    driver.get(url)
    driver.execute_script("return document.readyState")
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def test_the_network_log_sees_a_pages_requests(browser, tmp_path):
    # Control: a page with one remote image; a local server records that it was asked.
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = tmp_path / "control.html"
    page.write_text(f'<html><body><img src="http://127.0.0.1:{server.server_port}/probe.png"></body></html>')
    urls = requests_of(browser, page.as_uri())
    server.shutdown()
    assert f"http://127.0.0.1:{server.server_port}/probe.png" in urls
    assert seen == ["/probe.png"]


def test_the_report_renders_in_chromium_with_every_figure_and_the_cluster_table(report_dir, browser):
    out = report_dir / "out"
    page = out / "index.html"
    urls = requests_of(browser, page.as_uri())
    # The page makes no network requests: only itself and its inlined data: images.
    assert all(u.startswith(("file://", "data:")) for u in urls), urls
    assert [u for u in urls if u.startswith("file://")] == [page.as_uri()]

    expected = list(report.RESULT_FIGURES) + list(report.INPUT_FIGURES)
    for name in expected:
        img = browser.find_element("css selector", f"figure#fig-{name} img")
        # Decoded by the browser, not just present in the markup.
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) > 100
        assert (out / f"{name}.png").stat().st_size > 1000 and (out / f"{name}.svg").stat().st_size > 1000
    assert len(browser.find_elements("css selector", "figure")) == len(expected)

    with h5py.File(report_dir / "results.h5", "r") as f:
        p = f["clusters/p"][()]
        tf, tl = f["clusters/time_first"][()], f["clusters/time_last"][()]
        t = f["axes/time"][()]
    significant = np.flatnonzero(p <= 0.05)
    assert significant.size > 0
    header = [th.text for th in browser.find_elements("css selector", "table#clusters thead th")]
    assert header == ["cluster", "layer", "start", "end", "peak", "statistic", "p"]
    rows = browser.find_elements("css selector", "table#clusters tbody tr")
    assert len(rows) == significant.size
    shown = {int(r.find_elements("css selector", "td")[0].text): r for r in rows}
    assert set(shown) == set(significant.tolist())
    for c, row in shown.items():
        cells = [td.text for td in row.find_elements("css selector", "td")]
        assert cells[2] == f"{t[tf[c]]:.4g}" and cells[3] == f"{t[tl[c]]:.4g}" and cells[6] == f"{p[c]:.4g}"
    assert "seed-eeg-vgg16" in browser.find_element("id", "config").text or \
        "brain_rdms.npy" in browser.find_element("id", "config").text

    # A screenshot of the whole page, not blank.
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1200, min(int(height) + 100, 16000))
    shot = report_dir / "screenshot.png"
    assert browser.save_screenshot(str(shot))
    import matplotlib.image
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] > 2000 and pixels.std() > 0.05


def test_the_python_module_writes_the_same_report_as_the_cli(report_dir, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "permrsa.report", str(report_dir / "results.h5"),
                           "--out", str(tmp_path), "--categories", str(report_dir / "categories.txt")],
                          capture_output=True, text=True, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (report_dir / "out").iterdir())


def test_a_bad_results_file_makes_the_report_exit_2_with_a_message(tmp_path):
    (tmp_path / "bad.h5").write_text("not HDF5")
    proc = run_cli(["report", tmp_path / "bad.h5", "--out", tmp_path / "out"], check=False)
    assert proc.returncode == 2
    # The C++ front end checks the file before Python opens it (issue 15): the message
    # names the file, says which input it is and why HDF5 refused it.
    assert "bad.h5: results file: cannot open file for reading: file signature not found" in proc.stderr
    assert not (tmp_path / "out" / "index.html").exists()
