"""Student copies of the notebooks: every `solution`-tagged cell becomes a stub to fill in.

Usage: python -m tools.make_student NOTEBOOK_DIR OUTPUT_DIR
`make student` writes them to notebooks/student/, where they are committed: each notebook's
"Open in Colab" badge opens its student copy, and a hygiene test fails when one is out of date.
A function keeps its signature and docstring and raises NotImplementedError; a variable is set
to None; the `assert checks.X(...)` lines that prove the reference solution go. The checker cell
that follows each exercise then reports "not solved yet", and "Run all" completes: cells that
reuse an exercise's function do so through `checks.yours_or` or behind its checker.
A "Think!" question (a markdown cell tagged `think`) shows its model answer unfolded in the
instructor copy (`<details open>`) and folded in the student copy (`<details>`: one click away).
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import nbformat

STUDENT_NOTE = ("> **Student copy.** Each exercise cell is a stub: replace "
                "`raise NotImplementedError` (or `None`) with your code, then run the check "
                "below it.")


def _is_checker_assert(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Assert) and isinstance(node.test, ast.Call)
            and isinstance(node.test.func, ast.Attribute)
            and isinstance(node.test.func.value, ast.Name) and node.test.func.value.id == "checks")


def stub_source(source: str) -> str:
    """The stub for one solution cell's source."""
    tree = ast.parse(source)
    lines = source.splitlines()
    parts = []
    for node in tree.body:
        if _is_checker_assert(node):
            continue
        if isinstance(node, ast.FunctionDef):
            body_start = node.body[0]
            keep = node.body[0].end_lineno if (
                isinstance(body_start, ast.Expr) and isinstance(body_start.value, ast.Constant)
                and isinstance(body_start.value.value, str)) else body_start.lineno - 1
            head = "\n".join(lines[node.lineno - 1 - len(node.decorator_list):keep])
            indent = " " * body_start.col_offset
            parts.append(f"{head}\n{indent}# your code here\n{indent}raise NotImplementedError")
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = " = ".join(ast.unparse(t) for t in targets)
            parts.append(f"{names} = None  # your answer here")
        else:
            parts.append(ast.get_source_segment(source, node))
    return "\n\n\n".join(parts)


THINK_OPEN, THINK_FOLDED = "<details open>", "<details>"


def student_copy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "think" in tags:
            cell.source = cell.source.replace(THINK_OPEN, THINK_FOLDED)
        if "solution" in tags:
            cell.source = stub_source(cell.source)
            cell.metadata["tags"] = [t if t != "solution" else "exercise" for t in tags]
            hidden = cell.metadata.get("jupyter", {})
            hidden.pop("source_hidden", None)  # the stub is the learner's to see and fill in
            if "jupyter" in cell.metadata and not hidden:
                del cell.metadata["jupyter"]
    title = nb.cells[0]
    if title.cell_type == "markdown" and STUDENT_NOTE not in title.source:
        first, _, rest = title.source.partition("\n")
        title.source = f"{first}\n\n{STUDENT_NOTE}\n{rest}"
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path)
    parser.add_argument("output_dir", type=Path)
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(args.notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    for path in notebooks:
        nb = student_copy(nbformat.read(path, as_version=4))
        nbformat.write(nb, args.output_dir / path.name)
    print(f"{len(notebooks)} student copies in {args.output_dir}")
    return 0 if notebooks else 1


if __name__ == "__main__":
    sys.exit(main())
