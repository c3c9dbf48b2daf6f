"""Where the course runs: device choice, seeding, Colab detection, data folder."""

from __future__ import annotations

import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def in_colab() -> bool:
    """True when running inside Google Colab (its `google.colab` module is imported)."""
    return "google.colab" in sys.modules


def get_device(device: str = "auto") -> torch.device:
    """The torch device for `device` = "auto" | "cpu" | "cuda" (also "cuda:N").

    "auto" picks CUDA when available, else the CPU. Asking for "cuda" without a GPU raises.
    """
    if not isinstance(device, str):
        raise TypeError(f"device must be a string, one of {DEVICE_CHOICES}; got {type(device)!r}")
    name = device.strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={device!r} was requested but no CUDA GPU is available; "
                "use device='auto' or 'cpu'"
            )
        return torch.device(name)
    raise ValueError(f"device must be one of {DEVICE_CHOICES} (or 'cuda:N'); got {device!r}")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's `random`, NumPy and torch (CPU and CUDA) with `seed`.

    Returns a fresh `torch.Generator` seeded the same way, for data loaders and generators
    that should not depend on the global state.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32); got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def data_dir() -> Path:
    """Folder for downloads (FULL mode): $COURSE_DATA, else the checkout's `data/`, else a cache.

    The folder is created if missing.
    """
    env = os.environ.get("COURSE_DATA")
    if env:
        path = Path(env).expanduser()
    else:
        checkout_data = Path(__file__).resolve().parent.parent / "data"
        if (checkout_data / "README.md").is_file():
            path = checkout_data
        else:
            path = Path.home() / ".cache" / "course_utils"
    path.mkdir(parents=True, exist_ok=True)
    return path


def device_summary(device: torch.device) -> str:
    """One line naming the device, the torch version and whether this is Colab."""
    where = "Colab" if in_colab() else "local"
    gpu = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    return f"device={device}{gpu}, torch {torch.__version__}, {where}"


def best_time(fn: Callable[[], object], repeats: int = 5,
              device: torch.device | str | None = None) -> float:
    """The fastest of `repeats` calls of fn(), in seconds (the least disturbed by other work).

    With a CUDA `device` each call is synchronised first, so queued GPU work is counted.
    """
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1; got {repeats!r}")
    cuda = device is not None and torch.device(device).type == "cuda"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return min(times)
