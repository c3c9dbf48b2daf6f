"""Trained course models: trained once with a fixed recipe, then cached as a state_dict.

The cache is only an optimisation: without it (a clean clone, another machine) the model is
trained again with the same recipe and seed. Files are state_dicts loaded with
`torch.load(..., weights_only=True)` under `env.data_dir() / "cache"`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from . import data, models, train
from .env import data_dir

# The recipe notebook 01 derives: Adam with cosine decay, batch 32, random shifts of 2 pixels.
LENET5_RECIPE = {"lr": 2e-3, "batch_size": 32, "augment": data.random_shift}


def train_lenet5(digits: data.DigitSplit, epochs: int = 15, seed: int = 0,
                 device: str | torch.device = "auto",
                 progress: bool = True) -> tuple[nn.Sequential, train.History]:
    """Train a fresh LeNet-5 on `digits` with LENET5_RECIPE; returns (model, history)."""
    torch.manual_seed(seed)
    model = models.lenet5()
    history = train.fit(model, (digits.x_train, digits.y_train),
                        val_data=(digits.x_test, digits.y_test), epochs=epochs, seed=seed,
                        device=device, progress=progress, desc="LeNet-5", **LENET5_RECIPE)
    return model.cpu(), history


def cache_path(name: str) -> Path:
    """Where the cached state_dict called `name` lives."""
    return data_dir() / "cache" / f"{name}.pt"


def _cached(name: str, model: nn.Module, train_fn, cache: bool) -> nn.Module:
    """Load `name`'s state_dict into `model`, or train it with train_fn(model) and save it."""
    path = cache_path(name)
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
                     cache: bool = True, progress: bool = True) -> nn.Sequential:
    """LeNet-5 trained on the embedded digits (recipe of notebook 01), in eval mode on the CPU.

    Loads the cached weights for (seed, epochs) when present; otherwise trains (about 7 s on a
    2-core CPU) and, if `cache`, saves them.
    """
    def fit(model):
        return train_lenet5(data.load_digits(), epochs=epochs, seed=seed, device=device,
                            progress=progress)[0]

    return _cached(f"lenet5_mnist5k_seed{seed}_epochs{epochs}", models.lenet5(), fit, cache)


def digit_vgg_classifier(seed: int = 0, epochs: int = 8, device: str | torch.device = "auto",
                         cache: bool = True, progress: bool = True) -> nn.Sequential:
    """`models.digit_vgg()` trained on the isolated embedded digits: the backbone of the FCNs
    of notebook 06 (the analogue of ImageNet-pretrained VGG16). Cached like `digit_classifier`.
    """
    def fit(model):
        digits = data.load_digits()
        train.fit(model, (digits.x_train, digits.y_train), val_data=(digits.x_test, digits.y_test),
                  epochs=epochs, seed=seed, device=device, progress=progress,
                  desc="digit VGG", **LENET5_RECIPE)
        return model

    torch.manual_seed(seed)
    return _cached(f"digit_vgg_mnist5k_seed{seed}_epochs{epochs}", models.digit_vgg(), fit, cache)


def window_classifier(seed: int = 0, epochs: int = 8, n_canvases: int = 1500,
                      device: str | torch.device = "auto", cache: bool = True,
                      progress: bool = True) -> nn.Sequential:
    """LeNet-5 with an 11th class, `data.NO_DIGIT`: trained on 32x32 windows of digit canvases.

    The windows (`data.window_dataset`) come from `n_canvases` 96x96 canvases of 2-4 *training*
    digits: every digit once, centred to within 2 pixels, and three windows per canvas without a
    centred digit (empty, or holding parts of off-centre digits). Adam with cosine decay, batch
    32. Cached like `digit_classifier`; otherwise trained (about 10 s on a 2-core CPU).
    """
    def fit(model):
        digits = data.load_digits()
        canvases = data.make_digit_canvases(digits.x_train, digits.y_train, n_canvases, 96, 96,
                                            num_digits=(2, 4), seed=seed)
        x, y = data.window_dataset(canvases, seed=seed)
        train.fit(model, (x, y), epochs=epochs, lr=LENET5_RECIPE["lr"],
                  batch_size=LENET5_RECIPE["batch_size"], seed=seed, device=device,
                  progress=progress, desc="window LeNet-5")
        return model

    torch.manual_seed(seed)
    return _cached(f"window_lenet5_seed{seed}_epochs{epochs}_canvases{n_canvases}",
                   models.lenet5(num_classes=data.WINDOW_CLASSES), fit, cache)
