"""Execute every notebook headless with papermill and print a per-notebook wall-time table.

Usage: python -m tools.run_notebooks NOTEBOOK_DIR OUTPUT_DIR [-p NAME VALUE ...]
                                  [--report FILE] [--compare TIMINGS_JSON] [--course DIR]
Each notebook runs from a scratch working directory (they must not depend on it), and its
executed copy lands in OUTPUT_DIR. Before the first notebook and after every notebook it times
the reference workload (tools/reference.py) and prints "this machine: reference workload X s";
each notebook's time is also given in reference units (ru = seconds / the mean of the two
samples around it; the course's ru is the sum), which compare across machines, against budgets
in ru (the course's 420 s and a notebook's 120 s on the slowest 2-core machine seen). Writes
OUTPUT_DIR/timings.json and, with --report, a Markdown run report: wall time and ru per
notebook and the key figures each one recorded with `course_utils.report.record`. --compare
puts another run's time and figures (its timings.json, e.g. the CPU run of `make run` beside
the GPU run of `make test-gpu`) next to this run's; a file that does not exist is skipped
with a note. Exits 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm

from tools.figures import claims_of, figures_of, format_figure
from tools.reference import (
    COURSE_BUDGET_RU,
    NOTEBOOK_BUDGET_RU,
    machine_line,
    reference_seconds,
)


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
    done = nbformat.read(executed, as_version=4) if executed.exists() else {"cells": []}
    return {"notebook": notebook.name, "seconds": seconds, "status": status,
            "figures": figures_of(done), "claims": claims_of(done)}


def units(row: dict) -> float | None:
    """A row's wall time in reference units, or None for a run recorded without a reference."""
    return row["seconds"] / row["reference_s"] if row.get("reference_s") else None


def verdict(ru: float | None, budget_ru: float) -> str:
    if ru is None:
        return "no reference"
    return "within budget" if ru <= budget_ru else f"OVER the {budget_ru:.0f} ru budget"


def _total(rows: list[dict]) -> dict:
    """The course as one row: its seconds, and a reference time that makes its ru the sum of
    the notebooks' ru (None when any notebook was run without a reference)."""
    seconds = sum(r["seconds"] for r in rows)
    each = [units(r) for r in rows]
    ru = sum(each) if rows and None not in each else None
    return {"seconds": seconds, "reference_s": seconds / ru if ru else None}


def _run_reference(rows: list[dict]) -> tuple[float, list[float]] | None:
    """The run's reference figure (the median of its samples) and the samples, or None."""
    samples = sorted({s for r in rows for s in r.get("reference_samples_s") or []})
    if not samples:
        return None
    return statistics.median(samples), samples


def format_table(rows: list[dict]) -> str:
    width = max(len("notebook"), *(len(r["notebook"]) for r in rows))
    lines = [f"{'notebook':<{width}}  {'wall s':>7}  {'ru':>6}  status", "-" * (width + 50)]
    for r in rows:
        ru = units(r)
        lines.append(f"{r['notebook']:<{width}}  {r['seconds']:>7.1f}  {ru or 0:>6.0f}  "
                     f"{r['status']}, {verdict(ru, NOTEBOOK_BUDGET_RU)}")
    total = _total(rows)
    lines.append(f"{'total':<{width}}  {total['seconds']:>7.1f}  {units(total) or 0:>6.0f}  "
                 f"{verdict(units(total), COURSE_BUDGET_RU)}")
    return "\n".join(lines)


def _time_cell(row: dict) -> str:
    ru = units(row)
    return f"{row['seconds']:.1f} s" + (f" = {ru:.0f} ru" if ru is not None else "")


def _device_line() -> str:
    import torch

    if torch.cuda.is_available():
        return f"CUDA ({torch.cuda.get_device_name()})"
    return "CPU"


def _figures_cell(figures: list[dict], other: list[dict] | None) -> str:
    """This run's figures, each followed by the compared run's value of the same name."""
    theirs = {f["name"]: f for f in other or []}
    shown = []
    for figure in figures:
        text = format_figure(figure)
        if figure["name"] in theirs:
            text += f" (compared run: {format_figure(theirs[figure['name']]).split(': ', 1)[1]})"
        shown.append(text)
    return "<br>".join(shown) or "-"


def format_report(rows: list[dict], parameters: dict, compared: list[dict] | None = None,
                  compared_label: str = "") -> str:
    """The Markdown run report: one row per notebook, its figures in the last column; with
    `compared` (another run's rows), that run's wall time and figure values beside this one's."""
    import platform

    import torch

    params = ", ".join(f"{k}={v!r}" for k, v in parameters.items()) or "defaults"
    by_name = {r["notebook"]: r for r in compared or []}
    header = ["notebook", "wall time"] + (["compared run"] if compared is not None else []) + [
        "budget", "status", "key figures"]
    lines = ["# Run report", "",
             f"{time.strftime('%Y-%m-%d %H:%M')} · Python {platform.python_version()} · "
             f"torch {torch.__version__} · {_device_line()} · parameters: {params}", ""]
    run_reference = _run_reference(rows)
    if run_reference:
        reference_s, samples = run_reference
        lines += [f"{machine_line(reference_s)}, the median of {len(samples)} samples taken "
                  f"before and after the notebooks ({min(samples):.2f}-{max(samples):.2f} s). "
                  "Times in reference units too (ru = a notebook's seconds / the mean of the "
                  "samples just before and after it; the course's ru is the sum); budgets: each "
                  f"notebook {NOTEBOOK_BUDGET_RU:.0f} ru "
                  f"({NOTEBOOK_BUDGET_RU * reference_s:.0f} s here), the course "
                  f"{COURSE_BUDGET_RU:.0f} ru ({COURSE_BUDGET_RU * reference_s:.0f} s here): 120 s "
                  "and 420 s on the slowest 2-core machine seen (tools/reference.py).", ""]
    if compared is not None:
        lines += [f"Compared run: {compared_label}", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        other = by_name.get(r["notebook"])
        figures = _figures_cell(r["figures"], other["figures"] if other else None)
        status, figures = (text.replace("|", "\\|") for text in (r["status"], figures))  # Markdown
        cells = [r["notebook"], _time_cell(r)]
        if compared is not None:
            cells.append(_time_cell(other) if other else "-")
        cells += [f"{NOTEBOOK_BUDGET_RU:.0f} ru",
                  f"{status}, {verdict(units(r), NOTEBOOK_BUDGET_RU)}", figures]
        lines.append("| " + " | ".join(cells) + " |")
    total = [_time_cell(_total(rows))]
    if compared is not None:
        total.append(_time_cell(_total(compared)))
    lines.append("| " + " | ".join(["total", *total, f"{COURSE_BUDGET_RU:.0f} ru",
                                    verdict(units(_total(rows)), COURSE_BUDGET_RU), ""]) + " |")
    claims = [(r["notebook"], c) for r in rows for c in r.get("claims", [])]
    if claims:
        lines += ["", "## Lecture claims", "", "| notebook | claim | verdict | evidence |",
                  "|---|---|---|---|"]
        lines += [f"| {name} | {c['statement']} | {'✓ holds' if c['holds'] else '✗ does not hold'}"
                  f" | {c['evidence']} |".replace("\n", " ") for name, c in claims]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="papermill parameter (Python literal), e.g. -p SEED 1")
    parser.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    parser.add_argument("--compare", type=Path, default=None,
                        help="another run's timings.json to show beside this run in the report")
    parser.add_argument("--course", type=Path, default=None,
                        help="the notebooks' kernels import course_utils from this checkout (e.g. "
                             "an old commit's worktree, to recalibrate tools/reference.py)")
    args = parser.parse_args()
    if args.course is not None:  # the kernels inherit the environment; this process keeps its own
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(args.course.resolve()), os.environ.get("PYTHONPATH")) if p)
    parameters = {name: ast.literal_eval(value) for name, value in args.p}
    args.output_dir.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(args.notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"no notebooks in {args.notebook_dir}", file=sys.stderr)
        return 1
    rows, samples = [], [reference_seconds()]
    for nb in notebooks:
        print(f"{machine_line(samples[-1])}; running {nb.name} ...", flush=True)
        row = run_one(nb, args.output_dir, parameters)
        samples.append(reference_seconds())  # around every notebook: the machine's speed drifts
        row.update(reference_s=round((samples[-2] + samples[-1]) / 2, 4),
                   reference_samples_s=[round(v, 4) for v in samples[-2:]])
        rows.append(row)
    print(f"{machine_line(statistics.median(samples))} (median of {len(samples)}, "
          f"{min(samples):.2f}-{max(samples):.2f} s)")
    print(format_table(rows))
    (args.output_dir / "timings.json").write_text(json.dumps(rows, indent=2))
    compared = None
    if args.compare is not None:
        if args.compare.is_file():
            compared = json.loads(args.compare.read_text())
        else:
            print(f"--compare: {args.compare} does not exist; the report shows this run alone")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(format_report(rows, parameters, compared, str(args.compare)))
        print(f"run report: {args.report}")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
