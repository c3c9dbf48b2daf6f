"""Static HTML site of the course: every notebook with its executed outputs, and an index page.

Usage: python -m tools.build_site NOTEBOOK_DIR SITE_DIR [--executed DIR] [--only NAME ...]
Executed copies are taken from --executed (what `make run` leaves in build/executed/) when they
are newer than the notebook; any other notebook is executed here first with papermill (defaults,
scratch working directory). Nothing is downloaded: HTML via nbconvert, figures embedded.
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from tools.run_notebooks import run_one


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].strip()
    return fallback


def executed_copy(notebook: Path, executed_dir: Path | None, scratch: Path) -> Path:
    if executed_dir is not None:
        done = executed_dir / notebook.name
        if done.exists() and done.stat().st_mtime >= notebook.stat().st_mtime:
            return done
    print(f"executing {notebook.name} ...", flush=True)
    result = run_one(notebook, scratch, {})
    if result["status"] != "ok":
        raise RuntimeError(f"{notebook.name}: {result['status']}")
    return scratch / notebook.name


def index_page(entries: list[tuple[str, str]]) -> str:
    items = "\n".join(f'    <li><a href="{html.escape(href)}">{html.escape(title)}</a></li>'
                      for href, title in entries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>CNNs for Semantic Segmentation</title>
<style>body {{ font-family: sans-serif; max-width: 50rem; margin: 2rem auto; line-height: 1.6 }}
</style></head>
<body>
  <h1>CNNs for Semantic Segmentation</h1>
  <p>The course notebooks in lecture order, executed with their default parameters.</p>
  <ol>
{items}
  </ol>
</body>
</html>
"""


def build(notebook_dir: Path, site_dir: Path, executed_dir: Path | None,
          only: list[str] | None = None) -> list[Path]:
    notebooks = sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if only:
        missing = set(only) - {p.name for p in notebooks}
        if missing:
            raise ValueError(f"--only names notebooks that do not exist: {sorted(missing)}")
        notebooks = [p for p in notebooks if p.name in only]
    site_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    written, entries = [], []
    with tempfile.TemporaryDirectory() as scratch:
        for notebook in notebooks:
            source = executed_copy(notebook, executed_dir, Path(scratch))
            nb = nbformat.read(source, as_version=4)
            body, _ = exporter.from_notebook_node(nb)
            page = site_dir / (notebook.stem + ".html")
            page.write_text(body, encoding="utf-8")
            written.append(page)
            entries.append((page.name, title_of(nb, notebook.stem)))
    (site_dir / "index.html").write_text(index_page(entries), encoding="utf-8")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook_dir", type=Path)
    parser.add_argument("site_dir", type=Path)
    parser.add_argument("--executed", type=Path, default=None,
                        help="folder of executed copies to reuse (e.g. build/executed)")
    parser.add_argument("--only", nargs="+", default=None, help="notebook file names")
    args = parser.parse_args()
    pages = build(args.notebook_dir, args.site_dir, args.executed, args.only)
    print(f"{len(pages)} pages and index.html in {args.site_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
