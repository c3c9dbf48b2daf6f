"""Shift-and-stitch explorer (notebook 04): sliders for the shift (dy, dx) of one FCN pass.

For an FCN with total stride f (`stride`) and receptive field `window`, the pass on the input
shifted by (dy, dx) — `image[:, dy:, dx:]` — reads a block of pixels, its units see windows
whose centres are f pixels apart, and its outputs land on rows dy, dy + f, ... and columns dx,
dx + f, ... of the dense map. `shift_and_stitch_view` computes all of that,
`render_shift_and_stitch` draws it with NumPy, `ShiftAndStitchExplorer` wires two sliders to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._core import check_int, to_numpy
from .._raster import colormap, normalised
from ._base import Explorer, colour_bar, to_uint8, upscale

READ_RGB = np.array([66, 133, 244]) / 255  # pixels this pass reads
CENTRE_RGB = np.array([230, 57, 70]) / 255  # its window centres
NEW_RGB = np.array([230, 57, 70]) / 255  # the dense positions it fills


@dataclass
class ShiftAndStitchView:
    """What one frame shows, for the pass with shift (dy, dx)."""

    dy: int
    dx: int
    stride: int  # the FCN's total stride f: f * f passes
    window: int
    image_size: tuple[int, int]  # (H, W) of the input
    units: tuple[int, int]  # (rows, cols) of this pass's output
    read: tuple[int, int, int, int]  # inclusive (top, left, bottom, right) of the pixels it reads
    centres: list[tuple[int, int]]  # input pixels at its windows' centres (top-left + window // 2)
    landed: np.ndarray  # (H - window + 1, W - window + 1) bool: dense positions this pass fills
    filled: np.ndarray  # same shape: positions filled by the passes up to this one, in order
    source: np.ndarray  # (2, H - window + 1, W - window + 1) int: the filled position whose
    # value each dense position shows so far (itself once filled, else the nearest filled one
    # of its f x f block)

    @property
    def order(self) -> int:
        """Index of this pass among the f * f passes (row by row: (0, 0), (0, 1), ...)."""
        return self.dy * self.stride + self.dx

    def caption(self) -> str:
        top, left, bottom, right = self.read
        rows, cols = self.units
        f = self.stride
        return (f"pass {self.order + 1} of {f ** 2}: shift (dy, dx) = ({self.dy}, {self.dx}) "
                f"reads rows {top}..{bottom}, cols {left}..{right}; its {rows}×{cols} outputs land "
                f"on dense rows {self.dy}, {self.dy + f}, … and cols {self.dx}, "
                f"{self.dx + f}, …; {int(self.filled.sum())} of {self.filled.size} dense "
                f"positions filled so far")


def shift_and_stitch_view(image_size: tuple[int, int], *, stride: int, window: int, dy: int = 0,
                          dx: int = 0) -> ShiftAndStitchView:
    """The pass with shift (dy, dx) of an FCN with total stride f = `stride` and receptive field
    `window` on an image of (H, W) = `image_size`."""
    height, width = image_size
    f = check_int(stride, "stride", 1)
    window = check_int(window, "window", 1)
    if not (0 <= dy < f and 0 <= dx < f):
        raise ValueError(f"dy and dx must lie in 0..{f - 1}; got dy={dy}, dx={dx}")
    if height - (f - 1) < window or width - (f - 1) < window:
        raise ValueError(f"image_size must leave room for a {window}-pixel window after a shift "
                         f"of {f - 1}; got {image_size}")
    rows, cols = (height - dy - window) // f + 1, (width - dx - window) // f + 1
    read = (dy, dx, dy + f * (rows - 1) + window - 1, dx + f * (cols - 1) + window - 1)
    half = window // 2
    centres = [(dy + f * i + half, dx + f * j + half) for i in range(rows) for j in range(cols)]
    dense = (height - window + 1, width - window + 1)

    def mask(upto_dy: int, upto_dx: int, cumulative: bool) -> np.ndarray:
        out = np.zeros(dense, bool)
        for k in range(upto_dy * f + upto_dx + 1) if cumulative else [upto_dy * f + upto_dx]:
            out[k // f::f, k % f::f] = True
        return out

    return ShiftAndStitchView(dy, dx, f, window, (height, width), (rows, cols), read, centres,
                              mask(dy, dx, False), mask(dy, dx, True),
                              _held_source(dense, f, dy * f + dx))


def _held_source(dense: tuple[int, int], f: int, last_pass: int) -> np.ndarray:
    """(2, h, w): for every dense position, the position filled by passes 0..last_pass (row
    by row) nearest to it within its f x f block (rows dy, columns dx of the block)."""
    done = np.array([(k // f, k % f) for k in range(last_pass + 1)])  # filled (dy, dx) offsets
    a, b = np.meshgrid(np.arange(f), np.arange(f), indexing="ij")
    distance = (done[:, 0, None, None] - a) ** 2 + (done[:, 1, None, None] - b) ** 2
    nearest = done[distance.argmin(0)]  # (f, f, 2): the filled offset nearest each offset
    rows, cols = np.meshgrid(np.arange(dense[0]), np.arange(dense[1]), indexing="ij")
    pick = nearest[rows % f, cols % f]
    src_rows, src_cols = rows - rows % f + pick[..., 0], cols - cols % f + pick[..., 1]
    src_rows = np.where(src_rows >= dense[0], src_rows - f, src_rows)  # a cut-off last block
    src_cols = np.where(src_cols >= dense[1], src_cols - f, src_cols)
    return np.stack([src_rows, src_cols])


HELD_BRIGHTNESS = 0.45  # positions not filled yet show their nearest filled value, dimmed


def render_shift_and_stitch(image: np.ndarray, dense: np.ndarray, view: ShiftAndStitchView,
                            scale: int = 3, gap: int = 12) -> np.ndarray:
    """(rows, cols, 3) uint8: left the input with the pixels this pass reads tinted and its window
    centres marked; right the dense map (e.g. a class probability) as far as the passes so far
    have filled it: filled positions in full colour, the others showing the nearest filled value
    of their f x f block dimmed (so the first pass shows the coarse map in blocks, and every pass
    sharpens it), this pass's positions tinted red."""
    img = to_numpy(image, "image").astype(np.float64)
    if img.shape != view.image_size:
        raise ValueError(f"image must have shape {view.image_size}; got {img.shape}")
    dense = to_numpy(dense, "dense").astype(np.float64)
    if dense.shape != view.filled.shape:
        raise ValueError(f"dense must have shape {view.filled.shape}; got {dense.shape}")
    grey = normalised(img)
    left = np.repeat(grey[..., None], 3, axis=2) * 0.8
    top, lft, bottom, right = view.read
    block = (slice(top, bottom + 1), slice(lft, right + 1))
    left[block] = 0.55 * left[block] + 0.45 * READ_RGB
    for r, c in view.centres:
        left[r, c] = CENTRE_RGB
    shown = colormap(dense[view.source[0], view.source[1]], "viridis")
    shown = np.where(view.filled[..., None], shown, HELD_BRIGHTNESS * shown)
    shown[view.landed] = 0.7 * shown[view.landed] + 0.3 * NEW_RGB
    offset = view.window // 2  # dense position (r, c) is the window centred on (r, c) + offset
    right_panel = np.full((*view.image_size, 3), 1.0)
    right_panel[offset:offset + dense.shape[0], offset:offset + dense.shape[1]] = shown
    spacer = np.ones((view.image_size[0], gap // scale + 1, 3))
    frame = np.concatenate([left, spacer, right_panel], axis=1)
    return upscale(to_uint8(frame), scale)


def legend(label: str) -> str:
    """The explorer's legend for a dense map of `label` (e.g. "P(digit 3)")."""
    return ("<b>left</b>: the input; blue: the pixels this pass reads, red dots: its windows' "
            f"centres · <b>right</b>: {label}, stitched from the passes so far "
            f"({colour_bar(0, 1)}); bright: filled, dim: not yet filled (it shows the nearest "
            "filled value of its f×f block); red tint: the positions this pass fills")


class ShiftAndStitchExplorer(Explorer):
    """Sliders for the shift (dy, dx); the picture shows what that pass reads and where its
    outputs land, and the dense map filling up pass after pass.

    image: (H, W) input; dense: (H - window + 1, W - window + 1) values in [0, 1] (e.g. the
    stitched probability of one class); stride: the FCN's total stride f; window: its receptive
    field; label: what `dense` is, named in the legend (e.g. "P(digit 3)").
    """

    def __init__(self, image, dense, *, stride: int, window: int, label: str, scale: int = 3):
        import ipywidgets as widgets

        self.image, self.dense = to_numpy(image, "image"), to_numpy(dense, "dense")
        self.stride, self.window, self.scale = stride, window, scale
        shift_and_stitch_view(self.image.shape, stride=stride, window=window)  # checks the sizes
        self.dy = widgets.IntSlider(0, 0, stride - 1, description="shift dy")
        self.dx = widgets.IntSlider(0, 0, stride - 1, description="shift dx")
        self._layout([widgets.HBox([self.dy, self.dx])], (self.dy, self.dx), legend=legend(label))
        self.redraw()

    def redraw(self) -> None:
        view = shift_and_stitch_view(self.image.shape, stride=self.stride, window=self.window,
                                     dy=self.dy.value, dx=self.dx.value)
        self._show(view, render_shift_and_stitch(self.image, self.dense, view, self.scale),
                   view.caption())
