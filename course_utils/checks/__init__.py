"""Exercise checkers, one module per part of the lecture, on one declarative core.

`checks.NAME(student_function)` returns a CheckResult (PASS / FAIL with a hint / TODO) and never
raises for a wrong or unfinished answer. Each checker is an `Exercise` (cases, reference,
comparison, known mistakes with hints) from `exercise`; `rf_design` checks a design with no single
answer.

- `convolution`: notebooks 01-02 (convolution, parameters, an edge kernel, receptive fields);
- `dense_prediction`: 03-04 (FC as convolution, output grids, shift-and-stitch, à trous);
- `upsampling`: 05 (zero insertion, transposed sizes, bilinear kernels, checkerboards);
- `segmentation`: 06-07 (FCN metrics and skips, U-Net sizes and border weights);
- `gap`: 08 (global average pooling, class activation maps, choosing a CAM threshold).
"""

from .convolution import (
    conv2d,
    conv_parameters,
    diagonal_edge_kernel,
    hand_network,
    lenet_rgb_parameters,
    receptive_field_by_hand,
    receptive_field_chain,
    rf_design,
)
from .dense_prediction import (
    atrous_dilations,
    centre_pixel,
    fcn_output_size,
    interleave,
    linear_to_conv,
    unit_box,
)
from .exercise import KINDS, Case, CheckResult, Exercise, Mistake, yours_or
from .gap import cam_threshold, class_activation_map, global_average_pool
from .segmentation import (
    border_term,
    border_weights,
    fcn16_fusion,
    frequency_weighted_iu,
    mean_iu,
    misleading_confusion,
    unet_input_for_output,
    unet_output_size,
)
from .upsampling import bilinear_kernel, stamp_counts, transposed_output_size, zero_insert

EXERCISES = {name: value for name, value in globals().items() if isinstance(value, Exercise)}

__all__ = ["KINDS", "Case", "CheckResult", "EXERCISES", "Exercise", "Mistake",
           "atrous_dilations", "bilinear_kernel", "border_term", "border_weights",
           "cam_threshold", "centre_pixel", "class_activation_map", "conv2d", "conv_parameters",
           "fcn16_fusion", "fcn_output_size", "frequency_weighted_iu", "global_average_pool",
           "hand_network", "interleave", "lenet_rgb_parameters", "linear_to_conv", "mean_iu",
           "misleading_confusion", "unet_input_for_output",
           "receptive_field_by_hand", "receptive_field_chain", "rf_design", "stamp_counts",
           "transposed_output_size", "unet_output_size", "unit_box", "diagonal_edge_kernel",
           "yours_or", "zero_insert"]
