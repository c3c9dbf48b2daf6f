"""The per-layer rules of the receptive-field engine: how one layer (module, function or
method of an fx graph) maps the receptive field of its input to that of its output, per axis.

Each rule returns the (height, width) `AxisRF` pair of the layer's output or raises
`UnsupportedLayerError` / `BranchAlignmentError` naming the layer.
"""

from __future__ import annotations

import math
import operator
from dataclasses import replace

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

from .._core import ELEMENTWISE_LAYERS
from ._graph import ELEMENTWISE_FUNCTIONS, ELEMENTWISE_METHODS, arg, fetch, pair
from .table import AxisRF, BranchAlignmentError, LayerRF, UnsupportedLayerError


def through(ax: AxisRF, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> AxisRF:
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


def whole(image_length: int, keep_length: bool = True) -> AxisRF:
    return AxisRF(image_length, image_length, 0, 1 if keep_length else None, whole=True)


_MERGE_FUNCTIONS = {operator.add, operator.sub, operator.mul, operator.truediv, torch.add,
                    torch.sub, torch.mul, torch.div, operator.iadd, operator.imul}
_MERGE_METHODS = {"add", "add_", "mul", "mul_", "sub", "div"}
_GLOBAL_FUNCTIONS = {torch.flatten, F.linear}
_GLOBAL_METHODS = {"flatten", "view", "reshape", "mean", "sum", "amax", "max"}


def merge(node: fx.Node, inputs: list[tuple[str, LayerRF]]) -> tuple[AxisRF, AxisRF]:
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


def adaptive(ax: AxisRF, out: int | None, image_length: int, where: str) -> AxisRF:
    if out is None or ax.length is None or out == ax.length:
        return ax
    if out == 1 or ax.whole:
        return whole(image_length)
    if ax.length % out == 0:
        k = ax.length // out
        return through(ax, k, k, 0)
    raise UnsupportedLayerError(
        f"layer '{where}': adaptive pooling from {ax.length} to {out} units uses windows of "
        "varying size, so its units have different receptive fields; pick an input size whose "
        "feature map is a multiple of the output size"
    )


def pad_axis(ax: AxisRF, before: int, after: int) -> AxisRF:
    if ax.whole:
        return ax
    length = None if ax.length is None else ax.length + before + after
    return AxisRF(ax.size, ax.stride, ax.padding + before * ax.stride, length)


def slice_axis(ax: AxisRF, index, where: str) -> AxisRF:
    if index == slice(None):
        return ax
    if not isinstance(index, slice) or ax.length is None:
        raise UnsupportedLayerError(f"layer '{where}': spatial indexing with {index!r}")
    start, stop, step = index.indices(ax.length)
    length = max(0, math.ceil((stop - start) / step))
    return AxisRF(ax.size, ax.stride * step, ax.padding - start * ax.stride, length, ax.whole)


def _window_module(module: nn.Module, ax_h: AxisRF, ax_w: AxisRF, where: str):
    """A Conv2d, MaxPool2d or AvgPool2d: a sliding window along each axis."""
    k = pair(module.kernel_size)
    s = pair(module.stride if module.stride is not None else module.kernel_size)
    d = pair(getattr(module, "dilation", 1))
    ceil = bool(getattr(module, "ceil_mode", False))
    pad = module.padding
    if isinstance(module, nn.Conv2d):
        if module.padding_mode == "circular":
            raise UnsupportedLayerError(
                f"layer '{where}' ({type(module).__name__}): circular padding wraps around "
                "the image")
        if pad == "valid":
            pad = 0
        elif pad == "same":
            pad = tuple((di * (ki - 1)) // 2 for ki, di in zip(k, d))
    p = pair(pad)
    return (through(ax_h, k[0], s[0], p[0], d[0], ceil),
            through(ax_w, k[1], s[1], p[1], d[1], ceil))


def module_rule(module: nn.Module, ax_h: AxisRF, ax_w: AxisRF, where: str, image):
    """The (height, width) RF after `module`, a leaf module called on the input's RF."""
    kind = type(module).__name__
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        return _window_module(module, ax_h, ax_w, where)
    if isinstance(module, ELEMENTWISE_LAYERS):
        return ax_h, ax_w
    if isinstance(module, (nn.ZeroPad2d, nn.ConstantPad2d)):
        left, right, top, bottom = module.padding
        return pad_axis(ax_h, top, bottom), pad_axis(ax_w, left, right)
    if isinstance(module, (nn.Softmax, nn.LogSoftmax)) and module.dim in (1, -3):
        return ax_h, ax_w
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        oh, ow = (module.output_size, module.output_size) if isinstance(
            module.output_size, int) or module.output_size is None else module.output_size
        return (adaptive(ax_h, oh, image[0], where), adaptive(ax_w, ow, image[1], where))
    if isinstance(module, (nn.Flatten, nn.Linear)):
        return whole(image[0], False), whole(image[1], False)
    if isinstance(module, (nn.ConvTranspose2d, nn.Upsample, nn.UpsamplingBilinear2d,
                           nn.UpsamplingNearest2d, nn.PixelShuffle)):
        raise UnsupportedLayerError(
            f"layer '{where}' ({kind}) is not supported: upsampling has a fractional stride, "
            "so neighbouring units have receptive fields of different sizes")
    raise UnsupportedLayerError(
        f"layer '{where}' ({kind}) is not supported by the receptive-field engine "
        "(supported: Conv2d, Max/AvgPool2d, adaptive pooling, element-wise layers, "
        "Flatten/Linear)")


def _window_function(node: fx.Node, rf: LayerRF, gm: fx.GraphModule):
    """F.conv2d (with a module's weight), F.max_pool2d or F.avg_pool2d: a sliding window."""
    fn, where = node.target, node.name
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
    return (through(rf.height, k[0], s[0], p[0], d[0], ceil),
            through(rf.width, k[1], s[1], p[1], d[1], ceil))


def _getitem(node: fx.Node, rf: LayerRF):
    """x[...]: spatial slicing shifts the offset; any other indexing is refused."""
    where = node.name
    index = node.args[1] if isinstance(node.args[1], tuple) else (node.args[1],)
    if Ellipsis in index:
        pos = index.index(Ellipsis)
        index = index[:pos] + (slice(None),) * (5 - len(index)) + index[pos + 1:]
    index += (slice(None),) * (4 - len(index))
    if len(index) != 4 or index[0] != slice(None) or not isinstance(index[1], slice):
        raise UnsupportedLayerError(f"layer '{where}': indexing with {node.args[1]!r}")
    return (slice_axis(rf.height, index[2], where), slice_axis(rf.width, index[3], where))


def _concatenation(node: fx.Node, rfs: dict):
    parts = [a for a in arg(node, 0, "tensors", ()) if isinstance(a, fx.Node)]
    if arg(node, 1, "dim", 0) not in (1, -3):
        raise UnsupportedLayerError(f"layer '{node.name}': concatenation along a spatial axis")
    return merge(node, [(rfs[a].name, rfs[a]) for a in parts])


def function_rule(node: fx.Node, rfs: dict, gm: fx.GraphModule, image):
    """The (height, width) RF after a call_function node; `rfs` holds its inputs' RFs."""
    fn, where = node.target, node.name
    tensor_args = [a for a in node.args if isinstance(a, fx.Node) and a in rfs]
    if fn in (F.max_pool2d, F.avg_pool2d, F.conv2d):
        return _window_function(node, rfs[node.args[0]], gm)
    if fn in ELEMENTWISE_FUNCTIONS or (fn in (F.softmax, F.log_softmax)
                                        and arg(node, 1, "dim", None) in (1, -3)):
        rf = rfs[node.args[0]]
        return rf.height, rf.width
    if fn in _MERGE_FUNCTIONS:
        return merge(node, [(rfs[a].name, rfs[a]) for a in tensor_args])
    if fn is torch.cat:
        return _concatenation(node, rfs)
    if fn in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        rf, out = rfs[node.args[0]], arg(node, 1, "output_size", None)
        oh, ow = pair(out) if out is not None else (None, None)
        return (adaptive(rf.height, oh, image[0], where), adaptive(rf.width, ow, image[1], where))
    if fn in _GLOBAL_FUNCTIONS:
        return whole(image[0], False), whole(image[1], False)
    if fn is operator.getitem:
        return _getitem(node, rfs[node.args[0]])
    if fn in (F.interpolate, F.upsample, F.conv_transpose2d, F.pixel_shuffle):
        raise UnsupportedLayerError(f"layer '{where}' ({fn.__name__}) is not supported: "
                                    "upsampling has a fractional stride")
    name = getattr(fn, "__name__", str(fn))
    raise UnsupportedLayerError(f"layer '{where}' (function {name}) is not supported by the "
                                "receptive-field engine")


def method_rule(node: fx.Node, rfs: dict, image):
    """The (height, width) RF after a call_method node (x.relu(), x.add(y), x.view(...))."""
    method, where = node.target, node.name
    rf = rfs[node.args[0]]
    tensor_args = [a for a in node.args if isinstance(a, fx.Node) and a in rfs]
    if method in ELEMENTWISE_METHODS:
        return rf.height, rf.width
    if method in _MERGE_METHODS:
        return merge(node, [(rfs[a].name, rfs[a]) for a in tensor_args])
    if method in ("softmax", "log_softmax") and arg(node, 1, "dim", None) in (1, -3):
        return rf.height, rf.width
    if method in _GLOBAL_METHODS:
        return whole(image[0], False), whole(image[1], False)
    raise UnsupportedLayerError(f"layer '{where}' (method .{method}()) is not supported by the "
                                "receptive-field engine")
