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


def _imports(path):
    """(module imported, names imported) for every import statement of a Python file."""
    import ast

    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or ""), tuple(a.name for a in node.names)


PACKAGE = sorted((ROOT / "course_utils").rglob("*.py"))


def test_only_the_explorers_import_ipywidgets_and_no_concept_imports_them():
    explorers = ROOT / "course_utils" / "explorers"
    for path in PACKAGE:
        inside = explorers in path.parents
        for module, names in _imports(path):
            if module.split(".")[0] == "ipywidgets":
                assert inside, f"{path.relative_to(ROOT)} imports ipywidgets"
            if not inside:
                assert "explorers" not in module.split(".") and "explorers" not in names, (
                    f"{path.relative_to(ROOT)} (a concept module) imports the explorers")


def test_no_module_imports_another_modules_private_names():
    private_modules = {p.stem for p in PACKAGE if p.stem.startswith("_")}  # shared internals
    for path in PACKAGE:
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and n not in private_modules]
            assert not private, f"{path.relative_to(ROOT)} imports {private} from {module}"


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long
