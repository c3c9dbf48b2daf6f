"""Small interactive views built from core ipywidgets (works on ipywidgets 7.7 and 8.x).

Each view keeps its drawing in a pure function (in `viz`), so tests drive it by setting
`.value` on the controls and reading `.frame`.
"""

from __future__ import annotations

import numpy as np
import torch

from .viz import heatmap_overlay, png_bytes


class HeatmapExplorer:
    """Class heatmaps of an FCN over an image: a class slider and a threshold slider.

    image: (H, W) in [0, 1]; probabilities: (K, h, w) per-class probabilities on the FCN's
    coarse grid; class_names: K names.
    """

    def __init__(self, image, probabilities, class_names, threshold: float = 0.5):
        import ipywidgets as widgets

        probs = probabilities.detach().cpu().numpy() if isinstance(
            probabilities, torch.Tensor) else np.asarray(probabilities)
        if probs.ndim != 3:
            raise ValueError(f"probabilities must have shape (K, h, w); got {probs.shape}")
        if len(class_names) != len(probs):
            raise ValueError(f"class_names must name the {len(probs)} classes; "
                             f"got {len(class_names)}")
        self.image = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else image
        self.probs, self.names = probs, list(class_names)
        self.klass = widgets.Dropdown(options=[(n, i) for i, n in enumerate(self.names)],
                                      value=0, description="class")
        self.threshold = widgets.FloatSlider(value=threshold, min=0.0, max=1.0, step=0.05,
                                             description="threshold")
        self.picture = widgets.Image(format="png", layout=widgets.Layout(width="480px"))
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([widgets.HBox([self.klass, self.threshold]), self.picture,
                                    self.caption])
        for control in (self.klass, self.threshold):
            control.observe(lambda change: self.redraw(), names="value")
        self.frame: np.ndarray | None = None
        self.redraw()

    def redraw(self) -> None:
        heat = self.probs[self.klass.value]
        self.frame = (heatmap_overlay(self.image, heat, self.threshold.value) * 255).astype(
            np.uint8)
        self.picture.value = png_bytes(self.frame)
        cells = int((heat >= self.threshold.value).sum())
        self.caption.value = (f"P({self.names[self.klass.value]}) on a {heat.shape[0]}×"
                              f"{heat.shape[1]} grid · max {heat.max():.2f} · {cells} cells ≥ "
                              f"{self.threshold.value:.2f}")
