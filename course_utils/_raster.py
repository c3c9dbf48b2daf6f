"""Shared internals for pictures built with NumPy (plots in `viz`, frames of the explorers)."""

from __future__ import annotations

import numpy as np


def stretch(grid: np.ndarray, height: int, width: int) -> np.ndarray:
    """A coarse (h, w, ...) grid stretched by nearest neighbour over (height, width, ...): grid
    cell (i, j) covers rows i*height//h .. and columns j*width//w .. (equal blocks)."""
    rows = np.minimum(np.arange(height) * grid.shape[0] // height, grid.shape[0] - 1)
    cols = np.minimum(np.arange(width) * grid.shape[1] // width, grid.shape[1] - 1)
    return grid[rows][:, cols]


def colormap(values: np.ndarray, name: str) -> np.ndarray:
    """(..., 3) RGB floats in [0, 1]: matplotlib's colour map `name` at `values` in [0, 1]."""
    import matplotlib

    return matplotlib.colormaps[name](np.clip(values, 0.0, 1.0))[..., :3]


def normalised(values: np.ndarray) -> np.ndarray:
    """`values` scaled to [0, 1] by their min and max (zeros when they are all equal)."""
    lo, hi = float(values.min()), float(values.max())
    return (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values, dtype=np.float64)
