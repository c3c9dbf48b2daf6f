"""The key figures and lecture claims a notebook recorded with `course_utils.report.record` and
`report.claim`, read back from its executed copy (for the run report, the GPU report and the
Colab emulation report)."""

from __future__ import annotations

from course_utils.report import CLAIM_MIME, MIME, format_value


def _payloads(notebook, mime: str) -> list[dict]:
    cells = notebook["cells"] if isinstance(notebook, dict) else notebook.cells
    return [dict(output["data"][mime]) for cell in cells for output in cell.get("outputs", [])
            if mime in output.get("data", {})]


def figures_of(notebook) -> list[dict]:
    """The figures recorded in an executed notebook (an nbformat node or its dict), in order:
    [{"name": ..., "value": ..., "unit": ...}, ...]."""
    return _payloads(notebook, MIME)


def claims_of(notebook) -> list[dict]:
    """The lecture claims checked in an executed notebook, in order:
    [{"statement": ..., "holds": True / False, "evidence": ...}, ...]."""
    return _payloads(notebook, CLAIM_MIME)


def format_figure(figure: dict) -> str:
    """'name: value unit' for a report."""
    unit = f" {figure['unit']}" if figure.get("unit") else ""
    return f"{figure['name']}: {format_value(figure['value'])}{unit}"
