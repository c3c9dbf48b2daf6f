"""The reference numbers live in `references` only: each is used by a notebook, and every
paper figure a notebook's text quotes is the one `references` holds."""

import re

import nbformat
import pytest

from course_utils import references
from tools.notebook_rules import ROOT

CONSTANTS = [name for name in dir(references) if name.isupper()]


def notebook_text(kind: str) -> dict[str, str]:
    texts = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts[path.stem] = "\n".join(c.source for c in nb.cells if c.cell_type == kind)
    return texts


@pytest.mark.parametrize("name", CONSTANTS)
def test_every_reference_is_used_by_a_notebook(name):
    assert any(f"references.{name}" in code for code in notebook_text("code").values()), name


def test_the_notebooks_quote_the_papers_as_references_holds_them():
    text = notebook_text("markdown")
    nin = references.NIN_CIFAR10_TEST_ERROR
    quoted = re.findall(r"(\d+\.\d\d) / (\d+\.\d\d) / (\d+\.\d\d) %",
                        text["08_global_average_pooling"])
    assert quoted and all(tuple(map(float, q)) == (nin["fc"], nin["fc_dropout"], nin["gap"])
                          for q in quoted)
    bold = re.findall(r"\*\*(\d+\.\d\d) %\*\* \((FC|FC \+ dropout|GAP)\)",
                      text["08_global_average_pooling"])
    keys = {"FC": "fc", "FC + dropout": "fc_dropout", "GAP": "gap"}
    assert len(bold) == 3 and all(float(v) == nin[keys[k]] for v, k in bold)
    fcn = references.FCN_VOC2011_VAL
    arrow = re.findall(r"paper's (\d+\.\d) → (\d+\.\d)", text["06_skip_connections"])
    assert arrow == [(str(fcn[32][2]), str(fcn[8][2]))]  # mean IU, FCN-32s -> FCN-8s
