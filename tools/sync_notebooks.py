"""Write the identical setup cell and the "Open in Colab" badge into every course notebook.

It also starts every `solution`-tagged cell collapsed in JupyterLab (its input hidden), so that a
learner working in the instructor copy does not see an answer by accident.

Usage: python -m tools.sync_notebooks [--check]
Both come from tools/notebook_rules.py, which reads the repository URL from pyproject's
[project.urls]: change the URL there, run this (`make sync`), and every notebook follows.
--check changes nothing and exits 1 when a notebook has drifted (the hygiene test does the same).
"""

from __future__ import annotations

import argparse
import re
import sys

import nbformat

from tools.notebook_rules import NOTEBOOKS, colab_badge, setup_cell_source

BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def synced(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """A copy of nb whose first code cell is the setup cell and whose title cell has the badge."""
    nb = nbformat.from_dict(nb)
    title = nb.cells[0]
    if title.cell_type != "markdown" or not title.source.startswith("# "):
        raise ValueError(f"{name}: the first cell must be the markdown title ('# NN · Title')")
    badge = colab_badge(name)
    if BADGE.search(title.source):
        title.source = BADGE.sub(lambda _: badge, title.source, count=1)
    else:
        first, _, rest = title.source.partition("\n")
        title.source = f"{first}\n\n{badge}\n" + (f"\n{rest.lstrip(chr(10))}" if rest else "")
    for cell in nb.cells:
        if "solution" in cell.metadata.get("tags", []):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = setup_cell_source()
    if code and code[0].source.startswith("# Setup (identical in every notebook)"):
        code[0].source = setup
    else:
        cell = nbformat.v4.new_code_cell(setup)
        cell.id = "cell-setup"
        nb.cells.insert(1, cell)
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report drift, change nothing")
    args = parser.parse_args()
    drifted = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        new = synced(nb, path.name)
        if new != nb:
            drifted.append(path.name)
            if not args.check:
                nbformat.write(new, path)
    verb = "drifted" if args.check else "updated"
    print(f"{len(NOTEBOOKS)} notebooks, {len(drifted)} {verb}: {', '.join(drifted) or '-'}")
    return 1 if args.check and drifted else 0


if __name__ == "__main__":
    sys.exit(main())
