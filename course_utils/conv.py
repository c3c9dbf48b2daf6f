"""2D convolution from the lecture's formula, and as an unrolled (sparse, weight-shared) matrix.

T[I](r, c) = sum_{(x, y) in U} w(x, y) * I(r + x, c + y), with U = {0..kh-1} x {0..kw-1}:
"valid" output of size (H - kh + 1) x (W - kw + 1). This is what deep-learning libraries call
convolution (strictly a cross-correlation: the kernel is not flipped), as `F.conv2d` computes.
"""

from __future__ import annotations

import torch

from ._core import check_int


def _check_2d(name: str, t: torch.Tensor) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if t.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W); got shape {tuple(t.shape)}")
    if not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got {t.dtype}")


def _check_fits(image_shape: tuple[int, int], kernel_shape: tuple[int, int]) -> None:
    if kernel_shape[0] > image_shape[0] or kernel_shape[1] > image_shape[1]:
        raise ValueError(
            f"kernel of shape {tuple(kernel_shape)} is larger than the image of shape "
            f"{tuple(image_shape)}"
        )


def conv2d_loops(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """The lecture's formula with explicit loops. image: (H, W), kernel: (kh, kw).

    Returns (H - kh + 1, W - kw + 1); equals `F.conv2d(image[None, None], kernel[None, None])`.
    """
    _check_2d("image", image)
    _check_2d("kernel", kernel)
    _check_fits(image.shape, kernel.shape)
    kh, kw = kernel.shape
    out = torch.zeros(image.shape[0] - kh + 1, image.shape[1] - kw + 1, dtype=image.dtype)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            total = 0.0
            for x in range(kh):
                for y in range(kw):
                    total += kernel[x, y] * image[r + x, c + y]
            out[r, c] = total
    return out


def conv_matrix(kernel: torch.Tensor, image_shape: tuple[int, int]) -> torch.Tensor:
    """The matrix M with M @ image.flatten() == conv2d_loops(image, kernel).flatten().

    kernel: (kh, kw); image_shape: (H, W). Returns (Ho * Wo, H * W) with Ho = H - kh + 1,
    Wo = W - kw + 1: each row holds the kernel's kh * kw weights (shared by every row) and zeros.
    """
    _check_2d("kernel", kernel)
    if len(image_shape) != 2 or not all(isinstance(s, int) and s > 0 for s in image_shape):
        raise ValueError(f"image_shape must be (H, W) with positive ints; got {image_shape!r}")
    _check_fits(image_shape, kernel.shape)
    height, width = image_shape
    kh, kw = kernel.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    matrix = torch.zeros(out_h * out_w, height * width, dtype=kernel.dtype)
    for r in range(out_h):
        for c in range(out_w):
            for x in range(kh):
                matrix[r * out_w + c, (r + x) * width + c : (r + x) * width + c + kw] = kernel[x]
    return matrix


def conv_parameters(in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                    bias: bool = True) -> int:
    """Parameters of a Conv2d: out * (in * kh * kw) weights, plus `out` biases."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                        ("kernel height", kh), ("kernel width", kw)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an int >= 1; got {value!r}")
    return out_channels * in_channels * kh * kw + (out_channels if bias else 0)


def conv_output_size(size: int, kernel: int, *, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """o = floor((i + 2p - d(k - 1) - 1) / s) + 1, as `nn.Conv2d` (and max pooling) compute it."""
    for name, value, low in (("size", size, 1), ("kernel", kernel, 1), ("stride", stride, 1),
                             ("padding", padding, 0), ("dilation", dilation, 1)):
        check_int(value, name, low)
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if span < 0:
        spread = dilation * (kernel - 1) + 1
        raise ValueError(f"kernel={kernel} with dilation={dilation} spans {spread} > "
                         f"size + 2 * padding = {size + 2 * padding}")
    return span // stride + 1
