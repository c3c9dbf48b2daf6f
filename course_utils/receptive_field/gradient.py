"""Receptive fields measured with autograd: the exact ground truth and the effective RF.

- `gradient_receptive_field`: the exact set of input pixels that can change a unit, from the
  gradient of a *positive twin* of the network (no cancellation, no dead ReLU, no max that
  ignores its window), so it is structural: independent of weights and inputs.
- `effective_receptive_field` (Luo et al., NeurIPS 2016): mean |d unit / d input| of the real
  network over random inputs and initialisations.
Layer names are those of `receptive_field.receptive_fields`.
"""

from __future__ import annotations

import copy
import operator

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from .._core import ELEMENTWISE_LAYERS, model_device, seeded
from . import _graph
from .engine import UnsupportedLayerError


class _Stop(Exception):
    pass


class _Capture(fx.Interpreter):
    """Runs a graph up to one node and keeps that node's value."""

    def __init__(self, gm: fx.GraphModule, node: fx.Node):
        super().__init__(gm)
        self.node, self.value = node, None

    def run_node(self, n):
        out = super().run_node(n)
        if n is self.node:
            self.value = out
            raise _Stop
        return out


def _node_for(gm: fx.GraphModule, layer: str) -> fx.Node:
    names = _graph.display_names(gm)
    for node, name in names.items():
        if name == layer and node.op not in ("placeholder", "output", "get_attr"):
            return node
    known = [n for node, n in names.items() if node.op.startswith("call")]
    raise KeyError(f"layer {layer!r} not found; layers: {', '.join(known)}")


def _layer_value(gm: fx.GraphModule, node: fx.Node, x: torch.Tensor) -> torch.Tensor:
    runner = _Capture(gm, node)
    try:
        runner.run(x)
    except _Stop:
        pass
    except Exception as err:  # fx wraps errors; surface _Stop raised inside
        if not isinstance(err.__cause__, _Stop) and runner.value is None:
            raise
    if not isinstance(runner.value, torch.Tensor):
        raise UnsupportedLayerError(f"layer '{node.name}' does not output a tensor")
    return runner.value


def _identity(x, *args, **kwargs):
    return x


def _sum_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False):
    """Max-pool geometry with a sum instead of a max: every window pixel gets a gradient."""
    k, p, d = _graph.pair(kernel_size), _graph.pair(padding), _graph.pair(dilation)
    s = _graph.pair(stride) if stride else k
    out_h, out_w = F.max_pool2d(x.detach(), k, s, p, d, ceil_mode).shape[-2:]
    need = [(o - 1) * si + di * (ki - 1) + 1 for o, si, di, ki in zip((out_h, out_w), s, d, k)]
    extra = [max(0, n - (size + 2 * pi)) for n, size, pi in zip(need, x.shape[-2:], p)]
    x = F.pad(x, (p[1], p[1] + extra[1], p[0], p[0] + extra[0]))
    ones = torch.ones(x.shape[1], 1, *k, dtype=x.dtype, device=x.device)
    y = F.conv2d(x, ones, stride=s, dilation=d, groups=x.shape[1])
    return y[..., :out_h, :out_w]


class _SumPool2d(nn.Module):
    def __init__(self, pool: nn.MaxPool2d):
        super().__init__()
        self.args = (pool.kernel_size, pool.stride, pool.padding, pool.dilation, pool.ceil_mode)

    def forward(self, x):
        return _sum_pool2d(x, *self.args)


_FUNCTION_TWINS = {F.max_pool2d: _sum_pool2d, F.adaptive_max_pool2d: F.adaptive_avg_pool2d,
                   operator.sub: operator.add, torch.sub: operator.add,
                   operator.truediv: operator.mul, torch.div: operator.mul}


def _positive_weight(weight: torch.Tensor) -> None:
    with torch.no_grad():
        weight.fill_(1.0 / weight[0].numel())


def _positive_module(gm: fx.GraphModule, target: str) -> None:
    """Make the module called at `target` positive in place (or swap it for its twin)."""
    m = gm.get_submodule(target)
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        _positive_weight(m.weight)
        if m.bias is not None:
            with torch.no_grad():
                m.bias.zero_()
        return
    if isinstance(m, nn.MaxPool2d):
        twin = _SumPool2d(m)
    elif isinstance(m, nn.AdaptiveMaxPool2d):
        twin = nn.AdaptiveAvgPool2d(m.output_size)
    elif isinstance(m, ELEMENTWISE_LAYERS + (nn.Softmax, nn.LogSoftmax)):
        twin = nn.Identity()
    else:
        return
    parent, _, last = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, last, twin)


def _positive_function(gm: fx.GraphModule, node: fx.Node) -> None:
    """Retarget a call_function node to its positive twin in place."""
    if node.target in _graph.ELEMENTWISE_FUNCTIONS or node.target in (F.softmax, F.log_softmax):
        node.target = _identity
    elif node.target in _FUNCTION_TWINS:
        node.target = _FUNCTION_TWINS[node.target]
    elif node.target is F.conv2d:
        _positive_weight(_graph.fetch(gm, _graph.arg(node, 1, "weight", None).target))


def _positive_twin(model: nn.Module) -> fx.GraphModule:
    """A copy whose every path from input to output is positive and linear-ish.

    Weights become 1/fan_in, biases 0; activations, BatchNorm and softmax become identities;
    max pooling becomes sum pooling; subtraction/division become addition/multiplication.
    Then d(unit)/d(pixel) > 0 exactly when the pixel is connected to the unit: no cancellation,
    no dead ReLU, no max that ignores its window.
    """
    gm = fx.symbolic_trace(copy.deepcopy(model))
    for node in gm.graph.nodes:
        if node.op == "call_module":
            _positive_module(gm, node.target)
        elif node.op == "call_function":
            _positive_function(gm, node)
        elif node.op == "call_method" and node.target in _graph.ELEMENTWISE_METHODS | {
                "softmax", "log_softmax"}:
            node.op, node.target = "call_function", _identity
            node.kwargs = {}
    gm.recompile()
    return gm.double().eval()


def _input_shape(input_size) -> tuple[int, int, int]:
    if isinstance(input_size, int) or len(tuple(input_size)) != 3:
        raise ValueError(f"input_size must be (C, H, W) with positive ints; got {input_size!r}")
    _graph.image_size(input_size)
    return tuple(input_size)


def _unit_output(value: torch.Tensor, layer: str, unit) -> torch.Tensor:
    if value.ndim != 4:
        return value.sum()
    n_rows, n_cols = value.shape[-2:]
    row, col = unit if unit is not None else (n_rows // 2, n_cols // 2)
    for axis, v, n in (("row", row, n_rows), ("col", col, n_cols)):
        if not 0 <= v < n:
            raise IndexError(f"unit {axis}={v} is out of range for layer '{layer}' with {n} "
                             f"units along that axis (0..{n - 1})")
    return value[:, :, row, col].sum()


def gradient_receptive_field(model: nn.Module, input_size, layer: str,
                             unit: tuple[int, int] | None = None) -> torch.Tensor:
    """Exact set of input pixels that can change unit (row, col) of `layer`: (H, W) bool.

    Computed by autograd on a positive twin of the model (see `_positive_twin`), so the
    answer is structural — independent of weights, inputs, dead ReLUs or max-pool choices.
    unit=None picks the centre unit. input_size = (C, H, W). Runs in float64 on the model's
    device; the mask comes back on the CPU.
    """
    c, h, w = _input_shape(input_size)
    twin = _positive_twin(model)
    x = torch.ones(1, c, h, w, dtype=torch.float64, device=model_device(twin), requires_grad=True)
    _unit_output(_layer_value(twin, _node_for(twin, layer), x), layer, unit).backward()
    return (x.grad[0].abs().sum(0) > 0).cpu()


def effective_receptive_field(model: nn.Module, input_size, layer: str,
                              unit: tuple[int, int] | None = None, n_inputs: int = 8,
                              n_inits: int = 2, seed: int = 0) -> torch.Tensor:
    """Effective RF (Luo et al. 2016): mean |d unit / d input| over random inputs and inits.

    Returns an (H, W) float tensor normalised to sum 1. unit=None picks the centre unit.
    `n_inits` fresh initialisations (reset_parameters, seeded), `n_inputs` N(0, 1) images each.
    Runs in float32 on the model's device; the map comes back on the CPU.
    """
    c, h, w = _input_shape(input_size)
    if n_inputs < 1 or n_inits < 1:
        raise ValueError(f"n_inputs and n_inits must be >= 1; got {n_inputs}, {n_inits}")
    gen = torch.Generator().manual_seed(seed)
    total = torch.zeros(h, w, dtype=torch.float64)
    for i in range(n_inits):
        net = copy.deepcopy(model).float().eval()
        if i > 0 or n_inits > 1:
            with seeded(seed * 1000 + i):  # the caller's random stream is left alone
                for m in net.modules():
                    if hasattr(m, "reset_parameters") and m is not net:
                        m.reset_parameters()
        gm = fx.symbolic_trace(net)
        x = torch.randn(n_inputs, c, h, w, generator=gen).to(model_device(net))
        x.requires_grad_(True)
        _unit_output(_layer_value(gm, _node_for(gm, layer), x), layer, unit).backward()
        total += x.grad.abs().sum(1).sum(0).double().cpu()
    return (total / total.sum()).float()
