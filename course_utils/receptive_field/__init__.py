"""Receptive fields, one package: the exact engine and its gradient check.

- `engine` (re-exported here): size, stride and offset of every layer of any `torch.fx`-
  traceable network (`receptive_fields`, `chain`), with branches, dilation, adaptive pooling.
- `gradient`: the structural ground truth from autograd and the effective receptive field.
The slider explorer is `course_utils.explorers.ReceptiveFieldExplorer`.
"""

from . import engine, gradient
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
           "UnsupportedLayerError", "chain", "engine", "gradient",
           "receptive_fields", "trace"]
