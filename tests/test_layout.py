"""The README's layout section and module table match the tree."""

import re

from tools.notebook_rules import ROOT


def test_every_course_utils_module_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = set(re.findall(r"^\| `(\w+)`(?: \(package\)| \(private\))? \|", readme, re.M))
    modules = {p.stem for p in (ROOT / "course_utils").glob("*.py") if p.stem != "__init__"}
    packages = {p.parent.name for p in (ROOT / "course_utils").glob("*/__init__.py")}
    assert table == modules | packages


def test_every_tool_is_in_the_readme_layout():
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout"):readme.index("`course_utils`, one concept each")]
    for path in (ROOT / "tools").glob("*.py"):
        if path.stem != "__init__":
            assert path.stem in layout, f"tools/{path.name} is missing from the README's layout"
    for top in ("notebooks/", "course_utils/", "tools/", "data/", "tests/", "environment.yml"):
        assert top in layout
