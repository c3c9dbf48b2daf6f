"""Global average pooling and class activation maps (Lin et al. 2014; Zhou et al. 2016).

A GAP classifier is `features -> AdaptiveAvgPool2d(1) -> Flatten [-> Linear]`. Its score for
class c is S_c = sum_k w_k^c * mean_xy f_k(x, y) + b_c = mean_xy M_c(x, y) + b_c with the class
activation map M_c(x, y) = sum_k w_k^c f_k(x, y). Without the Linear layer (NiN's pure GAP head)
the feature maps are the class maps: M_c = f_c and S_c = mean_xy M_c.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._core import check_tensor, eval_mode, model_device, model_dtype, shape_or_type


def split_gap_model(model: nn.Module) -> tuple[nn.Sequential, nn.Linear | None]:
    """(features, linear) of a GAP classifier.

    model: an nn.Sequential holding nn.AdaptiveAvgPool2d(1), then optional nn.Flatten and at
    most one nn.Linear (the head); everything before the pooling layer is `features`, which maps
    (N, C, H, W) images to (N, K, h, w) feature maps. linear is None for a pure GAP head.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError("model must be an nn.Sequential GAP classifier; "
                        f"got {type(model).__name__}")
    children = list(model.children())
    pools = [i for i, m in enumerate(children)
             if isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1))]
    if len(pools) != 1:
        raise ValueError("model must contain exactly one global average pooling layer "
                         f"(nn.AdaptiveAvgPool2d(1)); found {len(pools)}")
    head = [m for m in children[pools[0] + 1:] if not isinstance(m, (nn.Flatten, nn.Identity))]
    if len(head) > 1 or (head and not isinstance(head[0], nn.Linear)):
        names = [type(m).__name__ for m in head]
        raise ValueError("after the global average pooling the model may hold only Flatten and "
                         f"one Linear layer for class activation maps; got {names}")
    return nn.Sequential(*children[: pools[0]]), (head[0] if head else None)


def class_activation_maps(model: nn.Module, images: torch.Tensor,
                          upsample: bool = True) -> torch.Tensor:
    """Class activation maps M_c of a GAP classifier for a batch, one per class.

    images: (N, C, H, W) float. Returns (N, num_classes, H, W) maps bilinearly upsampled to the
    image size, or (N, num_classes, h, w) at the feature resolution with upsample=False; at that
    resolution model(images)[:, c] == maps[:, c].mean((-2, -1)) + bias_c (0 without a Linear).
    Runs in eval mode without gradients; the model's mode is restored.
    """
    features, linear = split_gap_model(model)
    if not (isinstance(images, torch.Tensor) and images.ndim == 4 and images.is_floating_point()):
        raise ValueError(f"images must be a float tensor of shape (N, C, H, W); got "
                         f"{shape_or_type(images)}")
    with eval_mode(model), torch.no_grad():
        maps = features(images.to(model_device(model), model_dtype(model)))
        if linear is not None:
            if maps.shape[1] != linear.in_features:
                raise ValueError(f"the features give {maps.shape[1]} maps but the Linear head "
                                 f"expects {linear.in_features}")
            maps = torch.einsum("ck,nkhw->nchw", linear.weight, maps)
        if upsample:
            maps = F.interpolate(maps, size=images.shape[-2:], mode="bilinear",
                                 align_corners=False)
    return maps.cpu()


def class_activation_map(model: nn.Module, image: torch.Tensor, class_index: int,
                         upsample: bool = True) -> torch.Tensor:
    """The class activation map M_c of one image (C, H, W) for class `class_index`: (H, W)
    (or (h, w) at the feature resolution with upsample=False). See `class_activation_maps`.
    """
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise ValueError(f"image must be a tensor of shape (C, H, W); got {shape_or_type(image)} "
                         "(use class_activation_maps for a batch (N, C, H, W))")
    maps = class_activation_maps(model, image[None], upsample=upsample)[0]
    num_classes = maps.shape[0]
    if not isinstance(class_index, int) or not 0 <= class_index < num_classes:
        raise ValueError(f"class_index must be an int in [0, {num_classes - 1}]; "
                         f"got {class_index!r}")
    return maps[class_index]


CAM_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
"""The thresholds notebook 08 tries for `cam_segmentation` (shares of each canvas's peak)."""


def cam_segmentation(maps: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """A weak segmentation from class activation maps (no pixel label involved).

    maps: (N, K, H, W) class activation maps. Each pixel takes the class c with the largest map
    value; it is kept (label c + 1) where that value reaches `threshold` times the image's
    largest value over all classes, else it is background (label 0). Returns (N, H, W) int64 in
    the canvas convention 0 = background, c + 1 = class c.
    """
    check_tensor(maps, "maps", 4, "be a tensor of shape (N, K, H, W)")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must be in [0, 1]; got {threshold}")
    best, label = maps.max(dim=1)
    peak = best.flatten(1).max(dim=1).values.clamp_min(0)[:, None, None]
    keep = (best > 0) & (best >= threshold * peak)
    return torch.where(keep, label + 1, torch.zeros_like(label))
