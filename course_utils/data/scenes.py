"""Synthetic segmentation scenes: digit canvases (several digits at random places, with pixel
labels and instance maps) and touching cell-like blobs (U-Net), from seeded generators."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._core import to_numpy
from .labels import segmentation_labels


@dataclass
class Canvases:
    """A batch of digit canvases.

    images: (N, 1, H, W) float32 in [0, 1]; labels: (N, H, W) int64, 0 = background and d + 1 for
    digit d; instances: (N, H, W) int64, 0 = background and 1..k numbering the placed digits;
    boxes: per canvas a list of (top, left, digit) of each placed glyph.
    """

    images: torch.Tensor
    labels: torch.Tensor
    instances: torch.Tensor
    boxes: list[list[tuple[int, int, int]]]


def _glyphs(digits: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = to_numpy(digits, "digits")
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 3:
        raise ValueError(
            f"digits must have shape (N, S, S) or (N, 1, S, S); got {tuple(arr.shape)}"
        )
    if len(arr) == 0:
        raise ValueError("digits must contain at least one image; got 0")
    return arr.astype(np.float32)


def make_digit_canvases(
    digits: torch.Tensor | np.ndarray,
    digit_labels: torch.Tensor | np.ndarray,
    n: int,
    height: int = 96,
    width: int = 96,
    num_digits: int | tuple[int, int] = 3,
    seed: int = 0,
    threshold: float = 0.3,
    max_tries: int = 200,
) -> Canvases:
    """Place digits at random, non-overlapping places on black H x W canvases.

    digits: (N, S, S) or (N, 1, S, S) glyphs in [0, 1] (use the *train* digits for training
    canvases and the *test* digits for evaluation canvases); digit_labels: (N,) ints 0..9.
    num_digits: k per canvas, or an inclusive range (k_min, k_max) drawn per canvas.
    A pixel belongs to a digit when its glyph value exceeds `threshold`; the S x S boxes of two
    digits never overlap. Everything depends only on `seed`.
    """
    glyphs = _glyphs(digits)
    ylab = to_numpy(digit_labels, "digit_labels")
    if ylab.shape != (len(glyphs),):
        raise ValueError(
            f"digit_labels must have shape ({len(glyphs)},) to match digits; got {ylab.shape}"
        )
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    size = glyphs.shape[-1]
    for name, value in (("height", height), ("width", width)):
        if value < size:
            raise ValueError(f"{name} must be >= the digit size {size}; got {value}")
    k_min, k_max = (num_digits, num_digits) if np.isscalar(num_digits) else num_digits
    if not 0 <= k_min <= k_max:
        raise ValueError(f"num_digits must be k >= 0 or a range (k_min <= k_max); got {num_digits}")
    capacity = (height // size) * (width // size)
    if k_max > capacity:
        raise ValueError(
            f"num_digits={num_digits} cannot fit without overlap on a {height}x{width} canvas "
            f"with {size}x{size} digits (at most {capacity} guaranteed); enlarge height/width"
        )

    rng = np.random.default_rng(seed)
    images = np.zeros((n, height, width), np.float32)
    labels = np.zeros((n, height, width), np.int64)
    instances = np.zeros((n, height, width), np.int64)
    boxes: list[list[tuple[int, int, int]]] = []
    for i in range(n):
        k = int(rng.integers(k_min, k_max + 1))
        placed = _place_boxes(rng, k, height, width, size, max_tries)
        canvas_boxes = []
        for j, (top, left) in enumerate(placed, start=1):
            idx = int(rng.integers(len(glyphs)))
            glyph, digit = glyphs[idx], int(ylab[idx])
            window = (slice(i, i + 1), slice(top, top + size), slice(left, left + size))
            images[window] = np.maximum(images[window], glyph)
            mask = glyph > threshold
            labels[window][0][mask] = digit + 1
            instances[window][0][mask] = j
            canvas_boxes.append((top, left, digit))
        boxes.append(canvas_boxes)
    return Canvases(
        torch.from_numpy(images).unsqueeze(1),
        torch.from_numpy(labels),
        torch.from_numpy(instances),
        boxes,
    )


def digit_segmentation_set(digits: torch.Tensor | np.ndarray,
                           digit_labels: torch.Tensor | np.ndarray, n: int, seed: int,
                           size: int = 96) -> tuple[Canvases, torch.Tensor]:
    """The segmentation set of notebooks 06 and 08: n size x size canvases of 2-4 digits and
    their training labels (N, size, size) — strokes thickened by one pixel and a one-pixel VOID
    band around them (`segmentation_labels`)."""
    canvases = make_digit_canvases(digits, digit_labels, n, size, size, num_digits=(2, 4),
                                   seed=seed)
    return canvases, segmentation_labels(canvases.labels, thicken=1, void_width=1)


def _place_boxes(rng, k: int, height: int, width: int, size: int, max_tries: int):
    """k top-left corners of non-overlapping size x size boxes; grid fallback if sampling fails."""
    placed: list[tuple[int, int]] = []
    tries = 0
    while len(placed) < k and tries < max_tries * max(k, 1):
        tries += 1
        top = int(rng.integers(0, height - size + 1))
        left = int(rng.integers(0, width - size + 1))
        if all(abs(top - t) >= size or abs(left - c) >= size for t, c in placed):
            placed.append((top, left))
    if len(placed) < k:  # crowded canvas: fall back to random cells of a regular grid
        cells = [(r * size, c * size) for r in range(height // size) for c in range(width // size)]
        order = rng.permutation(len(cells))[:k]
        placed = [cells[o] for o in order]
    return placed


@dataclass
class Cells:
    """Microscopy-like images of touching cells.

    images: (N, 1, S, S) float32 in [0, 1]; instances: (N, S, S) int64, 0 = background and
    1..k the cells (their one-pixel shared borders are background); labels: (N, S, S) int64,
    1 where a cell is, 0 elsewhere.
    """

    images: torch.Tensor
    instances: torch.Tensor
    labels: torch.Tensor


def touching_cells(n: int, size: int = 96, num_cells: tuple[int, int] = (6, 10),
                   seed: int = 0) -> Cells:
    """Seeded images with cell-like ellipses that often touch.

    Each pixel inside any ellipse belongs to the ellipse it is deepest in, so overlapping
    ellipses become touching cells with a shared border. Those border pixels are labelled
    background and drawn slightly darker (as a membrane would be: without such evidence in the
    image no network could separate the cells). Cells vary in size, elongation, orientation and
    brightness; the image gets texture, blur and noise.
    """
    from scipy import ndimage

    if n < 1 or size < 16:
        raise ValueError(f"need n >= 1 and size >= 16; got n={n}, size={size}")
    low, high = num_cells
    if not 1 <= low <= high:
        raise ValueError(f"num_cells must be a range (low, high) with 1 <= low <= high; "
                         f"got {num_cells}")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images = np.zeros((n, size, size), np.float32)
    instances = np.zeros((n, size, size), np.int64)
    scale = size / 96
    for i in range(n):
        k = int(rng.integers(low, high + 1))
        depth = np.full((size, size), np.inf)
        owner = np.zeros((size, size), np.int64)
        centres: list[tuple[float, float]] = []
        for cell in range(1, k + 1):
            for _ in range(50):  # keep centres apart so that cells touch rather than merge
                cy, cx = rng.uniform(10 * scale, size - 10 * scale, 2)
                if all((cy - y) ** 2 + (cx - x) ** 2 > (13 * scale) ** 2 for y, x in centres):
                    break
            centres.append((cy, cx))
            a, b = rng.uniform(7, 14) * scale, rng.uniform(5, 10) * scale
            theta = rng.uniform(0, np.pi)
            u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
            v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
            r = np.sqrt((u / a) ** 2 + (v / b) ** 2)
            closer = r < depth
            depth[closer], owner[closer] = r[closer], cell
        inside = depth <= 1.0
        owner = np.where(inside, owner, 0)
        # pixels next to another cell form the shared border: background, darker
        border = np.zeros_like(inside)
        for shift in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            other = np.roll(owner, shift, axis=(0, 1))
            border |= inside & (other > 0) & (other != owner)
        cells = np.where(border, 0, owner)
        brightness = rng.uniform(0.45, 0.9, k + 1)
        image = np.where(cells > 0, brightness[cells], 0.12)
        image = np.where(border, 0.6 * brightness[owner], image)
        texture = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), 2.0)
        image = image * (1 + 0.15 * texture / (np.abs(texture).max() + 1e-9))
        image = ndimage.gaussian_filter(image, 0.8) + rng.normal(0, 0.03, (size, size))
        images[i] = np.clip(image, 0, 1)
        instances[i] = cells
    inst = torch.from_numpy(instances)
    return Cells(torch.from_numpy(images)[:, None], inst, (inst > 0).long())
