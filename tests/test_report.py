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


@pytest.mark.slow
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


def test_claim_shows_the_verdict_and_raises_only_where_it_must(capsys, monkeypatch):
    monkeypatch.delenv(report.STRICT_ENV, raising=False)
    assert report.claim("skips refine", True, "mean IU 0.34 < 0.65", "few epochs") is True
    assert capsys.readouterr().out == "✓ lecture claim: skips refine — holds: mean IU 0.34 < 0.65\n"
    # a learner who changed the parameters sees the ✗ and goes on
    assert report.claim("skips refine", False, "0.34 > 0.30", "2 epochs are too few.",
                        calibrated=False) is False
    shown = capsys.readouterr().out
    assert shown.startswith("✗ lecture claim: skips refine — does not hold here: 0.34 > 0.30.")
    assert "2 epochs are too few." in shown
    with pytest.raises(report.ClaimNotMet, match="skips refine: 0.34 > 0.30"):
        report.claim("skips refine", False, "0.34 > 0.30", "why", calibrated=True)
    monkeypatch.setenv(report.STRICT_ENV, "1")  # make test, make run, CI
    with pytest.raises(report.ClaimNotMet):
        report.claim("skips refine", False, "0.34 > 0.30", "why", calibrated=False)
    with pytest.raises(ValueError, match="caveat must be a non-empty string"):
        report.claim("x", True, "y", "")


def test_claims_travel_in_the_notebook_and_reach_the_run_report():
    from tools.figures import claims_of
    from tools.run_notebooks import format_report

    notebook = {"cells": [{"outputs": [{"data": {report.CLAIM_MIME: {
        "statement": "GAP regularises", "holds": False, "evidence": "26.7 % vs 38.1 %"}}}]}]}
    claims = claims_of(notebook)
    assert claims == [{"statement": "GAP regularises", "holds": False,
                       "evidence": "26.7 % vs 38.1 %"}]
    text = format_report([{"notebook": "08.ipynb", "seconds": 1.0, "status": "ok",
                           "figures": [], "claims": claims}], {})
    assert "## Lecture claims" in text
    assert "| 08.ipynb | GAP regularises | ✗ does not hold | 26.7 % vs 38.1 % |" in text


def test_table_aligns_and_formats(capsys):
    rows = {"FCN-32s": [0.3401, 1.0], "FCN-8s": [0.6459, "n/a"]}
    report.table(rows, ["mean IU", "note"], fmt=["{:.3f}", "{:.0f}"], title="validation")
    assert capsys.readouterr().out.splitlines() == [
        "validation",
        "         mean IU  note",
        "FCN-32s    0.340     1",
        "FCN-8s     0.646   n/a"]


@pytest.mark.slow
def test_table_shows_html_in_a_notebook():
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from course_utils import report\nreport.table({'a<b': [1.5]}, ['x'], '{:.1f}')")])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    data = nb.cells[0].outputs[0]["data"]
    assert "<th>a&lt;b</th><td>1.5</td>" in data["text/html"]
    assert data["text/plain"].splitlines()[-1] == "a<b  1.5"


@pytest.mark.parametrize("rows, columns, fmt, match", [
    ({"a": [1, 2]}, ["x"], "{}", r"rows\['a'\] must hold one value per column \(1\); got 2"),
    ({"a": [1]}, ["x"], ["{}", "{}"], r"fmt must be one format or one per column \(1\); got 2"),
])
def test_table_bad_input(rows, columns, fmt, match):
    with pytest.raises(ValueError, match=match):
        report.table(rows, columns, fmt)
