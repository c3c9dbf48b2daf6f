"""The course's slider explorers, one module each, on one pattern (see `_base`):

| explorer | notebook | view / render |
|---|---|---|
| `ReceptiveFieldExplorer` | 02 | `receptive_field_view` / `render_receptive_field` |
| `HeatmapExplorer` | 03 | `heatmap_view` / `render_heatmap` |
| `ShiftAndStitchExplorer` | 04 | `shift_and_stitch_view` / `render_shift_and_stitch` |
| `ConvArithmeticExplorer` | 05 | `conv_arithmetic_view` / `render_conv_arithmetic` |
| `WeightMapExplorer` | 07 | `weight_map_view` / `render_weight_map` |

Each explorer has `.widget` (show it), `.view` and `.frame` (what it shows now), and redraws
when a control's `.value` changes. Only this package imports ipywidgets, and only when an
explorer is built.
"""

from .conv_arithmetic import (
    ConvArithmeticExplorer,
    ConvArithmeticView,
    conv_arithmetic_view,
    render_conv_arithmetic,
)
from .heatmap import HeatmapExplorer, HeatmapView, heatmap_view, render_heatmap
from .receptive_field import (
    ReceptiveFieldExplorer,
    ReceptiveFieldView,
    receptive_field_view,
    render_receptive_field,
)
from .shift_and_stitch import (
    ShiftAndStitchExplorer,
    ShiftAndStitchView,
    render_shift_and_stitch,
    shift_and_stitch_view,
)
from .weight_map import WeightMapExplorer, WeightMapView, render_weight_map, weight_map_view

__all__ = [
    "ConvArithmeticExplorer", "ConvArithmeticView", "HeatmapExplorer", "HeatmapView",
    "ReceptiveFieldExplorer", "ReceptiveFieldView", "ShiftAndStitchExplorer",
    "ShiftAndStitchView", "WeightMapExplorer", "WeightMapView", "conv_arithmetic_view",
    "heatmap_view", "receptive_field_view", "render_conv_arithmetic", "render_heatmap",
    "render_receptive_field", "render_shift_and_stitch", "render_weight_map",
    "shift_and_stitch_view", "weight_map_view",
]
