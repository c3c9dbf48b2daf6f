"""Receptive fields of every layer of any traceable network — exact, not just for chains.

Per axis (height, width) each layer gets three numbers (Araujo et al., Distill 2019):
size R, effective stride (jump) S and effective padding P, so that unit u of the layer covers the
input pixels [u*S - P, u*S - P + R - 1] (indices may fall outside the image: that part is padding).
Through a layer with kernel k, stride s, padding p and dilation d (k' = d*(k-1) + 1):
    R' = R + (k' - 1) * S,    S' = S * s,    P' = P + p * S.

The graph comes from `torch.fx`, so residual adds, concatenations and functional pooling are seen
(hook-based tools miss them). Rules beyond conv/pool:
- element-wise ops (activations, BatchNorm in eval mode, dropout) keep the receptive field;
- adds / multiplies / channel concatenations merge branches that must be *aligned*: the same
  stride and the same centre offset (R - 1)/2 - P; the merged RF is the largest. Otherwise
  `BranchAlignmentError` names the disagreeing branches;
- Flatten, Linear, view/reshape and means over space make the RF the whole input;
- adaptive pooling is resolved with the known input size: output = input is the identity,
  output 1 covers the whole axis, an input divisible by the output is a regular pooling
  (kernel = stride = input/output); other sizes give windows of varying size and raise;
- spatial slicing (x[..., a:b, c:d], as in U-Net's crop) and zero/constant padding layers
  shift the offset;
- transposed convolution and interpolation raise `UnsupportedLayerError`: their units do not
  share one receptive-field size (fractional stride).
If a model cannot be traced, its leaf modules are treated as a chain in call order (a warning
says so): right for sequential nets only.
"""

from __future__ import annotations

import warnings

import torch
import torch.fx as fx
from torch import nn

from .._core import check_module, leaf_modules, measuring_forward, model_device, model_dtype
from ._graph import display_names, image_size
from .rules import function_rule, method_rule, module_rule
from .table import (
    AxisRF,
    BranchAlignmentError,
    LayerRF,
    ReceptiveFieldTable,
    UnsupportedLayerError,
    chain,
)

__all__ = ["AxisRF", "BranchAlignmentError", "LayerRF", "ReceptiveFieldTable",
           "UnsupportedLayerError", "chain", "receptive_fields", "trace"]


def trace(model: nn.Module) -> fx.GraphModule | None:
    """The fx graph of `model`, or None (with a warning) when it cannot be traced."""
    check_module(model)
    try:
        return fx.symbolic_trace(model)
    except Exception as err:  # data-dependent control flow, unsupported Python
        warnings.warn(f"could not trace {type(model).__name__} ({type(err).__name__}: {err}); "
                      "treating its leaf modules as a chain in call order", stacklevel=3)
        return None


def receptive_fields(model: nn.Module, input_size) -> ReceptiveFieldTable:
    """Receptive field of every layer of `model` for inputs of size (C, H, W) or (H, W).

    Returns a table (see `ReceptiveFieldTable`) with one `LayerRF` per layer that outputs a
    tensor, in execution order. No forward pass is run. Raises `UnsupportedLayerError` or
    `BranchAlignmentError` naming the layer.
    """
    image = image_size(input_size)
    gm = trace(model)
    if gm is None:
        return _chain_from_hooks(model, input_size, image)
    start = (AxisRF(1, 1, 0, image[0]), AxisRF(1, 1, 0, image[1]))
    names = display_names(gm)
    rfs: dict[fx.Node, LayerRF] = {}
    rows = []
    blocks: dict[str, str] = {}  # block (submodule) name -> its last layer so far
    for node in gm.graph.nodes:
        if node.op == "placeholder":
            if not rfs:  # the first input is the image; others (if any) are ignored
                rfs[node] = LayerRF("input", "input", *start)
            continue
        if node.op in ("output", "get_attr"):
            continue
        if not _depends(node, rfs) or _is_shape_query(node):
            continue  # constants, or x.size() / x.shape: no feature map
        where = names[node]
        if node.op == "call_module":
            src = rfs[node.args[0]]
            h, w = module_rule(gm.get_submodule(node.target), src.height, src.width, where,
                                image)
            kind = type(gm.get_submodule(node.target)).__name__
        elif node.op == "call_function":
            h, w = function_rule(node, rfs, gm, image)
            kind = getattr(node.target, "__name__", str(node.target))
        else:
            h, w = method_rule(node, rfs, image)
            kind = f".{node.target}()"
        rfs[node] = LayerRF(where, kind, h, w)
        rows.append(rfs[node])
        scopes = list(node.meta.get("nn_module_stack", {}))
        scopes += [node.target] if node.op == "call_module" else []
        for block in _with_parents(scopes):
            blocks[block] = where
    return ReceptiveFieldTable(rows, image, blocks)


def _with_parents(scopes: list[str]) -> set[str]:
    """Every scope and every dotted parent of it: 'layer4.1.conv1' -> layer4, layer4.1, ..."""
    parts = {".".join(s.split(".")[:k]) for s in scopes for k in range(1, s.count(".") + 2)}
    return {p for p in parts if p}


def _is_shape_query(node: fx.Node) -> bool:
    return (node.op == "call_method" and node.target in ("size", "dim")) or (
        node.op == "call_function" and node.target is getattr)


def _depends(node: fx.Node, rfs: dict) -> bool:
    found = []
    fx.node.map_arg((node.args, node.kwargs), lambda n: found.append(n in rfs) or n)
    return any(found)


def _chain_from_hooks(model: nn.Module, input_size, image) -> ReceptiveFieldTable:
    order: list[tuple[str, nn.Module]] = []
    leaves = leaf_modules(model)
    shape = (1, *input_size) if len(input_size) == 3 else (1, 1, *input_size)
    measuring_forward(model, torch.zeros(shape, device=model_device(model),
                                         dtype=model_dtype(model)),
                      [(m, lambda mod, i, o, n=n: order.append((n, mod))) for n, m in leaves])
    h, w = AxisRF(1, 1, 0, image[0]), AxisRF(1, 1, 0, image[1])
    rows, blocks = [], {}
    for name, module in order:
        h, w = module_rule(module, h, w, name, image)
        rows.append(LayerRF(name, type(module).__name__, h, w))
        blocks.update(dict.fromkeys(_with_parents([name]), name))
    return ReceptiveFieldTable(rows, image, blocks)
