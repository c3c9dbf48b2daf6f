"""Class-heatmap explorer (notebook 03): an FCN's per-class probabilities over an image, each
cell drawn where its unit looks, with a class dropdown, a threshold slider and a cell picker
that outlines the picked cell's receptive field.

`heatmap_view` picks what is shown (one class's map, the cells at or above the threshold, the
picked cell's receptive field), `render_heatmap` draws it over the image
(`viz.heatmap_overlay`), `HeatmapExplorer` wires the controls to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._core import int_pair, to_numpy
from ..viz import heatmap_overlay
from ._base import Explorer, outline, to_uint8

RF_COLOR = (0, 255, 0)


@dataclass(frozen=True)
class GridGeometry:
    """Where an FCN's units look: unit (i, j) sees the rf x rf input square whose top-left
    corner is offset + (i, j) * stride (per axis: (rows, cols) pairs)."""

    stride: tuple[int, int]
    rf: tuple[int, int]
    offset: tuple[int, int]

    @classmethod
    def of(cls, stride, rf, offset=0) -> GridGeometry:
        return cls(int_pair(stride, "stride"), int_pair(rf, "rf"), int_pair(offset, "offset"))

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of unit (row, col)'s receptive field."""
        top = self.offset[0] + row * self.stride[0]
        left = self.offset[1] + col * self.stride[1]
        return top, left, top + self.rf[0] - 1, left + self.rf[1] - 1


@dataclass
class HeatmapView:
    """What one frame shows: class `class_index`'s (h, w) probabilities, the threshold and the
    picked cell with its receptive field."""

    class_index: int
    class_name: str
    heat: np.ndarray  # (h, w) probabilities on the FCN's coarse grid
    threshold: float
    geometry: GridGeometry
    cell: tuple[int, int]

    @property
    def cells_above(self) -> int:
        """How many grid cells reach the threshold."""
        return int((self.heat >= self.threshold).sum())

    @property
    def cell_box(self) -> tuple[int, int, int, int]:
        """The picked cell's receptive field (top, left, bottom, right), unclipped."""
        return self.geometry.box(*self.cell)

    def caption(self) -> str:
        h, w = self.heat.shape
        g, (i, j) = self.geometry, self.cell
        top, left, bottom, right = self.cell_box
        return (f"P({self.class_name}) on a {h}×{w} grid, colour 0 (black) to 1 (yellow) · "
                f"max {self.heat.max():.2f} · {self.cells_above} cells ≥ {self.threshold:.2f} "
                f"(cyan) · cell ({i}, {j}): P = {self.heat[i, j]:.2f}, its unit sees rows "
                f"{top}–{bottom} and columns {left}–{right} (green), cells {g.stride[0]} px apart")


def check_probabilities(probabilities, class_names: Sequence[str]) -> np.ndarray:
    """(K, h, w) probabilities as an array; raises ValueError naming the argument otherwise."""
    probs = to_numpy(probabilities, "probabilities")
    if probs.ndim != 3:
        raise ValueError(f"probabilities must have shape (K, h, w); got {probs.shape}")
    if len(class_names) != len(probs):
        raise ValueError(f"class_names must name the {len(probs)} classes; "
                         f"got {len(class_names)}")
    return probs


def heatmap_view(probabilities, class_names: Sequence[str], class_index: int = 0,
                 threshold: float = 0.5, *, stride=1, rf=1, offset=0,
                 cell: tuple[int, int] | None = None) -> HeatmapView:
    """probabilities: (K, h, w) per-class probabilities; class_names: K names; stride, rf,
    offset: the units' receptive-field geometry (see `viz.heatmap_cells`); cell: the picked
    (row, col), by default the class's most probable cell."""
    probs = check_probabilities(probabilities, class_names)
    if not 0 <= class_index < len(probs):
        raise ValueError(f"class_index must lie in 0..{len(probs) - 1}; got {class_index}")
    heat = probs[class_index]
    if cell is None:
        cell = np.unravel_index(int(np.argmax(heat)), heat.shape)
    cell = (int(cell[0]), int(cell[1]))
    if not (0 <= cell[0] < heat.shape[0] and 0 <= cell[1] < heat.shape[1]):
        raise ValueError(f"cell must lie in the {heat.shape[0]}×{heat.shape[1]} grid; got {cell}")
    return HeatmapView(class_index, str(class_names[class_index]), heat, float(threshold),
                       GridGeometry.of(stride, rf, offset), cell)


def render_heatmap(image, view: HeatmapView) -> np.ndarray:
    """(H, W, 3) uint8: the image with the view's heatmap over it (each cell at its receptive
    field's centre), cells at or above the threshold outlined, the picked cell's receptive
    field framed in green."""
    g = view.geometry
    frame = to_uint8(heatmap_overlay(image, view.heat, view.threshold, stride=g.stride,
                                     rf=g.rf, offset=g.offset))
    outline(frame, view.cell_box, RF_COLOR, width=1)
    return frame


class HeatmapExplorer(Explorer):
    """Class heatmaps of an FCN over an image: a class dropdown, a threshold slider and row /
    column sliders that pick a cell and frame its unit's receptive field.

    image: (H, W) in [0, 1]; probabilities: (K, h, w) per-class probabilities on the FCN's
    coarse grid; class_names: K names; stride, rf, offset: where the units look (ints or
    (rows, cols) pairs; from a receptive-field table `unit`: `unit.stride`, `unit.size`,
    `unit.box(0, 0)[:2]`). Picking a class moves the cell to that class's peak.
    """

    def __init__(self, image, probabilities, class_names: Sequence[str],
                 threshold: float = 0.5, *, stride, rf, offset=0):
        import ipywidgets as widgets

        self.probs = check_probabilities(probabilities, class_names)
        self.image, self.names = to_numpy(image, "image"), list(class_names)
        self.geometry = GridGeometry.of(stride, rf, offset)
        h, w = self.probs.shape[1:]
        self.klass = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)],
                                      value=0, description="class")
        self.threshold = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.05,
                                             description="threshold")
        self.row = widgets.IntSlider(value=0, min=0, max=h - 1, description="cell row")
        self.col = widgets.IntSlider(value=0, min=0, max=w - 1, description="cell col")
        self._layout([widgets.HBox([self.klass, self.threshold]),
                      widgets.HBox([self.row, self.col])],
                     (self.threshold, self.row, self.col), picture_width="480px")
        self.klass.observe(lambda change: self._to_peak(), names="value")
        self._to_peak()

    def _to_peak(self) -> None:
        heat = self.probs[self.klass.value]
        row, col = np.unravel_index(int(np.argmax(heat)), heat.shape)
        self._moving = True
        self.row.value, self.col.value = int(row), int(col)
        self._moving = False
        self.redraw()

    def redraw(self) -> None:
        if getattr(self, "_moving", False):
            return
        g = self.geometry
        view = heatmap_view(self.probs, self.names, self.klass.value, self.threshold.value,
                            stride=g.stride, rf=g.rf, offset=g.offset,
                            cell=(self.row.value, self.col.value))
        self._show(view, render_heatmap(self.image, view), view.caption())
