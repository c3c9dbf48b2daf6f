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

import math
import operator
import warnings
from dataclasses import dataclass, replace

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from .._core import ELEMENTWISE_LAYERS, check_module, measuring_forward, model_device, model_dtype
from ._graph import (
    ELEMENTWISE_FUNCTIONS,
    ELEMENTWISE_METHODS,
    arg,
    display_names,
    fetch,
    image_size,
    pair,
)


class UnsupportedLayerError(ValueError):
    """A layer whose receptive field this engine cannot express."""


class BranchAlignmentError(ValueError):
    """Branches merged by add/cat whose units cover differently placed input regions."""


@dataclass(frozen=True)
class AxisRF:
    """Receptive field along one axis: unit u covers [u*stride - padding, ... + size - 1]."""

    size: int
    stride: int
    padding: int
    length: int | None  # number of units along this axis (None after Flatten/Linear)
    whole: bool = False  # True once every unit sees the whole input along this axis

    def span(self, u: int) -> tuple[int, int]:
        """Inclusive input interval of unit u (may extend past the image into padding)."""
        start = u * self.stride - self.padding
        return start, start + self.size - 1


@dataclass(frozen=True)
class LayerRF:
    """Receptive field of one layer's units, per axis."""

    name: str
    kind: str
    height: AxisRF
    width: AxisRF

    @property
    def whole_input(self) -> bool:
        return self.height.whole and self.width.whole

    @property
    def size(self) -> tuple[int, int]:
        return self.height.size, self.width.size

    @property
    def stride(self) -> tuple[int, int]:
        return self.height.stride, self.width.stride

    @property
    def padding(self) -> tuple[int, int]:
        return self.height.padding, self.width.padding

    @property
    def output_size(self) -> tuple[int, int] | None:
        if self.height.length is None or self.width.length is None:
            return None
        return self.height.length, self.width.length

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive and unclipped, covered by unit (row, col)."""
        out = self.output_size
        if out is not None:
            for arg, value, n in (("row", row, out[0]), ("col", col, out[1])):
                if not 0 <= value < n:
                    raise IndexError(f"{arg}={value} is out of range for layer '{self.name}' "
                                     f"with {n} units along that axis (0..{n - 1})")
        elif (row, col) != (0, 0):
            raise IndexError(f"layer '{self.name}' has no spatial map; use row=col=0")
        top, bottom = self.height.span(row)
        left, right = self.width.span(col)
        return top, left, bottom, right

    def clipped_box(self, row: int, col: int, image_size: tuple[int, int]):
        """`box` clipped to an image of image_size = (H, W)."""
        top, left, bottom, right = self.box(row, col)
        height, width = image_size
        return max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1)


class ReceptiveFieldTable:
    """Receptive fields of every layer in execution order.

    Index by a layer's name (`names`), or by a block's name (`blocks`: a submodule such as
    ResNet's "layer4", VGG's "features", GoogLeNet's "inception5b" or Inception's "Mixed_7c"),
    which gives the block's output: its last layer in execution order.
    """

    def __init__(self, rows: list[LayerRF], input_size: tuple[int, int],
                 blocks: dict[str, str] | None = None):
        self.rows = rows
        self.input_size = input_size
        self._by_name = {r.name: r for r in rows}
        self.blocks = {b: row for b, row in (blocks or {}).items() if b not in self._by_name}

    def __getitem__(self, name: str) -> LayerRF:
        if name in self._by_name:
            return self._by_name[name]
        if name in self.blocks:
            return self._by_name[self.blocks[name]]
        top = [b for b in self.blocks if "." not in b]
        raise KeyError(f"no layer or block named {name!r}; blocks: {', '.join(top) or '-'} "
                       f"(their sub-blocks too, e.g. 'block.0'); the {len(self.rows)} layer "
                       "names are in .names")

    def __contains__(self, name: str) -> bool:
        return name in self._by_name or name in self.blocks

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rows]

    @property
    def final(self) -> LayerRF:
        return self.rows[-1]

    def __str__(self) -> str:
        def pair(a, b):
            return f"{a}" if a == b else f"{a}x{b}"

        lines = [("layer", "type", "output", "RF", "stride", "padding")]
        for r in self.rows:
            out = "-" if r.output_size is None else pair(*r.output_size)
            if r.whole_input:
                lines.append((r.name, r.kind, out, "whole input", "-", "-"))
            else:
                lines.append((r.name, r.kind, out, pair(*r.size), pair(*r.stride),
                              pair(*r.padding)))
        widths = [max(len(str(line[i])) for line in lines) for i in range(6)]
        text = ["  ".join(f"{v!s:<{w}}" for v, w in zip(line, widths)).rstrip() for line in lines]
        text.insert(1, "-" * len(text[0]))
        return "\n".join(text)

    def __repr__(self) -> str:
        return str(self)


def chain(layers) -> tuple[int, int, int]:
    """(R, S, P) along one axis after a chain of layers, each (kernel, stride, padding, dilation).

    The formulas of the module docstring applied in order from (1, 1, 0): what a
    sequential-only tool computes (see `receptive_fields` for any graph).
    """
    size, jump, pad = 1, 1, 0
    for i, layer in enumerate(layers):
        if len(layer) != 4 or min(layer[:2]) < 1 or layer[2] < 0 or layer[3] < 1:
            raise ValueError(f"layers[{i}] must be (kernel >= 1, stride >= 1, padding >= 0, "
                             f"dilation >= 1); got {layer!r}")
        k, s, p, d = layer
        size, jump, pad = size + d * (k - 1) * jump, jump * s, pad + p * jump
    return size, jump, pad


# ----------------------------------------------------------------------------- the rules


def _through(ax: AxisRF, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> AxisRF:
    """Axis RF after a sliding window (kernel k, stride s, left padding p, dilation d)."""
    if ax.whole:
        return replace(ax, length=1 if ax.length is not None else None)
    k_eff = d * (k - 1) + 1
    length = None
    if ax.length is not None:
        span = ax.length + 2 * p - k_eff
        if ceil_mode:
            length = -(-span // s) + 1
            if (length - 1) * s >= ax.length + p:  # last window must start inside
                length -= 1
        else:
            length = span // s + 1
        if length < 1:
            raise ValueError(f"kernel {k_eff} does not fit {ax.length} units with padding {p}")
    return AxisRF(ax.size + (k_eff - 1) * ax.stride, ax.stride * s,
                  ax.padding + p * ax.stride, length)


def _whole(image_length: int, keep_length: bool = True) -> AxisRF:
    return AxisRF(image_length, image_length, 0, 1 if keep_length else None, whole=True)


_MERGE_FUNCTIONS = {operator.add, operator.sub, operator.mul, operator.truediv, torch.add,
                    torch.sub, torch.mul, torch.div, operator.iadd, operator.imul}
_MERGE_METHODS = {"add", "add_", "mul", "mul_", "sub", "div"}
_GLOBAL_FUNCTIONS = {torch.flatten, F.linear}
_GLOBAL_METHODS = {"flatten", "view", "reshape", "mean", "sum", "amax", "max"}


def _merge(node: fx.Node, inputs: list[tuple[str, LayerRF]]) -> tuple[AxisRF, AxisRF]:
    axes = []
    for axis in ("height", "width"):
        branches = [(name, getattr(rf, axis)) for name, rf in inputs]
        if any(ax.whole for _, ax in branches):
            full = max((ax for _, ax in branches if ax.whole), key=lambda a: a.size)
            lengths = [ax.length for _, ax in branches if ax.length is not None]
            axes.append(replace(full, length=max(lengths) if lengths else None))
            continue
        (name0, ax0), *others = branches
        for name, ax in others:
            if ax.stride != ax0.stride or ax.size - 1 - 2 * ax.padding != (
                ax0.size - 1 - 2 * ax0.padding
            ):
                raise BranchAlignmentError(
                    f"branches merged at '{node.name}' disagree along the {axis}: "
                    f"'{name0}' has RF {ax0.size}, stride {ax0.stride}, padding {ax0.padding} "
                    f"but '{name}' has RF {ax.size}, stride {ax.stride}, padding {ax.padding} "
                    "(they need the same stride and the same centre (RF-1)/2 - padding)"
                )
        lengths = [ax.length for _, ax in branches if ax.length is not None]
        widest = max((ax for _, ax in branches), key=lambda a: a.size)
        axes.append(replace(widest, length=max(lengths) if lengths else None))
    return axes[0], axes[1]


def _adaptive(ax: AxisRF, out: int | None, image_length: int, where: str) -> AxisRF:
    if out is None or ax.length is None or out == ax.length:
        return ax
    if out == 1 or ax.whole:
        return _whole(image_length)
    if ax.length % out == 0:
        k = ax.length // out
        return _through(ax, k, k, 0)
    raise UnsupportedLayerError(
        f"layer '{where}': adaptive pooling from {ax.length} to {out} units uses windows of "
        "varying size, so its units have different receptive fields; pick an input size whose "
        "feature map is a multiple of the output size"
    )


def _pad(ax: AxisRF, before: int, after: int) -> AxisRF:
    if ax.whole:
        return ax
    length = None if ax.length is None else ax.length + before + after
    return AxisRF(ax.size, ax.stride, ax.padding + before * ax.stride, length)


def _slice(ax: AxisRF, index, where: str) -> AxisRF:
    if index == slice(None):
        return ax
    if not isinstance(index, slice) or ax.length is None:
        raise UnsupportedLayerError(f"layer '{where}': spatial indexing with {index!r}")
    start, stop, step = index.indices(ax.length)
    length = max(0, math.ceil((stop - start) / step))
    return AxisRF(ax.size, ax.stride * step, ax.padding - start * ax.stride, length, ax.whole)


# ----------------------------------------------------------------------------- the engine


def _module_rule(module: nn.Module, ax_h: AxisRF, ax_w: AxisRF, where: str, image):
    kind = type(module).__name__
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        k = pair(module.kernel_size)
        s = pair(module.stride if module.stride is not None else module.kernel_size)
        d = pair(getattr(module, "dilation", 1))
        ceil = bool(getattr(module, "ceil_mode", False))
        pad = module.padding
        if isinstance(module, nn.Conv2d):
            if module.padding_mode == "circular":
                raise UnsupportedLayerError(
                    f"layer '{where}' ({kind}): circular padding wraps around the image")
            if pad == "valid":
                pad = 0
            elif pad == "same":
                pad = tuple((di * (ki - 1)) // 2 for ki, di in zip(k, d))
        p = pair(pad)
        return (_through(ax_h, k[0], s[0], p[0], d[0], ceil),
                _through(ax_w, k[1], s[1], p[1], d[1], ceil))
    if isinstance(module, ELEMENTWISE_LAYERS):
        return ax_h, ax_w
    if isinstance(module, (nn.ZeroPad2d, nn.ConstantPad2d)):
        left, right, top, bottom = module.padding
        return _pad(ax_h, top, bottom), _pad(ax_w, left, right)
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)) and module.dim in (1, -3):
        return ax_h, ax_w
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        oh, ow = (module.output_size, module.output_size) if isinstance(
            module.output_size, int) or module.output_size is None else module.output_size
        return (_adaptive(ax_h, oh, image[0], where), _adaptive(ax_w, ow, image[1], where))
    if isinstance(module, (nn.Flatten, nn.Linear)):
        return _whole(image[0], False), _whole(image[1], False)
    if isinstance(module, (nn.ConvTranspose2d, nn.Upsample, nn.UpsamplingBilinear2d,
                           nn.UpsamplingNearest2d, nn.PixelShuffle)):
        raise UnsupportedLayerError(
            f"layer '{where}' ({kind}) is not supported: upsampling has a fractional stride, "
            "so neighbouring units have receptive fields of different sizes")
    raise UnsupportedLayerError(
        f"layer '{where}' ({kind}) is not supported by the receptive-field engine "
        "(supported: Conv2d, Max/AvgPool2d, adaptive pooling, element-wise layers, "
        "Flatten/Linear)")


def _function_rule(node: fx.Node, rfs: dict, gm: fx.GraphModule, image):
    fn, where = node.target, node.name
    tensor_args = [a for a in node.args if isinstance(a, fx.Node) and a in rfs]
    if fn in (F.max_pool2d, F.avg_pool2d, F.conv2d):
        rf = rfs[node.args[0]]
        if fn is F.conv2d:
            weight = arg(node, 1, "weight", None)
            if not (isinstance(weight, fx.Node) and weight.op == "get_attr"):
                raise UnsupportedLayerError(f"layer '{where}': F.conv2d needs a module weight")
            k = tuple(fetch(gm, weight.target).shape[-2:])
            s, p, d = (pair(arg(node, i, n, dv)) for i, n, dv in
                       ((3, "stride", 1), (4, "padding", 0), (5, "dilation", 1)))
            ceil = False
        else:
            k = pair(arg(node, 1, "kernel_size", None))
            s = pair(arg(node, 2, "stride", None) or k)
            p = pair(arg(node, 3, "padding", 0))
            d = pair(arg(node, 4, "dilation", 1)) if fn is F.max_pool2d else (1, 1)
            ceil = bool(arg(node, 5 if fn is F.max_pool2d else 4, "ceil_mode", False))
        return (_through(rf.height, k[0], s[0], p[0], d[0], ceil),
                _through(rf.width, k[1], s[1], p[1], d[1], ceil))
    if fn in ELEMENTWISE_FUNCTIONS or (fn in (F.softmax, F.log_softmax)
                                        and arg(node, 1, "dim", None) in (1, -3)):
        rf = rfs[node.args[0]]
        return rf.height, rf.width
    if fn in _MERGE_FUNCTIONS:
        return _merge(node, [(rfs[a].name, rfs[a]) for a in tensor_args])
    if fn is torch.cat:
        parts = [a for a in arg(node, 0, "tensors", ()) if isinstance(a, fx.Node)]
        if arg(node, 1, "dim", 0) not in (1, -3):
            raise UnsupportedLayerError(f"layer '{where}': concatenation along a spatial axis")
        return _merge(node, [(rfs[a].name, rfs[a]) for a in parts])
    if fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        rf, out = rfs[node.args[0]], arg(node, 1, "output_size", None)
        oh, ow = pair(out) if out is not None else (None, None)
        return (_adaptive(rf.height, oh, image[0], where), _adaptive(rf.width, ow, image[1], where))
    if fn in _GLOBAL_FUNCTIONS:
        return _whole(image[0], False), _whole(image[1], False)
    if fn is operator.getitem:
        rf, index = rfs[node.args[0]], node.args[1]
        index = index if isinstance(index, tuple) else (index,)
        if Ellipsis in index:
            pos = index.index(Ellipsis)
            index = index[:pos] + (slice(None),) * (5 - len(index)) + index[pos + 1:]
        index += (slice(None),) * (4 - len(index))
        if len(index) != 4 or index[0] != slice(None) or not isinstance(index[1], slice):
            raise UnsupportedLayerError(f"layer '{where}': indexing with {node.args[1]!r}")
        return (_slice(rf.height, index[2], where), _slice(rf.width, index[3], where))
    if fn in (F.interpolate, F.upsample, F.conv_transpose2d, F.pixel_shuffle):
        raise UnsupportedLayerError(f"layer '{where}' ({fn.__name__}) is not supported: "
                                    "upsampling has a fractional stride")
    name = getattr(fn, "__name__", str(fn))
    raise UnsupportedLayerError(f"layer '{where}' (function {name}) is not supported by the "
                                "receptive-field engine")


def _method_rule(node: fx.Node, rfs: dict, image):
    method, where = node.target, node.name
    rf = rfs[node.args[0]]
    tensor_args = [a for a in node.args if isinstance(a, fx.Node) and a in rfs]
    if method in ELEMENTWISE_METHODS:
        return rf.height, rf.width
    if method in _MERGE_METHODS:
        return _merge(node, [(rfs[a].name, rfs[a]) for a in tensor_args])
    if method in ("softmax", "log_softmax") and arg(node, 1, "dim", None) in (1, -3):
        return rf.height, rf.width
    if method in _GLOBAL_METHODS:
        return _whole(image[0], False), _whole(image[1], False)
    raise UnsupportedLayerError(f"layer '{where}' (method .{method}()) is not supported by the "
                                "receptive-field engine")


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
            h, w = _module_rule(gm.get_submodule(node.target), src.height, src.width, where,
                                image)
            kind = type(gm.get_submodule(node.target)).__name__
        elif node.op == "call_function":
            h, w = _function_rule(node, rfs, gm, image)
            kind = getattr(node.target, "__name__", str(node.target))
        else:
            h, w = _method_rule(node, rfs, image)
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
    leaves = [(n, m) for n, m in model.named_modules() if n and not list(m.children())]
    shape = (1, *input_size) if len(input_size) == 3 else (1, 1, *input_size)
    measuring_forward(model, torch.zeros(shape, device=model_device(model),
                                         dtype=model_dtype(model)),
                      [(m, lambda mod, i, o, n=n: order.append((n, mod))) for n, m in leaves])
    h, w = AxisRF(1, 1, 0, image[0]), AxisRF(1, 1, 0, image[1])
    rows, blocks = [], {}
    for name, module in order:
        h, w = _module_rule(module, h, w, name, image)
        rows.append(LayerRF(name, type(module).__name__, h, w))
        blocks.update(dict.fromkeys(_with_parents([name]), name))
    return ReceptiveFieldTable(rows, image, blocks)
