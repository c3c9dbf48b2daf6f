"""The label convention of the segmentation notebooks and label operations.

Canvases: 0 = background, d + 1 = a pixel of digit d (so 1..10), VOID = 255 = ignored by the loss
and the metrics; instance maps number the placed objects 1..k (0 = background).
"""

from __future__ import annotations

import numpy as np
import torch

from .._core import check_tensor

NUM_DIGIT_CLASSES = 10
BACKGROUND = 0
CANVAS_CLASSES = NUM_DIGIT_CLASSES + 1  # background + 10 digits
VOID = 255


def segmentation_labels(labels: torch.Tensor, thicken: int = 1,
                        void_width: int = 1) -> torch.Tensor:
    """Canvas labels made ready for FCN training: strokes thickened, a void band around them.

    labels: (N, H, W) or (H, W) int64 canvas labels (0 background, 1..10 digits). Each digit's
    pixels grow by `thicken` pixels (a stride-8 output cannot draw 1-2 px strokes), and the
    `void_width`-pixel band just outside them becomes VOID = 255, as on PASCAL VOC object
    borders: those pixels are ignored by the loss and the metrics.
    """
    from scipy import ndimage

    check_tensor(labels, "labels", (2, 3), "be a tensor of shape (N, H, W) or (H, W)")
    if labels.is_floating_point():
        raise TypeError(f"labels must hold integers; got {labels.dtype}")
    for name, value in (("thicken", thicken), ("void_width", void_width)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0; got {value!r}")
    batch = labels[None] if labels.ndim == 2 else labels
    out = batch.cpu().numpy().copy()
    for i, lab in enumerate(out):
        thick = lab
        for _ in range(thicken):
            thick = ndimage.grey_dilation(thick, size=3)
        if void_width:
            grown = ndimage.binary_dilation(thick > 0, np.ones((3, 3), bool), void_width)
            thick = np.where(grown & (thick == 0), VOID, thick)
        out[i] = thick
    result = torch.from_numpy(out)
    return result[0] if labels.ndim == 2 else result
