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


class WeightMapExplorer:
    """U-Net's border weight map of one instance map: sliders for w0 and sigma, a toggle for
    the class-balancing term w_c."""

    def __init__(self, instances, w0: float = 10.0, sigma: float = 5.0):
        import ipywidgets as widgets

        from .unet import unet_weight_map

        self._weight_map = unet_weight_map
        self.instances = instances
        self.w0 = widgets.FloatSlider(value=w0, min=0.0, max=20.0, step=1.0, description="w0")
        self.sigma = widgets.FloatSlider(value=sigma, min=1.0, max=10.0, step=0.5,
                                         description="σ (px)")
        self.balance = widgets.Checkbox(value=True, description="class balance w_c")
        self.picture = widgets.Image(format="png", layout=widgets.Layout(width="320px"))
        self.caption = widgets.HTML()
        self.widget = widgets.VBox([widgets.HBox([self.w0, self.sigma, self.balance]),
                                    self.picture, self.caption])
        for control in (self.w0, self.sigma, self.balance):
            control.observe(lambda change: self.redraw(), names="value")
        self.weights: np.ndarray | None = None
        self.redraw()

    def redraw(self) -> None:
        import matplotlib

        self.weights = self._weight_map(self.instances, self.w0.value, self.sigma.value,
                                        None if self.balance.value else (1.0, 1.0))
        scaled = self.weights / max(self.weights.max(), 1e-9)
        frame = (matplotlib.colormaps["magma"](scaled)[..., :3] * 255).astype(np.uint8)
        self.picture.value = png_bytes(np.repeat(np.repeat(frame, 3, 0), 3, 1))
        self.caption.value = (f"w(x) from {self.weights.min():.2f} to {self.weights.max():.2f} "
                              f"(w0 = {self.w0.value:g}, σ = {self.sigma.value:g} px, "
                              f"w_c {'on' if self.balance.value else 'off'})")
