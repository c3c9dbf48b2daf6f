"""Receptive-field explorer: pick a network, a layer and a unit; see what input it sees.

Pure functions compute every frame (`explorer_state`, `render_frame`); the widget class only
wires core ipywidgets (Dropdown, IntSlider, Checkbox, Image, HTML) to them, so it works with
ipywidgets 7.7 (Colab) and 8.x, and tests can drive it by setting `.value`.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
import torch
from torch import nn

from ..summary import layer_outputs
from ..viz import png_bytes
from . import engine as rf
from . import gradient as rg

BOX_COLOR = np.array([255, 215, 0], np.uint8)  # RF outline on the photo
UNIT_COLOR = np.array([255, 40, 40], np.uint8)  # selected unit on the feature map


@dataclass
class ExplorerState:
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
        lo, hi = float(self.feature_map.min()), float(self.feature_map.max())
        bar = ("<span style='display:inline-block;width:120px;height:10px;vertical-align:middle;"
               f"background:linear-gradient(to right,{','.join(VIRIDIS_STOPS)})'></span>")
        return (f"<b>left</b>: the photo, the unit's receptive field outlined · <b>right</b>: "
                f"layer <code>{self.layer}</code>'s feature map, the mean |activation| over its "
                f"channels, {lo:.3g} {bar} {hi:.3g}; the unit is outlined")


VIRIDIS_STOPS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")

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


def explorer_state(network: str, table: rf.ReceptiveFieldTable,
                   activations: dict[str, torch.Tensor], layer: str,
                   row: int, col: int) -> ExplorerState:
    """The frame's content for unit (row, col) of `layer` (raises if out of range)."""
    layer_rf = table[layer]
    box = layer_rf.box(row, col)
    clipped = layer_rf.clipped_box(row, col, table.input_size)
    fmap = activations[layer][0].abs().mean(0).numpy()
    return ExplorerState(network, layer, (row, col), layer_rf, box, clipped, fmap)


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


def _outline(canvas: np.ndarray, top, left, bottom, right, color, width=2) -> None:
    top, left = max(top, 0), max(left, 0)
    bottom, right = min(bottom, canvas.shape[0] - 1), min(right, canvas.shape[1] - 1)
    if top > bottom or left > right:
        return
    canvas[top:min(top + width, bottom + 1), left:right + 1] = color
    canvas[max(bottom - width + 1, top):bottom + 1, left:right + 1] = color
    canvas[top:bottom + 1, left:min(left + width, right + 1)] = color
    canvas[top:bottom + 1, max(right - width + 1, left):right + 1] = color


def render_frame(image: np.ndarray, state: ExplorerState, erf: np.ndarray | None = None,
                 gap: int = 8) -> np.ndarray:
    """(H, 2W + gap, 3) uint8: the photo with the unit's RF outlined (optionally tinted by its
    effective RF), and the layer's feature map scaled to the photo's height with the unit marked.
    """
    rgb = _as_rgb(image)
    h, w = rgb.shape[:2]
    photo = rgb.copy()
    if erf is not None:
        heat = erf / erf.max() if erf.max() > 0 else erf
        tint = matplotlib.colormaps["magma"](heat)[..., :3]
        alpha = 0.75 * np.sqrt(heat)[..., None]
        photo = (1 - alpha) * photo * 0.6 + alpha * tint
    photo = (np.clip(photo, 0, 1) * 255).astype(np.uint8)
    _outline(photo, *state.clipped, BOX_COLOR)

    fmap = state.feature_map
    n_rows, n_cols = fmap.shape
    rows = np.minimum(np.arange(h) * n_rows // h, n_rows - 1)
    cols = np.minimum(np.arange(w) * n_cols // w, n_cols - 1)
    lo, hi = float(fmap.min()), float(fmap.max())
    norm = (fmap - lo) / (hi - lo) if hi > lo else np.zeros_like(fmap)
    panel = (matplotlib.colormaps["viridis"](norm[rows][:, cols])[..., :3] * 255).astype(np.uint8)
    r, c = state.unit
    cell_top, cell_bottom = -(-r * h // n_rows), -(-(r + 1) * h // n_rows) - 1
    cell_left, cell_right = -(-c * w // n_cols), -(-(c + 1) * w // n_cols) - 1
    _outline(panel, cell_top, cell_left, cell_bottom, cell_right, UNIT_COLOR,
             width=max(1, min(2, (cell_bottom - cell_top) // 3)))
    spacer = np.full((h, gap, 3), 255, np.uint8)
    return np.concatenate([photo, spacer, panel], axis=1)


class ReceptiveFieldExplorer:
    """Dropdowns for network and layer, sliders for the unit, a checkbox for the effective RF.

    networks: {name: model}; image: (H, W) or (H, W, 3) in [0, 1], shown and fed to every
    network (grey for one-channel nets). Layers with a spatial output are offered.
    """

    def __init__(self, networks: dict[str, nn.Module], image: np.ndarray, erf_inputs: int = 4):
        import ipywidgets as widgets

        if not networks:
            raise ValueError("networks must name at least one model")
        self.image = _as_rgb(image)
        self.erf_inputs = erf_inputs
        self._nets, self._tables, self._acts, self._erf = {}, {}, {}, {}
        h, w = self.image.shape[:2]
        for name, model in networks.items():
            model = model.eval()
            channels = _in_channels(model)
            self._nets[name] = model
            self._tables[name] = rf.receptive_fields(model, (channels, h, w))
            with torch.no_grad():
                self._acts[name] = layer_outputs(model, image_tensor(self.image, channels))
        self._busy = False
        self.state: ExplorerState | None = None
        self.frame: np.ndarray | None = None

        first = next(iter(networks))
        self.network = widgets.Dropdown(options=list(networks), value=first, description="network")
        self.layer = widgets.Dropdown(options=self._layer_options(first), description="layer",
                                      layout=widgets.Layout(width="320px"))
        self.row = widgets.IntSlider(0, 0, 0, description="unit row", continuous_update=True)
        self.col = widgets.IntSlider(0, 0, 0, description="unit col", continuous_update=True)
        self.show_erf = widgets.Checkbox(False, description="effective RF")
        self.picture = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
        self.caption = widgets.HTML()
        self.legend = widgets.HTML()
        self.widget = widgets.VBox([
            widgets.HBox([self.network, self.layer, self.show_erf]),
            widgets.HBox([self.row, self.col]),
            self.picture, self.legend, self.caption,
        ])
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
        self.state = explorer_state(net, self._tables[net], self._acts[net], layer,
                                    self.row.value, self.col.value)
        erf = None
        if self.show_erf.value:
            erf = shifted_erf(self.effective_rf(net, layer), self.state.layer_rf, self.state.unit)
        self.frame = render_frame(self.image, self.state, erf)
        self.picture.value = png_bytes(self.frame)
        self.caption.value = self.state.caption()
        self.legend.value = self.state.legend()

    def select(self, network: str | None = None, layer: str | None = None,
               row: int | None = None, col: int | None = None) -> ExplorerState:
        """Set the controls as a user would (each change redraws); returns the final state."""
        if network is not None:
            self.network.value = network
        if layer is not None:
            self.layer.value = layer
        if row is not None:
            self.row.value = row
        if col is not None:
            self.col.value = col
        return self.state
