"""Key figures and lecture claims a notebook records for the run report (`make run` writes
build/report.md), and result tables.

`record` shows one line in the notebook and attaches the figure to the cell's output under its
own MIME type, so the figure travels inside the executed notebook: no file, no global state.
`claim` does the same for a lecture claim about a training outcome and its verdict. The run
tools read both back (`tools/figures.py`).
"""

from __future__ import annotations

import html
import math
import numbers
import os
from collections.abc import Mapping, Sequence

MIME = "application/vnd.course-utils.figure+json"
CLAIM_MIME = "application/vnd.course-utils.claim+json"
STRICT_ENV = "COURSE_STRICT"  # "1" in make test, make run and CI: every claim must hold


class ClaimNotMet(AssertionError):
    """A lecture claim that did not hold in a run where it must."""


def _show(text: str, mime: str, payload: dict | str) -> None:
    """Display `text`, carrying `payload` under `mime` in a notebook; print it elsewhere."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is None:
        print(text)
    else:
        from IPython.display import display

        display({"text/plain": text, mime: payload}, raw=True)


def format_value(value: float | int | str) -> str:
    """How a recorded value is shown: integers with thousands separators, reals to 4 digits."""
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        return f"{value:.4g}"
    return str(value)


def record(name: str, value: float | int | str, unit: str = ""):
    """Record the figure `name` = `value` (a number or a short text) with an optional unit.

    Shows "recorded: name = value unit" under the cell and returns `value` unchanged, so it can
    wrap an expression. Outside a notebook it prints the same line.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string; got {name!r}")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"value must be a number or a string; got {type(value).__name__}")
    if isinstance(value, numbers.Real) and not math.isfinite(float(value)):
        raise ValueError(f"value must be finite; got {value!r} for {name!r}")
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string; got {type(unit).__name__}")
    number = value if isinstance(value, str) else (
        int(value) if isinstance(value, numbers.Integral) else float(value))
    text = f"recorded: {name} = {format_value(value)}" + (f" {unit}" if unit else "")
    _show(text, MIME, {"name": name, "value": number, "unit": unit})
    return value


def claim(statement: str, holds: bool, evidence: str, caveat: str,
          calibrated: bool = True) -> bool:
    """The verdict on a lecture claim about a training outcome, shown and recorded.

    Shows "✓ lecture claim: <statement> — holds: <evidence>", or "✗ lecture claim: <statement> —
    does not hold here: <evidence>" followed by `caveat`, one sentence on why it can fail (few
    epochs, another seed, ...). A claim that does not hold raises ClaimNotMet when `calibrated`
    (the notebook runs with the parameters the claim was checked for) or when the environment
    variable COURSE_STRICT is "1" (make test, make run, CI); otherwise a learner who changed the
    parameters sees the ✗ and the notebook goes on. Returns `holds`.
    """
    for name, value in (("statement", statement), ("evidence", evidence), ("caveat", caveat)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty string; got {value!r}")
    holds = bool(holds)
    if holds:
        text = f"✓ lecture claim: {statement} — holds: {evidence}"
    else:
        text = f"✗ lecture claim: {statement} — does not hold here: {evidence}. {caveat}"
    _show(text, CLAIM_MIME, {"statement": statement, "holds": holds, "evidence": evidence})
    if not holds and (calibrated or os.environ.get(STRICT_ENV) == "1"):
        raise ClaimNotMet(f"{statement}: {evidence} (the notebook's parameters are the "
                          "calibrated ones, or COURSE_STRICT=1)")
    return holds


def format_table(rows: Mapping[str, Sequence[float | int | str]], columns: Sequence[str],
                 fmt: str | Sequence[str] = "{:.3f}") -> list[list[str]]:
    """The cells of a result table as text: a header row, then one row per entry of `rows`.

    rows: {row name: one value per column}; fmt: a format for every number, or one per column
    (strings are shown as they are).
    """
    columns = list(columns)
    formats = [fmt] * len(columns) if isinstance(fmt, str) else list(fmt)
    if len(formats) != len(columns):
        raise ValueError(f"fmt must be one format or one per column ({len(columns)}); "
                         f"got {len(formats)}")
    table = [[""] + columns]
    for name, values in rows.items():
        values = list(values)
        if len(values) != len(columns):
            raise ValueError(f"rows[{name!r}] must hold one value per column ({len(columns)}); "
                             f"got {len(values)}")
        table.append([str(name)] + [v if isinstance(v, str) else f.format(v)
                                    for f, v in zip(formats, values)])
    return table


def table(rows: Mapping[str, Sequence[float | int | str]], columns: Sequence[str],
          fmt: str | Sequence[str] = "{:.3f}", title: str | None = None) -> None:
    """Show a result table under the cell (HTML in a notebook, aligned text elsewhere).

    rows: {row name: one value per column}; fmt: a format for every number or one per column.
    """
    cells = format_table(rows, columns, fmt)
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in
                       enumerate(zip(row, widths))) for row in cells]
    text = "\n".join(([title] if title else []) + lines)

    def tr(row: list[str], first: str, rest: str) -> str:
        tags = [first] + [rest] * (len(row) - 1)
        return "<tr>" + "".join(f"<{t}>{html.escape(c)}</{t}>" for t, c in zip(tags, row)) + "</tr>"

    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    body = "".join(tr(row, "th", "td") for row in cells[1:])
    markup = (f"<table>{caption}<thead>{tr(cells[0], 'th', 'th')}</thead>"
              f"<tbody>{body}</tbody></table>")
    _show(text, "text/html", markup)
