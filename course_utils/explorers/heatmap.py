"""Class-heatmap explorer (notebook 03): an FCN's per-class probabilities over an image, with a
class dropdown and a threshold slider.

`heatmap_view` picks what is shown (one class's map, the cells at or above the threshold),
`render_heatmap` draws it over the image (`viz.heatmap_overlay`), `HeatmapExplorer` wires the
controls to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._core import to_numpy
from ..viz import heatmap_overlay
from ._base import Explorer, to_uint8


@dataclass
class HeatmapView:
    """What one frame shows: class `class_index`'s (h, w) probabilities and the threshold."""

    class_index: int
    class_name: str
    heat: np.ndarray  # (h, w) probabilities on the FCN's coarse grid
    threshold: float

    @property
    def cells_above(self) -> int:
        """How many grid cells reach the threshold."""
        return int((self.heat >= self.threshold).sum())

    def caption(self) -> str:
        h, w = self.heat.shape
        return (f"P({self.class_name}) on a {h}×{w} grid · max {self.heat.max():.2f} · "
                f"{self.cells_above} cells ≥ {self.threshold:.2f}")


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
                 threshold: float = 0.5) -> HeatmapView:
    """probabilities: (K, h, w) per-class probabilities; class_names: K names."""
    probs = check_probabilities(probabilities, class_names)
    if not 0 <= class_index < len(probs):
        raise ValueError(f"class_index must lie in 0..{len(probs) - 1}; got {class_index}")
    return HeatmapView(class_index, str(class_names[class_index]), probs[class_index],
                       float(threshold))


def render_heatmap(image, view: HeatmapView) -> np.ndarray:
    """(H, W, 3) uint8: the image with the view's heatmap over it, cells at or above the
    threshold outlined."""
    return to_uint8(heatmap_overlay(image, view.heat, view.threshold))


class HeatmapExplorer(Explorer):
    """Class heatmaps of an FCN over an image: a class dropdown and a threshold slider.

    image: (H, W) in [0, 1]; probabilities: (K, h, w) per-class probabilities on the FCN's
    coarse grid; class_names: K names.
    """

    def __init__(self, image, probabilities, class_names: Sequence[str],
                 threshold: float = 0.5):
        import ipywidgets as widgets

        self.probs = check_probabilities(probabilities, class_names)
        self.image, self.names = to_numpy(image, "image"), list(class_names)
        self.klass = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)],
                                      value=0, description="class")
        self.threshold = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.05,
                                             description="threshold")
        self._layout([widgets.HBox([self.klass, self.threshold])], (self.klass, self.threshold),
                     picture_width="480px")
        self.redraw()

    def redraw(self) -> None:
        view = heatmap_view(self.probs, self.names, self.klass.value, self.threshold.value)
        self._show(view, render_heatmap(self.image, view), view.caption())
