"""From a classifier to a fully convolutional network (notebook 03).

- `linear_to_conv` / `to_fully_convolutional`: fully connected layers become convolutions
  (the first one with a kernel as large as the volume it reads, the next ones 1x1), so the
  network slides over images of any size and outputs a grid of class scores;
- `sliding_window_predict`: the baseline it replaces — crop every window and classify it;
- `fcn_predict`: the FCN's grid of scores for one image.
Every function runs on the model's device and follows its dtype; scores come back on the CPU.
"""

from __future__ import annotations

import torch
from torch import nn
from tqdm.auto import tqdm

from ._core import (
    ELEMENTWISE_LAYERS,
    check_int,
    check_tensor,
    eval_mode,
    model_device,
    model_dtype,
)


def linear_to_conv(linear: nn.Linear,
                   input_size: tuple[int, int, int] | None = None) -> nn.Conv2d:
    """The convolution that computes `linear` at every position.

    input_size = (C, H, W): the volume the Linear reads (flattened in PyTorch's C, H, W order);
    the result is a Conv2d(C, out, kernel (H, W)) whose weight is `linear.weight.view(out, C, H,
    W)`. input_size=None: the Linear reads a vector of N features -> Conv2d(N, out, 1), i.e. L
    filters of 1x1xN. (Keras flattens in H, W, C order and keeps conv kernels as (kh, kw, in,
    out), so within Keras a plain reshape is right too; weights ported from Keras to PyTorch
    need `.view(out, H, W, C).permute(0, 3, 1, 2)`.)
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"linear must be an nn.Linear; got {type(linear).__name__}")
    c, h, w = (linear.in_features, 1, 1) if input_size is None else tuple(input_size)
    if c * h * w != linear.in_features:
        raise ValueError(f"input_size {tuple(input_size)} holds {c * h * w} values but the Linear "
                         f"reads {linear.in_features} features")
    conv = nn.Conv2d(c, linear.out_features, (h, w), bias=linear.bias is not None,
                     device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.view(linear.out_features, c, h, w))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


def _flat_children(model: nn.Module, prefix: str = "") -> list[tuple[str, nn.Module]]:
    out = []
    for name, child in model.named_children():
        full = f"{prefix}{name}"
        if isinstance(child, nn.Sequential):
            out += _flat_children(child, f"{full}_")
        else:
            out.append((full, child))
    return out


def to_fully_convolutional(model: nn.Sequential,
                           input_size: tuple[int, int, int]) -> nn.Sequential:
    """Convert a Sequential classifier (conv/pool body, Flatten, Linear head) into an FCN.

    input_size = (C, H, W), the training input size. Nested Sequentials are flattened (names
    joined with "_"). The first Linear after Flatten becomes a conv with the kernel of the
    flattened volume, later Linears 1x1 convs; activations and dropout stay. An adaptive pooling
    that is the identity at the training size (torchvision VGG's 7x7 avgpool) is dropped so that
    larger inputs are not squeezed back to 7x7. On inputs of the training size the FCN's output
    is (N, classes, 1, 1) and equals the classifier's logits. The body is run once, in eval
    mode, to measure the flattened volume (the model's mode and statistics stay as they were).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential classifier; got {type(model).__name__} "
                        "(wrap its parts, e.g. nn.Sequential(net.features, nn.Flatten(), ...))")
    layers = _flat_children(model)
    flat_at = [i for i, (_, m) in enumerate(layers) if isinstance(m, nn.Flatten)]
    if not flat_at:
        raise ValueError("model must contain an nn.Flatten between its conv body and Linear head")
    body, head = layers[:flat_at[0]], layers[flat_at[0] + 1:]
    with eval_mode(model):
        kept, volume = _kept_body(body, input_size, model)
    fcn = nn.Sequential()
    for name, m in kept + _converted_head(head, volume):
        fcn.add_module(name, m)
    return fcn.train(model.training)


def _kept_body(body: list[tuple[str, nn.Module]], input_size, model: nn.Module):
    """(the body's layers without identity adaptive pools, the (C, H, W) volume it outputs at
    the training size), from one forward pass without autograd."""
    x = torch.zeros(1, *input_size, device=model_device(model), dtype=model_dtype(model))
    kept: list[tuple[str, nn.Module]] = []
    with torch.no_grad():
        for name, m in body:
            y = m(x)
            if not isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
                kept.append((name, m))
            elif y.shape != x.shape:
                raise ValueError(f"layer '{name}' ({type(m).__name__}) changes the volume "
                                 f"{tuple(x.shape[1:])} -> {tuple(y.shape[1:])} at the "
                                 "training size; only identity adaptive pools can be dropped")
            x = y
    return kept, tuple(x.shape[1:])


def _converted_head(head: list[tuple[str, nn.Module]], volume) -> list[tuple[str, nn.Module]]:
    """The head after Flatten with its Linears as convolutions (the first one reads `volume`)."""
    new: list[tuple[str, nn.Module]] = []
    first = True
    for name, m in head:
        if isinstance(m, nn.Linear):
            new.append((name, linear_to_conv(m, volume if first else None)))
            first = False
        elif isinstance(m, ELEMENTWISE_LAYERS):
            new.append((name, m))
        else:
            raise ValueError(f"layer '{name}' ({type(m).__name__}) in the head cannot be "
                             "converted; expected Linear, activations or Dropout")
    if first:
        raise ValueError("model has no nn.Linear after its Flatten")
    return new


def as_batch(image: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """image (C, H, W) or (1, C, H, W) as a batch of one, in the model's dtype."""
    what = "be a tensor of shape (C, H, W) or (1, C, H, W)"
    check_tensor(image, "image", (3, 4), what, floating=True)
    if image.ndim == 4 and image.shape[0] != 1:
        raise ValueError(f"image must {what}; got {tuple(image.shape)}")
    return (image if image.ndim == 4 else image[None]).to(dtype=model_dtype(model))


def sliding_window_predict(model: nn.Module, image: torch.Tensor, window: int, *,
                           stride: int = 1, batch_size: int = 256,
                           progress: bool | None = None) -> torch.Tensor:
    """Classify every window x window crop of `image` taken every `stride` pixels.

    image: (C, H, W) or (1, C, H, W). Returns the scores (K, Ho, Wo) with
    Ho = (H - window) // stride + 1; score (k, i, j) belongs to the crop whose top-left corner is
    (i * stride, j * stride), i.e. to its centre pixel (i * stride + window // 2, ...).
    Crops are classified in batches on the model's device; a progress bar appears when there
    are more than 20 batches (progress=None) or when asked.
    """
    x = as_batch(image, model)
    height, width = x.shape[-2:]
    window = check_int(window, "window", 1)
    if window > min(height, width):
        raise ValueError(f"window={window} is larger than the image ({height}x{width})")
    stride = check_int(stride, "stride", 1)
    device = model_device(model)
    crops = x[0].unfold(1, window, stride).unfold(2, window, stride)  # (C, Ho, Wo, w, w), a view
    _, n_rows, n_cols = crops.shape[:3]
    crops = crops.permute(1, 2, 0, 3, 4).reshape(n_rows * n_cols, x.shape[1], window, window)
    batches = range(0, len(crops), batch_size)
    show = len(batches) > 20 if progress is None else progress
    scores = []
    with eval_mode(model), torch.no_grad():
        for start in tqdm(batches, desc="sliding window", disable=not show, mininterval=0.5):
            scores.append(model(crops[start:start + batch_size].to(device)).flatten(1).cpu())
    return torch.cat(scores).T.reshape(-1, n_rows, n_cols)


def fcn_predict(fcn: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """Scores (K, Ho, Wo) of a fully convolutional network on one image (C, H, W), eval mode."""
    x = as_batch(image, fcn)
    with eval_mode(fcn), torch.no_grad():
        return fcn(x.to(model_device(fcn)))[0].cpu()
