"""Notebooks are stored clean and follow the course template."""

import ast
import re
import subprocess

import nbformat
import pytest

from tools.make_student import student_copy
from tools.notebook_rules import NOTEBOOKS, STUDENT_DIR, colab_badge, setup_cell_source
from tools.sync_notebooks import synced

ABSOLUTE_PATH = re.compile(r"(?<![\w.])(/home/|/work/|/root/|/Users/|/tmp/|[A-Z]:\\\\)")


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/NN_name.ipynb files expected"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.name)
def nb(request):
    notebook = nbformat.read(request.param, as_version=4)
    nbformat.validate(notebook)
    notebook.path = request.param
    return notebook


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_no_outputs_or_execution_counts(nb):
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, (
            f"{nb.path.name}: strip outputs (e.g. jupyter nbconvert --clear-output)"
        )


def test_title_and_colab_badge(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    number = nb.path.name[:2]
    assert first.source.startswith(f"# {number} · ")
    assert colab_badge(nb.path.name) in first.source


def test_identical_setup_cell_first(nb):
    assert code_cells(nb)[0].source == setup_cell_source()


def test_parameters_cell_second_with_the_standard_knobs(nb):
    params = code_cells(nb)[1]
    assert "parameters" in params.metadata.get("tags", [])
    for knob in ("FULL = False", 'SEED = 0', 'DEVICE = "auto"'):
        assert re.search(rf"^{re.escape(knob)}(?=\s|$)", params.source, re.M), knob
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def test_exercises_have_solution_cells_and_checkers(nb):
    cells = nb.cells
    solutions = [i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, "at least two exercises with `solution`-tagged reference cells"
    for i in solutions:
        follower = cells[i + 1]
        assert follower.cell_type == "code" and follower.source.startswith("checks."), (
            f"cell {i}: a solution cell is followed by its checker call"
        )


def test_solution_cells_start_collapsed(nb):
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
                f"{nb.path.name}: solution cells start collapsed in JupyterLab (run `make sync`)")


def test_badge_opens_the_tracked_student_copy(nb):
    badge = colab_badge(nb.path.name)
    assert f"/blob/main/notebooks/student/{nb.path.name})" in badge
    student = STUDENT_DIR / nb.path.name
    assert student.is_file(), f"{student.name}: no student copy (run `make student`)"
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", str(student)],
                             cwd=STUDENT_DIR, capture_output=True)
    assert tracked.returncode == 0, f"{student} is not tracked by git"


def test_student_copy_is_current_and_has_no_solution(nb):
    committed = nbformat.read(STUDENT_DIR / nb.path.name, as_version=4)
    assert committed == student_copy(nbformat.read(nb.path, as_version=4)), (
        f"notebooks/student/{nb.path.name} is out of date with its source: run `make student`")
    assert not any("solution" in c.metadata.get("tags", []) for c in committed.cells)
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    stubs = "\n".join(c.source for c in committed.cells
                      if "exercise" in c.metadata.get("tags", []))
    for cell in solutions:
        for line in cell.source.splitlines():
            body = line.strip()
            if len(body) > 12 and not body.startswith(("def ", '"""', "assert checks.")):
                assert body not in stubs, f"solution line leaked into a stub: {body}"
    assert stubs.count("raise NotImplementedError") + stubs.count(
        "= None  # your answer here") == len(solutions)
    assert colab_badge(nb.path.name) in committed.cells[0].source
    assert [c for c in committed.cells if c.cell_type == "code"][0].source == setup_cell_source()


def test_no_stray_student_copies():
    names = {p.name for p in NOTEBOOKS}
    assert {p.name for p in STUDENT_DIR.glob("*.ipynb")} == names


def test_summary_and_references(nb):
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## References" in text


def test_no_absolute_paths(nb):
    for cell in nb.cells:
        assert not ABSOLUTE_PATH.search(cell.source), f"absolute path in: {cell.source[:80]!r}"


def test_kernel_is_plain_python3(nb):
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_sync_tool_repairs_a_drifted_copy(nb):
    assert synced(nb, nb.path.name) == nb  # the committed notebook is in sync
    drifted = nbformat.from_dict(nb)
    drifted.cells[0].source = drifted.cells[0].source.replace("/blob/main/", "/blob/old-branch/")
    drifted.cells[1].source = drifted.cells[1].source.replace("-q", "--quiet")
    assert drifted != nb
    assert synced(drifted, nb.path.name) == nb
    no_badge = nbformat.from_dict(nb)
    no_badge.cells[0].source = no_badge.cells[0].source.replace(colab_badge(nb.path.name), "")
    repaired = synced(no_badge, nb.path.name)
    assert colab_badge(nb.path.name) in repaired.cells[0].source
    assert repaired.cells[0].source.startswith(nb.cells[0].source.split("\n")[0])


MAX_CELL_LINES = 20


def test_code_cells_are_short(nb):
    """One idea per cell: at most MAX_CELL_LINES non-blank lines (an import-only cell and the
    generated setup cell are exempt)."""
    for cell in code_cells(nb)[1:]:
        statements = ast.parse(cell.source).body
        if statements and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in statements):
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        assert len(lines) <= MAX_CELL_LINES, (
            f"{nb.path.name}: a code cell of {len(lines)} lines (at most {MAX_CELL_LINES}; "
            f"split it or move the code into course_utils): {lines[0][:60]!r}")
