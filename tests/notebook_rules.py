"""What every course notebook must look like (shared by the hygiene test and the tools)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def repository_url() -> str:
    """The course repository's URL: its one home is pyproject's [project.urls]."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["urls"]["Repository"]


def setup_cell_source() -> str:
    """The setup cell every notebook starts with (identical everywhere)."""
    return f'''# Setup (identical in every notebook): on Google Colab, install the course's helper package.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "course_utils @ git+{repository_url()}"],
        check=True,
    )'''


def colab_badge(notebook_name: str) -> str:
    repo = repository_url().removeprefix("https://github.com/")
    return (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{repo}/blob/main/notebooks/{notebook_name})"
    )
