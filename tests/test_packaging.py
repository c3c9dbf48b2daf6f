"""pyproject.toml, environment.yml, Makefile and CI agree with each other and with the rules."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

CONDA_TO_PYPI = {"pytorch": "torch"}


def pyproject(root):
    with open(root / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def pip_requirements(root):
    project = pyproject(root)
    listed = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(r) for r in listed]


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


def test_runtime_floors_accept_what_colab_ships(root):
    with open(root / "tests" / "colab_runtime.toml", "rb") as f:
        colab = tomllib.load(f)
    project = pyproject(root)
    assert SpecifierSet(project["requires-python"]).contains(colab["python"])
    runtime = {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}
    conda = {r.name.lower(): r for r in conda_requirements(root)}
    for name, version in colab["packages"].items():
        for listed in (runtime, conda):
            assert name in listed, f"{name} is listed in colab_runtime.toml but not required"
            assert listed[name].specifier.contains(version), (
                f"{name}{listed[name].specifier} rejects Colab's {name} {version}")
    assert set(colab["packages"]) >= {"torch", "torchvision", "ipywidgets", "matplotlib"}


def test_required_runtime_and_dev_packages(root):
    project = pyproject(root)
    runtime = {Requirement(r).name for r in project["dependencies"]}
    dev = {Requirement(r).name for r in project["optional-dependencies"]["dev"]}
    assert {"torch", "torchvision", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm",
            "scikit-image", "mlxtend", "jupyterlab", "ipykernel"} <= runtime
    assert {"pytest", "nbval", "papermill", "nbformat", "ruff"} <= dev


def test_makefile_targets_and_ci(root):
    makefile = (root / "Makefile").read_text()
    for target in ("lab", "test", "run", "bench", "clean"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "--nbval-lax --nbval-current-env notebooks/" in makefile
    ci = (root / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_top_level_layout(root):
    for name in ("notebooks", "course_utils", "data", "tests", "environment.yml", "README.md",
                 "pyproject.toml", "Makefile", ".ci"):
        assert (root / name).exists(), name
    assert (root / "data" / "README.md").is_file()
