"""Shift-and-stitch explorer: sliders for the shift (dy, dx) of one FCN pass.

For an FCN with total stride f and receptive field `window`, the pass on the input shifted by
(dy, dx) — `image[:, dy:, dx:]` — reads a block of pixels, its units see windows whose centres
are f pixels apart, and its outputs land on rows dy, dy + f, ... and columns dx, dx + f, ... of
the dense map. `stitch_view` computes all of that, `render_stitch` draws it with numpy; the
widget class only wires core ipywidgets to them (ipywidgets 7.7 and 8.x).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
import torch

from .viz import png_bytes

READ_RGB = np.array([66, 133, 244]) / 255  # pixels this pass reads
CENTRE_RGB = np.array([230, 57, 70]) / 255  # its window centres
NEW_RGB = np.array([230, 57, 70]) / 255  # the dense positions it fills


@dataclass
class StitchView:
    """What one frame shows, for the pass with shift (dy, dx)."""

    dy: int
    dx: int
    f: int
    window: int
    image_size: tuple[int, int]  # (H, W) of the input
    units: tuple[int, int]  # (rows, cols) of this pass's output
    read: tuple[int, int, int, int]  # inclusive (top, left, bottom, right) of the pixels it reads
    centres: list[tuple[int, int]]  # input pixels at its windows' centres (top-left + window // 2)
    landed: np.ndarray  # (H - window + 1, W - window + 1) bool: dense positions this pass fills
    filled: np.ndarray  # same shape: positions filled by the passes up to this one, in order

    @property
    def order(self) -> int:
        """Index of this pass among the f * f passes (row by row: (0, 0), (0, 1), ...)."""
        return self.dy * self.f + self.dx

    def caption(self) -> str:
        top, left, bottom, right = self.read
        rows, cols = self.units
        return (f"pass {self.order + 1} of {self.f ** 2}: shift (dy, dx) = ({self.dy}, {self.dx}) "
                f"reads rows {top}..{bottom}, cols {left}..{right}; its {rows}×{cols} outputs land "
                f"on dense rows {self.dy}, {self.dy + self.f}, … and cols {self.dx}, "
                f"{self.dx + self.f}, …; {int(self.filled.sum())} of {self.filled.size} dense "
                f"positions filled so far")


def stitch_view(image_size: tuple[int, int], f: int, window: int, dy: int, dx: int) -> StitchView:
    """The pass with shift (dy, dx) of an FCN with stride f and receptive field `window`."""
    height, width = image_size
    if not (isinstance(f, int) and f >= 1 and isinstance(window, int) and window >= 1):
        raise ValueError(f"f and window must be ints >= 1; got f={f!r}, window={window!r}")
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

    return StitchView(dy, dx, f, window, (height, width), (rows, cols), read, centres,
                      mask(dy, dx, False), mask(dy, dx, True))


def render_stitch(image: np.ndarray, dense: np.ndarray, view: StitchView, scale: int = 3,
                  gap: int = 12) -> np.ndarray:
    """(rows, cols, 3) uint8: left the input with the pixels this pass reads tinted and its window
    centres marked; right the dense map (e.g. a class probability), dark where no pass has filled
    it yet, this pass's positions marked."""
    img = np.asarray(image, dtype=np.float64)
    if img.shape != view.image_size:
        raise ValueError(f"image must have shape {view.image_size}; got {img.shape}")
    dense = np.asarray(dense, dtype=np.float64)
    if dense.shape != view.filled.shape:
        raise ValueError(f"dense must have shape {view.filled.shape}; got {dense.shape}")
    lo, hi = float(img.min()), float(img.max())
    grey = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    left = np.repeat(grey[..., None], 3, axis=2) * 0.8
    top, lft, bottom, right = view.read
    block = (slice(top, bottom + 1), slice(lft, right + 1))
    left[block] = 0.55 * left[block] + 0.45 * READ_RGB
    for r, c in view.centres:
        left[r, c] = CENTRE_RGB
    shown = matplotlib.colormaps["viridis"](np.clip(dense, 0, 1))[..., :3]
    shown = np.where(view.filled[..., None], shown, 0.12)
    shown[view.landed] = 0.35 * shown[view.landed] + 0.65 * NEW_RGB
    offset = view.window // 2  # dense position (r, c) is the window centred on (r, c) + offset
    right_panel = np.full((*view.image_size, 3), 1.0)
    right_panel[offset:offset + dense.shape[0], offset:offset + dense.shape[1]] = shown
    spacer = np.ones((view.image_size[0], gap // scale + 1, 3))
    frame = np.concatenate([left, spacer, right_panel], axis=1)
    frame = np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)
    return (np.clip(frame, 0, 1) * 255).astype(np.uint8)


class ShiftAndStitchExplorer:
    """Sliders for the shift (dy, dx); the picture shows what that pass reads and where its
    outputs land, and the dense map filling up pass after pass.

    image: (H, W) input; dense: (H - window + 1, W - window + 1) values in [0, 1] (e.g. the
    stitched probability of one class); f: the FCN's total stride; window: its receptive field.
    """

    def __init__(self, image, dense, f: int, window: int, scale: int = 3):
        import ipywidgets as widgets

        self.image = np.asarray(image.cpu() if isinstance(image, torch.Tensor) else image)
        self.dense = np.asarray(dense.cpu() if isinstance(dense, torch.Tensor) else dense)
        self.f, self.window, self.scale = f, window, scale
        stitch_view(self.image.shape, f, window, 0, 0)  # validates the sizes once
        self.dy = widgets.IntSlider(0, 0, f - 1, description="shift dy")
        self.dx = widgets.IntSlider(0, 0, f - 1, description="shift dx")
        self.picture = widgets.Image(format="png")
        self.caption = widgets.HTML()
        self.legend = widgets.HTML(
            "<b>left</b>: the input; blue: the pixels this pass reads, red dots: its windows' "
            "centres · <b>right</b>: the dense map (viridis, 0 to 1), dark where no pass has "
            "filled it yet; red: the positions this pass fills")
        self.widget = widgets.VBox([widgets.HBox([self.dy, self.dx]), self.picture, self.legend,
                                    self.caption])
        for slider in (self.dy, self.dx):
            slider.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    def redraw(self) -> None:
        self.view = stitch_view(self.image.shape, self.f, self.window, self.dy.value,
                                self.dx.value)
        self.frame = render_stitch(self.image, self.dense, self.view, self.scale)
        self.picture.value = png_bytes(self.frame)
        self.caption.value = self.view.caption()
