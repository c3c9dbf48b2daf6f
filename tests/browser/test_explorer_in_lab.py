"""Real-browser test: JupyterLab + system Chromium, driven by Playwright.

Runs a notebook top to bottom in a served copy of the notebooks, checks that no cell shows an
error, moves one of its explorer's sliders with the keyboard and checks that the drawn picture
changed: notebook 02's receptive-field explorer ("unit row") and notebook 04's shift-and-stitch
explorer ("shift dx"). Screenshots go to build/browser/. Run with `make test-browser`.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "browser"
EXPLORERS = [("02_receptive_fields.ipynb", "unit row", "explorer"),
             ("04_dense_predictions.ipynb", "shift dx", "stitch-explorer")]
RUN_ALL_TIMEOUT_S = 240


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base: str, path: str, token: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture()
def lab(tmp_path):
    """A JupyterLab on 127.0.0.1 with a token, serving a scratch copy of the notebooks."""
    served = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", served)
    port, token = free_port(), secrets.token_hex(16)
    settings = tmp_path / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))  # no news pop-up
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(settings))
    env.pop("MPLBACKEND", None)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
               "--LabApp.expose_app_in_browser=True",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                api(base, "/api/status", token)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError((tmp_path / "lab.log").read_text()[-2000:]) from None
                time.sleep(0.5)
        else:
            raise TimeoutError("JupyterLab did not answer within 60 s")
        yield base, token
    finally:
        try:  # clean shutdown through the API (kernels included), then wait for the process
            api(base, "/api/shutdown", token, method="POST")
            server.wait(timeout=30)
        except Exception:
            server.terminate()
            server.wait(timeout=30)
        log.close()
    assert server.returncode is not None


CELL_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model) return null;
  const cells = panel.content.model.cells;
  const out = {code: 0, run: 0, errors: []};
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== "code") continue;
    out.code += 1;
    if (cell.executionCount !== null && cell.executionCount !== undefined) out.run += 1;
    const outputs = cell.outputs.toJSON();
    for (const o of outputs) {
      if (o.output_type === "error") out.errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  out.busy = panel.sessionContext.session?.kernel?.status !== "idle";
  return out;
}"""


@pytest.mark.parametrize("notebook, slider, shot", EXPLORERS)
def test_run_all_then_move_a_slider(lab, notebook, slider, shot):
    playwright = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no system Chromium (Debian: apt-get install chromium)")
    base, token = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/{notebook}?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext"
                               "?.session?.kernel?.status === 'idle'", timeout=90_000)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.monotonic() + RUN_ALL_TIMEOUT_S
        state = None
        while time.monotonic() < deadline:
            page.wait_for_timeout(1000)
            state = page.evaluate(CELL_STATE)
            if state and state["run"] == state["code"] and not state["busy"]:
                break
        else:
            pytest.fail(f"run-all did not finish in {RUN_ALL_TIMEOUT_S} s: {state}")
        assert state["errors"] == [], state["errors"]

        slider_box = page.locator(".widget-slider", has_text=slider).first
        slider_box.scroll_into_view_if_needed()
        picture = page.locator(".widget-image").first
        explorer = page.locator(".widget-vbox", has=slider_box).last
        picture.wait_for(state="visible")
        page.wait_for_timeout(500)
        before_src = picture.get_attribute("src")
        explorer.screenshot(path=str(SHOTS / f"{shot}-before.png"))
        before = picture.screenshot()

        handle = slider_box.locator("[role=slider], .noUi-handle, .ui-slider-handle").first
        handle.focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("(src) => document.querySelector('.widget-image').src !== src",
                               arg=before_src, timeout=15_000)
        page.wait_for_timeout(500)
        explorer.screenshot(path=str(SHOTS / f"{shot}-after.png"))
        after = picture.screenshot()
        assert after != before, f"moving '{slider}' did not change the picture"
        browser.close()
