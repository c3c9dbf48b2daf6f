"""The key figures a notebook recorded with `course_utils.report.record`, read back from its
executed copy (for the run report, the GPU report and the Colab emulation report)."""

from __future__ import annotations

from course_utils.report import MIME, format_value


def figures_of(notebook) -> list[dict]:
    """The figures recorded in an executed notebook (an nbformat node or its dict), in order:
    [{"name": ..., "value": ..., "unit": ...}, ...]."""
    cells = notebook["cells"] if isinstance(notebook, dict) else notebook.cells
    found = []
    for cell in cells:
        for output in cell.get("outputs", []):
            figure = output.get("data", {}).get(MIME)
            if figure is not None:
                found.append(dict(figure))
    return found


def format_figure(figure: dict) -> str:
    """'name: value unit' for a report."""
    unit = f" {figure['unit']}" if figure.get("unit") else ""
    return f"{figure['name']}: {format_value(figure['value'])}{unit}"
