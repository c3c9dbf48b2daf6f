"""Execute every notebook headless with papermill and print a per-notebook wall-time table.

Usage: python tests/tools/run_notebooks.py NOTEBOOK_DIR OUTPUT_DIR [-p NAME VALUE ...]
Each notebook runs from a scratch working directory (they must not depend on it), and its
executed copy lands in OUTPUT_DIR. Writes OUTPUT_DIR/timings.json; exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import tempfile
import time
from pathlib import Path

import papermill as pm

BUDGET_S = 90.0  # each notebook, defaults, 2-core CPU


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
    return {"notebook": notebook.name, "seconds": round(time.perf_counter() - start, 1),
            "status": status}


def format_table(rows: list[dict]) -> str:
    width = max(len("notebook"), *(len(r["notebook"]) for r in rows))
    lines = [f"{'notebook':<{width}}  {'wall s':>7}  status", "-" * (width + 30)]
    for r in rows:
        flag = "" if r["seconds"] <= BUDGET_S else f" (over the {BUDGET_S:.0f} s budget)"
        lines.append(f"{r['notebook']:<{width}}  {r['seconds']:>7.1f}  {r['status']}{flag}")
    lines.append(f"{'total':<{width}}  {sum(r['seconds'] for r in rows):>7.1f}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="papermill parameter (Python literal), e.g. -p SEED 1")
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
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
