"""Google Colab's runtime, emulated: the setup cell's install changes nothing, and every notebook
runs under Colab's pinned versions with other parameters than its defaults, as the Colab badge
opens it: the student copy, every exercise unsolved.

`make test-colab` builds `.venv-colab` from tests/colab_runtime.txt and runs this file with
COLAB_PYTHON set to that environment's interpreter. The setup cell itself runs there (with
`google.colab` faked and the repository URL pointing at a snapshot of this checkout); the
notebooks run through a kernel registered from that environment, driven by papermill from the
dev environment (papermill is not installed into the Colab one). Timings and the notebooks'
recorded figures go to build/colab/report.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import nbformat
import papermill as pm
import pytest
from packaging.utils import canonicalize_name

from tools.figures import claims_of, figures_of, format_figure
from tools.notebook_rules import ROOT, STUDENT_DIR, repository_url, setup_cell_source

pytestmark = pytest.mark.colab

KERNEL = "course-colab-emulation"
REPORT = ROOT / "build" / "colab" / "report.md"

# Other parameters than the defaults (nbval runs the defaults in the dev environment).
PARAMETERS = {
    "01_convolution.ipynb": {"SEED": 1},
    "02_receptive_fields.ipynb": {"SEED": 1, "ERF_DEPTHS": [2, 4, 16]},
    "03_fully_convolutional.ipynb": {"SEED": 1, "CANVAS": [96, 128]},
    "04_dense_predictions.ipynb": {"SEED": 1, "N_EVAL": 5},
    "05_upsampling.ipynb": {"SEED": 2},
    "06_skip_connections.ipynb": {"SEED": 1},
    "07_unet.ipynb": {"SEED": 1},
    "08_global_average_pooling.ipynb": {"SEED": 1, "SEEDS": 1, "CAM_THRESHOLD": 0.3},
}


def colab_pins() -> dict[str, str]:
    """tests/colab_runtime.txt as {canonical name: version} (the Python line is a comment)."""
    pins = {}
    for line in (ROOT / "tests" / "colab_runtime.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def installed(python: str) -> dict[str, str]:
    """{canonical name: version} of every distribution in `python`'s environment."""
    done = subprocess.run([python, "-m", "pip", "list", "--format=json"], check=True,
                          capture_output=True, text=True)
    return {canonicalize_name(d["name"]): d["version"] for d in json.loads(done.stdout)}


@pytest.fixture(scope="module")
def colab_python() -> str:
    python = os.environ.get("COLAB_PYTHON")
    if not python or not Path(python).exists():
        pytest.fail("COLAB_PYTHON must name the Colab environment's python: run `make test-colab`")
    return python


def snapshot_of_checkout(dest: Path) -> Path:
    """A git repository holding this checkout as it would be pushed: tracked and untracked files
    that git does not ignore, uncommitted edits included, in one commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git = ["git", "-c", "user.name=course", "-c", "user.email=course@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(git + command, cwd=dest, check=True)
    return dest


def run_setup_cell(python: str, cwd: Path, url: str | None, in_colab: bool):
    """Execute the notebooks' setup cell in `python`, the repository URL replaced by `url`."""
    source = setup_cell_source()
    if url is not None:
        source = source.replace(f"git+{repository_url()}", f"git+{url}")
        assert url in source, "the setup cell no longer installs from the repository URL"
    fake = "import sys, types\nsys.modules['google.colab'] = types.ModuleType('google.colab')\n"
    program = (fake if in_colab else "") + source
    return subprocess.run([python, "-c", program], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def setup_cell_install(colab_python, tmp_path_factory):
    """Installed packages before and after the setup cell ran as on Colab, and what it printed."""
    base = tmp_path_factory.mktemp("colab-setup")
    repo = snapshot_of_checkout(base / "repo")
    # A fresh Colab runtime has no course_utils (a reused .venv-colab may hold the last run's).
    subprocess.run([colab_python, "-m", "pip", "uninstall", "-y", "-q", "course_utils"],
                   check=True, capture_output=True)
    before = installed(colab_python)
    start = time.perf_counter()
    done = run_setup_cell(colab_python, base, f"file://{repo}", in_colab=True)
    seconds = time.perf_counter() - start
    return before, installed(colab_python), done, seconds


def test_the_environment_holds_colabs_pins(colab_python):
    have = installed(colab_python)
    wrong = {n: (v, have.get(n)) for n, v in colab_pins().items() if have.get(n) != v}
    assert not wrong, f"pinned version vs installed: {wrong}; rebuild with `make test-colab`"


def test_setup_cell_installs_course_utils_and_changes_nothing_else(setup_cell_install):
    before, after, done, _ = setup_cell_install
    assert done.returncode == 0, done.stdout + done.stderr
    version = after.pop("course-utils", None)
    with open(ROOT / "pyproject.toml", "rb") as f:
        assert version == tomllib.load(f)["project"]["version"], "course_utils was not installed"
    changed = {n: (before.get(n), after.get(n)) for n in before.keys() | after.keys()
               if before.get(n) != after.get(n)}
    assert not changed, f"the setup cell's install changed Colab's packages: {changed}"
    assert done.stdout.splitlines() == [
        f"Colab setup: course_utils {version} installed; no other package changed, "
        "no restart needed"]


def test_setup_cell_does_nothing_outside_colab(colab_python, tmp_path):
    before = installed(colab_python)
    done = run_setup_cell(colab_python, tmp_path, url=None, in_colab=False)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    assert installed(colab_python) == before


@pytest.fixture(scope="module")
def colab_kernel(colab_python, setup_cell_install, tmp_path_factory):
    """A Jupyter kernel of the Colab environment (after the setup cell installed course_utils)."""
    prefix = tmp_path_factory.mktemp("colab-kernel")
    subprocess.run([colab_python, "-m", "ipykernel", "install", "--prefix", str(prefix),
                    "--name", KERNEL, "--display-name", "Python (Colab emulation)"],
                   check=True, capture_output=True)
    return prefix / "share" / "jupyter"


@pytest.fixture(scope="module")
def report(setup_cell_install, colab_python):
    """Rows of build/colab/report.md, written when the module's tests are done."""
    rows = []
    yield rows
    *_, install_s = setup_cell_install
    have = installed(colab_python)
    lines = ["# Colab emulation report", "",
             f"{time.strftime('%Y-%m-%d %H:%M')} · torch {have.get('torch')} · ipykernel "
             f"{have.get('ipykernel')} · IPython {have.get('ipython')} · ipywidgets "
             f"{have.get('ipywidgets')} · numpy {have.get('numpy')} · setup-cell install "
             f"{install_s:.1f} s", "",
             "| notebook | parameters | wall time | Python | key figures |",
             "|---|---|---|---|---|"]
    for name, params, seconds, python, executed in rows:
        figures = "<br>".join([format_figure(f) for f in figures_of(executed)] + [
            f"{'✓' if c['holds'] else '✗'} {c['statement']}" for c in claims_of(executed)]) or "-"
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        lines.append(f"| {name} | {shown} | {seconds:.1f} s | {python} | "
                     f"{figures.replace('|', chr(92) + '|')} |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def colab_python_version(colab_python) -> str:
    return subprocess.run([colab_python, "-c", "import platform; print(platform.python_version())"],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_notebook_runs_under_colabs_pins(name, colab_kernel, colab_python_version, report,
                                         tmp_path, monkeypatch):
    parameters = PARAMETERS[name]
    monkeypatch.setenv("JUPYTER_PATH", str(colab_kernel))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # let the kernel pick its inline backend
    monkeypatch.delenv("PYTHONPATH", raising=False)  # course_utils comes from the setup cell
    monkeypatch.setenv("COURSE_STRICT", "1")  # other parameters, but every lecture claim must hold
    out = tmp_path / name
    start = time.perf_counter()
    pm.execute_notebook(str(STUDENT_DIR / name), str(out), parameters=parameters,
                        kernel_name=KERNEL, cwd=str(tmp_path), progress_bar=False)
    seconds = time.perf_counter() - start
    executed = nbformat.read(out, as_version=4)
    python = executed.metadata.language_info.version
    report.append((name, parameters, seconds, python, executed))

    assert python == colab_python_version, "the notebook did not run in the Colab environment"
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    for key, value in parameters.items():
        assert f"{key} = {value!r}" in injected[0].source
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    figures = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    assert len(figures) >= 2, "plots must render inline in a headless run"
    solutions = [c for c in nbformat.read(ROOT / "notebooks" / name, as_version=4).cells
                 if "solution" in c.metadata.get("tags", [])]
    shown = "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                      for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert shown.count("not solved yet") >= len(solutions) >= 3, "every exercise shows as unsolved"
