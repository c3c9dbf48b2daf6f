"""Checkers for segmentation networks and their training: FCN metrics and skips (notebook 06),
U-Net (07)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import fcn, models, unet
from .._core import seeded
from ..metrics import scores_from_confusion
from .exercise import Case, Exercise, Mistake


def _confusion_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    matrices = [torch.tensor([[50, 2, 3], [4, 10, 0], [1, 0, 5]]),
                torch.tensor([[8, 0, 0], [0, 0, 0], [2, 0, 6]])]  # class 1 absent everywhere
    matrices += [torch.randint(0, 20, (4, 4), generator=gen) for _ in range(3)]
    return [Case((n,), f"confusion {n.tolist()}") for n in matrices]


def _per_class(n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    n = n.double()
    return n.diag(), n.sum(1) + n.sum(0) - n.diag()


mean_iu = Exercise(
    "mean_iu", _confusion_cases, lambda n: scores_from_confusion(n).mean_iu,
    outcome=lambda answer, n: float(answer), compare=lambda a, b: abs(a - b) < 1e-9,
    mistakes=[Mistake(lambda n: float((n.double().diag() / n.double().sum(1)).nanmean()),
                      "that is the mean accuracy: IU divides by the union "
                      "t_i + sum_j n_ji - n_ii."),
              Mistake(lambda n: float(torch.nan_to_num(_per_class(n)[0] / _per_class(n)[1]).mean()),
                      "a class with no pixels in labels or predictions has no IU: leave it out of "
                      "the mean (0 / 0 is not 0).")],
    hint="IU_i = n_ii / (t_i + sum_j n_ji - n_ii), averaged over the classes present.",
    passed="right, including a class absent from labels and predictions.")

frequency_weighted_iu = Exercise(
    "frequency_weighted_iu", _confusion_cases, lambda n: scores_from_confusion(n).fw_iu,
    outcome=lambda answer, n: float(answer), compare=lambda a, b: abs(a - b) < 1e-9,
    mistakes=[Mistake(lambda n: scores_from_confusion(n).mean_iu,
                      "that is the plain mean IU: weight IU_i by t_i, the pixels of class i."),
              Mistake(lambda n: float(np.nansum((n.double().sum(1) * _per_class(n)[0]
                                                 / _per_class(n)[1]).numpy())),
                      "divide by all labelled pixels, sum_k t_k.")],
    hint="(sum_k t_k)^-1 * sum_i t_i * IU_i.",
    passed="right on five confusion matrices.")


def _tiny_fcn32() -> fcn.SkipFCN:
    with seeded(0):  # the caller's random stream is left alone
        net = fcn.SkipFCN(models.digit_vgg(widths=(4, 4, 8, 8, 8), hidden=8), num_classes=3)
        with torch.no_grad():  # pretend it was trained: non-zero scores
            for p in (net.score.weight, net.score.bias):
                p.copy_(torch.randn(p.shape))
    return net.eval()


def _fusion_outcome(net: nn.Module, fcn32: fcn.SkipFCN) -> tuple[bool, torch.Tensor]:
    """(whether the net starts with FCN-32s's output, its output with the same random weights
    in its score_pool4)."""
    x = torch.randn(2, 1, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        start = net.eval()(x)
        starts_as_fcn32 = start.shape == fcn32(x).shape and bool(torch.allclose(start, fcn32(x)))
        skip = net.score_pool4
        gen = torch.Generator().manual_seed(2)
        skip.weight.copy_(torch.randn(skip.weight.shape, generator=gen))
        skip.bias.copy_(torch.randn(skip.bias.shape, generator=gen))
        return starts_as_fcn32, net(x)


def _skip_kind(net, fcn32: fcn.SkipFCN) -> str | None:
    skip = getattr(net, "score_pool4", None)
    channels = fcn32.backbone.channels["pool4"]
    if not isinstance(net, nn.Module) or not isinstance(skip, nn.Conv2d):
        return "return an nn.Module with a `score_pool4` attribute, the new nn.Conv2d."
    if tuple(skip.kernel_size) != (1, 1) or skip.in_channels != channels:
        return (f"score_pool4 must be a 1x1 convolution from pool4's {channels} channels to the "
                f"{fcn32.score.out_channels} classes; got {skip}.")
    return None


class _LateFusion(nn.Module):
    """A wrong FCN-16s: pool4's scores upsampled on their own and added at the very end."""

    def __init__(self, fcn32: fcn.SkipFCN):
        super().__init__()
        self.fcn32, self.score_pool4 = fcn32, fcn32.with_stride(16).score_pool4  # zero-initialised

    def forward(self, x):
        late = F.interpolate(self.score_pool4(self.fcn32.backbone(x)["pool4"]), size=x.shape[-2:],
                             mode="bilinear", align_corners=False)
        return self.fcn32(x) + late


def _randomly_initialised(fcn32: fcn.SkipFCN) -> nn.Module:
    net = fcn32.with_stride(16)
    net.score_pool4 = nn.Conv2d(net.score_pool4.in_channels, net.score_pool4.out_channels, 1)
    return net


fcn16_fusion = Exercise(
    "fcn16_fusion", lambda: [Case((_tiny_fcn32(),), "a small trained FCN-32s")],
    lambda fcn32: fcn32.with_stride(16), outcome=_fusion_outcome, validate=_skip_kind,
    compare=lambda a, b: a[0] == b[0] and a[1].shape == b[1].shape
    and bool(torch.allclose(a[1], b[1], atol=1e-5)),
    show=lambda outcome: ("a network that starts as FCN-32s" if outcome[0] else
                          "a network that starts differently from FCN-32s")
    + f", outputs of shape {tuple(outcome[1].shape)}",
    mistakes=[Mistake(_randomly_initialised, "zero-initialise score_pool4: a fresh FCN-16s must "
                                             "start exactly as the FCN-32s it comes from."),
              Mistake(_LateFusion, "fuse at stride 16: add pool4's scores right after the first "
                                   "x2 step and let the remaining four steps upsample the sum.")],
    hint="s = up[0](scores of pool5) + score_pool4(pool4), then up[1] ... up[4]; score_pool4 "
         "starts at zero.",
    passed="starts exactly as FCN-32s, and pool4's scores join at stride 16.")


def _border_term(d1: float, d2: float, w0: float, sigma: float) -> float:
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma**2))


border_term = Exercise(
    "border_term",
    [Case(args, "d1={}, d2={}, w0={}, sigma={}".format(*args))
     for args in [(1.0, 1.0, 10.0, 5.0), (3.0, 3.0, 10.0, 5.0), (0.0, 8.0, 5.0, 2.0),
                  (2.0, 5.0, 10.0, 3.0)]],
    _border_term, outcome=lambda answer, *args: float(answer),
    compare=lambda a, b: abs(a - b) <= 1e-9,
    mistakes=[Mistake(lambda d1, d2, w0, s: w0 * math.exp(-((d1 - d2) ** 2) / (2 * s**2)),
                      "the paper adds the two distances: (d1 + d2), not (d1 - d2)."),
              Mistake(lambda d1, d2, w0, s: w0 * math.exp(-((d1 + d2) ** 2) / (2 * s)),
                      "sigma is a standard deviation: divide by 2 sigma**2, not 2 sigma.")],
    hint="w0 * exp(-(d1 + d2)**2 / (2 * sigma**2)).",
    passed="matches the paper's border term.")


def _unet_size_down_only(size: int, depth: int) -> int:
    for _ in range(depth):
        size = (size - 4) // 2
    return size - 4


unet_output_size = Exercise(
    "unet_output_size",
    [Case((size, depth), f"size {size}, depth {depth}")
     for size, depth in [(572, 4), (188, 4), (92, 3), (44, 2), (20, 1)]],
    lambda size, depth: unet.unet_output_size(size, depth, 0),
    outcome=lambda answer, *args: int(answer),
    mistakes=[Mistake(lambda size, depth: size, "valid 3x3 convolutions lose 2 pixels each: the "
                                                "output is smaller than the input."),
              Mistake(_unet_size_down_only, "that is the bottom of the U; the expanding path "
                                            "doubles the size and loses 4 pixels per level "
                                            "on the way up.")],
    hint="each level loses 4 pixels to its two valid 3x3 convs, then halves (down) or doubles "
         "(up).",
    passed="right for depths 1-4, 572 -> 388 among them.")


def _instance_cases() -> list[Case]:
    from ..data import touching_cells

    cells = touching_cells(3, size=48, seed=5).instances
    return [Case((cells[i].numpy(), w0, sigma), f"a 48x48 instance map, w0={w0}, sigma={sigma}")
            for i, (w0, sigma) in enumerate([(10.0, 5.0), (5.0, 2.0), (10.0, 3.0)])]


def _border_weights(instances: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    return unet.unet_weight_map(instances, w0, sigma, class_weights=(0.0, 0.0))


def _nearest_twice(instances: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    from scipy import ndimage

    d1 = ndimage.distance_transform_edt(instances == 0)
    return np.where(instances == 0, w0 * np.exp(-((2 * d1) ** 2) / (2 * sigma**2)), 0.0)


def _everywhere(instances: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    from scipy import ndimage

    ids = [i for i in np.unique(instances) if i > 0]
    distances = np.sort(np.stack([ndimage.distance_transform_edt(instances != i) for i in ids]), 0)
    return w0 * np.exp(-((distances[0] + distances[1]) ** 2) / (2 * sigma**2))


border_weights = Exercise(
    "border_weights", _instance_cases, _border_weights,
    outcome=lambda answer, *args: torch.as_tensor(np.asarray(answer, dtype=np.float64)),
    mistakes=[Mistake(_nearest_twice, "d2 is the distance to the *second*-nearest cell: one "
                                      "distance transform per cell, then the two smallest."),
              Mistake(_everywhere, "the border term weights background pixels only: inside a "
                                   "cell it is 0.")],
    shape="one weight per pixel: the shape of the instance map.",
    hint="for every background pixel w0 * exp(-(d1 + d2)**2 / (2 sigma**2)), with d1, d2 the "
         "distances to the nearest and second-nearest cell; 0 on the cells.",
    passed="matches the course's U-Net border weights on three instance maps.")
