"""Checkers for the fully convolutional network (notebook 03) and dense predictions (04)."""

from __future__ import annotations

import torch
from torch import nn

from .. import dense_prediction, fully_convolutional, models
from ..receptive_field import receptive_fields
from .exercise import Case, Exercise, Mistake


def _lenet_fcn_grid() -> tuple[int, int]:
    """(receptive field, stride) of the LeNet-5 FCN of notebooks 03-04, from the RF engine."""
    # On the CPU, not the meta device: a meta forward pass imports torch._dynamo (~1 s at import).
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


def _run_on_volume(conv: nn.Module, linear: nn.Linear, volume) -> tuple[torch.Tensor, ...]:
    """The layer on the volume itself and on a larger one, where it must slide with stride 1."""
    c, h, w = volume
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, c, h, w, generator=gen)
    larger = torch.randn(1, c, h + 3, w + 2, generator=gen)
    weight = next(conv.parameters(), None)
    dtype = weight.dtype if weight is not None else torch.float32
    with torch.no_grad():
        return conv(x.to(dtype)).flatten(1), conv(larger.to(dtype))


def _strided(linear: nn.Linear, volume) -> nn.Conv2d:
    c, h, w = volume
    conv = fully_convolutional.linear_to_conv(linear, volume)
    conv.stride = (h, w)
    return conv


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
                  linear, volume)), "copy the bias too."),
              Mistake(_strided, "right on the volume itself, but on a larger input the filters "
                                "must slide one pixel at a time: stride 1, no padding.")],
    hints=("compare your layer's outputs with the Linear's on a volume of the named size: "
           "are all of them off, or only some?",
           "filter i holds the weights of output neuron i, laid out as the (C, H, W) volume it "
           "reads; the bias carries over; stride 1 and no padding let it slide on larger inputs.",
           "Conv2d(C, out, (H, W)) with weight = linear.weight.view(out, C, H, W) and bias = "
           "linear.bias."),
    passed="the convolution reproduces the Linear layer exactly, and slides on larger inputs.")


def _without_bias(conv: nn.Conv2d) -> nn.Conv2d:
    with torch.no_grad():
        conv.bias.zero_()
    return conv


def _grid(h: int, w: int) -> tuple[int, int]:
    return (h - LENET_WINDOW) // LENET_STRIDE + 1, (w - LENET_WINDOW) // LENET_STRIDE + 1


fcn_output_size = Exercise(
    "fcn_output_size",
    [Case((h, w), f"{h}x{w}") for h, w in [(32, 32), (36, 40), (128, 160), (33, 35), (1000, 2000)]],
    _grid,
    mistakes=[Mistake(lambda h, w: ((h - 32) // 4, (w - 32) // 4), "don't forget the first "
                                                                    "window: + 1."),
              Mistake(lambda h, w: (h // 4, w // 4), "the first window needs 32 pixels: only "
                                                     "(H - 32) // 4 further steps of 4 fit."),
              Mistake(lambda h, w: ((h - 32) / 4 + 1, (w - 32) / 4 + 1),
                      "a window that does not fit entirely is not computed: round down (//)."),
              Mistake(lambda h, w: (-(-(h - 32) // 4) + 1, -(-(w - 32) // 4) + 1),
                      "a window that does not fit entirely is not computed: round down, not "
                      "up.")],
    hints=("try the named size on paper: where does the first window sit, where the last one?",
           "the first 32x32 window starts at pixel 0; each further one starts 4 pixels later, "
           "and only windows that fit entirely count.",
           "(H - 32) // 4 + 1 rows and (W - 32) // 4 + 1 columns."),
    passed="right for five image sizes, the lecture's 1000x2000 too.")


def _unit_box(i: int, j: int) -> tuple[int, int, int, int]:
    top, left = LENET_STRIDE * i, LENET_STRIDE * j
    return top, left, top + LENET_WINDOW - 1, left + LENET_WINDOW - 1


unit_box = Exercise(
    "unit_box",
    [Case((i, j), f"heatmap cell ({i}, {j})")
     for i, j in [(0, 0), (1, 0), (0, 3), (5, 7), (24, 32)]],
    _unit_box,
    mistakes=[Mistake(lambda i, j: (i, j, i + 31, j + 31),
                      "neighbouring cells are 4 pixels apart (two 2x2 poolings): multiply by 4."),
              Mistake(lambda i, j: (4 * i, 4 * j, 4 * i + 32, 4 * j + 32),
                      "the box is inclusive: a 32-pixel window ends 31 pixels after it starts."),
              Mistake(lambda i, j: (4 * j, 4 * i, 4 * j + 31, 4 * i + 31),
                      "i counts rows (top), j counts columns (left)."),
              Mistake(lambda i, j: (4 * i - 16, 4 * j - 16, 4 * i + 15, 4 * j + 15),
                      "cell (0, 0) sees the canvas's top-left window: without padding, every "
                      "window lies entirely inside the canvas.")],
    hints=("where is the box of cell (0, 0)? And how far does the box move from one cell to "
           "the next?",
           "every cell sees one 32x32 window (the receptive field); neighbouring cells are 4 "
           "pixels apart (the jump, two 2x2 poolings); no padding.",
           "(4 i, 4 j, 4 i + 31, 4 j + 31)."),
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


def _reversed_shifts(pieces: dict, f: int) -> torch.Tensor | None:
    if len({p.shape for p in pieces.values()}) != 1:
        return None
    return dense_prediction.interleave(
        {(f - 1 - dy, f - 1 - dx): p for (dy, dx), p in pieces.items()}, f)


def _side_by_side(pieces: dict, f: int) -> torch.Tensor:
    rows = [torch.cat([pieces[dy, dx] for dx in range(f)], -1) for dy in range(f)]
    return torch.cat(rows, -2)


interleave = Exercise(
    "interleave", _interleave_cases, dense_prediction.interleave,
    mistakes=[Mistake(lambda pieces, f: _transposed_shifts(pieces, f),
                      "rows and columns swapped: pieces[dy, dx] fills rows dy::f and columns "
                      "dx::f."),
              Mistake(_side_by_side, "the pieces are not tiles placed side by side: each one is "
                                     "spread over the whole map, every f-th row and column."),
              Mistake(_reversed_shifts, "shifting the input *down* by cropping dy rows moves the "
                                        "windows down: piece (dy, dx) starts at row dy, not "
                                        "f - 1 - dy.")],
    shape="output (K, h, w) of shift (dy, dx) fills rows dy, dy+f, ... and columns dx, dx+f, "
          "...: the dense map has every row and column of the input's grid.",
    hints=("print which rows and columns of your map piece (0, 0) fills, then piece (0, 1).",
           "piece (dy, dx) holds the windows starting at rows dy, dy + f, ... and columns dx, "
           "dx + f, ... of the dense map; together the f * f pieces fill every position once.",
           "dense[:, dy::f, dx::f] = pieces[dy, dx], in a map of the dense size."),
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
    _dilations,
    mistakes=[Mistake(lambda strides: _dilations(strides + [1])[1:],
                      "a layer is dilated by the strides removed *before* it, not by its own."),
              Mistake(lambda strides: [1 + sum(s - 1 for s in strides[:k])
                                       for k in range(len(strides))],
                      "strides compose by multiplication: two stride-2 layers give 4."),
              Mistake(lambda strides: [1] + list(strides[:-1]),
                      "every stride removed before a layer counts, not only the previous "
                      "layer's: they multiply.")],
    hints=("on paper, for the named strides: how far apart are a layer's input samples in the "
           "original network, in units of the full-resolution grid?",
           "with all strides 1 the grid stays dense; a layer must skip as many positions as "
           "its input's samples were apart before, the product of the strides removed before "
           "it.",
           "dilation of layer l = product of strides[0..l-1]; the first layer keeps 1."),
    passed="right for 5 stride patterns.")


def _centre_pixel(dy: int, dx: int, i: int, j: int) -> tuple[int, int]:
    half = LENET_WINDOW // 2
    return dy + LENET_STRIDE * i + half, dx + LENET_STRIDE * j + half


centre_pixel = Exercise(
    "centre_pixel",
    [Case((dy, dx, i, j), f"shift ({dy}, {dx}), unit ({i}, {j})")
     for dy, dx, i, j in [(0, 0, 0, 0), (1, 0, 0, 0), (0, 3, 2, 1), (3, 2, 5, 7), (2, 2, 0, 9)]],
    _centre_pixel,
    mistakes=[Mistake(lambda dy, dx, i, j: (4 * i + 16, 4 * j + 16),
                      "the pass ran on image[:, dy:, dx:]: its pixel (0, 0) is the canvas's "
                      "(dy, dx), so add the shift."),
              Mistake(lambda dy, dx, i, j: (4 * i + 16 - dy, 4 * j + 16 - dx),
                      "cropping dy rows off the top moves every window dy pixels *down* the "
                      "canvas: add the shift, don't subtract it."),
              Mistake(lambda dy, dx, i, j: (dy + 4 * i, dx + 4 * j),
                      "that is the window's top-left pixel; its centre is 16 pixels further."),
              Mistake(lambda dy, dx, i, j: (dy + 4 * i + 15.5, dx + 4 * j + 15.5),
                      "the middle of 32 pixels falls between pixels 15 and 16: like notebook "
                      "03, name the pixel top-left + 16, a whole pixel index.")],
    hints=("start with shift (0, 0): where is unit (0, 0)'s window? Then what does cropping dy "
           "rows change?",
           "in the cropped image unit (i, j) sees the window at (4 i, 4 j); the crop's pixel "
           "(0, 0) is the canvas's (dy, dx); the centre is 16 pixels right and down of the "
           "top-left.",
           "(dy + 4 i + 16, dx + 4 j + 16)."),
    passed="every shifted unit lands on its window's centre pixel: the dense map is in register.")
