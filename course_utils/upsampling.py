"""Upsampling: fixed rules (nearest, bed of nails) and transposed convolution, three ways.

A transposed convolution with stride s is
1. `nn.ConvTranspose2d` / `F.conv_transpose2d`;
2. an ordinary stride-1 convolution of the *zero-inserted* input (s - 1 zeros between samples),
   padded by d*(k-1) - p, with the kernel flipped and its in/out channels swapped
   (`transposed_conv_as_conv`);
3. the gradient (adjoint) of `F.conv2d` with respect to its input (`transposed_conv_as_gradient`).
It is not an inverse of convolution: it only has the shapes of one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._core import check_int, check_tensor


def _as_nchw(name: str, x: torch.Tensor) -> tuple[torch.Tensor, int]:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{name} must have shape (H, W), (C, H, W) or (N, C, H, W); "
                         f"got {tuple(x.shape)}")
    ndim = x.ndim
    while x.ndim < 4:
        x = x.unsqueeze(0)
    return x, ndim


def _restore(x: torch.Tensor, ndim: int) -> torch.Tensor:
    while x.ndim > ndim:
        x = x.squeeze(0)
    return x


def nearest(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Repeat every value in a factor x factor block. x: (H, W), (C, H, W) or (N, C, H, W)."""
    check_int(factor, "factor", 1)
    x4, ndim = _as_nchw("x", x)
    return _restore(x4.repeat_interleave(factor, -2).repeat_interleave(factor, -1), ndim)


def bed_of_nails(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Each value at the top-left of its factor x factor block, zeros elsewhere."""
    check_int(factor, "factor", 1)
    x4, ndim = _as_nchw("x", x)
    out = x4.new_zeros(*x4.shape[:2], x4.shape[2] * factor, x4.shape[3] * factor)
    out[..., ::factor, ::factor] = x4
    return _restore(out, ndim)


def zero_insert(x: torch.Tensor, stride: int) -> torch.Tensor:
    """Insert stride - 1 zeros between neighbouring samples: H -> (H - 1) * stride + 1."""
    check_int(stride, "stride", 1)
    x4, ndim = _as_nchw("x", x)
    h, w = x4.shape[-2:]
    out = x4.new_zeros(*x4.shape[:2], (h - 1) * stride + 1, (w - 1) * stride + 1)
    out[..., ::stride, ::stride] = x4
    return _restore(out, ndim)


def transposed_output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0,
                           output_padding: int = 0, dilation: int = 1) -> int:
    """o = (i - 1) s - 2p + d(k - 1) + output_padding + 1, as `nn.ConvTranspose2d` computes it.

    output_padding picks one of the s sizes whose convolution gives back i; PyTorch requires it
    smaller than the stride or the dilation.
    """
    for name, value, low in (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("output_padding", output_padding, 0),
                             ("dilation", dilation, 1)):
        check_int(value, name, low)
    if output_padding >= max(stride, dilation):
        raise ValueError(f"output_padding must be smaller than stride or dilation; got "
                         f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    out = (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if out < 1:
        raise ValueError(f"padding={padding} removes everything: output size would be {out}")
    return out


def _check_weight(weight: torch.Tensor, x: torch.Tensor) -> tuple[int, int]:
    check_tensor(weight, "weight", 4,
                 "have shape (C_in, C_out, kh, kw) like ConvTranspose2d.weight")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(f"weight has {weight.shape[0]} input channels but x has {x.shape[1]}")
    return weight.shape[-2], weight.shape[-1]


def transposed_conv_as_conv(x: torch.Tensor, weight: torch.Tensor, *, stride: int = 1,
                            padding: int = 0, output_padding: int = 0,
                            dilation: int = 1) -> torch.Tensor:
    """`F.conv_transpose2d` rebuilt from an ordinary convolution.

    x: (N, C_in, H, W); weight: (C_in, C_out, kh, kw) as in ConvTranspose2d. Insert stride - 1
    zeros between input samples, pad d(k-1) - p on each side (+ output_padding at the bottom and
    right; negative padding crops), then convolve with stride 1 and dilation d using the kernel
    flipped in space with in/out channels swapped.
    """
    check_tensor(x, "x", 4, "have shape (N, C_in, H, W)")
    kh, kw = _check_weight(weight, x)
    for size, k in ((x.shape[-2], kh), (x.shape[-1], kw)):
        transposed_output_size(size, k, stride=stride, padding=padding,
                               output_padding=output_padding, dilation=dilation)
    z = zero_insert(x, stride)
    pads = []
    for k in (kw, kh):  # F.pad wants (left, right, top, bottom)
        edge = dilation * (k - 1) - padding
        pads += [edge, edge + output_padding]
    z = F.pad(z, pads)  # negative values crop
    flipped = weight.flip(-2, -1).transpose(0, 1)  # (C_out, C_in, kh, kw)
    return F.conv2d(z, flipped, dilation=dilation)


def transposed_conv_as_gradient(x: torch.Tensor, weight: torch.Tensor, *, stride: int = 1,
                                padding: int = 0, output_padding: int = 0,
                                dilation: int = 1) -> torch.Tensor:
    """`F.conv_transpose2d` as the adjoint of `F.conv2d`, computed by autograd.

    conv2d maps z (N, C_out, H', W') to y (N, C_in, H, W) with the same weight; the transposed
    convolution of x is d<conv2d(z), x>/dz — the backward pass of a convolution.
    """
    check_tensor(x, "x", 4, "have shape (N, C_in, H, W)")
    kh, kw = _check_weight(weight, x)
    out_h, out_w = (transposed_output_size(size, k, stride=stride, padding=padding,
                                           output_padding=output_padding, dilation=dilation)
                    for size, k in ((x.shape[-2], kh), (x.shape[-1], kw)))
    z = torch.zeros(x.shape[0], weight.shape[1], out_h, out_w, dtype=x.dtype, device=x.device,
                    requires_grad=True)
    y = F.conv2d(z, weight, stride=stride, padding=padding, dilation=dilation)
    # with output_padding >= stride (allowed when dilation is larger) the convolution of z has
    # extra outputs that no input of x pairs with: they are left out of the inner product
    y = y[..., :x.shape[-2], :x.shape[-1]]
    (grad,) = torch.autograd.grad(y, z, grad_outputs=x)
    return grad


def bilinear_kernel(factor: int, channels: int = 1) -> torch.Tensor:
    """FCN's initialisation for upsampling by `factor`: (channels, channels, k, k), k = 2f - f % 2.

    Value (1 - |r - c0| / f)(1 - |c - c0| / f) with centre c0 = f - 1 (k odd) or f - 0.5 (k even);
    channel c maps only to channel c. For factor 2 the 1-D profile is [.25, .75, .75, .25].
    `bilinear_upsampler` puts it in a ConvTranspose2d.
    """
    check_int(factor, "factor", 1)
    check_int(channels, "channels", 1)
    size = 2 * factor - factor % 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    og = torch.arange(size, dtype=torch.float64)
    profile = 1 - (og - centre).abs() / factor
    kernel2d = torch.outer(profile, profile).float()
    weight = torch.zeros(channels, channels, size, size)
    weight[range(channels), range(channels)] = kernel2d
    return weight


def bilinear_upsampler(factor: int, channels: int = 1, learnable: bool = True) -> torch.nn.Module:
    """ConvTranspose2d(channels, channels, 2f - f % 2, stride f) initialised to bilinear.

    Padding f // 2 makes an H x W input give exactly fH x fW; in the interior this equals
    F.interpolate(mode="bilinear", align_corners=False). At the border it differs: the
    transposed convolution sees zeros beyond the edge, interpolation repeats the edge value.
    """
    size = 2 * factor - factor % 2
    layer = torch.nn.ConvTranspose2d(channels, channels, size, stride=factor,
                                     padding=factor // 2, bias=False)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(factor, channels))
    layer.weight.requires_grad_(learnable)
    return layer
