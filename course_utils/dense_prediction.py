"""Dense predictions (notebook 04): from an FCN's coarse grid to a score at every position.

- `shift_and_stitch`: run the FCN on the f x f shifted inputs and interleave the outputs.
- `atrous`: the same dense output in one pass: pooling strides removed, later layers dilated.
- `paint_receptive_fields`: direct heatmap prediction, each confident unit labels its whole RF.
Every function runs on the model's device and follows its dtype; scores come back on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._core import ELEMENTWISE_LAYERS, check_int, check_tensor
from .fully_convolutional import as_batch, fcn_predict
from .receptive_field import receptive_fields
from .summary import total_stride


def shift_and_stitch(fcn: nn.Module, image: torch.Tensor, *,
                     stride: int | None = None) -> torch.Tensor:
    """Dense scores from f x f shifted copies of the input, interleaved.

    For shift (dy, dx) the FCN reads the image without its first dy rows and dx columns; its unit
    (i, j) then sits at input position (i * f + dy, j * f + dx). f = `stride` defaults to the
    FCN's total stride. Returns (K, H - R + 1, W - R + 1) for receptive field R: one score per
    position of a stride-1 sliding window, i.e. exactly
    `sliding_window_predict(classifier, image, R, stride=1)`.
    """
    x = as_batch(image, fcn)
    f = check_int(total_stride(fcn) if stride is None else stride, "stride", 1)
    height, width = x.shape[-2:]
    rf_h, rf_w = receptive_fields(fcn, tuple(x.shape[1:])).final.size
    if rf_h > height or rf_w > width:
        raise ValueError(f"image {height}x{width} is smaller than the receptive field "
                         f"{rf_h}x{rf_w}")
    pieces = {}
    for dy in range(min(f, height - rf_h + 1)):  # larger shifts leave no complete window
        for dx in range(min(f, width - rf_w + 1)):
            pieces[dy, dx] = fcn_predict(fcn, x[..., dy:, dx:])
    return interleave(pieces, f)


def interleave(pieces: dict[tuple[int, int], torch.Tensor], stride: int) -> torch.Tensor:
    """The dense map from shift-and-stitch pieces: for f = `stride`, `pieces[dy, dx]` (K, h, w)
    fills rows dy, dy + f, ... and columns dx, dx + f, ...; returns (K, H, W), NaN where no piece
    lands. (Notebook 04's exercise: the student's `my_interleave(pieces, f)` has this contract.)"""
    f = check_int(stride, "stride", 1)
    if not pieces or (0, 0) not in pieces:
        raise ValueError("pieces must hold at least the unshifted output pieces[0, 0]")
    first = pieces[0, 0]
    out_h = max(dy + f * (p.shape[1] - 1) for (dy, _), p in pieces.items()) + 1
    out_w = max(dx + f * (p.shape[2] - 1) for (_, dx), p in pieces.items()) + 1
    dense = torch.full((first.shape[0], out_h, out_w), float("nan"), dtype=first.dtype)  # NaN: gaps
    for (dy, dx), piece in pieces.items():
        dense[:, dy::f, dx::f][:, :piece.shape[1], :piece.shape[2]] = piece
    return dense


class _DilatedAvgPool2d(nn.Module):
    """AvgPool2d with stride 1 and dilated taps (PyTorch's AvgPool2d has no dilation)."""

    def __init__(self, kernel_size, dilation: int):
        super().__init__()
        self.k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.d = dilation

    def forward(self, x):
        weight = x.new_full((x.shape[1], 1, *self.k), 1.0 / (self.k[0] * self.k[1]))
        return F.conv2d(x, weight, dilation=self.d, groups=x.shape[1])

    def extra_repr(self) -> str:
        return f"kernel_size={self.k}, stride=1, dilation={self.d}"


def atrous(fcn: nn.Sequential) -> nn.Sequential:
    """The à trous version of `fcn`: strides set to 1, later layers dilated by the lost stride.

    Every layer after a stride-s layer has its taps spread s times further apart (its kernel
    "rarefied" with zeros), so each unit computes what the original unit computed and the output
    is dense: (K, H - R + 1, W - R + 1), equal to `shift_and_stitch` in one pass.
    """
    if not isinstance(fcn, nn.Sequential):
        raise TypeError(f"fcn must be an nn.Sequential; got {type(fcn).__name__}")
    factor = 1
    out = nn.Sequential()
    for name, m in fcn.named_children():
        if isinstance(m, nn.Conv2d):
            s, d, p = m.stride[0], m.dilation[0], m.padding
            if m.stride[0] != m.stride[1] or isinstance(p, str):
                raise ValueError(f"layer '{name}': square strides and numeric padding needed")
            new = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, 1,
                            tuple(pi * factor for pi in p), dilation=d * factor, groups=m.groups,
                            bias=m.bias is not None).to(m.weight.device, m.weight.dtype)
            new.load_state_dict(m.state_dict())
            factor *= s
        elif isinstance(m, nn.MaxPool2d):
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            pad = m.padding if isinstance(m.padding, int) else m.padding[0]
            new = nn.MaxPool2d(m.kernel_size, 1, pad * factor, dilation=factor * (
                m.dilation if isinstance(m.dilation, int) else m.dilation[0]))
            factor *= s
        elif isinstance(m, nn.AvgPool2d):
            if m.padding not in (0, (0, 0)):
                raise ValueError(f"layer '{name}': padded average pooling is not supported")
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            new = _DilatedAvgPool2d(m.kernel_size, factor)
            factor *= s
        elif isinstance(m, ELEMENTWISE_LAYERS):
            new = m
        else:
            raise ValueError(f"layer '{name}' ({type(m).__name__}) cannot be made à trous")
        out.add_module(name, new)
    return out.train(fcn.training)


def paint_receptive_fields(probabilities: torch.Tensor, *, stride: int, rf: int,
                           out_size: tuple[int, int], threshold: float = 0.99,
                           offset: int = 0, background: int | None = None) -> torch.Tensor:
    """Direct heatmap prediction: every confident unit labels its whole receptive field.

    probabilities: (N, K, h, w) class probabilities on an FCN grid whose unit (i, j) sees the
    rf x rf input square with top-left corner (offset + i * stride, offset + j * stride).
    A pixel takes the class c + 1 (0 = background) of the most confident unit covering it, if
    that unit's top probability exceeds `threshold`. background: the class index that means
    "nothing here" (e.g. `data.NO_DIGIT`), if the classifier has one: units whose top class it
    is paint nothing, and `threshold=0` needs no cut-off. Returns (N, H, W) int64 labels.
    """
    check_tensor(probabilities, "probabilities", 4, "have shape (N, K, h, w)")
    if stride < 1 or rf < stride:
        raise ValueError(f"need rf >= stride >= 1; got rf={rf}, stride={stride}")
    if background is not None and not 0 <= background < probabilities.shape[1]:
        raise ValueError(f"background must be a class index in [0, {probabilities.shape[1]}); "
                         f"got {background}")
    conf, cls = probabilities.max(1)
    keep = conf > threshold if background is None else (conf > threshold) & (cls != background)
    conf = torch.where(keep, conf, torch.zeros_like(conf))
    height, width = out_size
    n, h, w = conf.shape
    # unit (i, j) sits at the top-left corner of its receptive field; zeros elsewhere
    grid = torch.zeros(n, 1, height + rf - 1 + stride * h, width + rf - 1 + stride * w)
    top = rf - 1 + offset
    grid[:, 0, top: top + stride * h: stride, top: top + stride * w: stride] = conf
    # a pixel is covered by the units whose corners lie in the rf x rf square ending at it
    best, where = F.max_pool2d(grid, rf, 1, return_indices=True)
    best, where = best[:, 0, :height, :width], where[:, 0, :height, :width]
    rows, cols = where // grid.shape[-1], where % grid.shape[-1]
    i = ((rows - rf + 1 - offset) // stride).clamp(0, h - 1)
    j = ((cols - rf + 1 - offset) // stride).clamp(0, w - 1)
    labels = cls.flatten(1).gather(1, (i * w + j).flatten(1)).view(n, height, width) + 1
    return torch.where(best > 0, labels, torch.zeros_like(labels))
