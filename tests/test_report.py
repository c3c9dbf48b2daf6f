import nbformat
import pytest

from course_utils import report
from tools.figures import figures_of, format_figure


def test_record_outside_a_notebook_prints_and_returns(capsys):
    assert report.record("LeNet-5 test accuracy", 0.9731) == 0.9731
    assert report.record("parameters", 61706, "") == 61706
    assert report.record("speed-up", 14.2, "x") == 14.2
    out = capsys.readouterr().out.splitlines()
    assert out == ["recorded: LeNet-5 test accuracy = 0.9731", "recorded: parameters = 61,706",
                   "recorded: speed-up = 14.2 x"]


def test_record_in_a_kernel_travels_in_the_outputs():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course_utils import report\n"
        "report.record('mean IU', 0.6661, '')\n"
        "x = report.record('speed-up', 16, 'x')")])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    figures = figures_of(nb)
    assert figures == [{"name": "mean IU", "value": 0.6661, "unit": ""},
                       {"name": "speed-up", "value": 16, "unit": "x"}]
    texts = [o["data"]["text/plain"] for o in nb.cells[0].outputs]
    assert texts == ["recorded: mean IU = 0.6661", "recorded: speed-up = 16 x"]
    assert [format_figure(f) for f in figures] == ["mean IU: 0.6661", "speed-up: 16 x"]
    assert figures_of(nbformat.v4.new_notebook()) == []


@pytest.mark.parametrize("args, error, match", [
    (("", 1.0), ValueError, "name must be a non-empty string"),
    (("acc", [0.9]), TypeError, "value must be a number or a string; got list"),
    (("acc", True), TypeError, "value must be a number or a string; got bool"),
    (("acc", float("nan")), ValueError, "value must be finite"),
    (("acc", 0.9, 3), TypeError, "unit must be a string"),
])
def test_record_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        report.record(*args)
