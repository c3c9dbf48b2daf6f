"""Checkers for the fully convolutional network (notebook 03) and dense predictions (04)."""

from __future__ import annotations

import torch
from torch import nn

from .. import dense_prediction, fully_convolutional, models
from ..receptive_field import receptive_fields
from .exercise import Case, Exercise, Mistake


def _lenet_fcn_grid() -> tuple[int, int]:
    """(receptive field, stride) of the LeNet-5 FCN of notebooks 03-04, from the RF engine."""
    with torch.device("meta"):
        fcn = fully_convolutional.to_fully_convolutional(models.lenet5(), (1, 32, 32))
    final = receptive_fields(fcn, (1, 32, 32)).final
    return final.size[0], final.stride[0]


LENET_WINDOW, LENET_STRIDE = _lenet_fcn_grid()  # 32, 4


def _linear_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    cases = []
    for c, h, w, out in [(16, 5, 5, 120), (3, 2, 4, 7), (8, 1, 1, 5)]:
        linear = nn.Linear(c * h * w, out)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(linear.weight.shape, generator=gen))
            linear.bias.copy_(torch.randn(out, generator=gen))
        cases.append(Case((linear, (c, h, w)), f"a Linear({c * h * w}, {out}) reading {c}x{h}x{w}"))
    return cases


def _run_on_volume(conv: nn.Module, linear: nn.Linear, volume) -> torch.Tensor:
    x = torch.randn(2, *volume, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return conv(x).flatten(1)


def _keras_order(linear: nn.Linear, volume) -> nn.Conv2d:
    c, h, w = volume
    conv = nn.Conv2d(c, linear.out_features, (h, w))
    with torch.no_grad():
        conv.weight.copy_(linear.weight.view(-1, h, w, c).permute(0, 3, 1, 2))
        conv.bias.copy_(linear.bias)
    return conv


def _conv_kind(conv, linear: nn.Linear, volume) -> str | None:
    c, h, w = volume
    if not isinstance(conv, nn.Conv2d):
        return f"return an nn.Conv2d, not {type(conv).__name__}."
    if tuple(conv.kernel_size) != (h, w) or conv.out_channels != linear.out_features:
        return (f"expected Conv2d({c}, {linear.out_features}, kernel_size=({h}, {w})); got "
                f"{conv}. Hint: one filter per output neuron, as large as the whole volume.")
    return None


linear_to_conv = Exercise(
    "linear_to_conv", _linear_cases, fully_convolutional.linear_to_conv,
    outcome=_run_on_volume, validate=_conv_kind,
    mistakes=[Mistake(_keras_order, "the weights look read in H, W, C order (Keras'); PyTorch "
                                    "flattens C, H, W."),
              Mistake(lambda linear, volume: _without_bias(fully_convolutional.linear_to_conv(
                  linear, volume)), "copy the bias too.")],
    hint="copy linear.weight reshaped to (out, C, H, W), and the bias.",
    passed="the convolution reproduces the Linear layer exactly.")


def _without_bias(conv: nn.Conv2d) -> nn.Conv2d:
    with torch.no_grad():
        conv.bias.zero_()
    return conv


def _grid(h: int, w: int) -> tuple[int, int]:
    return (h - LENET_WINDOW) // LENET_STRIDE + 1, (w - LENET_WINDOW) // LENET_STRIDE + 1


fcn_output_size = Exercise(
    "fcn_output_size",
    [Case((h, w), f"{h}x{w}") for h, w in [(32, 32), (36, 40), (128, 160), (33, 35), (1000, 2000)]],
    _grid, outcome=lambda answer, h, w: tuple(answer),
    mistakes=[Mistake(lambda h, w: ((h - 32) // 4, (w - 32) // 4), "don't forget the first "
                                                                    "window: + 1."),
              Mistake(lambda h, w: (h // 4, w // 4), "the first window needs 32 pixels: only "
                                                     "(H - 32) // 4 further steps of 4 fit.")],
    hint="a 32x32 window fits (H - 32) // 4 + 1 times with stride 4.",
    passed="right for five image sizes, the lecture's 1000x2000 too.")


def _unit_box(i: int, j: int) -> tuple[int, int, int, int]:
    top, left = LENET_STRIDE * i, LENET_STRIDE * j
    return top, left, top + LENET_WINDOW - 1, left + LENET_WINDOW - 1


unit_box = Exercise(
    "unit_box",
    [Case((i, j), f"heatmap cell ({i}, {j})")
     for i, j in [(0, 0), (1, 0), (0, 3), (5, 7), (24, 32)]],
    _unit_box, outcome=lambda answer, i, j: tuple(int(v) for v in answer),
    mistakes=[Mistake(lambda i, j: (i, j, i + 31, j + 31),
                      "neighbouring cells are 4 pixels apart (two 2x2 poolings): multiply by 4."),
              Mistake(lambda i, j: (4 * i, 4 * j, 4 * i + 32, 4 * j + 32),
                      "the box is inclusive: a 32-pixel window ends 31 pixels after it starts."),
              Mistake(lambda i, j: (4 * j, 4 * i, 4 * j + 31, 4 * i + 31),
                      "i counts rows (top), j counts columns (left).")],
    hint="cell (i, j) sees the 32x32 window whose top-left pixel is (4 i, 4 j).",
    passed="every cell's 32x32 window found, in canvas pixels.")


def _interleave_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    cases = []
    for f, (height, width) in [(3, (9, 9)), (2, (7, 9)), (4, (13, 10))]:
        dense = torch.randn(2, height, width, generator=gen)
        pieces = {(dy, dx): dense[:, dy::f, dx::f].clone() for dy in range(f) for dx in range(f)}
        cases.append(Case((pieces, f), f"f={f}, dense map {height}x{width}"))
    return cases


def _transposed_shifts(pieces: dict, f: int) -> torch.Tensor | None:
    """Rows and columns swapped: piece (dy, dx) placed as if it were (dx, dy)."""
    if len({p.shape for p in pieces.values()}) != 1:
        return None
    return dense_prediction.interleave({(dx, dy): p for (dy, dx), p in pieces.items()}, f)


def _side_by_side(pieces: dict, f: int) -> torch.Tensor:
    rows = [torch.cat([pieces[dy, dx] for dx in range(f)], -1) for dy in range(f)]
    return torch.cat(rows, -2)


interleave = Exercise(
    "interleave", _interleave_cases, dense_prediction.interleave,
    mistakes=[Mistake(lambda pieces, f: _transposed_shifts(pieces, f),
                      "rows and columns swapped: pieces[dy, dx] fills rows dy::f and columns "
                      "dx::f."),
              Mistake(_side_by_side, "the pieces are not tiles placed side by side: each one is "
                                     "spread over the whole map, every f-th row and column.")],
    shape="output (K, h, w) of shift (dy, dx) fills rows dy, dy+f, ... and columns dx, dx+f, "
          "...: the dense map has every row and column of the input's grid.",
    hint="dense[:, dy::f, dx::f] = pieces[dy, dx].",
    passed="interleaves pieces for f = 2, 3, 4 and odd sizes.")


def _dilations(strides: list[int]) -> list[int]:
    out, removed = [], 1
    for s in strides:
        out.append(removed)
        removed *= s
    return out


atrous_dilations = Exercise(
    "atrous_dilations",
    [Case((strides,), f"strides {strides}") for strides in
     [[1, 2, 1, 2, 1, 1, 1], [2, 2, 2], [1, 1], [3, 1, 2, 1], [1, 2, 1, 1, 2, 2, 1]]],
    _dilations, outcome=lambda answer, strides: list(answer),
    mistakes=[Mistake(lambda strides: _dilations(strides + [1])[1:],
                      "a layer is dilated by the strides removed *before* it, not by its own."),
              Mistake(lambda strides: [1 + sum(s - 1 for s in strides[:k])
                                       for k in range(len(strides))],
                      "strides compose by multiplication: two stride-2 layers give 4.")],
    hint="multiply the strides removed so far; the first layer keeps dilation 1.",
    passed="right for 5 stride patterns.")


def _centre_pixel(dy: int, dx: int, i: int, j: int) -> tuple[int, int]:
    half = LENET_WINDOW // 2
    return dy + LENET_STRIDE * i + half, dx + LENET_STRIDE * j + half


centre_pixel = Exercise(
    "centre_pixel",
    [Case((dy, dx, i, j), f"shift ({dy}, {dx}), unit ({i}, {j})")
     for dy, dx, i, j in [(0, 0, 0, 0), (1, 0, 0, 0), (0, 3, 2, 1), (3, 2, 5, 7), (2, 2, 0, 9)]],
    _centre_pixel, outcome=lambda answer, *args: tuple(int(v) for v in answer),
    mistakes=[Mistake(lambda dy, dx, i, j: (4 * i + 16, 4 * j + 16),
                      "the pass ran on image[:, dy:, dx:]: its pixel (0, 0) is the canvas's "
                      "(dy, dx), so add the shift."),
              Mistake(lambda dy, dx, i, j: (4 * i + 16 - dy, 4 * j + 16 - dx),
                      "cropping dy rows off the top moves every window dy pixels *down* the "
                      "canvas: add the shift, don't subtract it."),
              Mistake(lambda dy, dx, i, j: (dy + 4 * i, dx + 4 * j),
                      "that is the window's top-left pixel; its centre is 16 pixels further.")],
    hint="unit (i, j) of the shifted pass sees the window with top-left (dy + 4 i, dx + 4 j) of "
         "the canvas; its centre is + 16.",
    passed="every shifted unit lands on its window's centre pixel: the dense map is in register.")
