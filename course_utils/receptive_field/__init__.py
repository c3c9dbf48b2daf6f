"""Receptive fields, one package: the exact engine, its gradient check, and the explorer.

- `engine` (re-exported here): size, stride and offset of every layer of any `torch.fx`-
  traceable network (`receptive_fields`, `chain`), with branches, dilation, adaptive pooling.
- `gradient`: the structural ground truth from autograd and the effective receptive field.
- `explorer`: the slider explorer (pure frame functions + a core-ipywidgets wrapper).
"""

from . import engine, explorer, gradient
from .engine import (
    AxisRF,
    BranchAlignmentError,
    LayerRF,
    ReceptiveFieldTable,
    UnsupportedLayerError,
    chain,
    receptive_fields,
    trace,
)

__all__ = ["AxisRF", "BranchAlignmentError", "LayerRF", "ReceptiveFieldTable",
           "UnsupportedLayerError", "chain", "engine", "explorer", "gradient",
           "receptive_fields", "trace"]
