"""U-Net weight-map explorer (notebook 07): the border weight map of one instance map, with
sliders for w0 and sigma and a toggle for the class-balancing term w_c.

`weight_map_view` computes the weights (`unet.unet_weight_map`), `render_weight_map` draws them
(magma, scaled to their maximum), `WeightMapExplorer` wires the controls to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._core import to_numpy
from ..unet import unet_weight_map
from ._base import Explorer, coloured, upscale

UNBALANCED = (1.0, 1.0)  # w_c switched off: every class weighs 1


@dataclass
class WeightMapView:
    """What one frame shows: the (H, W) weights for (w0, sigma), with or without w_c."""

    weights: np.ndarray
    w0: float
    sigma: float
    balance: bool

    def caption(self) -> str:
        return (f"w(x) from {self.weights.min():.2f} to {self.weights.max():.2f} "
                f"(w0 = {self.w0:g}, σ = {self.sigma:g} px, w_c {'on' if self.balance else 'off'})")


def weight_map_view(instances, w0: float = 10.0, sigma: float = 5.0,
                    balance: bool = True) -> WeightMapView:
    """instances: (H, W) ints, 0 = background, 1..K = objects (see `unet.unet_weight_map`)."""
    weights = unet_weight_map(instances, w0, sigma, None if balance else UNBALANCED)
    return WeightMapView(weights, float(w0), float(sigma), bool(balance))


def render_weight_map(view: WeightMapView, scale: int = 3) -> np.ndarray:
    """(scale*H, scale*W, 3) uint8: the weights in magma, 0 black, their maximum bright."""
    return upscale(coloured(view.weights / max(view.weights.max(), 1e-9), "magma"), scale)


class WeightMapExplorer(Explorer):
    """Sliders for w0 and sigma, a checkbox for w_c, over one (H, W) instance map."""

    def __init__(self, instances, w0: float = 10.0, sigma: float = 5.0):
        import ipywidgets as widgets

        self.instances = to_numpy(instances, "instances")
        self.w0 = widgets.FloatSlider(value=w0, min=0.0, max=20.0, step=1.0, description="w0")
        self.sigma = widgets.FloatSlider(value=sigma, min=1.0, max=10.0, step=0.5,
                                         description="σ (px)")
        self.balance = widgets.Checkbox(value=True, description="class balance w_c")
        self._layout([widgets.HBox([self.w0, self.sigma, self.balance])],
                     (self.w0, self.sigma, self.balance), picture_width="320px")
        self.redraw()

    @property
    def weights(self) -> np.ndarray:
        """The weights shown now, (H, W)."""
        return self.view.weights

    def redraw(self) -> None:
        view = weight_map_view(self.instances, self.w0.value, self.sigma.value,
                               self.balance.value)
        self._show(view, render_weight_map(view), view.caption())
