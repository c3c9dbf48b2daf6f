"""Trained course models: trained once with a fixed recipe, then cached as a state_dict; and
torchvision's ImageNet VGG16 weights for FULL mode (`vgg16_imagenet_state_dict`).

The cache is only an optimisation: without it (a clean clone, another machine) the model is
trained again with the same recipe and seed. Files are state_dicts loaded with
`torch.load(..., weights_only=True)` under `env.data_dir() / "cache"`. Every function seeds on a
forked random stream: the caller's global RNG is the same after the call as before it.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import torch
from torch import nn

from . import data, models, train
from ._core import seeded
from .env import data_dir

# The recipe notebook 01 derives: Adam with cosine decay, batch 32, random shifts of 2 pixels.
LENET5_RECIPE = {"lr": 2e-3, "batch_size": 32, "augment": data.random_shift}
EMBEDDED_TAG = "mnist5k"  # cache-name tag of the default training data, `data.load_digits()`


def train_lenet5(digits: data.DigitSplit, epochs: int = 15, seed: int = 0,
                 device: str | torch.device = "auto",
                 progress: bool = True) -> tuple[nn.Sequential, train.History]:
    """Train a fresh LeNet-5 on `digits` with LENET5_RECIPE; returns (model, history)."""
    with seeded(seed):
        model = models.lenet5()
        history = train.fit(model, (digits.x_train, digits.y_train),
                            val_data=(digits.x_test, digits.y_test), epochs=epochs, seed=seed,
                            device=device, progress=progress, desc="LeNet-5", **LENET5_RECIPE)
    return model.cpu(), history


# Bumped whenever training's numerics change (2: train.fit runs channels-last on the CPU), so that
# a model cached by an older version is trained again rather than loaded.
RECIPE_VERSION = 2


def cache_path(name: str) -> Path:
    """Where the cached state_dict called `name` lives."""
    return data_dir() / "cache" / f"{name}_r{RECIPE_VERSION}.pt"


def data_tag(digits: data.DigitSplit | None) -> str:
    """The cache-name tag of the training digits: EMBEDDED_TAG for the default data (None),
    else a fingerprint of the tensors, so that a model trained on other data never loads as
    the default one."""
    if digits is None:
        return EMBEDDED_TAG
    digest = hashlib.sha1()
    for t in (digits.x_train, digits.y_train, digits.x_test, digits.y_test):
        digest.update(str((tuple(t.shape), t.dtype)).encode())
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return "data" + digest.hexdigest()[:10]


def _cached(name: str, build, train_fn, cache: bool, seed: int) -> nn.Module:
    """Load `name`'s state_dict into build(), or train it with train_fn(model) and save it.
    Building and training run on one forked stream seeded with `seed` (the recipe's seeding)."""
    path = cache_path(name)
    with seeded(seed):
        model = build()
        if cache and path.is_file():
            try:
                model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
                return model.eval()
            except Exception as err:  # stale, corrupt or foreign file: retrain
                print(f"cache {path.name} unusable ({type(err).__name__}); retraining")
        model = train_fn(model).cpu()
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(model.state_dict(), tmp)
        tmp.replace(path)  # atomic: a crash never leaves half a file
    return model.eval()


def digit_classifier(seed: int = 0, epochs: int = 15, device: str | torch.device = "auto",
                     cache: bool = True, progress: bool = True,
                     digits: data.DigitSplit | None = None) -> nn.Sequential:
    """LeNet-5 trained on the embedded digits (recipe of notebook 01), in eval mode on the CPU.

    digits: the training data (default: `data.load_digits()`, loaded only when training).
    Loads the cached weights for (data, seed, epochs) when present; otherwise trains (about 7 s
    on a 2-core CPU) and, if `cache`, saves them.
    """
    def fit(model):
        return train_lenet5(digits or data.load_digits(), epochs=epochs, seed=seed,
                            device=device, progress=progress)[0]

    return _cached(f"lenet5_{data_tag(digits)}_seed{seed}_epochs{epochs}", models.lenet5, fit,
                   cache, seed)


def digit_vgg_classifier(seed: int = 0, epochs: int = 8, device: str | torch.device = "auto",
                         cache: bool = True, progress: bool = True,
                         digits: data.DigitSplit | None = None) -> nn.Sequential:
    """`models.digit_vgg()` trained on the isolated embedded digits: the backbone of the FCNs
    of notebook 06 (the analogue of ImageNet-pretrained VGG16). Cached like `digit_classifier`.
    """
    def fit(model):
        split = digits or data.load_digits()
        train.fit(model, (split.x_train, split.y_train), val_data=(split.x_test, split.y_test),
                  epochs=epochs, seed=seed, device=device, progress=progress,
                  desc="digit VGG", **LENET5_RECIPE)
        return model

    return _cached(f"digit_vgg_{data_tag(digits)}_seed{seed}_epochs{epochs}", models.digit_vgg,
                   fit, cache, seed)


def window_classifier(seed: int = 0, epochs: int = 8, n_canvases: int = 1500,
                      device: str | torch.device = "auto", cache: bool = True,
                      progress: bool = True,
                      digits: data.DigitSplit | None = None) -> nn.Sequential:
    """LeNet-5 with an 11th class, `data.NO_DIGIT`: trained on 32x32 windows of digit canvases.

    The windows (`data.window_dataset`) come from `n_canvases` 96x96 canvases of 2-4 *training*
    digits (of `digits`, default `data.load_digits()`): every digit once, centred to within 2
    pixels, and three windows per canvas without a centred digit (empty, or holding parts of
    off-centre digits). Adam with cosine decay, batch 32. Cached like `digit_classifier`;
    otherwise trained (about 10 s on a 2-core CPU).
    """
    def fit(model):
        split = digits or data.load_digits()
        canvases = data.make_digit_canvases(split.x_train, split.y_train, n_canvases, 96, 96,
                                            num_digits=(2, 4), seed=seed)
        x, y = data.window_dataset(canvases, seed=seed)
        train.fit(model, (x, y), epochs=epochs, lr=LENET5_RECIPE["lr"],
                  batch_size=LENET5_RECIPE["batch_size"], seed=seed, device=device,
                  progress=progress, desc="window LeNet-5")
        return model

    name = f"window_lenet5_seed{seed}_epochs{epochs}_canvases{n_canvases}"
    if digits is not None:
        name += f"_{data_tag(digits)}"
    return _cached(name, lambda: models.lenet5(num_classes=data.WINDOW_CLASSES), fit, cache,
                   seed)


VGG16_IMAGENET = data.Remote(("https://download.pytorch.org/models/vgg16-397923af.pth",),
                             ("sha256", "397923af"), 553_433_881)  # torch.hub: hash in the name


def vgg16_imagenet_state_dict(progress: bool = True) -> dict[str, torch.Tensor]:
    """torchvision's ImageNet weights of VGG16 (`VGG16_Weights.IMAGENET1K_V1`), for
    `torchvision.models.vgg16().load_state_dict` (keys "features.0.weight" ... "classifier.6.bias").

    Downloaded once (553 MB = 528 MiB, ~10 to 30 s on Colab) with a progress bar to torch.hub's
    checkpoint folder (`torch.hub.get_dir() / "checkpoints"`, shared with torchvision) and loaded
    with `weights_only=True`. Raises data.DownloadUnavailable (one line) when it cannot be fetched;
    a file on disk that cannot be read raises data.IncompleteDownload naming it.
    """
    path = data.fetch(VGG16_IMAGENET, Path(torch.hub.get_dir()) / "checkpoints", progress)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as err:
        raise data.IncompleteDownload(path, f"{path.name} cannot be read ({err})") from err
