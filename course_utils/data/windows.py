"""Windows of digit canvases as a classification task with an 11th class, "no digit here".

A classifier trained on isolated digits must name a digit for every window it sees, so its
heatmaps need a confidence cut-off. Trained on canvas windows instead, with the windows that
hold no centred digit as class NO_DIGIT = 10, it says "nothing here" by itself.

Window (i, j) of a grid with step `stride` is the `window` x `window` square with top-left corner
(i * stride, j * stride). Its label is digit d when the box of a digit d lies at most `centred`
pixels from it along both axes, NO_DIGIT when every digit's box is at least `off_centre` pixels
away along some axis, and VOID (ignored) in between, where "centred" is a matter of opinion.
"""

from __future__ import annotations

import numpy as np
import torch

from .labels import NUM_DIGIT_CLASSES, VOID
from .scenes import Canvases

NO_DIGIT = NUM_DIGIT_CLASSES  # class 10 of a window classifier: no digit centred in the window
WINDOW_CLASSES = NUM_DIGIT_CLASSES + 1
# A window classifier's score channels in canvas-label order (0 background, d + 1 digit d):
# `scores[:, CANVAS_LABEL_ORDER]` turns its arg max into canvas labels.
CANVAS_LABEL_ORDER = [NO_DIGIT, *range(NUM_DIGIT_CLASSES)]


def _check_margins(centred: int, off_centre: int) -> None:
    if not (isinstance(centred, int) and isinstance(off_centre, int) and 0 <= centred < off_centre):
        raise ValueError(f"need ints 0 <= centred < off_centre; got centred={centred!r}, "
                         f"off_centre={off_centre!r}")


def window_labels(canvases: Canvases, window: int = 32, *, stride: int = 1, centred: int = 2,
                  off_centre: int = 5) -> torch.Tensor:
    """The label of every window of every canvas: (N, rows, cols) int64 in 0..9, NO_DIGIT or VOID.

    rows = (H - window) // stride + 1 and likewise cols: the grid of an FCN with that receptive
    field and stride (or of a sliding window). The digits' boxes are the canvases' `boxes`, each
    as large as the window.
    """
    if not isinstance(canvases, Canvases):
        raise TypeError(f"canvases must be data.Canvases; got {type(canvases).__name__}")
    _check_margins(centred, off_centre)
    n, _, height, width = canvases.images.shape
    if not 1 <= window <= min(height, width) or stride < 1:
        raise ValueError(f"need 1 <= window <= {min(height, width)} and stride >= 1; "
                         f"got window={window}, stride={stride}")
    tops = np.arange(0, height - window + 1, stride)[:, None]
    lefts = np.arange(0, width - window + 1, stride)[None, :]
    out = np.full((n, tops.shape[0], lefts.shape[1]), NO_DIGIT, np.int64)
    for i, boxes in enumerate(canvases.boxes):
        for top, left, digit in boxes:  # non-overlapping boxes: at most one is centred
            distance = np.maximum(abs(tops - top), abs(lefts - left))
            out[i][(distance < off_centre) & (out[i] == NO_DIGIT)] = VOID
            out[i][distance <= centred] = digit
    return torch.from_numpy(out)


def window_dataset(canvases: Canvases, background_per_canvas: int = 3, window: int = 32,
                   centred: int = 2, off_centre: int = 5,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Training windows cut from canvases: x (M, 1, window, window) float32, y (M,) int64.

    Per canvas: each digit once, in a window moved by a random offset of at most `centred`
    pixels (label: the digit), and `background_per_canvas` windows drawn at random among those
    labelled NO_DIGIT by `window_labels` (empty ones and ones with parts of off-centre digits).
    """
    if not isinstance(background_per_canvas, int) or background_per_canvas < 0:
        raise ValueError(
            f"background_per_canvas must be an int >= 0; got {background_per_canvas!r}")
    labels = window_labels(canvases, window, stride=1, centred=centred, off_centre=off_centre)
    height, width = canvases.images.shape[-2:]
    rng = np.random.default_rng(seed)
    crops, targets = [], []
    for i, boxes in enumerate(canvases.boxes):
        corners = []
        for top, left, digit in boxes:
            dy, dx = rng.integers(-centred, centred + 1, 2)
            corners.append((int(np.clip(top + dy, 0, height - window)),
                            int(np.clip(left + dx, 0, width - window))))
            targets.append(digit)
        empty = torch.nonzero(labels[i] == NO_DIGIT).numpy()
        picks = rng.choice(len(empty), min(background_per_canvas, len(empty)), replace=False)
        corners += [tuple(int(v) for v in empty[p]) for p in picks]
        targets += [NO_DIGIT] * len(picks)
        crops += [canvases.images[i, :, t:t + window, c:c + window] for t, c in corners]
    if not crops:
        raise ValueError("canvases hold no digit and no background window; nothing to cut")
    return torch.stack(crops), torch.tensor(targets, dtype=torch.int64)
