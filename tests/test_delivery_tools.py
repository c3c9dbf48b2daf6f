"""`make run` (run report) and `make site` (static HTML), exercised on one quick notebook."""

import json
import re
import shutil
import subprocess
import sys

import pytest

from tools import reference
from tools.notebook_rules import ROOT
from tools.run_notebooks import format_report

QUICK = "05_upsampling.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run one notebook with the runner, as `make run` does: (notebook dir, output dir, report)."""
    base = tmp_path_factory.mktemp("run")
    notebooks, out = base / "notebooks", base / "executed"
    notebooks.mkdir()
    shutil.copy(ROOT / "notebooks" / QUICK, notebooks / QUICK)
    report = base / "report.md"
    done = subprocess.run([sys.executable, "-m", "tools.run_notebooks", str(notebooks),
                           str(out), "--report", str(report)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return notebooks, out, report


@pytest.mark.notebook
def test_run_report_lists_wall_time_and_recorded_figures(executed):
    _, out, report = executed
    text = report.read_text()
    assert text.startswith("# Run report")
    row = next(line for line in text.splitlines() if line.startswith(f"| {QUICK} |"))
    cells = [c.strip() for c in re.split(r"(?<!\\)\|", row.strip("|"))]  # "\|" is a literal pipe
    seconds, units = re.fullmatch(r"([\d.]+) s = (\d+) ru", cells[1]).groups()
    assert float(seconds) > 0 and int(units) > 0  # wall time, and in reference units
    assert cells[2] == f"{reference.NOTEBOOK_BUDGET_RU:.0f} ru" and cells[3].startswith("ok, ")
    assert "max \\|zero-insertion conv - ConvTranspose2d\\|: " in cells[4]
    assert "this machine: reference workload " in text
    timings = json.loads((out / "timings.json").read_text())
    before, after = timings[0]["reference_samples_s"]  # sampled around the notebook
    assert timings[0]["reference_s"] == pytest.approx((before + after) / 2, abs=1e-4)
    assert (out / QUICK).exists()


@pytest.mark.notebook
def test_site_has_an_index_and_a_page_with_outputs(executed, tmp_path):
    notebooks, out, _ = executed
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "tools.build_site", str(notebooks),
                           str(site), "--executed", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "executing" not in done.stdout  # the executed copy was reused
    index = (site / "index.html").read_text()
    assert 'href="05_upsampling.html"' in index and "05 · " in index
    page = (site / "05_upsampling.html").read_text()
    assert "data:image/png;base64" in page  # figures are embedded
    assert "recorded: " in page and "Traceback" not in page


def test_site_refuses_unknown_notebooks(tmp_path, monkeypatch):
    from tools import build_site

    monkeypatch.setattr(sys, "argv", ["build_site", str(ROOT / "notebooks"), str(tmp_path),
                                      "--only", "99_nothing.ipynb"])
    with pytest.raises(ValueError, match="99_nothing.ipynb"):
        build_site.main()
    assert not list(tmp_path.iterdir())


STUDENT = "02_receptive_fields.ipynb"


@pytest.mark.notebook
def test_student_copy_runs_through_unsolved(tmp_path):
    """The committed copy that the Colab badge opens runs top to bottom with every exercise
    unsolved (tests/test_notebook_hygiene.py checks every copy is current and leaks nothing)."""
    import nbformat
    import papermill as pm

    solutions = [c for c in nbformat.read(ROOT / "notebooks" / STUDENT, as_version=4).cells
                 if "solution" in c.metadata.get("tags", [])]
    out = tmp_path / "executed.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "student" / STUDENT), str(out),
                        kernel_name="python3",
                        cwd=str(tmp_path), progress_bar=False)  # raises if a cell fails
    executed = nbformat.read(out, as_version=4)
    shown = "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                      for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert shown.count("[TODO]") >= len(solutions)
    assert "not solved yet" in shown


def test_report_puts_a_compared_run_beside_this_one():
    gpu = [{"notebook": "06_skip_connections.ipynb", "seconds": 12.5, "reference_s": 0.5,
            "reference_samples_s": [0.45, 0.5, 0.6],
            "status": "ok", "figures": [{"name": "mean IU FCN-8s", "value": 0.65, "unit": ""},
                                        {"name": "only here", "value": 3, "unit": "s"}]}]
    cpu = [{"notebook": "06_skip_connections.ipynb", "seconds": 80.0, "status": "ok",
            "figures": [{"name": "mean IU FCN-8s", "value": 0.666, "unit": ""}]}]  # no reference
    text = format_report(gpu, {"DEVICE": "cuda"}, cpu, "build/executed/timings.json")
    assert "Compared run: build/executed/timings.json" in text
    assert "this machine: reference workload 0.50 s" in text
    assert "the median of 3 samples taken before and after the notebooks (0.45-0.60 s)" in text
    row = next(line for line in text.splitlines() if line.startswith("| 06_"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    budget = f"{reference.NOTEBOOK_BUDGET_RU:.0f} ru"
    assert cells[:5] == ["06_skip_connections.ipynb", "12.5 s = 25 ru", "80.0 s", budget,
                         "ok, within budget"]
    assert "mean IU FCN-8s: 0.65 (compared run: 0.666)" in cells[5]
    assert "only here: 3 s" in cells[5] and "only here: 3 s (" not in cells[5]
    assert "| total | 12.5 s = 25 ru | 80.0 s |" in text
    alone = format_report(gpu, {})
    assert "compared run" not in alone
    assert f"| 06_skip_connections.ipynb | 12.5 s = 25 ru | {budget} | ok, within budget |" in alone


def test_each_notebook_is_divided_by_the_samples_around_it_and_the_course_sums_them():
    rows = [{"notebook": f"0{i}_x.ipynb", "seconds": seconds, "reference_s": ref,
             "reference_samples_s": samples, "status": "ok", "figures": []}
            for i, (seconds, ref, samples) in enumerate(
                [(10.0, 0.5, [0.4, 0.6]), (30.0, 1.0, [0.6, 1.4])], start=1)]
    text = format_report(rows, {})
    assert "| 01_x.ipynb | 10.0 s = 20 ru |" in text and "| 02_x.ipynb | 30.0 s = 30 ru |" in text
    assert "| total | 40.0 s = 50 ru |" in text  # 20 + 30, not 40 s / one shared reference
    assert "this machine: reference workload 0.60 s (" in text  # the median of 0.4, 0.6, 1.4
    assert "the median of 3 samples" in text and "(0.40-1.40 s)" in text


def test_budgets_in_reference_units_follow_the_machine():
    """120 s on the slow machine is the notebook budget: the same ru on a fast one."""
    slow_ref = reference.SLOW_REFERENCE_S
    fast_ref = slow_ref / 2.4  # this project's machine of 2026-12-03, about

    def row(seconds, ref):
        return [{"notebook": "07_unet.ipynb", "seconds": seconds, "reference_s": ref,
                 "status": "ok", "figures": []}]

    assert "ok, within budget" in format_report(row(115.0, slow_ref), {})
    assert "OVER the" in format_report(row(125.0, slow_ref), {})
    assert "ok, within budget" in format_report(row(115.0 * fast_ref / slow_ref, fast_ref), {})
    assert "OVER the" in format_report(row(125.0 * fast_ref / slow_ref, fast_ref), {})
    assert "no reference" in format_report([{"notebook": "07_unet.ipynb", "seconds": 1.0,
                                             "status": "ok", "figures": []}], {})


def test_reference_workload_times_its_three_parts_and_leaves_the_caller_alone():
    import gc

    import matplotlib
    import numpy as np
    import torch

    backend, torch_state, numpy_state = (matplotlib.get_backend(), torch.random.get_rng_state(),
                                         np.random.get_state()[1].copy())
    parts = reference.reference_parts(repeats=1)
    assert list(parts) == ["training", "Python", "figure"] and all(v > 0 for v in parts.values())
    assert gc.isenabled() and matplotlib.get_backend() == backend
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state)
    assert reference.machine_line(reference.SLOW_REFERENCE_S / 2).endswith(
        f"(2.0x as fast as the slowest 2-core machine seen, {reference.SLOW_REFERENCE_S:.2f} s)")
    assert reference.COURSE_BUDGET_RU == pytest.approx(420 / 662 * reference.OLD_COURSE_RU)
