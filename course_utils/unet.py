"""U-Net (Ronneberger, Fischer, Brox 2015): architecture, valid sizes, border weight map.

Contracting path: per level two 3x3 conv + ReLU, then 2x2 max-pool, channels doubled.
Expanding path: 2x2 transposed conv halving the channels, crop-and-concat of the encoder map of
the same level, two 3x3 conv + ReLU. A final 1x1 conv gives the class scores.
`padding=0` is the paper's valid version: every 3x3 conv loses a 1-pixel frame, so the output is
smaller than the input by a constant border and only some input sizes work (every map before a
pooling must have an even size). `padding=1` keeps sizes ("same"); inputs must then be multiples
of 2**depth.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._core import check_tensor, eval_mode, model_device, model_dtype, to_numpy


def _double_conv(cin: int, cout: int, padding: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=padding), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=padding), nn.ReLU())


def _size_trace(size: int, depth: int, padding: int) -> int | None:
    """Output size for an input of `size`, or None if some pooling meets an odd size."""
    loss = 0 if padding else 4
    s = size
    for _ in range(depth):
        s -= loss
        if s < 2 or s % 2:
            return None
        s //= 2
    s -= loss
    if s < 1:
        return None
    for _ in range(depth):
        s = 2 * s - loss
        if s < 1:
            return None
    return s


def valid_input_sizes(depth: int = 4, padding: int = 0, low: int = 1,
                      high: int = 1024) -> list[int]:
    """The input sizes in [low, high] that a U-Net of this depth and padding accepts."""
    return [s for s in range(low, high + 1) if _size_trace(s, depth, padding) is not None]


def unet_output_size(size: int, depth: int = 4, padding: int = 0) -> int:
    """Output side for an input side `size`; raises ValueError listing the nearest valid sizes.

    Paper configuration (depth 4, valid): 572 -> 388.
    """
    if padding not in (0, 1):
        raise ValueError(f"padding must be 0 (valid, as in the paper) or 1 (same); got {padding!r}")
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an int >= 1; got {depth!r}")
    out = _size_trace(size, depth, padding)
    if out is None:
        lower = [s for s in valid_input_sizes(depth, padding, max(1, size - 64), size)]
        upper = [s for s in valid_input_sizes(depth, padding, size, size + 64)]
        near = ([lower[-1]] if lower else []) + ([upper[0]] if upper else [])
        raise ValueError(f"input size {size} does not fit a U-Net of depth {depth} with "
                         f"padding {padding}; nearest valid sizes: {near}")
    return out


def center_crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The central (h, w) = `size` window of x (..., H, W): U-Net's crop of a skip connection
    (and of label maps) to a smaller valid output."""
    top = (x.shape[-2] - size[0]) // 2
    left = (x.shape[-1] - size[1]) // 2
    return x[..., top:top + size[0], left:left + size[1]]


class UNet(nn.Module):
    """U-Net with `depth` poolings; the first level has `base_width` channels.

    Paper: UNet(1, 2, depth=4, base_width=64, padding=0): 31,030,658 parameters, 572 -> 388.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 2, depth: int = 4,
                 base_width: int = 64, padding: int = 0):
        super().__init__()
        if padding not in (0, 1):
            raise ValueError(f"padding must be 0 (valid) or 1 (same); got {padding!r}")
        if depth < 1 or base_width < 1 or in_channels < 1 or num_classes < 1:
            raise ValueError("depth, base_width, in_channels and num_classes must be >= 1")
        self.depth, self.padding = depth, padding
        widths = [base_width * 2**level for level in range(depth + 1)]
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(_double_conv(channels, width, padding))
            channels = width
        self.bottom = _double_conv(channels, widths[-1], padding)
        self.up = nn.ModuleList()
        self.up_conv = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(2 * width, width, 2, stride=2))
            self.up_conv.append(_double_conv(2 * width, width, padding))
        self.head = nn.Conv2d(base_width, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for axis, size in (("height", x.shape[-2]), ("width", x.shape[-1])):
            try:
                unet_output_size(size, self.depth, self.padding)
            except ValueError as err:
                raise ValueError(f"input {axis}: {err}") from None
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, block, skip in zip(self.up, self.up_conv, reversed(skips)):
            x = up(x)
            x = block(torch.cat([center_crop(skip, x.shape[-2:]), x], dim=1))
        return self.head(x)


def unet_weight_map(instances, w0: float = 10.0, sigma: float = 5.0,
                    class_weights: tuple[float, float] | None = None) -> np.ndarray:
    """U-Net's pixel weights w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 sigma**2)).

    instances: (H, W) ints, 0 = background, 1..K = objects. d1, d2: distances to the nearest and
    second-nearest object (one Euclidean distance transform per object). The border term is
    applied to background pixels only — it is large in the narrow gaps between touching objects.
    With fewer than two objects there is no second distance and the term is 0.
    class_weights = (background, foreground) for w_c; None balances the classes of this map
    (each class gets total / (2 * its pixel count); with only one class present, both get 1).
    Returns (H, W) float64.
    """
    from scipy import ndimage

    inst = to_numpy(instances, "instances")
    if inst.ndim != 2 or not np.issubdtype(inst.dtype, np.integer):
        raise ValueError(f"instances must be an (H, W) integer map; got shape {inst.shape}, "
                         f"dtype {inst.dtype}")
    if sigma <= 0 or w0 < 0:
        raise ValueError(f"need sigma > 0 and w0 >= 0; got sigma={sigma}, w0={w0}")
    foreground = inst > 0
    if class_weights is None:
        total = inst.size
        counts = (total - foreground.sum(), foreground.sum())
        class_weights = (tuple(total / (2 * c) for c in counts) if min(counts) else (1.0, 1.0))
    weights = np.where(foreground, class_weights[1], class_weights[0]).astype(np.float64)
    ids = [i for i in np.unique(inst) if i > 0]
    if len(ids) >= 2 and w0 > 0:
        distances = np.stack([ndimage.distance_transform_edt(inst != i) for i in ids])
        distances.sort(axis=0)
        d1, d2 = distances[0], distances[1]
        border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
        weights += np.where(foreground, 0.0, border)
    return weights


def weighted_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                           weights: torch.Tensor) -> torch.Tensor:
    """Mean over pixels of w(x) * cross-entropy(x). logits (N, K, H, W), target and weights
    (N, H, W); the target and weight maps are center-cropped to the logits (valid U-Net)."""
    size = logits.shape[-2:]
    if target.shape[-2:] != size:
        target = center_crop(target, size)
    if weights.shape[-2:] != size:
        weights = center_crop(weights, size)
    return (F.cross_entropy(logits, target, reduction="none") * weights).mean()


def touching_pairs(instances) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, of objects that touch: some pixel of i lies within 2 pixels of j
    (their shared border, one pixel on each side, is background in the instance map)."""
    from scipy import ndimage

    inst = to_numpy(instances, "instances")
    pairs = set()
    for i in [v for v in np.unique(inst) if v > 0]:
        near = ndimage.binary_dilation(inst == i, np.ones((3, 3), bool), iterations=2)
        for j in np.unique(inst[near]):
            if j > i:
                pairs.add((int(i), int(j)))
    return pairs


def separated_share(pred_foreground, instances) -> float:
    """Share of touching object pairs that the prediction separates.

    The predicted foreground (H, W) is split into connected components; each object is matched
    to the component covering most of its pixels (none if it is mostly missed). A touching pair
    counts as separated when both objects are matched, to different components. NaN if there
    are no touching pairs.
    """
    from scipy import ndimage

    inst = to_numpy(instances, "instances")
    fg = to_numpy(pred_foreground, "pred_foreground").astype(bool)
    if fg.shape != inst.shape:
        raise ValueError(f"pred_foreground and instances must have the same shape; got "
                         f"{fg.shape} and {inst.shape}")
    components, _ = ndimage.label(fg)
    match = {}
    for i in [v for v in np.unique(inst) if v > 0]:
        hit = components[inst == i]
        hit = hit[hit > 0]
        match[int(i)] = int(np.bincount(hit).argmax()) if hit.size > (inst == i).sum() / 2 else 0
    pairs = touching_pairs(inst)
    if not pairs:
        return float("nan")
    good = sum(1 for i, j in pairs if match[i] and match[j] and match[i] != match[j])
    return good / len(pairs)


def overlap_tile_predict(net: UNet, image: torch.Tensor, tile: int,
                         step: int | None = None) -> torch.Tensor:
    """Seamless prediction of a large image with a valid (padding=0) U-Net, tile by tile.

    image: (C, H, W). The image is mirror-padded by the network's border b on each side (so the
    border pixels get a plausible context) and cut into overlapping input tiles of side `tile`
    (a valid input size) placed every `step` pixels; each tile contributes the first `step` rows
    and columns of its output (side tile - 2b). Returns the scores (K, H, W) on the CPU, exactly
    what a single pass over the padded image gives; the tiles run on the network's device.

    Exact only if every tile's pooling grids are in phase with the single pass: `step` must be a
    multiple of 2^depth. The default step is the largest such multiple that fits in the output
    tile (the paper's 572 -> 388 tiles step by 384, as 388 = 24 * 16 + 4); another step raises.
    """
    if net.padding != 0:
        raise ValueError("overlap-tile needs a valid U-Net (padding=0): with 'same' padding the "
                         "tiles see zeros at their edges and the seams show")
    check_tensor(image, "image", 3, "be a tensor of shape (C, H, W)")
    out_tile = unet_output_size(tile, net.depth, 0)
    phase = 2 ** net.depth
    if step is None:
        step = out_tile - out_tile % phase
        if step == 0:
            raise ValueError(f"tile={tile} gives {out_tile}x{out_tile} outputs, less than one "
                             f"in-phase step of 2^depth = {phase} pixels; use a larger tile")
    elif not isinstance(step, int) or step < 1 or step % phase or step > out_tile:
        raise ValueError(f"step must be a multiple of 2^depth = {phase} between {phase} and the "
                         f"output tile {out_tile} (else the tiles' pooling grids are out of phase "
                         f"with a single pass and the seams show); got {step!r}")
    border = (tile - out_tile) // 2
    height, width = image.shape[-2:]
    rows, cols = -(-height // step), -(-width // step)
    # mirror-pad by the border, plus enough at the bottom/right for the last tiles
    pad_h, pad_w = (rows - 1) * step + out_tile - height, (cols - 1) * step + out_tile - width
    padded = F.pad(image[None].to(model_device(net), model_dtype(net)),
                   (border, border + pad_w, border, border + pad_h), mode="reflect")
    out = None
    with eval_mode(net), torch.no_grad():
        for r in range(rows):
            for c in range(cols):
                y, x = r * step, c * step
                scores = net(padded[..., y:y + tile, x:x + tile])[0]
                if out is None:
                    out = scores.new_zeros(scores.shape[0], rows * step, cols * step)
                out[:, y:y + step, x:x + step] = scores[:, :step, :step]
    return out[:, :height, :width].cpu()
