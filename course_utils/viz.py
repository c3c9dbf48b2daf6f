"""Plots: image grids, feature-map grids, label overlays, image / truth / prediction grids."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from ._core import int_pair, to_numpy
from .data.labels import CANVAS_CLASSES


def _as_hw_or_hwc(name: str, img: np.ndarray) -> np.ndarray:
    """(H, W), (1, H, W), (3, H, W) or (H, W, 3) -> (H, W) or (H, W, 3)."""
    if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
        img = img[0] if img.shape[0] == 1 else np.moveaxis(img, 0, -1)
    elif img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.ndim == 2 or (img.ndim == 3 and img.shape[-1] == 3):
        return img
    raise ValueError(
        f"{name} must be one image of shape (H, W), (1, H, W), (3, H, W) or (H, W, 3); "
        f"got {tuple(img.shape)}"
    )


def _grid(n: int, ncols: int, cell: float) -> tuple[plt.Figure, np.ndarray]:
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1; got {ncols}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(cell * ncols, (cell + 0.35) * nrows + 0.4), squeeze=False
    )
    for ax in axes.flat:
        ax.axis("off")
    return fig, axes.flat


def show_images(
    images,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    cell: float = 1.4,
) -> plt.Figure:
    """A grid of images. images: (N, H, W), (N, 1, H, W), (N, 3, H, W) or a list of such images."""
    if isinstance(images, (list, tuple)):
        arrays = [to_numpy(im, "images") for im in images]
    else:
        batch = to_numpy(images, "images")
        if batch.ndim not in (3, 4):
            raise ValueError(
                f"images must have shape (N, H, W) or (N, C, H, W); got {tuple(batch.shape)}"
            )
        arrays = list(batch)
    if not arrays:
        raise ValueError("images must contain at least one image")
    if titles is not None and len(titles) != len(arrays):
        raise ValueError(f"titles must have one entry per image ({len(arrays)}); got {len(titles)}")
    fig, axes = _grid(len(arrays), ncols, cell)
    for i, (ax, img) in enumerate(zip(axes, arrays)):
        img = _as_hw_or_hwc(f"images[{i}]", img)
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def show_feature_maps(
    maps, title: str | None = None, ncols: int = 8, cmap: str = "viridis", cell: float = 1.2
) -> plt.Figure:
    """Each channel of one activation volume maps: (C, H, W) (or (1, C, H, W)) as an image."""
    arr = to_numpy(maps, "maps")
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise ValueError(f"maps must have shape (C, H, W) or (1, C, H, W); got {tuple(arr.shape)}")
    fig, axes = _grid(len(arr), ncols, cell)
    for c, (ax, fmap) in enumerate(zip(axes, arr)):
        ax.imshow(fmap, cmap=cmap)
        ax.set_title(f"{c}", fontsize=8)
    if title:
        fig.suptitle(f"{title}  {tuple(arr.shape)}", fontsize=10)
    fig.tight_layout()
    return fig


def label_colors(num_classes: int) -> np.ndarray:
    """(num_classes, 3) RGB colours in [0, 1]; class 0 (background) is black."""
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an int >= 1; got {num_classes!r}")
    colors = np.zeros((num_classes, 3))
    if num_classes > 1:
        cmap = plt.get_cmap("tab10" if num_classes <= 11 else "tab20")
        colors[1:] = [cmap(i % cmap.N)[:3] for i in range(num_classes - 1)]
    return colors


def overlay_labels(image, labels, num_classes: int = CANVAS_CLASSES,
                   alpha: float = 0.5) -> np.ndarray:
    """Blend a label map onto an image; background (label 0) stays the image.

    image: (H, W), (1, H, W), (3, H, W) or (H, W, 3) in [0, 1]; labels: (H, W) ints in
    [0, num_classes) (other values, e.g. 255 = void, are drawn white).
    Returns (H, W, 3) floats in [0, 1].
    """
    img = _as_hw_or_hwc("image", to_numpy(image, "image"))
    lab = to_numpy(labels, "labels")
    if lab.ndim != 2 or lab.shape != img.shape[:2]:
        raise ValueError(
            f"labels must have shape (H, W) = {img.shape[:2]} to match the image; "
            f"got {tuple(lab.shape)}"
        )
    if not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must hold integers; got dtype {lab.dtype}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    rgb = np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else img
    rgb = np.clip(rgb.astype(np.float64), 0.0, 1.0)
    colors = np.vstack([label_colors(num_classes), np.ones((1, 3))])
    lookup = np.where((lab >= 0) & (lab < num_classes), lab, num_classes)
    painted = colors[lookup]
    mask = (lab != 0)[..., None]
    return np.where(mask, (1 - alpha) * rgb + alpha * painted, rgb)


def show_segmentation(image, labels, num_classes: int = CANVAS_CLASSES, title: str | None = None,
                      alpha: float = 0.5) -> plt.Figure:
    """Image, label map and their overlay side by side (labels as in `overlay_labels`)."""
    img = _as_hw_or_hwc("image", to_numpy(image, "image"))
    lab = to_numpy(labels, "labels")
    overlay = overlay_labels(img, lab, num_classes, alpha)
    fig, axes = plt.subplots(1, 3, figsize=(9, 3))
    axes[0].imshow(img, cmap="gray" if img.ndim == 2 else None)
    axes[0].set_title("image")
    colors = np.vstack([label_colors(num_classes), np.ones((1, 3))])
    axes[1].imshow(colors[np.where((lab >= 0) & (lab < num_classes), lab, num_classes)])
    axes[1].set_title("labels")
    axes[2].imshow(overlay)
    axes[2].set_title("overlay")
    for ax in axes:
        ax.axis("off")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _label_maps_like(predictions: Mapping[str, object], truth: np.ndarray,
                     single: bool) -> dict[str, np.ndarray]:
    """{title: (N, H, W) array} for predictions shaped like the (N, H, W) truth."""
    preds = {}
    for name, pred in predictions.items():
        arr = to_numpy(pred, f"predictions[{name!r}]")
        arr = arr[None] if single else arr
        if arr.shape != truth.shape:
            raise ValueError(f"predictions[{name!r}] must have the shape of truth "
                             f"{tuple(truth.shape[single:])}; got {tuple(arr.shape[single:])}")
        preds[name] = arr
    return preds


def show_predictions(images, truth, predictions: Mapping[str, object],
                     num_classes: int = CANVAS_CLASSES,
                     alpha: float = 0.6, with_image: bool = False, cell: float = 2.8,
                     title: str | None = None) -> plt.Figure:
    """One row per image: [the image,] its ground truth, then each prediction, as label overlays.

    images: (H, W) / (C, H, W) for one image, or (N, H, W) / (N, C, H, W) for N; truth: (H, W)
    or (N, H, W) label maps (its number of dimensions says whether there is one image or N);
    predictions: {column title: label maps shaped like truth}. Labels as in `overlay_labels`.
    """
    lab = to_numpy(truth, "truth")
    if lab.ndim not in (2, 3):
        raise ValueError(f"truth must have shape (H, W) or (N, H, W); got {tuple(lab.shape)}")
    if not predictions:
        raise ValueError("predictions must map at least one title to label maps")
    single = lab.ndim == 2
    imgs = to_numpy(images, "images")
    if single:
        imgs, lab = imgs[None], lab[None]
    if len(imgs) != len(lab):
        raise ValueError(f"images must hold one image per label map ({len(lab)}); got "
                         f"{tuple(imgs.shape)}")
    preds = _label_maps_like(predictions, lab, single)
    columns = (["image"] if with_image else []) + ["ground truth"] + list(preds)
    fig, axes = plt.subplots(len(lab), len(columns), squeeze=False,
                             figsize=(cell * len(columns), cell * len(lab) + 0.5))
    for row, (img, truth_map) in enumerate(zip(imgs, lab)):
        img = _as_hw_or_hwc(f"images[{row}]", img)
        panels = [overlay_labels(img, truth_map, num_classes, alpha)]
        panels += [overlay_labels(img, pred[row], num_classes, alpha) for pred in preds.values()]
        if with_image:
            panels.insert(0, img)
        for ax, panel, name in zip(axes[row], panels, columns):
            ax.imshow(panel, cmap="gray" if panel.ndim == 2 else None)
            ax.set_title(name if row == 0 else "", fontsize=9)
            ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def heatmap_cells(image_size: tuple[int, int], grid_size: tuple[int, int], *, stride, rf,
                  offset=0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which heatmap cell each pixel shows: the cell whose unit's receptive field is centred
    nearest to it, within half a stride.

    Unit (i, j) of a grid of `grid_size` = (h, w) sees the rf x rf square with top-left corner
    offset + (i, j) * stride, so it is drawn as the stride x stride block around that square's
    centre. stride, rf, offset: ints or (rows, cols) pairs, as in
    `dense_prediction.paint_receptive_fields` (from a receptive-field table: `unit.stride`,
    `unit.size`, `unit.box(0, 0)[:2]`). Returns (rows, cols, covered): (H, W) int cell indices
    and the (H, W) bool mask of the pixels some cell covers.
    """
    strides, sizes = int_pair(stride, "stride"), int_pair(rf, "rf")
    offsets = int_pair(offset, "offset")
    if min(strides) < 1 or min(sizes) < 1:
        raise ValueError(f"stride and rf must be >= 1; got stride={stride}, rf={rf}")
    index, inside = [], []
    for n_pixels, n_cells, s, r, o in zip(image_size, grid_size, strides, sizes, offsets):
        first_centre = o + (r - 1) / 2
        cell = np.floor((np.arange(n_pixels) - first_centre) / s + 0.5).astype(np.int64)
        inside.append((cell >= 0) & (cell < n_cells))
        index.append(np.clip(cell, 0, n_cells - 1))
    rows, cols = np.meshgrid(index[0], index[1], indexing="ij")
    return rows, cols, inside[0][:, None] & inside[1][None, :]


def heatmap_overlay(image, heatmap, threshold: float | None = None, alpha: float = 0.6,
                    cmap: str = "inferno", *, stride=None, rf=None, offset=None) -> np.ndarray:
    """An (H, W) or (H, W, 3) image with a heatmap in [0, 1] drawn where its units look.

    heatmap: (h, w). If it has the image's size, pixel (y, x) gets heatmap[y, x]. A coarser
    heatmap needs its units' receptive-field geometry — stride, rf (size) and offset (top-left
    corner of unit (0, 0)'s field), ints or (rows, cols) pairs — and each cell is drawn as the
    stride x stride block around its receptive field's centre (`heatmap_cells`); pixels that no
    cell covers keep the plain image. With a threshold, the cells at or above it are outlined
    in cyan. Returns (H, W, 3) floats in [0, 1].
    """
    img = _as_hw_or_hwc("image", to_numpy(image, "image"))
    heat = to_numpy(heatmap, "heatmap").astype(np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must have shape (h, w); got {tuple(heat.shape)}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    size = img.shape[:2]
    if stride is None:
        if heat.shape != size:
            raise ValueError(
                f"heatmap {tuple(heat.shape)} is coarser than the image {tuple(size)}: pass "
                "stride=, rf= and offset= of its units' receptive field (e.g. unit.stride, "
                "unit.size, unit.box(0, 0)[:2] of receptive_field.receptive_fields(model, "
                "input_size).final), so that each cell is drawn where its unit looks")
        stride, rf, offset = 1, 1, 0
    rows, cols, covered = heatmap_cells(size, heat.shape, stride=stride,
                                        rf=stride if rf is None else rf,
                                        offset=0 if offset is None else offset)
    big = np.clip(heat[rows, cols], 0.0, 1.0)
    rgb = np.repeat(img[..., None], 3, -1) if img.ndim == 2 else img
    rgb = np.clip(rgb, 0.0, 1.0)
    blended = (1 - alpha) * rgb + alpha * plt.get_cmap(cmap)(big)[..., :3]
    out = np.where(covered[..., None], blended, rgb)
    if threshold is not None:
        on = np.pad(covered & (big >= threshold), 1)
        inner = on[:-2, 1:-1] & on[2:, 1:-1] & on[1:-1, :-2] & on[1:-1, 2:]
        out[on[1:-1, 1:-1] & ~inner] = (0.0, 1.0, 1.0)
    return out
