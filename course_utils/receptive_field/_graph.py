"""Internals shared by the receptive-field engine and its gradient check: fx graph access,
display names of layers, argument normalisation, the element-wise functions and methods."""

from __future__ import annotations

import operator

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from .._core import check_size

ELEMENTWISE_FUNCTIONS = {
    F.relu, F.relu6, F.leaky_relu, F.elu, F.gelu, F.silu, F.hardswish, F.hardsigmoid,
    F.sigmoid, F.tanh, F.dropout, F.dropout2d, torch.relu, torch.sigmoid, torch.tanh,
    torch.exp, torch.abs, operator.neg, operator.pos,
}
ELEMENTWISE_METHODS = {"relu", "relu_", "sigmoid", "tanh", "contiguous", "clone", "float",
                       "double", "exp", "abs", "neg", "detach"}


def pair(v) -> tuple[int, int]:
    """An int or a pair as (height, width)."""
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def arg(node: fx.Node, index: int, name: str, default):
    """Argument `index` (or keyword `name`) of a graph node's call."""
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def fetch(gm: nn.Module, target: str):
    """The submodule, parameter or buffer at a dotted `target` path."""
    obj = gm
    for part in target.split("."):
        obj = getattr(obj, part)
    return obj


def image_size(input_size) -> tuple[int, int]:
    """(H, W) of an input size (C, H, W) or (H, W); a clear ValueError otherwise."""
    size = check_size(input_size, "input_size", (2, 3), "(C, H, W) or (H, W) with positive ints")
    return size[-2], size[-1]


def display_names(gm: fx.GraphModule) -> dict[fx.Node, str]:
    """Each node's name in tables: the module path for a module called once, "path:k" for the
    k-th call of a shared one, the fx node name for functions and methods."""
    calls: dict[str, int] = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            calls[node.target] = calls.get(node.target, 0) + 1
    seen: dict[str, int] = {}
    names = {}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            seen[node.target] = seen.get(node.target, 0) + 1
            names[node] = (node.target if calls[node.target] == 1
                           else f"{node.target}:{seen[node.target]}")
        else:
            names[node] = node.name
    return names
