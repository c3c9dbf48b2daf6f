"""Key figures a notebook records for the run report (`make run` writes build/report.md).

`record` shows one line in the notebook and attaches the figure to the cell's output under its
own MIME type, so the figure travels inside the executed notebook: no file, no global state.
The run tools read them back (`tools/figures.py`).
"""

from __future__ import annotations

import math
import numbers

MIME = "application/vnd.course-utils.figure+json"


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
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is None:
        print(text)
    else:
        from IPython.display import display

        display({"text/plain": text, MIME: {"name": name, "value": number, "unit": unit}},
                raw=True)
    return value
