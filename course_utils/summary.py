"""Model introspection: a Keras-style `model.summary()`, per-layer outputs, parameter and FLOP
counts, and the total stride of a network."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from ._core import (
    check_module,
    check_size,
    leaf_modules,
    measuring_forward,
    model_device,
    model_dtype,
)


@dataclass
class LayerRow:
    name: str  # module path, e.g. "features.0"
    kind: str  # class name, e.g. "Conv2d"
    output_shape: tuple[int | None, ...]  # batch dimension shown as None
    params: int


@dataclass
class Summary:
    """Rows in call order plus parameter totals; prints like Keras' `model.summary()`."""

    rows: list[LayerRow] = field(default_factory=list)
    total: int = 0
    trainable: int = 0
    bytes: int = 0

    @property
    def non_trainable(self) -> int:
        return self.total - self.trainable

    def params_by_layer(self) -> dict[str, int]:
        """{layer name: #params} for the layers that have parameters, in call order."""
        return {r.name: r.params for r in self.rows if r.params}

    def __str__(self) -> str:
        head = ("Layer (type)", "Output Shape", "Param #")
        lines = [(f"{r.name} ({r.kind})", str(r.output_shape), f"{r.params:,}") for r in self.rows]
        w0 = max(len(head[0]), *(len(a) for a, _, _ in lines)) + 2
        w1 = max(len(head[1]), *(len(b) for _, b, _ in lines)) + 2
        w2 = max(len(head[2]), *(len(c) for _, _, c in lines))
        rule = "=" * (w0 + w1 + w2)
        out = [f"{head[0]:<{w0}}{head[1]:<{w1}}{head[2]:>{w2}}", rule]
        out += [f"{a:<{w0}}{b:<{w1}}{c:>{w2}}" for a, b, c in lines]
        out += [
            rule,
            f"Total params: {self.total:,} ({_human_bytes(self.bytes)})",
            f"Trainable params: {self.trainable:,}",
            f"Non-trainable params: {self.non_trainable:,}",
        ]
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)


def _human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    raise AssertionError("unreachable")


def _check_input_size(input_size: Sequence[int]) -> tuple[int, ...]:
    return check_size(input_size, "input_size", None, "a tuple of positive ints without the "
                      "batch dimension, e.g. (1, 32, 32) for (C, H, W)")


def _run_with_hooks(model: nn.Module, x: torch.Tensor, hook) -> None:
    try:
        measuring_forward(model, x, [(m, hook(name)) for name, m in leaf_modules(model)])
    except Exception as err:
        raise ValueError(
            f"model could not run on an input of shape {tuple(x.shape)}: {err}"
        ) from err


def summary(model: nn.Module, input_size: Sequence[int]) -> Summary:
    """Layer table of `model` for one input of shape `input_size` = (C, H, W) (no batch dim).

    Runs one forward pass on the model's device (the `meta` device works too: shapes without
    memory). One row per leaf module call: name, output shape (batch shown as None), #params.
    """
    check_module(model)
    size = _check_input_size(input_size)
    rows: list[LayerRow] = []

    def hook(name):
        def record(module, inputs, output):
            shape = tuple(output.shape) if isinstance(output, torch.Tensor) else ()
            params = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(LayerRow(name, type(module).__name__, (None, *shape[1:]), params))

        return record

    x = torch.zeros((1, *size), device=model_device(model), dtype=model_dtype(model))
    _run_with_hooks(model, x, hook)
    seen: set[str] = set()
    for row in rows:  # a module called twice shows its parameters once
        if row.name in seen:
            row.params = 0
        seen.add(row.name)
    params = list(model.parameters())
    return Summary(
        rows=rows,
        total=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in params if p.requires_grad),
        bytes=sum(p.numel() * p.element_size() for p in params),
    )


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of `model` (optionally only those with requires_grad)."""
    check_module(model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def layer_outputs(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """{leaf-module name: its output} for one forward pass of `x` (N, C, H, W), in call order.

    Outputs are detached and moved to the CPU, ready to plot.
    """
    check_module(model)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor; got {type(x).__name__}")
    outputs: dict[str, torch.Tensor] = {}

    def hook(name):
        def record(module, inputs, output):
            if isinstance(output, torch.Tensor):
                outputs[name] = output.detach().to("cpu", copy=True)  # safe from in-place ops

        return record

    _run_with_hooks(model, x.to(model_device(model), model_dtype(model)), hook)
    return outputs


def conv_flops(model: nn.Module, input_size: tuple[int, int, int]) -> int:
    """Multiply-adds x 2 of all Conv2d / Linear layers for one input of shape `input_size` =
    (C, H, W), run on the model's device (the meta device works: shapes only) in eval mode; the
    model's mode and BatchNorm statistics stay as they were."""
    check_module(model)
    shape = _check_input_size(input_size)
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
            total += 2 * per_output * output.numel()
        elif isinstance(module, nn.Linear):
            total += 2 * module.in_features * output.numel()

    x = torch.zeros(1, *shape, device=model_device(model), dtype=model_dtype(model))
    measuring_forward(model, x, [(m, hook) for m in model.modules()
                                 if isinstance(m, (nn.Conv2d, nn.Linear))])
    return total


def total_stride(model: nn.Module) -> int:
    """Product of the strides of all conv/pool layers (one axis; square strides assumed)."""
    f = 1
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            s = m.stride if m.stride is not None else m.kernel_size
            f *= s if isinstance(s, int) else s[0]
    return f
