"""Receptive-field explorer (notebook 02): pick a network, a layer and a unit; see what input
it sees.

`receptive_field_view` computes what one frame shows (the unit's box, the layer's feature map),
`render_receptive_field` draws it with NumPy, `ReceptiveFieldExplorer` wires dropdowns, sliders
and a checkbox to them. The caller's networks keep their train/eval mode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._raster import colormap, normalised, stretch
from ..receptive_field import engine as rf
from ..receptive_field import gradient as rg
from ..summary import layer_outputs
from ._base import Explorer, colour_bar, outline, side_by_side, to_uint8

BOX_COLOR = np.array([255, 215, 0], np.uint8)  # RF outline on the photo
UNIT_COLOR = np.array([255, 40, 40], np.uint8)  # selected unit on the feature map


@dataclass
class ReceptiveFieldView:
    """Everything one frame shows (no pixels yet)."""

    network: str
    layer: str
    unit: tuple[int, int]
    layer_rf: rf.LayerRF
    box: tuple[int, int, int, int]  # unclipped (top, left, bottom, right)
    clipped: tuple[int, int, int, int]
    feature_map: np.ndarray  # (h, w): mean |activation| over channels

    def caption(self) -> str:
        r = self.layer_rf
        top, left, bottom, right = self.box
        beyond = " (partly outside the image: padding)" if self.box != self.clipped else ""
        return (f"<b>{self.network}</b> · layer <code>{self.layer}</code> ({r.kind}) · output "
                f"{r.output_size[0]}×{r.output_size[1]} · unit {self.unit} · RF "
                f"{r.size[0]}×{r.size[1]}, stride {r.stride[0]}, padding {r.padding[0]} → "
                f"input rows {top}..{bottom}, cols {left}..{right}{beyond}")


    def legend(self) -> str:
        """What the right-hand panel shows, with its colour scale (HTML)."""
        bar = colour_bar(float(self.feature_map.min()), float(self.feature_map.max()))
        return (f"<b>left</b>: the photo, the unit's receptive field outlined · <b>right</b>: "
                f"layer <code>{self.layer}</code>'s feature map, the mean |activation| over its "
                f"channels, {bar}; the unit is outlined")


POOLING_KINDS = ("MaxPool2d", "AvgPool2d", "max_pool2d", "avg_pool2d", "AdaptiveAvgPool2d",
                 "AdaptiveMaxPool2d")


def layer_options(table: rf.ReceptiveFieldTable, names: list[str]) -> list[tuple[str, str]]:
    """Dropdown options (label, layer name) for `names`: "30 · MaxPool2d (pool5)", i.e. the
    layer, its type and, for a pooling layer, which pooling of the network it is."""
    pools = [r.name for r in table if r.kind in POOLING_KINDS]
    options = []
    for name in names:
        kind = table[name].kind
        alias = f" (pool{pools.index(name) + 1})" if name in pools else ""
        options.append((f"{name} · {kind}{alias}", name))
    return options


def _as_rgb(image: np.ndarray) -> np.ndarray:
    img = np.asarray(image, dtype=np.float64)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    if img.ndim != 3 or img.shape[-1] != 3:
        raise ValueError(f"image must have shape (H, W) or (H, W, 3); got {img.shape}")
    return img


def image_tensor(image: np.ndarray, in_channels: int) -> torch.Tensor:
    """(1, C, H, W) float tensor of an (H, W[, 3]) image in [0, 1] for a net with C inputs."""
    rgb = _as_rgb(image)
    if in_channels == 3:
        data = rgb.transpose(2, 0, 1)
    elif in_channels == 1:
        data = rgb.mean(-1, keepdims=True).transpose(2, 0, 1)
    else:
        raise ValueError(f"in_channels must be 1 or 3; got {in_channels}")
    return torch.tensor(data[None], dtype=torch.float32)


def _in_channels(model: nn.Module) -> int:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    raise ValueError("model must contain a Conv2d to explore")


def receptive_field_view(network: str, table: rf.ReceptiveFieldTable,
                         activations: dict[str, torch.Tensor], layer: str,
                         row: int, col: int) -> ReceptiveFieldView:
    """The frame's content for unit (row, col) of `layer` (raises if out of range)."""
    layer_rf = table[layer]
    box = layer_rf.box(row, col)
    clipped = layer_rf.clipped_box(row, col, table.input_size)
    fmap = activations[layer][0].abs().mean(0).numpy()
    return ReceptiveFieldView(network, layer, (row, col), layer_rf, box, clipped, fmap)


def shifted_erf(erf_centre: np.ndarray, layer_rf: rf.LayerRF, unit: tuple[int, int]) -> np.ndarray:
    """The centre unit's effective RF moved to `unit` (exact away from the borders)."""
    n_rows, n_cols = layer_rf.output_size
    dy = (unit[0] - n_rows // 2) * layer_rf.stride[0]
    dx = (unit[1] - n_cols // 2) * layer_rf.stride[1]
    out = np.zeros_like(erf_centre)
    h, w = erf_centre.shape
    src = erf_centre[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def render_receptive_field(image: np.ndarray, view: ReceptiveFieldView,
                           erf: np.ndarray | None = None, gap: int = 8) -> np.ndarray:
    """(H, 2W + gap, 3) uint8: the photo with the unit's RF outlined (optionally tinted by its
    effective RF), and the layer's feature map scaled to the photo's height with the unit marked.
    """
    rgb = _as_rgb(image)
    h, w = rgb.shape[:2]
    photo = rgb.copy()
    if erf is not None:
        heat = erf / erf.max() if erf.max() > 0 else erf
        tint = colormap(heat, "magma")
        alpha = 0.75 * np.sqrt(heat)[..., None]
        photo = (1 - alpha) * photo * 0.6 + alpha * tint
    photo = to_uint8(photo)
    outline(photo, view.clipped, BOX_COLOR)

    n_rows, n_cols = view.feature_map.shape
    panel = to_uint8(colormap(stretch(normalised(view.feature_map), h, w), "viridis"))
    r, c = view.unit
    cell_top, cell_bottom = -(-r * h // n_rows), -(-(r + 1) * h // n_rows) - 1
    cell_left, cell_right = -(-c * w // n_cols), -(-(c + 1) * w // n_cols) - 1
    outline(panel, (cell_top, cell_left, cell_bottom, cell_right), UNIT_COLOR,
            width=max(1, min(2, (cell_bottom - cell_top) // 3)))
    return side_by_side(photo, panel, gap)


class ReceptiveFieldExplorer(Explorer):
    """Dropdowns for network and layer, sliders for the unit, a checkbox for the effective RF.

    networks: {name: model}; image: (H, W) or (H, W, 3) in [0, 1], shown and fed to every
    network (grey for one-channel nets). normalise: {name: (mean, std)}, per-channel
    sequences, for networks whose weights expect normalised inputs (ImageNet's for pretrained
    VGG16): they get (image - mean) / std, the photo shown stays as it is. Layers with a
    spatial output are offered. The networks are measured in eval mode and keep their own mode.
    """

    def __init__(self, networks: dict[str, nn.Module], image: np.ndarray, erf_inputs: int = 4,
                 normalise: dict[str, tuple] | None = None):
        import ipywidgets as widgets

        if not networks:
            raise ValueError("networks must name at least one model")
        self.image = _as_rgb(image)
        self.erf_inputs = erf_inputs
        self._nets, self._tables, self._acts, self._erf = {}, {}, {}, {}
        normalise = dict(normalise or {})
        unknown = set(normalise) - set(networks)
        if unknown:
            raise ValueError(f"normalise names networks that are not given: {sorted(unknown)}")
        h, w = self.image.shape[:2]
        for name, model in networks.items():
            channels = _in_channels(model)
            self._nets[name] = model
            self._tables[name] = rf.receptive_fields(model, (channels, h, w))
            x = image_tensor(self.image, channels)
            if name in normalise:
                mean, std = (torch.as_tensor(v, dtype=x.dtype).reshape(-1, 1, 1)
                             for v in normalise[name])
                if mean.numel() != channels or std.numel() != channels:
                    raise ValueError(f"normalise[{name!r}] must hold {channels} means and "
                                     f"{channels} stds; got {mean.numel()} and {std.numel()}")
                x = (x - mean) / std
            with torch.no_grad():
                self._acts[name] = layer_outputs(model, x)
        self._busy = False

        first = next(iter(networks))
        self.network = widgets.Dropdown(options=list(networks), value=first, description="network")
        self.layer = widgets.Dropdown(options=self._layer_options(first), description="layer",
                                      layout=widgets.Layout(width="320px"))
        self.row = widgets.IntSlider(0, 0, 0, description="unit row", continuous_update=True)
        self.col = widgets.IntSlider(0, 0, 0, description="unit col", continuous_update=True)
        self.show_erf = widgets.Checkbox(False, description="effective RF")
        self._layout([widgets.HBox([self.network, self.layer, self.show_erf]),
                      widgets.HBox([self.row, self.col])], (), picture_width="640px")
        self.network.observe(self._on_network, names="value")
        self.layer.observe(self._on_layer, names="value")
        for control in (self.row, self.col, self.show_erf):
            control.observe(self._on_unit, names="value")
        self.layer.value = self._layers(first)[-1]  # the deepest spatial layer first
        self._on_layer(None)

    def _layers(self, network: str) -> list[str]:
        acts = self._acts[network]
        return [r.name for r in self._tables[network] if r.output_size and r.name in acts]

    def _layer_options(self, network: str) -> list[tuple[str, str]]:
        return layer_options(self._tables[network], self._layers(network))

    def _on_network(self, change) -> None:
        self._busy = True
        layers = self._layers(self.network.value)
        self.layer.options = self._layer_options(self.network.value)
        self.layer.value = layers[-1]
        self._busy = False
        self._on_layer(None)

    def _on_layer(self, change) -> None:
        if self._busy:
            return
        self._busy = True
        n_rows, n_cols = self._tables[self.network.value][self.layer.value].output_size
        self.row.max, self.col.max = n_rows - 1, n_cols - 1
        self.row.value, self.col.value = n_rows // 2, n_cols // 2
        self._busy = False
        self.redraw()

    def _on_unit(self, change) -> None:
        if not self._busy:
            self.redraw()

    def effective_rf(self, network: str, layer: str) -> np.ndarray:
        """Centre unit's effective RF for this network's weights (computed once, cached)."""
        key = (network, layer)
        if key not in self._erf:
            h, w = self.image.shape[:2]
            size = (_in_channels(self._nets[network]), h, w)
            self._erf[key] = rg.effective_receptive_field(
                self._nets[network], size, layer, n_inputs=self.erf_inputs, n_inits=1).numpy()
        return self._erf[key]

    def redraw(self) -> None:
        net, layer = self.network.value, self.layer.value
        view = receptive_field_view(net, self._tables[net], self._acts[net], layer,
                                    self.row.value, self.col.value)
        erf = None
        if self.show_erf.value:
            erf = shifted_erf(self.effective_rf(net, layer), view.layer_rf, view.unit)
        self._show(view, render_receptive_field(self.image, view, erf), view.caption(),
                   view.legend())

    def select(self, network: str | None = None, layer: str | None = None,
               row: int | None = None, col: int | None = None) -> ReceptiveFieldView:
        """Set the controls as a user would (each change redraws); returns the final view."""
        if network is not None:
            self.network.value = network
        if layer is not None:
            self.layer.value = layer
        if row is not None:
            self.row.value = row
        if col is not None:
            self.col.value = col
        return self.view
