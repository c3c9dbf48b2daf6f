"""The FCN of Long et al. (2015): FCN-32s, FCN-16s and FCN-8s on top of a VGG-style classifier.

The classifier's fully connected layers become convolutions
(`fully_convolutional.linear_to_conv`), its last layer is replaced by a new score layer for the
segmentation classes, and the coarse scores are upsampled back to the input size by learnable
transposed convolutions initialised to bilinear interpolation (`upsampling.bilinear_upsampler`).
FCN-16s adds scores predicted from pool4, FCN-8s also from pool3, fused by summation.

Alignment. The reference implementation pads the first convolution by 100 pixels and crops
every upsampled map back into register. Here all convolutions use "same" padding and inputs are
multiples of 32, so pool_k has exactly 1/2^k of the input's size and unit (i, j) of every map is
centred on the same input point as the matching units of the finer maps: no cropping is needed.

Upsampling in x2 steps. We upsample with five x2 transposed convolutions instead of one x32
(FCN-32s), one x16 (16s) or one x8 (8s) layer. FCN-16s then fuses pool4's scores after the
first step and shares the remaining four steps with FCN-32s; because its new score layers start
at zero, a freshly initialised FCN-16s computes *exactly* what the trained FCN-32s computed (and
FCN-8s what FCN-16s computed). With single big layers, as in the paper, that is only approximate.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from ._core import check_tensor, model_device, model_dtype, shape_or_type
from .data.labels import VOID
from .fully_convolutional import linear_to_conv
from .upsampling import bilinear_upsampler

STRIDES = (32, 16, 8)


def _zero_conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    conv = nn.Conv2d(in_channels, out_channels, 1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class SkipFCN(nn.Module):
    """FCN-32s / 16s / 8s (set by `stride`) from a classifier such as `models.digit_vgg`.

    The classifier's contract (`models.DigitVGG`): `feature_maps()` gives its convolutional body
    as named maps, of which pool3 (stride 8), pool4 (16) and pool5 (32) are tapped, and `fc6` is
    the fully connected layer that reads pool5. Input (N, C, H, W) with H, W multiples of 32;
    output (N, num_classes, H, W). learn_upsampling: False keeps the five x2 upsamplers fixed at
    bilinear interpolation (as the paper's released models do), True lets them learn.
    """

    def __init__(self, classifier: nn.Module, num_classes: int, *, stride: int = 32,
                 learn_upsampling: bool = True):
        super().__init__()
        if stride not in STRIDES:
            raise ValueError(f"stride must be one of {STRIDES}; got {stride!r}")
        if not (callable(getattr(classifier, "feature_maps", None))
                and isinstance(getattr(classifier, "fc6", None), nn.Linear)):
            raise ValueError("classifier must expose named feature maps (feature_maps() with "
                             "pool3, pool4, pool5) and its fc6 layer, as models.digit_vgg does; "
                             f"got {type(classifier).__name__}")
        self.stride = stride
        self.backbone = classifier.feature_maps()
        channels = self.backbone.channels
        missing = {"pool3", "pool4", "pool5"} - set(channels)
        if missing:
            raise ValueError(f"classifier's feature maps lack {sorted(missing)}")
        fc6 = classifier.fc6
        self.fc6 = linear_to_conv(fc6, (channels["pool5"], 1, 1))  # volume 1x1 at 32x32 input
        self.relu6 = nn.ReLU()
        self.score = _zero_conv(fc6.out_features, num_classes)  # replaces the classifier's fc7
        self.score_pool4 = _zero_conv(channels["pool4"], num_classes)
        self.score_pool3 = _zero_conv(channels["pool3"], num_classes)
        self.up = nn.ModuleList([bilinear_upsampler(2, num_classes, learnable=learn_upsampling)
                                 for _ in range(5)])
        self.to(model_device(classifier), model_dtype(classifier))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h % 32 or w % 32:
            raise ValueError(f"input height and width must be multiples of 32; got {h}x{w}")
        maps = self.backbone(x)
        s = self.score(self.relu6(self.fc6(maps["pool5"])))
        s = self.up[0](s)
        if self.stride <= 16:
            s = s + self.score_pool4(maps["pool4"])
        s = self.up[1](s)
        if self.stride == 8:
            s = s + self.score_pool3(maps["pool3"])
        for up in self.up[2:]:
            s = up(s)
        return s

    def with_stride(self, stride: int) -> SkipFCN:
        """A copy of this network as FCN-`stride`s: same weights; finer skips start at zero."""
        if stride not in STRIDES:
            raise ValueError(f"stride must be one of {STRIDES}; got {stride!r}")
        new = copy.deepcopy(self)
        new.stride = stride
        return new

    def extra_repr(self) -> str:
        return f"FCN-{self.stride}s"


class SampledCrossEntropyLoss(nn.Module):
    """Per-pixel cross-entropy over a random subset of the pixels: the FCN paper's loss sampling.

    At every call each pixel's loss term is kept with probability `keep` and otherwise ignored
    like a void pixel, so a full-image step imitates a batch of randomly sampled patches.
    scores (N, K, H, W), target (N, H, W) int64; `weight` and `ignore_index` as in
    `nn.CrossEntropyLoss` (the mean runs over the kept, non-void pixels). The mask is drawn on
    the CPU from a generator seeded with `seed`, so runs repeat on any device.
    """

    def __init__(self, keep: float, weight: torch.Tensor | None = None,
                 ignore_index: int = VOID, seed: int = 0):
        super().__init__()
        if not 0 < keep <= 1:
            raise ValueError(f"keep must be a probability in (0, 1]; got {keep!r}")
        self.keep, self.ignore_index = keep, ignore_index
        self.register_buffer("weight", weight)
        self.generator = torch.Generator().manual_seed(seed)

    def forward(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_tensor(scores, "scores", 4, "have shape (N, K, H, W)", floating=True)
        n, _, h, w = scores.shape
        if not isinstance(target, torch.Tensor) or target.shape != (n, h, w):
            raise ValueError(f"target must have shape ({n}, {h}, {w}) to match scores; "
                             f"got {shape_or_type(target)}")
        dropped = torch.rand(target.shape, generator=self.generator) >= self.keep
        sampled = target.masked_fill(dropped.to(target.device), self.ignore_index)
        return F.cross_entropy(scores, sampled, self.weight, ignore_index=self.ignore_index)

    def extra_repr(self) -> str:
        return f"keep={self.keep}"
