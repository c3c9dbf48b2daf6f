"""Image transforms for digit batches: random and fixed shifts, jitter with noise."""

from __future__ import annotations

import torch

from .._core import check_tensor


def random_shift(x: torch.Tensor, max_shift: int = 2) -> torch.Tensor:
    """Translate each image of x (N, C, H, W) by its own random (dy, dx) in [-max_shift, max_shift].

    Uses `torch.roll`, so content wraps around: fine for digits on a zero border wider than
    `max_shift` (the 32x32 padded digits have 2 pixels). Draws from torch's global generator.
    """
    check_tensor(x, "x", 4, "be a tensor of shape (N, C, H, W)")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    if max_shift == 0:
        return x
    shifts = torch.randint(-max_shift, max_shift + 1, (len(x), 2)).tolist()
    moved = [torch.roll(img, (dy, dx), dims=(-2, -1)) for img, (dy, dx) in zip(x, shifts)]
    return torch.stack(moved)


def translate(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Move every image of x (N, C, H, W) by dy rows (down) and dx columns (right).

    Pixels moved out of the frame are lost and the uncovered border is filled with zeros
    (unlike `random_shift`, nothing wraps around). Returns a new tensor of the same shape.
    """
    check_tensor(x, "x", 4, "be a tensor of shape (N, C, H, W)")
    height, width = x.shape[-2:]
    for name, value, size in (("dy", dy, height), ("dx", dx, width)):
        if not isinstance(value, int) or abs(value) >= size:
            raise ValueError(f"{name} must be an int with |{name}| < {size}; got {value!r}")
    out = torch.zeros_like(x)
    rows_src = slice(max(-dy, 0), height - max(dy, 0))
    rows_dst = slice(max(dy, 0), height - max(-dy, 0))
    cols_src = slice(max(-dx, 0), width - max(dx, 0))
    cols_dst = slice(max(dx, 0), width - max(-dx, 0))
    out[..., rows_dst, cols_dst] = x[..., rows_src, cols_src]
    return out


def jittered_digits(x: torch.Tensor, max_shift: int = 3, noise: float = 0.1,
                    seed: int = 0) -> torch.Tensor:
    """A harder digit task: each image of x (N, C, H, W) in [0, 1] moved by its own random
    (dy, dx) in [-max_shift, max_shift] (zero fill, see `translate`), plus Gaussian pixel noise
    of standard deviation `noise`, clamped back to [0, 1]. Depends only on `seed`.
    """
    check_tensor(x, "x", 4, "be a tensor of shape (N, C, H, W)")
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(f"max_shift must be an int >= 0; got {max_shift!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}")
    if len(x) == 0:
        return x.clone()
    gen = torch.Generator().manual_seed(seed)
    shifts = torch.randint(-max_shift, max_shift + 1, (len(x), 2), generator=gen).tolist()
    moved = torch.cat([translate(img[None], dy, dx) for img, (dy, dx) in zip(x, shifts)])
    noisy = moved + noise * torch.randn(moved.shape, generator=gen)
    return noisy.clamp_(0.0, 1.0)
