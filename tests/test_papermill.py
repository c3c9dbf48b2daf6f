"""Notebooks run headless with other parameters, from another working directory."""

import nbformat
import papermill as pm
import pytest
from notebook_rules import ROOT


@pytest.mark.parametrize("name, parameters", [
    ("01_convolution.ipynb", {"SEED": 1}),
    ("02_receptive_fields.ipynb", {"SEED": 1, "ERF_DEPTHS": [2, 4, 16]}),
    ("03_fully_convolutional.ipynb", {"SEED": 1, "CANVAS": [96, 128]}),
    ("04_dense_predictions.ipynb", {"SEED": 1, "N_EVAL": 5}),
    ("05_upsampling.ipynb", {"SEED": 2}),
    ("06_skip_connections.ipynb", {"SEED": 1}),
    ("07_unet.ipynb", {"SEED": 1}),
    ("08_global_average_pooling.ipynb", {"SEED": 1, "SEEDS": 1, "CAM_THRESHOLD": 0.3}),
])
def test_notebook_runs_with_other_parameters(name, parameters, tmp_path, monkeypatch):
    monkeypatch.delenv("MPLBACKEND", raising=False)  # let the kernel pick its inline backend
    out = tmp_path / name
    pm.execute_notebook(
        str(ROOT / "notebooks" / name), str(out), parameters=parameters,
        kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
    )
    executed = nbformat.read(out, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    for key, value in parameters.items():
        assert f"{key} = {value!r}" in injected[0].source
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors == []
    figures = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
               if "image/png" in o.get("data", {})]
    assert len(figures) >= 2, "plots must render inline in a headless run"
