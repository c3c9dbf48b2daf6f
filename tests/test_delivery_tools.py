"""`make run` (run report) and `make site` (static HTML), exercised on one quick notebook."""

import re
import shutil
import subprocess
import sys

import pytest
from notebook_rules import ROOT

TOOLS = ROOT / "tests" / "tools"
QUICK = "05_upsampling.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run one notebook with the runner, as `make run` does: (notebook dir, output dir, report)."""
    base = tmp_path_factory.mktemp("run")
    notebooks, out = base / "notebooks", base / "executed"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / QUICK, notebooks / QUICK)
    report = base / "report.md"
    done = subprocess.run([sys.executable, str(TOOLS / "run_notebooks.py"), str(notebooks),
                           str(out), "--report", str(report)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return notebooks, out, report


def test_run_report_lists_wall_time_and_recorded_figures(executed):
    _, out, report = executed
    text = report.read_text()
    assert text.startswith("# Run report")
    row = next(line for line in text.splitlines() if line.startswith(f"| {QUICK} |"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))]  # "\|" is a literal pipe
    assert cells[1].endswith(" s") and float(cells[1][:-2]) > 0
    assert cells[3] == "ok"
    assert "max \\|zero-insertion conv - ConvTranspose2d\\|: " in cells[4]
    assert (out / QUICK).exists() and (out / "timings.json").exists()


def test_site_has_an_index_and_a_page_with_outputs(executed, tmp_path):
    notebooks, out, _ = executed
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, str(TOOLS / "build_site.py"), str(notebooks),
                           str(site), "--executed", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "executing" not in done.stdout  # the executed copy was reused
    index = (site / "index.html").read_text()
    assert 'href="05_upsampling.html"' in index and "05 · " in index
    page = (site / "05_upsampling.html").read_text()
    assert "data:image/png;base64" in page  # figures are embedded
    assert "recorded: " in page and "Traceback" not in page


def test_site_refuses_unknown_notebooks(tmp_path):
    done = subprocess.run([sys.executable, str(TOOLS / "build_site.py"), str(ROOT / "notebooks"),
                           str(tmp_path), "--only", "99_nothing.ipynb"],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "99_nothing.ipynb" in done.stderr


STUDENT = "02_receptive_fields.ipynb"


def test_student_copy_runs_through_and_leaks_no_solution(tmp_path):
    import nbformat
    import papermill as pm

    done = subprocess.run([sys.executable, str(TOOLS / "make_student.py"), str(ROOT / "notebooks"),
                           str(tmp_path / "student")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    original = nbformat.read(ROOT / "notebooks" / STUDENT, as_version=4)
    copy = nbformat.read(tmp_path / "student" / STUDENT, as_version=4)
    assert not any("solution" in c.metadata.get("tags", []) for c in copy.cells)
    student_text = "\n".join(c.source for c in copy.cells)
    solutions = [c for c in original.cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2
    for cell in solutions:
        for line in cell.source.splitlines():
            body = line.strip()
            if len(body) > 12 and not body.startswith(("def ", '"""', "assert checks.")):
                assert body not in student_text, f"solution line leaked: {body}"
    stubs = "\n".join(c.source for c in copy.cells if "exercise" in c.metadata.get("tags", []))
    assert stubs.count("raise NotImplementedError") + stubs.count(
        "= None  # your answer here") == len(solutions)

    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(tmp_path / "student" / STUDENT), str(out), kernel_name="python3",
                        cwd=str(tmp_path), progress_bar=False)  # raises if a cell fails
    executed = nbformat.read(out, as_version=4)
    shown = "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                      for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert shown.count("[TODO]") >= len(solutions)
    assert "not solved yet" in shown
