"""Right answers written the way students write them pass, and the cells after each exercise
work with them: through the checker here, through the notebooks' own cells below (slow)."""

import re

import nbformat
import pytest
import torch

from course_utils import checks
from tests.student_answers import ANSWERS, NAMES, NOTEBOOK
from tools.notebook_rules import ROOT

CHECKERS = dict(checks.EXERCISES, rf_design=checks.rf_design)


def student_namespace(source: str) -> dict:
    namespace: dict = {}
    exec("import numpy as np\nimport torch\nfrom torch import nn\nimport torch.nn.functional as F",
         namespace)
    exec(source, namespace)
    return namespace


def form(value):
    """What later cells rely on: the Python type, and a tensor's dtype, device and shape."""
    if isinstance(value, torch.Tensor):
        return ("tensor", value.dtype, value.device.type, tuple(value.shape))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [form(v) for v in value])
    return type(value).__name__


def test_every_checker_has_alternative_answers_from_its_notebook():
    assert set(ANSWERS) == set(CHECKERS) == set(NAMES) == set(NOTEBOOK)
    for name, sources in ANSWERS.items():
        assert len(sources) >= 2, f"{name}: at least two alternative answers"
        assert len(set(sources)) == len(sources)


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_alternative_answers_pass_and_reach_later_cells_in_the_reference_form(name):
    check = CHECKERS[name]
    for number, source in enumerate(ANSWERS[name]):
        answer = student_namespace(source)[NAMES[name]]
        result = check(answer)
        assert result, (name, number, result)
        if not isinstance(check, checks.Exercise):
            continue
        handed_on = checks.yours_or(answer, check)
        for case in (check.cases() if callable(check.cases) else check.cases):
            if case.args or callable(answer):
                got, expected = handed_on(*case.args), check.reference(*case.args)
            else:
                got, expected = handed_on, check.reference()
            if check.outcome is None:
                assert form(got) == form(expected), (name, number, case.label)
                assert checks.answers.same(got, expected)


# --------------------------------------------------------------------- in the notebooks
# Training is not what these runs test: shorter runs where a notebook trains before its last
# exercise (papermill-style, after the parameters cell; claims then show ✗ and go on).
QUICK = {"08_global_average_pooling.ipynb": "SEEDS = 1"}


def notebook_with_answers(path, pick: int):
    """The notebook with alternative answer `pick` in every solution cell, cut after the last
    cell that uses an exercise's answer."""
    nb = nbformat.read(path, as_version=4)
    if path.name in QUICK:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(QUICK[path.name]))
    names = {}
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            checker = re.search(r"assert checks\.(\w+)\(", cell.source).group(1)
            source = ANSWERS[checker][pick % len(ANSWERS[checker])]
            cell.source = f"{source}\nassert checks.{checker}({NAMES[checker]})"
            names[NAMES[checker]] = checker
    users = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and any(
        re.search(rf"\b{n}\b", c.source) for n in names)]
    nb.cells = nb.cells[:max(users) + 1]
    return nb


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("pick", [0, 1])
@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.stem)
def test_the_cells_after_each_exercise_work_with_alternative_answers(path, pick):
    from nbclient import NotebookClient

    nb = notebook_with_answers(path, pick)
    NotebookClient(nb, kernel_name="python3", timeout=300,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not any("using the course's reference" in text for text in outputs)
