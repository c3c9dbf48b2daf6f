"""Checkers for upsampling and transposed convolutions (notebook 05)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .. import upsampling
from .exercise import Case, Exercise, Mistake


def _zero_insert_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [Case((torch.rand(shape, generator=gen) + 0.5, stride), f"{shape} with stride {stride}")
            for shape, stride in [((2, 2), 2), ((3, 4), 3), ((1, 5), 2), ((3, 3), 1)]]


def _zeros_everywhere_after(x: torch.Tensor, stride: int) -> torch.Tensor:
    out = torch.zeros(x.shape[0] * stride, x.shape[1] * stride)
    out[::stride, ::stride] = x
    return out


def _stride_zeros_between(x: torch.Tensor, stride: int) -> torch.Tensor:
    return upsampling.zero_insert(x, stride + 1)


zero_insert = Exercise(
    "zero_insert", _zero_insert_cases, upsampling.zero_insert,
    mistakes=[Mistake(_zeros_everywhere_after,
                      "no zeros after the last sample: (H - 1) * stride + 1 rows."),
              Mistake(lambda x, stride: upsampling.nearest(x, stride)[
                          :(x.shape[0] - 1) * stride + 1, :(x.shape[1] - 1) * stride + 1],
                      "that repeats the values (nearest neighbour); insert zeros instead."),
              Mistake(_stride_zeros_between,
                      "stride - 1 zeros between neighbours, not stride: the samples end up "
                      "stride pixels apart.")],
    shape="H samples with stride - 1 zeros between neighbours: (H - 1) * stride + 1.",
    hints=("draw a 1 x 3 input with stride 2 on paper: how many zeros, where, and how long is "
           "the result?",
           "the input values stay in order, stride pixels apart; only zeros lie between them, "
           "none after the last one.",
           "out = zeros((H - 1) * stride + 1, (W - 1) * stride + 1); out[::stride, ::stride] = x."),
    passed="right for strides 1-3, square and non-square inputs.")


transposed_output_size = Exercise(
    "transposed_output_size",
    [Case((i, k, s, p, a), f"i={i}, k={k}, s={s}, p={p}, output_padding={a}")
     for i, k, s, p, a in [(3, 3, 2, 0, 0), (4, 4, 2, 1, 0), (5, 3, 2, 1, 1), (7, 2, 3, 0, 2),
                           (2, 5, 1, 2, 0)]],
    lambda i, k, s, p, a: upsampling.transposed_output_size(i, k, stride=s, padding=p,
                                                            output_padding=a),
    mistakes=[Mistake(lambda i, k, s, p, a: (i - 1) * s - 2 * p + k,
                      "output_padding is added too."),
              Mistake(lambda i, k, s, p, a: (i - 1) * s + k + a,
                      "padding removes 2p (it is the padding of the convolution being undone)."),
              Mistake(lambda i, k, s, p, a: (i + 2 * p - k) // s + 1,
                      "that is a convolution's output size; the transposed one inverts it."),
              Mistake(lambda i, k, s, p, a: i * s - 2 * p + k + a,
                      "i inputs are i - 1 steps of s apart: (i - 1) * s, then the kernel's k.")],
    hints=("on paper for the named layer: where does the first input's stamp start, where does "
           "the last one end?",
           "input j stamps a k-wide kernel starting at j * s; the padding p of the convolution "
           "being undone is cut from both ends, the output padding added at the end.",
           "o = (i - 1) * s - 2p + k + output_padding."),
    passed="matches nn.ConvTranspose2d on 5 layers.")


def _bilinear(factor: int) -> torch.Tensor:
    return upsampling.bilinear_kernel(factor)[0, 0]


def _bilinear_centre_at(factor: int, size: int, centre: float) -> torch.Tensor:
    taps = torch.arange(size, dtype=torch.float64)
    profile = 1 - (taps - centre).abs() / factor
    return (profile[:, None] * profile[None, :]).float()


bilinear_kernel = Exercise(
    "bilinear_kernel", [Case((f,), f"factor {f}") for f in (2, 3, 4, 5)], _bilinear,
    mistakes=[Mistake(lambda f: _bilinear_centre_at(f, 2 * f - f % 2, f - 1),
                      "for an even size the centre lies between two taps: m = f - 1/2."),
              Mistake(lambda f: _bilinear_centre_at(f, 2 * f, f - 0.5),
                      "k = 2f - f mod 2: an odd factor needs an odd kernel, 2f - 1 taps."),
              Mistake(lambda f: _bilinear(f) / _bilinear(f).sum(),
                      "the taps are interpolation weights 1 - distance / f, not divided by "
                      "their sum: the kernel's centre tap is 1 for an odd factor.")],
    shape="a 2-D (k, k) kernel with k = 2f - f mod 2.",
    hints=("print one row of your kernel for the named factor: is it symmetric, and does it "
           "peak in the middle?",
           "each tap weighs how close it is to the centre, falling linearly to 0 at distance f; "
           "the 2-D kernel is the outer product of the 1-D profile with itself.",
           "tap (r, q) gets (1 - |r - m| / f)(1 - |q - m| / f), m the kernel's centre."),
    passed="the bilinear kernel for factors 2-5: odd and even sizes.")


def _stamp_counts(kernel: int, stride: int) -> list[int]:
    counts = F.conv_transpose1d(torch.ones(1, 1, 4 * kernel), torch.ones(1, 1, kernel),
                                stride=stride)[0, 0]
    start = 2 * kernel * stride  # deep in the interior, at a multiple of the stride
    return [int(v) for v in counts[start:start + stride]]


stamp_counts = Exercise(
    "stamp_counts",
    [Case((k, s), f"kernel {k}, stride {s}") for k, s in [(3, 2), (4, 2), (3, 1), (5, 3), (2, 3),
                                                          (6, 4)]],
    _stamp_counts, kind="predict", reveal=False,
    mistakes=[Mistake(lambda k, s: [k // s] * s,
                      "not every output pixel gets the same: the phase r = o mod s gets "
                      "the stamps of the inputs i with o - k < i s <= o."),
              Mistake(lambda k, s: [-(-k // s)] * s,
                      "only when s divides k do all phases get k / s stamps; otherwise "
                      "some get one more than others."),
              Mistake(lambda k, s: [(k - 1 - r) // s for r in range(s)],
                      "every phase is covered by its nearest stamp too: count the inputs i with "
                      "i s <= o < i s + k, the first of them included (+ 1).")],
    hints=("draw it on paper for the named layer: mark each input's stamp, k pixels wide, s "
           "pixels apart, and count per output pixel.",
           "output pixel o is covered by the stamps of the inputs i with i s <= o < i s + k; how "
           "many there are depends only on o mod s.",
           "phase r = o mod s is covered by floor((k - 1 - r) / s) + 1 stamps."),
    passed="the stamp pattern predicted: uneven (a checkerboard) exactly when s does not "
           "divide k.")
