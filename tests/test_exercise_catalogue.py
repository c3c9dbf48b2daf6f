"""The exercises as a student meets them: numbered in order, each with its kind and a statement
of what it receives and returns, listed in docs/exercises.md; and "Think!" questions whose model
answers the student copy keeps folded."""

import re

import nbformat
import pytest

from course_utils import checks
from tools.make_student import student_copy
from tools.notebook_rules import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADING = re.compile(r"^### Exercise (\d+) — (.+) \((" + "|".join(checks.KINDS) + r")\)$", re.M)


def exercises(path):
    """(number, title, kind, checker name, statement) of every exercise of a notebook."""
    cells = nbformat.read(path, as_version=4).cells
    found = []
    for i, cell in enumerate(cells):
        if "solution" not in cell.metadata.get("tags", []):
            continue
        statement = next(c.source for c in reversed(cells[:i]) if c.cell_type == "markdown")
        heading = HEADING.search(statement)
        assert heading, f"{path.name}: the cell before solution cell {i} has no exercise heading"
        checker = re.search(r"assert checks\.(\w+)\(", cell.source).group(1)
        found.append((int(heading[1]), heading[2], heading[3], checker, statement))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_are_numbered_in_order_with_their_checkers_kind(path):
    found = exercises(path)
    assert [number for number, *_ in found] == list(range(1, len(found) + 1))
    for _, title, kind, checker, statement in found:
        expected = "design" if checker == "rf_design" else checks.EXERCISES[checker].kind
        assert kind == expected, (path.name, title)
        assert re.search(r"\*\*(Receives|Returns|returns)\*\*|\b(Set|Build|Design) `", statement), (
            f"{path.name}, {title}: say what the exercise receives and returns")


def test_enough_exercises_that_make_students_think():
    found = [e for path in NOTEBOOKS for e in exercises(path)]
    assert len(found) >= 25
    assert sum(kind != "implement" for _, _, kind, _, _ in found) >= 8


def test_docs_list_every_exercise_with_its_kind():
    table = (ROOT / "docs" / "exercises.md").read_text()
    rows = re.findall(r"^\| (\d\d) \| (\d+)\. (.+?) \| (.+?) \| `(\w+)` \|$", table, re.M)
    expected = [(path.name[:2], str(n), title, kind, checker) for path in NOTEBOOKS
                for n, title, kind, checker, _ in exercises(path)]
    assert rows == expected, "docs/exercises.md is out of step with the notebooks"


def think_cells(nb):
    return [c for c in nb.cells if "think" in c.metadata.get("tags", [])]


def test_think_questions_in_every_notebook_with_folded_answers_for_students():
    total = 0
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        questions = think_cells(nb)
        assert questions, f"{path.name}: ask at least one Think! question"
        for cell in questions:
            assert cell.cell_type == "markdown" and cell.source.startswith("**Think!** ")
            question, _, answer = cell.source.partition("<details open>")
            assert len(question) > 40 and "<summary><b>Model answer</b>" in answer
            assert len(answer.split("</summary>")[1].strip()) > 80
            assert answer.rstrip().endswith("</details>")
        student = think_cells(student_copy(nb))
        assert all("<details>" in c.source and "<details open>" not in c.source for c in student)
        total += len(questions)
    assert total >= 12
