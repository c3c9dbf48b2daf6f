"""A small fit / evaluate loop with tqdm progress bars; CPU and CUDA.

Works for classification (logits (N, C), targets (N,)) and for dense prediction
(logits (N, C, H, W), targets (N, H, W)) alike: accuracy is the share of target elements whose
argmax over dim 1 is right, ignoring targets equal to the loss' `ignore_index`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn.parameter import is_lazy
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from ._core import check_module, eval_mode
from .env import get_device

Data = tuple[torch.Tensor, ...] | DataLoader


@dataclass
class History:
    """Per-epoch figures of a `fit` run: train loss/accuracy and, if given, validation ones."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def _loader(data: Data, batch_size: int, shuffle: bool, generator=None) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if not (isinstance(data, (tuple, list)) and len(data) >= 2):
        raise TypeError("data must be a DataLoader or a pair (inputs, targets) of tensors")
    x, y, *extra = data
    if not all(isinstance(t, torch.Tensor) for t in data):
        raise TypeError(
            f"data must hold tensors (inputs, targets, ...); got "
            f"({', '.join(type(t).__name__ for t in data)})"
        )
    for t in (y, *extra):
        if len(t) != len(x):
            raise ValueError(
                f"data: inputs and targets must have the same length; got {len(x)} and {len(t)}"
            )
    if not x.is_floating_point():
        raise TypeError(f"data: inputs must be a floating-point tensor; got {x.dtype}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def _ignore_index(loss_fn) -> int | None:
    return getattr(loss_fn, "ignore_index", None)


def _correct(logits: torch.Tensor, y: torch.Tensor, ignore_index: int | None) -> tuple[int, int]:
    valid = torch.ones_like(y, dtype=torch.bool) if ignore_index is None else y != ignore_index
    right = (logits.argmax(1) == y) & valid
    return int(right.sum()), int(valid.sum())


def fit(
    model: nn.Module,
    train_data: Data,
    *,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 64,
    val_data: Data | None = None,
    loss_fn: Callable | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    device: str | torch.device = "auto",
    cosine: bool = True,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    seed: int | None = 0,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train `model` in place with Adam (or `optimizer`) and return its History.

    train_data / val_data: a DataLoader, or tensors (x: (N, ...) float, y: (N, ...) int64,
    then optionally more per-sample tensors, e.g. U-Net weight maps, passed to loss_fn after y).
    loss_fn: default `nn.CrossEntropyLoss()` (mean over every element, i.e. over pixels too).
    cosine: anneal the learning rate from `lr` to 0 along a cosine over all steps (steadier
    final accuracy than a constant rate).
    augment: applied to each training batch of inputs (e.g. `data.random_shift`).
    seed: seeds the shuffling order (None = torch's global generator). One progress bar counts
    batches over all epochs and shows the latest loss and accuracies.
    """
    check_module(model)
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1; got {epochs}")
    dev = device if isinstance(device, torch.device) else get_device(device)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    train_loader = _loader(train_data, batch_size, shuffle=True, generator=gen)
    val_loader = None if val_data is None else _loader(val_data, 256, shuffle=False)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    # On the CPU, oneDNN's convolutions and poolings run 1.4x faster on channels-last tensors;
    # the model's parameters go back to the usual layout at the end.
    channels_last = dev.type == "cpu" and not any(is_lazy(p) for p in model.parameters())
    model.to(dev, memory_format=torch.channels_last) if channels_last else model.to(dev)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * len(train_loader)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if cosine else None
    history = History()
    bar = tqdm(total=steps, desc=desc, disable=not progress,
               mininterval=0.5)
    for epoch in range(epochs):
        model.train()
        total_loss, right, count, seen = 0.0, 0, 0, 0
        for x, y, *extra in train_loader:
            x, y = x.to(dev, non_blocking=True), y.to(dev, non_blocking=True)
            extra = [t.to(dev, non_blocking=True) for t in extra]
            if augment is not None:
                x = augment(x)
            if channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            optimizer.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y, *extra)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            total_loss += loss.item() * len(x)
            seen += len(x)
            r, c = _correct(logits.detach(), y, _ignore_index(loss_fn))
            right, count = right + r, count + c
            bar.update(1)
            bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=f"{loss.item():.3f}", refresh=False)
        history.train_loss.append(total_loss / max(seen, 1))
        history.train_acc.append(right / max(count, 1))
        postfix = {"epoch": f"{epoch + 1}/{epochs}", "loss": f"{history.train_loss[-1]:.3f}",
                   "acc": f"{history.train_acc[-1]:.3f}"}
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, loss_fn=loss_fn, device=dev)
            history.val_loss.append(val_loss)
            history.val_acc.append(val_acc)
            postfix["val_acc"] = f"{val_acc:.3f}"
        bar.set_postfix(postfix)
    bar.close()
    if channels_last:
        model.to(memory_format=torch.contiguous_format)
    return history


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Data,
    *,
    loss_fn: Callable | None = None,
    batch_size: int = 256,
    device: str | torch.device = "auto",
) -> tuple[float, float]:
    """(mean loss, accuracy) of `model` on `data` (DataLoader or (x, y) tensors), in eval mode."""
    check_module(model)
    dev = device if isinstance(device, torch.device) else get_device(device)
    loader = _loader(data, batch_size, shuffle=False)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    total_loss, seen, right, count = 0.0, 0, 0, 0
    with eval_mode(model.to(dev)):
        for x, y, *extra in loader:
            x, y = x.to(dev), y.to(dev)
            logits = model(x)
            total_loss += loss_fn(logits, y, *[t.to(dev) for t in extra]).item() * len(x)
            seen += len(x)
            r, c = _correct(logits, y, _ignore_index(loss_fn))
            right, count = right + r, count + c
    return total_loss / max(seen, 1), right / max(count, 1)


@torch.no_grad()
def predict(
    model: nn.Module,
    x: torch.Tensor,
    *,
    batch_size: int = 256,
    device: str | torch.device = "auto",
) -> torch.Tensor:
    """Logits of `model` for inputs x (N, ...), computed in batches, returned on the CPU."""
    check_module(model)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point torch.Tensor of shape (N, ...)")
    dev = device if isinstance(device, torch.device) else get_device(device)
    with eval_mode(model.to(dev)):
        out = [model(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(out)
