"""The explorer widgets as a learner meets them: JupyterLab from the checkout, in headless
Chromium driven by selenium. Notebooks 03 and 08 are run with Run All (on throwaway copies
with the quick parameters: JupyterLab autosaves), and for every explorer: it rendered as
controls, not as the `VBox(children=...)` text of a missing widget extension; moving a slider,
toggling a checkbox or typing a value changes what it shows within 2 s; no cell has an error
output, and the browser console has no errors.

Needs Debian's chromium and chromium-driver; run with `pytest --browser tests/browser`
(.ci/run does). Without --browser these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from lecture_utils.course.catalog import load_course
from lecture_utils.course.paths import NOTEBOOK_DIR

pytestmark = pytest.mark.browser

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
REACT_SECONDS = 2.0  # what a learner waits for a widget to answer
RUN_ALL_SECONDS = 240
NOTEBOOKS = {  # notebook (its path under notebooks/): how many explorers it shows
    "03_neural_bigram": 2,
    "08_attention": 1,
    "zh/03_neural_bigram": 2,  # the Chinese edition: the same explorers, speaking Chinese
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, seconds: float, what: str, interval: float = 0.1):
    """Poll `condition` until it returns something true; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {seconds:g} s")
        time.sleep(interval)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Throwaway copies of the notebooks with the quick parameters injected (as papermill
    does), so that Run All is short and the committed files are never touched."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    folder = tmp_path_factory.mktemp("lab")
    course = load_course()
    cell_counts = {}
    for name in NOTEBOOKS:
        notebook = course[name.rpartition("/")[2]]
        path = NOTEBOOK_DIR / f"{name}.ipynb"
        nb = load_notebook_node(str(path))  # with the metadata papermill expects
        nb = parameterize_notebook(nb, notebook.parameters("quick"))
        (folder / path.parent.relative_to(NOTEBOOK_DIR)).mkdir(exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
        cell_counts[name] = len(nb.cells)
    return folder, cell_counts


@pytest.fixture(scope="module")
def lab(workspace):
    """A JupyterLab server on the throwaway folder; yields its base URL with the token."""
    folder, _ = workspace
    port, token = free_port(), "browser-test"
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env={**os.environ})

    def up():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}",
                                          timeout=1).status == 200
        except OSError:
            return False

    try:
        wait_for(up, 60, "JupyterLab answering")
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                 "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def text_of(driver, element) -> str:
    # innerText is blank for cells JupyterLab has scrolled off screen; textContent is not
    return driver.execute_script("return arguments[0].textContent", element)


def shown(driver, explorer) -> str:
    """What an explorer's output shows: its HTML, images included (their data URLs)."""
    return driver.execute_script(
        "return arguments[0].querySelector('.widget-output').innerHTML", explorer)


def run_all(driver, lab, name: str, cell_count: int):
    """Open the notebook, Run All, and wait until every code cell has run."""
    base, token = lab
    driver.get(f"{base}/lab/tree/{name}.ipynb?reset&token={token}")  # reset: no other tabs
    wait_for(lambda: driver.execute_script(
        "const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        # the model's cells: JupyterLab's windowing leaves cells far off screen out of the page
        "return panel && panel.content ? panel.content.model.cells.length : 0;") == cell_count,
             60, f"{name}: all {cell_count} cells loaded")
    wait_for(lambda: driver.execute_script(
        "const app = window.jupyterapp;"
        "const panel = app && app.shell.currentWidget;"
        "return !!(panel && panel.sessionContext && panel.sessionContext.session"
        " && panel.sessionContext.session.kernel"
        " && panel.sessionContext.session.kernel.status === 'idle');"), 60, f"{name}: kernel idle")
    driver.execute_script("window.jupyterapp.commands.execute('runmenu:run-all')")

    wait_for(lambda: driver.execute_script(NOTEBOOK_STATE)["finished"], RUN_ALL_SECONDS,
             f"{name}: Run All finished", interval=1)


# The notebook as JupyterLab holds it: has every code cell run, and which outputs are errors.
NOTEBOOK_STATE = """
const panel = window.jupyterapp.shell.currentWidget;
const cells = panel.content.model.cells;
let finished = panel.sessionContext.session.kernel.status === 'idle';
const errors = [];
for (let i = 0; i < cells.length; i++) {
  const cell = cells.get(i);
  if (cell.type !== 'code') continue;
  if (cell.executionCount === null) finished = false;
  for (let j = 0; j < cell.outputs.length; j++) {
    const output = cell.outputs.get(j).toJSON();
    if (output.output_type === 'error') errors.push(`cell ${i}: ${output.ename}: ${output.evalue}`);
  }
}
return {finished: finished, errors: errors};
"""


def notebook_panel(driver):
    """The open notebook's element (JupyterLab keeps other tabs' cells in the page, hidden)."""
    return driver.execute_script("return window.jupyterapp.shell.currentWidget.node")


def explorers(driver):
    """The explorers in the open notebook: VBoxes whose last child is an Output widget."""
    boxes = notebook_panel(driver).find_elements("css selector", ".jp-OutputArea-output .widget-vbox")
    return [box for box in boxes if box.find_elements("css selector", ":scope > .widget-output")]


def changes(driver, explorer, action, what: str):
    """Do `action` and check that the explorer's output changes within REACT_SECONDS."""
    before = shown(driver, explorer)
    action()
    wait_for(lambda: shown(driver, explorer) != before, REACT_SECONDS, what, interval=0.05)


def move_slider(driver, explorer, index: int):
    from selenium.webdriver.common.keys import Keys

    handle = explorer.find_elements("css selector", ".widget-slider .noUi-handle")[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", handle)
    handle.click()
    handle.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)


def type_into(driver, explorer, index: int, text: str):
    from selenium.webdriver.common.keys import Keys

    box = explorer.find_elements("css selector", ".widget-text input")[index]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text, Keys.ENTER)


def check_page(driver, name: str, count: int):
    """What every notebook must show after Run All: explorers as controls, no errors."""
    outputs = " ".join(text_of(driver, o) for o in notebook_panel(driver).find_elements(
        "css selector", ".jp-OutputArea-output"))
    assert "VBox(children=" not in outputs, f"{name}: a widget shown as text (no widget extension?)"
    assert driver.execute_script(NOTEBOOK_STATE)["errors"] == [], f"{name}: error outputs"
    found = explorers(driver)
    assert len(found) == count, f"{name}: {len(found)} explorers rendered, expected {count}"
    for explorer in found:
        assert explorer.find_elements("css selector", ".widget-slider, .widget-checkbox"), (
            f"{name}: an explorer without controls")
    return found


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture(scope="module", autouse=True)
def tools_present():
    missing = [tool for tool in (CHROMIUM, CHROMEDRIVER) if not shutil.which(tool)]
    if missing:
        pytest.fail(f"{' and '.join(missing)} missing: apt-get install chromium chromium-driver")


def test_notebook_03_explorers_answer_their_controls(browser, lab, workspace):
    _, cell_counts = workspace
    run_all(browser, lab, "03_neural_bigram", cell_counts["03_neural_bigram"])
    softmax, sampler = check_page(browser, "03_neural_bigram", NOTEBOOKS["03_neural_bigram"])
    changes(browser, softmax, lambda: move_slider(browser, softmax, 0), "03 softmax: a logit slider")
    changes(browser, softmax, lambda: move_slider(browser, softmax, 4), "03 softmax: the temperature")
    changes(browser, sampler, lambda: move_slider(browser, sampler, 0), "03 sampler: the temperature")
    changes(browser, sampler, lambda: type_into(browser, sampler, 0, "q"), "03 sampler: typing a character")
    changes(browser, sampler, lambda: type_into(browser, sampler, 0, "7"), "03 sampler: a bad character")
    assert "Unknown previous character '7'" in text_of(browser, sampler)
    assert console_errors(browser) == []


def test_notebook_08_explorer_answers_its_controls(browser, lab, workspace):
    _, cell_counts = workspace
    run_all(browser, lab, "08_attention", cell_counts["08_attention"])
    (attention,) = check_page(browser, "08_attention", NOTEBOOKS["08_attention"])

    def toggle_mask():
        box = attention.find_elements("css selector", ".widget-checkbox input")[0]
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()

    changes(browser, attention, toggle_mask, "08: the causal-mask checkbox")
    changes(browser, attention, lambda: move_slider(browser, attention, 0), "08: the scale slider")
    changes(browser, attention, lambda: type_into(browser, attention, 0, "To be or not"),
            "08: typing a text")
    assert console_errors(browser) == []


def test_the_chinese_explorers_speak_chinese(browser, lab, workspace):
    """The setup cell of notebooks/zh/ sets LECTURE_LANGUAGE = "zh": the labels and messages
    of the same explorers are Chinese."""
    _, cell_counts = workspace
    run_all(browser, lab, "zh/03_neural_bigram", cell_counts["zh/03_neural_bigram"])
    softmax, sampler = check_page(browser, "zh/03_neural_bigram", NOTEBOOKS["zh/03_neural_bigram"])
    assert "温度" in text_of(browser, softmax) and "temperature" not in text_of(browser, softmax)
    changes(browser, sampler, lambda: type_into(browser, sampler, 0, "7"), "zh/03 sampler: a bad character")
    assert "未知的前一个字符 '7'" in text_of(browser, sampler)
    assert console_errors(browser) == []
