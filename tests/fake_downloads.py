"""Small fakes of what FULL mode downloads, in the real layouts, and a local HTTP server for them.

- Oxford-IIIT Pet: `images.tar.gz` (images/<Breed>_<k>.jpg: odd sizes, RGB, greyscale and CMYK
  JPEGs) and `annotations.tar.gz` (annotations/trainval.txt, test.txt grouped by breed as the
  real lists are, annotations/trimaps/*.png with 1 pet, 2 background, 3 border);
- MNIST: the four gzipped IDX files, filled with the embedded MNIST-5k digits (real digits, so
  a notebook trained on them behaves);
- VGG16: `vgg16-397923af.pth`, a state_dict with torchvision's keys and shapes whose tensors are
  broadcast views of a few values (a few kB on disk instead of 528 MB).
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

BREEDS = ("Abyssinian", "Bengal", "Birman", "basset_hound", "beagle", "boxer", "chihuahua", "pug")


def _pet(rng: np.random.Generator, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """An RGB photo (H, W, 3) uint8 with a bright textured ellipse, and its trimap (H, W)."""
    yy, xx = np.mgrid[:height, :width]
    cy, cx = rng.uniform(0.35, 0.65) * height, rng.uniform(0.35, 0.65) * width
    ry, rx = rng.uniform(0.2, 0.35) * height, rng.uniform(0.2, 0.35) * width
    radius = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
    photo = rng.integers(0, 90, (height, width, 3))
    photo[radius < 1] += rng.integers(100, 160, 3)
    trimap = np.where(radius < 0.9, 1, np.where(radius < 1.1, 3, 2)).astype(np.uint8)
    return photo.clip(0, 255).astype(np.uint8), trimap


def write_pets_archives(folder: Path, per_breed: int = 6, seed: int = 0) -> dict[str, list[str]]:
    """images.tar.gz and annotations.tar.gz in `folder`; returns {split: listed names}.

    Each breed's first half of photos goes to trainval, the rest to test, listed breed by breed.
    """
    rng = np.random.default_rng(seed)
    listed: dict[str, list[str]] = {"trainval": [], "test": []}
    lines: dict[str, list[str]] = {"trainval": ["#Image CLASS-ID SPECIES BREED ID"], "test": []}
    images, trimaps = {}, {}
    for breed_id, breed in enumerate(BREEDS, start=1):
        for k in range(1, per_breed + 1):
            name = f"{breed}_{k}"
            photo, trimap = _pet(rng, int(rng.integers(40, 90)), int(rng.integers(40, 90)))
            mode = ("RGB", "L", "CMYK")[k % 3]
            buffer = io.BytesIO()
            Image.fromarray(photo).convert(mode).save(buffer, "JPEG")
            images[f"images/{name}.jpg"] = buffer.getvalue()
            buffer = io.BytesIO()
            Image.fromarray(trimap).save(buffer, "PNG")
            trimaps[f"annotations/trimaps/{name}.png"] = buffer.getvalue()
            split = "trainval" if k <= per_breed // 2 else "test"
            listed[split].append(name)
            species = 1 if breed[0].isupper() else 2
            lines[split].append(f"{name} {breed_id} {species} {breed_id}")
    annotations = {f"annotations/{s}.txt": "\n".join(v).encode() + b"\n" for s, v in lines.items()}
    _tar(folder / "images.tar.gz", images)
    _tar(folder / "annotations.tar.gz", annotations | trimaps)
    return listed


def _tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _idx(values: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, values.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in values.shape)
    return gzip.compress(header + values.astype(np.uint8).tobytes(), compresslevel=1)


def write_mnist_files(folder: Path, n_test: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The four MNIST .gz files in `folder`, holding the embedded MNIST-5k digits (the last
    `n_test` as the test split); returns (images (N, 28, 28) uint8, labels (N,))."""
    from course_utils import data

    digits = data.load_digits(pad_to=28)
    x = (torch.cat([digits.x_train, digits.x_test])[:, 0] * 255).round().to(torch.uint8).numpy()
    y = torch.cat([digits.y_train, digits.y_test]).numpy()
    files = {"train-images-idx3-ubyte.gz": x[:-n_test], "train-labels-idx1-ubyte.gz": y[:-n_test],
             "t10k-images-idx3-ubyte.gz": x[-n_test:], "t10k-labels-idx1-ubyte.gz": y[-n_test:]}
    for name, values in files.items():
        (folder / name).write_bytes(_idx(values))
    return x, y


def write_vgg16_weights(folder: Path, seed: int = 0) -> Path:
    """A VGG16 state_dict with torchvision's keys and shapes; each tensor broadcasts one random
    value per output channel (small on disk, still distinct per layer)."""
    import torchvision

    with torch.device("meta"):
        shapes = {k: v.shape for k, v in torchvision.models.vgg16().state_dict().items()}
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for key, shape in shapes.items():
        scale = 0.05 if key.endswith("weight") else 0.01
        values = scale * torch.randn(shape[0], generator=generator)
        state[key] = values.view(-1, *[1] * (len(shape) - 1)).expand(shape)
    path = folder / "vgg16-397923af.pth"
    torch.save(state, path)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve `folder` over HTTP on 127.0.0.1 (a free port) while the block runs; yields the
    base URL, e.g. 'http://127.0.0.1:43117/'."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
