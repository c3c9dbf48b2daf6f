"""pyproject.toml, environment.yml, Makefile and CI agree with each other and with the rules."""

import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

CONDA_TO_PYPI = {"pytorch": "torch"}


def pyproject(root):
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def pip_requirements(root):
    project = pyproject(root)
    extras = project["optional-dependencies"]
    listed = project["dependencies"] + extras["lab"] + extras["dev"]
    return [Requirement(r) for r in listed]


def colab_pins(root):
    """tests/colab_runtime.txt: {canonical name: Version}, plus the Python version noted in it."""
    pins, python = {}, None
    for line in (root / "tests" / "colab_runtime.txt").read_text().splitlines():
        if line.startswith("# python=="):
            python = Version(line.removeprefix("# python=="))
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"{line}: pin an exact version"
            pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins, python


def conda_requirements(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    reqs = []
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name, spec = re.match(r"([A-Za-z0-9_.-]+)(.*)", dep).groups()
            reqs.append(Requirement(CONDA_TO_PYPI.get(name, name) + spec))
    return reqs


def as_set(reqs):
    return {(r.name.lower(), str(r.specifier)) for r in reqs}


def test_environment_yml_lists_the_same_packages_and_floors(root):
    assert as_set(conda_requirements(root)) == as_set(pip_requirements(root))


def test_no_tight_pins_on_torch_and_no_ipywidgets_8_floor(root):
    reqs = {r.name: r for r in pip_requirements(root)}
    for name in ("torch", "torchvision"):
        assert all(s.operator == ">=" for s in reqs[name].specifier), f"{name} must not be pinned"
    assert reqs["ipywidgets"].specifier.contains(Version("7.7.1")), "Colab ships ipywidgets 7.7.1"
    for r in reqs.values():
        assert not any(s.operator in ("==", "===", "~=") for s in r.specifier), r


def test_every_floor_accepts_what_colab_ships(root):
    """Colab's pins are the tested floor: no requirement (runtime, lab, dev; pip or conda)
    rejects a pinned version, and each runtime floor is exactly the pinned release line."""
    pins, python = colab_pins(root)
    assert python is not None and python.major == 3 and python.minor >= 12
    assert SpecifierSet(pyproject(root)["requires-python"]).contains(python)
    for req in pip_requirements(root) + conda_requirements(root):
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is not None:
            assert req.specifier.contains(pinned), f"{req} rejects Colab's {req.name} {pinned}"


def test_every_runtime_dependency_is_pinned_for_the_colab_run(root):
    pins, _ = colab_pins(root)
    runtime = [Requirement(r) for r in pyproject(root)["dependencies"]]
    for req in runtime:
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is a runtime dependency but not in colab_runtime.txt"
        (floor,) = req.specifier
        assert floor.operator == ">=" and Version(floor.version) <= pins[name], req
    # what google-colab itself pins, and what decides how the setup cell's install resolves
    assert {"ipykernel", "ipython", "notebook", "pip", "jupyter-client"} <= set(pins)


def test_runtime_dependencies_are_what_the_code_imports(root):
    """No Jupyter front end among the runtime dependencies: on Colab it would upgrade
    ipykernel and notebook under google-colab's pins (the [lab] extra holds it)."""
    runtime = {canonicalize_name(Requirement(r).name) for r in pyproject(root)["dependencies"]}
    imported = {"torch", "torchvision", "numpy", "scipy", "matplotlib", "ipywidgets", "ipython",
                "tqdm", "scikit-image", "mlxtend", "pillow"}
    assert runtime == imported
    lab = {canonicalize_name(Requirement(r).name)
           for r in pyproject(root)["optional-dependencies"]["lab"]}
    assert lab == {"jupyterlab", "ipykernel"}
    sources = [p.read_text() for p in (root / "course_utils").rglob("*.py")]
    sources += [p.read_text() for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb")]
    top_level = set()
    for text in sources:
        top_level |= set(re.findall(r"^\s*(?:\"\s*)?(?:import|from) ([A-Za-z_]\w*)", text, re.M))
    module_of = {"scikit-image": "skimage", "pillow": "PIL", "ipython": "IPython"}
    for name in imported:
        assert module_of.get(name, name) in top_level, f"{name} is required but never imported"
    assert not {"jupyterlab", "ipykernel", "notebook"} & top_level


def test_required_dev_packages(root):
    dev = {Requirement(r).name for r in pyproject(root)["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "papermill", "nbformat", "ruff"} <= dev


def test_makefile_targets_and_ci(root):
    makefile = (root / "Makefile").read_text()
    for target in ("lab", "check", "test", "test-colab", "test-gpu", "student", "run", "bench",
                   "clean"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "--nbval-lax --nbval-current-env notebooks/[0-9][0-9]_*.ipynb" in makefile
    assert re.search(r"^test: .*\bnotebooks\b.*\btest-colab\b", makefile, re.M)
    assert "-e '.[lab,dev]'" in makefile
    ci = (root / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_top_level_layout(root):
    for name in ("notebooks", "course_utils", "data", "tests", "tools", "environment.yml",
                 "README.md", "pyproject.toml", "Makefile", ".ci", ".pre-commit-config.yaml"):
        assert (root / name).exists(), name
    assert (root / "data" / "README.md").is_file()


@pytest.mark.slow
def test_the_installed_package_holds_every_subpackage(root, tmp_path):
    """A plain (non-editable) install, as the Colab setup cell makes, ships all of course_utils."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"  # a copy: setuptools builds in-tree, and a stale build/ would hide
    for name in ("pyproject.toml", "README.md"):  # a missing subpackage
        source.mkdir(exist_ok=True)
        shutil.copy(root / name, source / name)
    shutil.copytree(root / "course_utils", source / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(source)], check=True,
                   capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("course_utils-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".py")}
    sources = {str(p.relative_to(root)) for p in (root / "course_utils").rglob("*.py")}
    assert sources <= shipped, f"not in the wheel: {sorted(sources - shipped)}"
    assert not any(n.startswith("tools/") for n in shipped)
