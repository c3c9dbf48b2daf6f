"""Convolution-arithmetic explorer (notebook 05): sliders for size, kernel, stride, padding,
dilation and output padding; convolution or transposed convolution (drawn as the equivalent
direct convolution of the zero-inserted, padded input).

`conv_arithmetic_view` computes what is drawn, `render_conv_arithmetic` draws it with NumPy,
`ConvArithmeticExplorer` wires the sliders to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conv import conv_output_size
from ..upsampling import transposed_output_size
from ._base import Explorer, side_by_side

PADDING_RGB = (225, 225, 225)
INPUT_RGB = (66, 133, 244)
ZERO_RGB = (255, 255, 255)
TAP_RGB = (230, 57, 70)
OUTPUT_RGB = (120, 190, 120)
GRID_RGB = (90, 90, 90)


@dataclass
class ConvArithmeticView:
    """What one frame shows. Coordinates are (row, col) cells of the drawn input grid."""

    transposed: bool
    side: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    output_padding: int
    grid_size: int  # side of the drawn grid: padded input (conv) or padded zero-inserted input
    input_cells: list[int]  # grid rows (= cols) that hold input values
    zero_cells: list[int]  # grid rows (= cols) of inserted zeros (transposed only)
    taps: list[tuple[int, int]]  # grid cells under the kernel for the selected output cell
    output_size: int
    out_cell: tuple[int, int]

    @property
    def formula(self) -> str:
        i, k, s, p, d, a = (self.side, self.kernel, self.stride, self.padding,
                            self.dilation, self.output_padding)
        if self.transposed:
            return (f"o = (i - 1)·s - 2p + d(k - 1) + output_padding + 1 = ({i} - 1)·{s} - 2·{p} "
                    f"+ {d}·({k} - 1) + {a} + 1 = {self.output_size}")
        return (f"o = ⌊(i + 2p - d(k - 1) - 1) / s⌋ + 1 = ⌊({i} + 2·{p} - {d}·({k} - 1) - 1) / "
                f"{s}⌋ + 1 = {self.output_size}")


def conv_arithmetic_view(side: int, kernel: int, *, stride: int = 1, padding: int = 0,
                         output_padding: int = 0, dilation: int = 1, transposed: bool = False,
                         out_cell: tuple[int, int] = (0, 0)) -> ConvArithmeticView:
    """Square input of side `side`; raises ValueError (naming the argument) when the
    combination is impossible or `out_cell` lies outside the output."""
    if transposed:
        out = transposed_output_size(side, kernel, stride=stride, padding=padding,
                                     output_padding=output_padding, dilation=dilation)
        edge = dilation * (kernel - 1) - padding  # negative: the padded grid is cropped
        inserted = (side - 1) * stride + 1
        grid = inserted + 2 * edge + output_padding
        cells = [edge + t for t in range(inserted)]
        inputs = [c for t, c in enumerate(cells) if t % stride == 0 and 0 <= c < grid]
        zeros = [c for t, c in enumerate(cells) if t % stride and 0 <= c < grid]
        step = 1
    else:
        if output_padding:
            raise ValueError("output_padding only applies to transposed convolutions; got "
                             f"output_padding={output_padding}")
        out = conv_output_size(side, kernel, stride=stride, padding=padding,
                               dilation=dilation)
        grid = side + 2 * padding
        inputs, zeros, step = [padding + t for t in range(side)], [], stride
    row, col = out_cell
    for name, value in (("out_cell row", row), ("out_cell col", col)):
        if not 0 <= value < out:
            raise ValueError(f"{name}={value} is outside the {out}x{out} output")
    taps = [(row * step + dilation * a, col * step + dilation * b)
            for a in range(kernel) for b in range(kernel)]
    return ConvArithmeticView(transposed, side, kernel, stride, padding, dilation,
                          output_padding, grid, inputs, zeros, taps, out, (row, col))


def _paint_grid(n: int, cell: int, fill) -> np.ndarray:
    img = np.full((n * cell + 1, n * cell + 1, 3), 255, np.uint8)
    for r in range(n):
        for c in range(n):
            img[r * cell + 1:(r + 1) * cell, c * cell + 1:(c + 1) * cell] = fill(r, c)
    img[::cell, :] = GRID_RGB
    img[:, ::cell] = GRID_RGB
    return img


def render_conv_arithmetic(view: ConvArithmeticView, max_side: int = 420,
                           gap: int = 24) -> np.ndarray:
    """(H, W, 3) uint8: the input grid with the kernel's taps in red, and the output grid with
    the selected cell; both at the same cell size."""
    cell = int(max(6, min(28, max_side // max(view.grid_size, view.output_size, 1))))
    inputs, zeros, taps = set(view.input_cells), set(view.zero_cells), set(view.taps)

    def input_fill(r, c):
        if r in inputs and c in inputs:
            base = INPUT_RGB
        elif (r in inputs or r in zeros) and (c in inputs or c in zeros):
            base = ZERO_RGB  # an inserted zero
        else:
            base = PADDING_RGB
        if (r, c) in taps:
            return tuple(int(0.35 * b + 0.65 * t) for b, t in zip(base, TAP_RGB))
        return base

    left = _paint_grid(view.grid_size, cell, input_fill)
    right = _paint_grid(view.output_size, cell,
                        lambda r, c: TAP_RGB if (r, c) == view.out_cell else OUTPUT_RGB)
    return side_by_side(left, right, gap)


LEGEND = ("blue: input · white: inserted zeros · grey: padding · red: kernel taps for the "
          "selected output cell")


class ConvArithmeticExplorer(Explorer):
    """Sliders for the arithmetic of (transposed) convolution on a square input."""

    def __init__(self, side: int = 5, kernel: int = 3, *, stride: int = 2, padding: int = 1,
                 output_padding: int = 0, dilation: int = 1, transposed: bool = False):
        import ipywidgets as widgets

        def slider(value, low, high, name):
            return widgets.IntSlider(value=value, min=low, max=high, description=name,
                                     continuous_update=True)

        self.mode = widgets.ToggleButtons(options=["convolution", "transposed convolution"],
                                          value="transposed convolution" if transposed
                                          else "convolution")
        self.side = slider(side, 1, 12, "input side i")
        self.kernel = slider(kernel, 1, 7, "kernel k")
        self.stride = slider(stride, 1, 4, "stride s")
        self.padding = slider(padding, 0, 6, "padding p")
        self.dilation = slider(dilation, 1, 3, "dilation d")
        self.output_padding = slider(output_padding, 0, 3, "output pad")
        self.row = slider(0, 0, 0, "output row")
        self.col = slider(0, 0, 0, "output col")
        self.error: str | None = None
        rows = [self.mode,
                widgets.HBox([widgets.VBox([self.side, self.kernel, self.stride]),
                              widgets.VBox([self.padding, self.dilation, self.output_padding]),
                              widgets.VBox([self.row, self.col])])]
        self._layout(rows, (self.mode, self.side, self.kernel, self.stride, self.padding,
                            self.dilation, self.output_padding, self.row, self.col),
                     legend=LEGEND)
        self.redraw()

    def _settings(self) -> dict:
        transposed = self.mode.value == "transposed convolution"
        return dict(side=self.side.value, kernel=self.kernel.value,
                    stride=self.stride.value, padding=self.padding.value,
                    dilation=self.dilation.value,
                    output_padding=self.output_padding.value if transposed else 0,
                    transposed=transposed)

    def redraw(self) -> None:
        settings = self._settings()
        try:
            view = conv_arithmetic_view(**settings, out_cell=(0, 0))
        except ValueError as err:
            self.error = str(err)
            self.caption.value = f"<span style='color:#c00'>Not a valid layer: {err}</span>"
            return
        self.error = None
        last = view.output_size - 1
        if self.row.max != last or self.col.max != last:
            self.row.max, self.col.max = last, last  # may clamp the values (and redraw)
        view = conv_arithmetic_view(**settings, out_cell=(min(self.row.value, last),
                                                          min(self.col.value, last)))
        kind = ("transposed convolution = convolution (stride 1) of the zero-inserted, padded "
                "input with the flipped kernel" if view.transposed else "convolution")
        self._show(view, render_conv_arithmetic(view),
                   f"{kind}: input {view.side}×{view.side} → output "
                   f"{view.output_size}×{view.output_size}<br><code>{view.formula}</code>")
