"""Oxford-IIIT Pet for segmentation (FULL mode): download, check, a breed-balanced seeded
subset, and (photo, trimap) pairs turned into grey images and pet / background / void labels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..env import data_dir
from .downloads import IncompleteDownload, Remote, fetch, unpack
from .labels import VOID


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


PETS_FOLDER = "oxford-iiit-pet"  # torchvision's OxfordIIITPet layout, under env.data_dir()
PETS_HOST = "https://www.robots.ox.ac.uk/~vgg/data/pets/data/"
PETS_ARCHIVES = (  # md5 as torchvision lists them
    Remote((PETS_HOST + "images.tar.gz",), ("md5", "5c4f3ee8e5d25df40f4fd59a7f44e54c"),
           791_918_971),
    Remote((PETS_HOST + "annotations.tar.gz",), ("md5", "95a8c909bbe2e81eed6a22bccdf3f68f"),
           19_173_078),
)
PETS_SPLITS = ("trainval", "test")


def pets_listing(folder: Path, split: str) -> tuple[list[str], np.ndarray]:
    """The image names of an Oxford-IIIT Pet split and their breeds (0..36), from
    `annotations/<split>.txt` (lines "Abyssinian_100 1 1 1": name, breed 1..37, species, id)."""
    if split not in PETS_SPLITS:
        raise ValueError(f"split must be one of {PETS_SPLITS}; got {split!r}")
    listing = Path(folder) / "annotations" / f"{split}.txt"
    if not listing.is_file():
        raise IncompleteDownload(folder, f"Oxford-IIIT Pet at {folder} has no annotations/"
                                 f"{split}.txt")
    names, breeds = [], []
    for line in listing.read_text().splitlines():
        fields = line.split()
        if len(fields) >= 2 and not line.startswith("#"):
            names.append(fields[0])
            breeds.append(int(fields[1]) - 1)
    return names, np.array(breeds, dtype=np.int64)


def check_pets_folder(folder: Path) -> None:
    """Raise IncompleteDownload, naming `folder` to delete, when an image or trimap that the
    split listings name is missing (e.g. an extraction that was interrupted)."""
    folder = Path(folder)
    have = {sub: set(os.listdir(folder / sub)) if (folder / sub).is_dir() else set()
            for sub in ("images", "annotations/trimaps")}
    for split in PETS_SPLITS:
        names, _ = pets_listing(folder, split)
        missing = [f"images/{n}.jpg" for n in names if f"{n}.jpg" not in have["images"]]
        missing += [f"annotations/trimaps/{n}.png" for n in names
                    if f"{n}.png" not in have["annotations/trimaps"]]
        if missing:
            raise IncompleteDownload(folder, f"Oxford-IIIT Pet at {folder} is incomplete: "
                                     f"{len(missing)} files that {split}.txt lists are missing "
                                     f"(e.g. {missing[0]})")


def pets_folder(progress: bool = True) -> Path:
    """The Oxford-IIIT Pet folder under `env.data_dir()`, downloaded (~811 MB) and unpacked
    first when needed; an archive left beside it means an unpacking that did not finish, so it
    is unpacked again. The archives are deleted once the folder is complete. Raises
    DownloadUnavailable when it cannot be fetched, IncompleteDownload when files are missing."""
    folder = data_dir() / PETS_FOLDER
    archives = [folder / remote.name for remote in PETS_ARCHIVES]
    unpacked = (folder / "images").is_dir() and (folder / "annotations").is_dir()
    if not unpacked or any(a.exists() for a in archives):
        for remote in PETS_ARCHIVES:
            unpack(fetch(remote, folder, progress), folder)
    check_pets_folder(folder)
    for archive in archives:
        archive.unlink(missing_ok=True)
    return folder


def breed_balanced_subset(breeds: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Sorted indices of `n` entries drawn at random, in turn from every breed (each breed's
    entries shuffled, breeds visited in a random order), so that n >= number of breeds covers
    them all and the counts per breed differ by at most one while a breed has entries left.
    The draw depends only on (`breeds`, `n`, `seed`); n=None or n >= len(breeds) takes all."""
    breeds = np.asarray(breeds)
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1):
        raise ValueError(f"n must be None or an int >= 1; got {n!r}")
    if n is None or n >= len(breeds):
        return np.arange(len(breeds))
    rng = np.random.default_rng(seed)
    queues = [rng.permutation(np.flatnonzero(breeds == b))
              for b in rng.permutation(np.unique(breeds))]
    turns = [q[k] for k in range(max(map(len, queues))) for q in queues if k < len(q)]
    return np.sort(np.array(turns[:n]))


def _pet_pairs(folder: Path, names: list[str], size: int, desc: str, progress: bool):
    from PIL import Image

    for name in tqdm(names, desc=desc, disable=not progress, mininterval=0.5):
        with Image.open(folder / "images" / f"{name}.jpg") as image, \
                Image.open(folder / "annotations" / "trimaps" / f"{name}.png") as trimap:
            image.draft("L", (size, size))  # JPEG: decode at a reduced scale, much faster
            yield image.convert("L"), trimap.copy()


def load_oxford_pets(size: int = 96, n_train: int | None = None, n_val: int | None = None,
                     seed: int = 0, progress: bool = True):
    """((x_train, y_train), (x_val, y_val)) from Oxford-IIIT Pet (FULL mode only), as
    `pet_segmentation` returns them: grey photos (N, 1, size, size) and labels (N, size, size).

    Training photos come from the `trainval` split, validation photos from `test`; `n_train` /
    `n_val` photos of each (None: all 3,680 / 3,669) are drawn by `breed_balanced_subset` with
    `seed`, so every breed is represented. The first call downloads ~811 MB (images 792 MB,
    trimaps 19 MB) to `env.data_dir() / "oxford-iiit-pet"` (~1 to 3 minutes on Colab, ~800 MB
    once unpacked). Raises DownloadUnavailable when it cannot be fetched and IncompleteDownload,
    naming the folder to delete, when files are missing.
    """
    folder = pets_folder(progress)
    splits = []
    for index, (split, n) in enumerate(zip(PETS_SPLITS, (n_train, n_val))):
        names, breeds = pets_listing(folder, split)
        pick = breed_balanced_subset(breeds, n, seed + index)
        pairs = _pet_pairs(folder, [names[i] for i in pick], size, f"reading {split} photos",
                           progress)
        splits.append(pet_segmentation(pairs, size))
    return splits[0], splits[1]
