"""What every explorer shares: PNG encoding, uint8 frames, outlines, colour bars, and the
widget wiring (core ipywidgets only, so 7.7 on Colab and 8.x in JupyterLab both work).

An explorer is three pieces: a pure `*_view` function (what is shown: numbers, boxes, captions;
no pixels), a pure `render_*` function (the frame: an (H, W, 3) uint8 array) and an `Explorer`
subclass that only connects controls to them, keeping the last `.view` and `.frame` for tests.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import numpy as np

from .._raster import colormap

# Stops of matplotlib's viridis, for an HTML colour bar.
VIRIDIS_STOPS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def png_bytes(frame: np.ndarray) -> bytes:
    """PNG encoding of an (H, W, 3) uint8 frame (fast settings, for widgets.Image)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) floats in [0, 1] (clipped) -> uint8 frame."""
    return (np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


def upscale(frame: np.ndarray, scale: int) -> np.ndarray:
    """Every pixel of `frame` as a `scale` x `scale` block."""
    return np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)


def coloured(values: np.ndarray, cmap: str) -> np.ndarray:
    """(H, W, 3) uint8: `values` in [0, 1] through matplotlib's colour map `cmap`."""
    return to_uint8(colormap(values, cmap))


def outline(canvas: np.ndarray, box: tuple[int, int, int, int], color, width: int = 2) -> None:
    """Draw the inclusive box (top, left, bottom, right) on `canvas` in place, clipped to it."""
    top, left, bottom, right = box
    top, left = max(top, 0), max(left, 0)
    bottom, right = min(bottom, canvas.shape[0] - 1), min(right, canvas.shape[1] - 1)
    if top > bottom or left > right:
        return
    canvas[top:min(top + width, bottom + 1), left:right + 1] = color
    canvas[max(bottom - width + 1, top):bottom + 1, left:right + 1] = color
    canvas[top:bottom + 1, left:min(left + width, right + 1)] = color
    canvas[top:bottom + 1, max(right - width + 1, left):right + 1] = color


def side_by_side(left: np.ndarray, right: np.ndarray, gap: int, fill: int = 255) -> np.ndarray:
    """Two uint8 frames next to each other, top-aligned, `gap` columns of `fill` between."""
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + gap + right.shape[1], 3), fill, np.uint8)
    canvas[:left.shape[0], :left.shape[1]] = left
    canvas[:right.shape[0], left.shape[1] + gap:] = right
    return canvas


def colour_bar(lo: float, hi: float, stops: Iterable[str] = VIRIDIS_STOPS) -> str:
    """HTML: "lo [gradient] hi", the colour scale of a panel."""
    bar = ("<span style='display:inline-block;width:120px;height:10px;vertical-align:middle;"
           f"background:linear-gradient(to right,{','.join(stops)})'></span>")
    return f"{lo:.3g} {bar} {hi:.3g}"


class Explorer:
    """Base of the explorers: a picture, a legend and a caption under rows of controls.

    Subclasses build their controls, call `_layout(rows, controls)` once and implement
    `redraw()`, which computes the view and frame and hands them to `_show`.
    """

    view = None
    frame: np.ndarray | None = None

    def _layout(self, rows: list, controls: Iterable, picture_width: str | None = None,
                legend: str = "") -> None:
        import ipywidgets as widgets

        layout = widgets.Layout(width=picture_width) if picture_width else widgets.Layout()
        self.picture = widgets.Image(format="png", layout=layout)
        self.legend = widgets.HTML(legend)
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([*rows, self.picture, self.legend, self.caption])
        for control in controls:
            control.observe(lambda change: self.redraw(), names="value")

    def _show(self, view, frame: np.ndarray, caption: str, legend: str | None = None) -> None:
        self.view, self.frame = view, frame
        self.picture.value = png_bytes(frame)
        self.caption.value = caption
        if legend is not None:
            self.legend.value = legend

    def redraw(self) -> None:  # pragma: no cover - every explorer overrides it
        raise NotImplementedError
