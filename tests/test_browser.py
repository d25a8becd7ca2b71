"""JupyterLab in a real browser, as a workshop attendee uses it: open 03, 05 and 06, Run All, look at what shows.

Debian's ``chromium`` (``apt-get install -y chromium``) driven by Playwright for Python (``pip install -r
requirements.txt``; Playwright's own browser download is not needed). ``.ci/run`` installs both. JupyterLab runs
from this checkout with ``STREAMRAG_FAST=1`` and a throw-away settings folder (autosave off, so the notebooks in the
repository are never written; the test checks that the browser saved nothing).

For each notebook: Run All from the menu, wait until every cell ran and the kernel is idle, then assert no error
output and no "Error displaying widget", and every figure cell (see ``test_notebooks.is_figure_cell``) shows an
``<img>``, never ``<Figure size ...>`` text. 05: typing a question into the search box shows results. 06: the
dashboard's image redraws (its ``src`` changes) and clicking Stop ends the run that the notebook leaves going.
Screenshots go to ``data/runs/browser/`` (ignored by git).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from test_notebooks import NOTEBOOKS, ROOT, is_figure_cell

CHROMIUM = Path(os.environ.get("STREAMRAG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "data" / "runs" / "browser"
RUN_TIMEOUT_S = 1200  # one notebook's Run All, FAST mode, on a slow machine

try:
    from playwright.sync_api import Page, sync_playwright
except ImportError:  # pragma: no cover - the skip below says what to install
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.notebook,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian's chromium is missing ({CHROMIUM}): "
                       "`apt-get update && apt-get install -y chromium` (.ci/run installs it)"),
    pytest.mark.skipif(sync_playwright is None, reason="Playwright for Python is missing: "
                       "`pip install -r requirements.txt` (playwright==1.65.2)"),
]

# JupyterLab settings for the test: never write the notebooks back, render every cell, no news pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}
ERROR_TEXT = re.compile(r"Traceback|\bError\b|\b[A-Z]\w*(Error|Exception)\b")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on a free port, serving this checkout; its REST API for kernels and sessions."""

    def __init__(self, home: Path) -> None:
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = home / "settings"
        for plugin, values in LAB_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env = dict(os.environ, STREAMRAG_FAST="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
                   SCARF_NO_ANALYTICS="true", DO_NOT_TRACK="true", JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   STREAMRAG_HN_API="http://127.0.0.1:9/v0")  # an address that refuses: offline on purpose
        env.pop("MPLBACKEND", None)  # the kernel's own default, as an attendee has it
        self.log = open(home / "lab.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={ROOT}",
             f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
             "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                self.api("status")
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"JupyterLab did not start: see {home / 'lab.log'}")
                time.sleep(0.5)

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def session(self, name: str) -> dict | None:
        for session in self.api("sessions"):
            if session["path"].endswith(name):
                return session
        return None

    def shut_down_kernels(self) -> None:
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        try:
            server.shut_down_kernels()
        finally:
            server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    saves = []  # the notebooks in the repository must never be written back (autosave is off; nobody saves)
    page.on("request", lambda r: saves.append(r.url) if r.method in ("PUT", "PATCH") and "/api/contents/" in r.url
            else None)
    try:
        yield page
    finally:
        context.close()
    assert not saves, f"the browser saved files of the repository: {saves}"


# ---- driving JupyterLab -----------------------------------------------------------------------------------------


def notebook_file(prefix: str) -> str:
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    return path.name


def open_notebook(page: Page, lab: Lab, name: str) -> None:
    """Open ``notebooks/<name>`` in a fresh workspace and wait until its kernel is idle."""
    page.goto(f"{lab.url}/lab/workspaces/{name.split('_')[0]}/tree/notebooks/{name}?reset&token={lab.token}")
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=120_000)
    wait_until(lambda: (lab.session(name) or {}).get("kernel", {}).get("execution_state") == "idle", 180,
               f"the kernel of {name} did not start")


def run_all(page: Page) -> None:
    """Run > Run All Cells, from the menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def prompts(page: Page) -> list[str]:
    """The input prompt of every code cell: "[3]:" once run, "[*]:" while queued or running, "[ ]:" never run."""
    return [p.strip() for p in page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()]


def wait_until(condition, timeout_s: float, message: str, every_s: float = 1.0, during=None):
    deadline = time.monotonic() + timeout_s
    while True:
        if during is not None:
            during()
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(every_s)


def wait_for_run(page: Page, lab: Lab, name: str, during=None) -> None:
    """Until no cell is queued or running and the kernel is idle (a failing cell stops Run All: the rest never ran)."""
    time.sleep(2)  # let the queued cells show their "[*]"

    def done() -> bool:
        if any(p.startswith("[*]") for p in prompts(page)):
            return False
        return (lab.session(name) or {}).get("kernel", {}).get("execution_state") == "idle"

    wait_until(done, RUN_TIMEOUT_S, f"{name}: Run All did not finish in {RUN_TIMEOUT_S} s", during=during)


def check_outputs(page: Page, name: str, shots: Path) -> None:
    """No error output, no widget that failed to display, every figure cell shows a picture."""
    cells = page.locator(".jp-NotebookPanel .jp-Cell")
    never_ran = [p for p in prompts(page) if not re.fullmatch(r"\[\d+\]:", p)]
    assert not never_ran, f"{name}: not every code cell ran: {prompts(page)}"
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
    errors = [text for text in stderr if ERROR_TEXT.search(text)]
    assert not errors, f"{name}: error output: {errors[0][:2000]}"
    assert page.get_by_text("Error displaying widget").count() == 0, f"{name}: a widget failed to display"
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert cells.count() == len(nb.cells), f"{name}: {cells.count()} cells on the page, {len(nb.cells)} in the file"
    figures = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and is_figure_cell(c.source)]
    for i in figures:
        cell = cells.nth(i)
        outputs = cell.locator(".jp-OutputArea-output")
        text = " ".join(outputs.all_inner_texts())
        assert "<Figure size" not in text, f"{name} cell {i} shows {text[:80]!r} instead of its picture"
        assert outputs.locator("img").count() >= 1, f"{name} cell {i} ends with a figure but shows no <img>"
        cell.scroll_into_view_if_needed()
        cell.screenshot(path=str(shots / f"{name[:2]}_cell{i:02d}.png"))


# ---- the tests ----------------------------------------------------------------------------------------------------


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def test_03_runs_all_and_shows_its_figures(page, lab, shots):
    name = notebook_file("03")
    open_notebook(page, lab, name)
    run_all(page)
    wait_for_run(page, lab, name)
    page.screenshot(path=str(shots / "03_after_run_all.png"))
    check_outputs(page, name, shots)
    lab.shut_down_kernels()


def test_05_search_box_answers_a_typed_question(page, lab, shots):
    name = notebook_file("05")
    open_notebook(page, lab, name)
    run_all(page)
    wait_for_run(page, lab, name)
    check_outputs(page, name, shots)
    box = page.get_by_placeholder(re.compile("Ask Hacker News"))
    assert box.count() == 1, "05 shows one search box"
    search = box.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    status, table = search.locator(".widget-html-content").first, search.locator(".widget-html-content").last
    before = table.inner_text()
    box.scroll_into_view_if_needed()
    box.fill("how do I keep bike lanes clear of snow in winter?")
    box.press("Enter")

    def answered() -> bool:
        return table.locator("tbody tr").count() > 0 and table.inner_text() != before

    wait_until(answered, 120, lambda: f"05: no results for a typed question; the box says {status.inner_text()!r}")
    assert re.search(r"\d+ results in \d+ ms", status.inner_text()), status.inner_text()
    search.screenshot(path=str(shots / "05_search_box.png"))
    lab.shut_down_kernels()


def test_06_dashboard_redraws_and_stop_ends_the_run(page, lab, shots):
    name = notebook_file("06")
    open_notebook(page, lab, name)
    images = page.locator(".jp-NotebookPanel .widget-image")
    seen: dict[int, set[str]] = {}

    def watch() -> None:  # every dashboard's image source, while the notebook runs
        for i, src in enumerate(images.evaluate_all("els => els.map(e => e.getAttribute('src') || '')")):
            seen.setdefault(i, set()).add(src)

    run_all(page)
    wait_for_run(page, lab, name, during=watch)
    check_outputs(page, name, shots)
    assert images.count() == 2, "06 shows two dashboards: the run it watches and the run left for you to stop"
    stop_me = images.last
    wait_until(lambda: len(seen.get(1, set()) - {""}) >= 3, 60, "06: the last dashboard did not redraw twice",
               during=watch)
    assert len(seen[0] - {""}) >= 2, "06: the first dashboard never redrew while its run went on"
    dashboard = stop_me.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    button = dashboard.get_by_role("button", name=re.compile("Stop pipeline"))
    assert button.is_enabled(), "06: the last run is still going, its Stop button is enabled"
    dashboard.screenshot(path=str(shots / "06_dashboard_running.png"))
    button.click()
    wait_until(lambda: "stopped" in dashboard.inner_text(), 120, "06: clicking Stop did not end the run")
    assert dashboard.get_by_role("button", name=re.compile("Stopped")).count() == 1
    time.sleep(6)  # the last frames after a stop: the stopper's and the refresh loop's final one
    last = stop_me.get_attribute("src")
    time.sleep(6)
    assert stop_me.get_attribute("src") == last, "06: the dashboard kept redrawing after the run was stopped"
    dashboard.screenshot(path=str(shots / "06_dashboard_stopped.png"))
    lab.shut_down_kernels()
