"""Execute every notebook headless with papermill and print a per-notebook wall-time table.

Usage: python tests/tools/run_notebooks.py NOTEBOOK_DIR OUTPUT_DIR [-p NAME VALUE ...]
                                           [--report FILE]
Each notebook runs from a scratch working directory (they must not depend on it), and its
executed copy lands in OUTPUT_DIR. Writes OUTPUT_DIR/timings.json and, with --report, a Markdown
run report: wall time per notebook and the key figures each one recorded with
`course_utils.report.record`. Exits 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

from course_utils.report import figures_of, format_figure

BUDGET_S = 90.0  # each notebook, defaults, 2-core CPU; the training-heavy ones have more:
BUDGETS_S = {"06_skip_connections.ipynb": 120.0, "07_unet.ipynb": 150.0,
             "08_global_average_pooling.ipynb": 120.0}


def run_one(notebook: Path, out_dir: Path, parameters: dict) -> dict:
    start = time.perf_counter()
    status = "ok"
    with tempfile.TemporaryDirectory() as scratch:
        try:
            pm.execute_notebook(str(notebook), str(out_dir / notebook.name),
                                parameters=parameters, kernel_name="python3", cwd=scratch,
                                progress_bar=False)
        except pm.PapermillExecutionError as err:
            status = f"FAILED: {err.ename}: {err.evalue}"[:120]
    seconds = round(time.perf_counter() - start, 1)
    executed = out_dir / notebook.name
    figures = figures_of(nbformat.read(executed, as_version=4)) if executed.exists() else []
    return {"notebook": notebook.name, "seconds": seconds, "status": status, "figures": figures}


def budget(name: str) -> float:
    return BUDGETS_S.get(name, BUDGET_S)


def format_table(rows: list[dict]) -> str:
    width = max(len("notebook"), *(len(r["notebook"]) for r in rows))
    lines = [f"{'notebook':<{width}}  {'wall s':>7}  status", "-" * (width + 30)]
    for r in rows:
        limit = budget(r["notebook"])
        flag = "" if r["seconds"] <= limit else f" (over the {limit:.0f} s budget)"
        lines.append(f"{r['notebook']:<{width}}  {r['seconds']:>7.1f}  {r['status']}{flag}")
    lines.append(f"{'total':<{width}}  {sum(r['seconds'] for r in rows):>7.1f}")
    return "\n".join(lines)


def format_report(rows: list[dict], parameters: dict) -> str:
    """The Markdown run report: one row per notebook, its figures in the last column."""
    import platform

    import torch

    params = ", ".join(f"{k}={v!r}" for k, v in parameters.items()) or "defaults"
    lines = ["# Run report", "",
             f"{time.strftime('%Y-%m-%d %H:%M')} · Python {platform.python_version()} · "
             f"torch {torch.__version__} · {'CUDA' if torch.cuda.is_available() else 'CPU'} · "
             f"parameters: {params}", "",
             "| notebook | wall time | budget | status | key figures |",
             "|---|---|---|---|---|"]
    for r in rows:
        figures = "<br>".join(format_figure(f) for f in r["figures"]) or "-"
        status, figures = (text.replace("|", "\\|") for text in (r["status"], figures))  # Markdown
        lines.append(f"| {r['notebook']} | {r['seconds']:.1f} s | {budget(r['notebook']):.0f} s "
                     f"| {status} | {figures} |")
    lines.append(f"| total | {sum(r['seconds'] for r in rows):.1f} s | | | |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="papermill parameter (Python literal), e.g. -p SEED 1")
    parser.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    args = parser.parse_args()
    parameters = {name: ast.literal_eval(value) for name, value in args.p}
    args.output_dir.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(args.notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no notebooks in {args.notebook_dir}", file=sys.stderr)
        return 1
    rows = []
    for nb in notebooks:
        print(f"running {nb.name} ...", flush=True)
        rows.append(run_one(nb, args.output_dir, parameters))
    print(format_table(rows))
    (args.output_dir / "timings.json").write_text(json.dumps(rows, indent=2))
    if args.report is not None:
        args.report.write_text(format_report(rows, parameters))
        print(f"run report: {args.report}")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
