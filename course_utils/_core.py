"""Shared internals of course_utils: argument checks, conversion to NumPy, a model's device and
dtype, and the three promises a helper keeps to its caller.

Every helper that takes a model follows the model's device and dtype through `model_device` /
`model_dtype`, and every helper that checks an argument raises the same clear message through
`check_tensor` / `check_int` / `check_module`: "<name> must be <what>; got <shape or type>".
The caller's state is left alone: a helper that seeds does it on a forked stream (`seeded`), a
forward pass that only measures runs through `measuring_forward` (eval mode, no autograd, mode
restored), and a helper that needs eval mode for a while uses `eval_mode`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from itertools import chain

import numpy as np
import torch
from torch import nn

# Layers that act on each element (or each channel) without mixing positions: they keep
# receptive fields, and an FCN migration carries them over unchanged.
ELEMENTWISE_LAYERS = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Sigmoid, nn.Tanh, nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.PReLU, nn.Softplus,
    nn.BatchNorm2d, nn.Dropout, nn.Dropout2d, nn.Identity,
)


def shape_or_type(x: object) -> str:
    """What a bad argument was: its shape for a tensor or array, else its type's name."""
    if isinstance(x, (torch.Tensor, np.ndarray)):
        return str(tuple(x.shape))
    return type(x).__name__


def check_int(value: object, name: str, low: int = 0) -> int:
    """Return `value` as an int if it is an int (not a bool) >= `low`; else raise ValueError
    "`name` must be an int >= `low`; got <value>"."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}; got {value!r}")
    return int(value)


def int_pair(value: object, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a (rows, cols) pair; else raise ValueError "`name` must be
    an int or a pair of ints; got <value>"."""
    def whole(v):
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    pair = (value, value) if whole(value) else tuple(value) if hasattr(value, "__iter__") else ()
    if len(pair) != 2 or not all(whole(v) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
    return int(pair[0]), int(pair[1])


def check_module(model: object, name: str = "model") -> torch.nn.Module:
    """Return `model` if it is a `torch.nn.Module`; else raise TypeError naming it."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(model).__name__}")
    return model


def to_numpy(x: object, name: str = "x") -> np.ndarray:
    """A NumPy array of a tensor (detached, on the CPU; half precision as float32) or of an
    array-like, without a copy where possible; raises TypeError naming `name` for non-numeric
    input."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        x = (x.float() if x.dtype in (torch.float16, torch.bfloat16) else x).numpy()
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric (tensor or array); got dtype {arr.dtype}")
    return arr


def check_tensor(x: object, name: str, ndim: int | tuple[int, ...], must: str,
                 floating: bool = False) -> torch.Tensor:
    """Return `x` if it is a tensor with `ndim` dimensions (one of them, for a tuple) and, with
    floating=True, a floating-point dtype; else raise ValueError "`name` must `must`; got
    <shape or type>", e.g. "x must have shape (N, C, H, W); got (3, 4)" (TypeError for a tensor
    of the wrong dtype)."""
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if not isinstance(x, torch.Tensor) or x.ndim not in ndims:
        raise ValueError(f"{name} must {must}; got {shape_or_type(x)}")
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
def kept_rng() -> Iterator[None]:
    """Run the block on a fork of torch's global random stream (CPU and every CUDA device): the
    caller's stream is the same after the block as before it."""
    with torch.random.fork_rng(devices=range(torch.cuda.device_count())):
        yield


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block on torch's global RNG seeded with `seed`, then give the caller back the
    random stream it had: a helper that seeds never reseeds its caller."""
    with kept_rng():
        torch.manual_seed(seed)
        yield


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


def leaf_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every module of `model` without children, in definition order."""
    return [(n, m) for n, m in model.named_modules() if n and not list(m.children())]


def measuring_forward(model: nn.Module, x: torch.Tensor,
                      hooks: Iterable[tuple[nn.Module, Callable]] = ()) -> object:
    """model(x) for a pass that only measures (shapes, FLOPs, activations, layer order): in eval
    mode (BatchNorm statistics stay as they are, dropout is off), without autograd, with each
    (module, forward hook) registered for this pass only; the model's mode is restored after,
    also when the pass raises. Returns the model's output."""
    with ExitStack() as stack:
        for module, hook in hooks:
            stack.callback(module.register_forward_hook(hook).remove)
        with eval_mode(model), torch.no_grad():
            return model(x)
