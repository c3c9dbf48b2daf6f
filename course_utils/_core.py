"""Shared internals of course_utils: argument checks, a model's device and dtype, eval mode.

Every helper that takes a model follows the model's device and dtype through `model_device` /
`model_dtype`, and every helper that checks a tensor argument raises the same clear message
through `check_tensor`: "<name> must be <what>; got <shape or type>".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain

import torch
from torch import nn

# Layers that act on each element (or each channel) without mixing positions: they keep
# receptive fields, and an FCN migration carries them over unchanged.
ELEMENTWISE_LAYERS = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.PReLU, nn.Softplus,
    nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.Identity,
)


def described(x: object) -> str:
    """What a bad argument was: its shape for a tensor, else its type's name."""
    return str(tuple(x.shape)) if isinstance(x, torch.Tensor) else type(x).__name__


def check_tensor(x: object, name: str, ndim: int | tuple[int, ...], must: str,
                 floating: bool = False) -> torch.Tensor:
    """Return `x` if it is a tensor with `ndim` dimensions (one of them, for a tuple) and, with
    floating=True, a floating-point dtype; else raise ValueError "`name` must `must`; got
    <shape or type>", e.g. "x must have shape (N, C, H, W); got (3, 4)" (TypeError for a tensor
    of the wrong dtype)."""
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if not isinstance(x, torch.Tensor) or x.ndim not in ndims:
        raise ValueError(f"{name} must {must}; got {described(x)}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got {x.dtype}")
    return x


def check_size(size: object, name: str, lengths: tuple[int, ...] | None,
               what: str) -> tuple[int, ...]:
    """Return `size` as a tuple of positive ints (of one of `lengths`, if given); else raise
    ValueError "`name` must be `what`; got <size>"."""
    values = () if isinstance(size, int) or not hasattr(size, "__iter__") else tuple(size)
    if (not values or (lengths is not None and len(values) not in lengths)
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values)):
        raise ValueError(f"{name} must be {what}; got {size!r}")
    return values


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (or buffer); the CPU for a model without."""
    for tensor in chain(model.parameters(), model.buffers()):
        return tensor.device
    return torch.device("cpu")


def model_dtype(model: nn.Module) -> torch.dtype:
    """The floating-point dtype of the model's first floating parameter; float32 without."""
    for tensor in chain(model.parameters(), model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.float32


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Switch `model` to eval mode for the block and restore its mode afterwards, also when the
    block raises."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
