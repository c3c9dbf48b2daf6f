"""Dense prediction (notebooks 03-04): from a classifier to a fully convolutional network, and
three ways to a score at every position.

- `linear_to_conv` / `to_fully_convolutional`: fully connected layers become convolutions
  (the first one with a kernel as large as the volume it reads, the next ones 1x1), so the
  network slides over images of any size and outputs a grid of class scores.
- `sliding_window_predict`: the baseline — crop every window and classify it separately.
- `shift_and_stitch`: run the FCN on the f x f shifted inputs and interleave the outputs.
- `atrous`: the same dense output in one pass: pooling strides removed, later layers dilated.
- `paint_receptive_fields`: direct heatmap prediction, each confident unit labels its whole RF.
Every function runs on the model's device and follows its dtype; scores come back on the CPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._core import ELEMENTWISE_LAYERS, check_tensor, eval_mode, model_device, model_dtype
from .receptive_field import receptive_fields
from .summary import total_stride


def linear_to_conv(linear: nn.Linear, in_shape: tuple[int, int, int] | None = None) -> nn.Conv2d:
    """The convolution that computes `linear` at every position.

    in_shape = (C, H, W): the volume the Linear reads (flattened in PyTorch's C, H, W order);
    the result is a Conv2d(C, out, kernel (H, W)) whose weight is `linear.weight.view(out, C, H,
    W)`. in_shape=None: the Linear reads a vector of N features -> Conv2d(N, out, 1), i.e. L
    filters of 1x1xN. (Keras flattens in H, W, C order and keeps conv kernels as (kh, kw, in,
    out), so within Keras a plain reshape is right too; weights ported from Keras to PyTorch
    need `.view(out, H, W, C).permute(0, 3, 1, 2)`.)
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(f"linear must be an nn.Linear; got {type(linear).__name__}")
    c, h, w = (linear.in_features, 1, 1) if in_shape is None else tuple(in_shape)
    if c * h * w != linear.in_features:
        raise ValueError(f"in_shape {tuple(in_shape)} holds {c * h * w} values but the Linear "
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
                           input_shape: tuple[int, int, int]) -> nn.Sequential:
    """Convert a Sequential classifier (conv/pool body, Flatten, Linear head) into an FCN.

    input_shape = (C, H, W), the training input size. Nested Sequentials are flattened (names
    joined with "_"). The first Linear after Flatten becomes a conv with the kernel of the
    flattened volume, later Linears 1x1 convs; activations and dropout stay. An adaptive pooling
    that is the identity at the training size (torchvision VGG's 7x7 avgpool) is dropped so that
    larger inputs are not squeezed back to 7x7. On inputs of the training size the FCN's output
    is (N, classes, 1, 1) and equals the classifier's logits.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential classifier; got {type(model).__name__} "
                        "(wrap its parts, e.g. nn.Sequential(net.features, nn.Flatten(), ...))")
    layers = _flat_children(model)
    flat_at = [i for i, (_, m) in enumerate(layers) if isinstance(m, nn.Flatten)]
    if not flat_at:
        raise ValueError("model must contain an nn.Flatten between its conv body and Linear head")
    body, head = layers[:flat_at[0]], layers[flat_at[0] + 1:]
    x = torch.zeros(1, *input_shape, device=model_device(model), dtype=model_dtype(model))
    new: list[tuple[str, nn.Module]] = []
    with torch.no_grad():
        for name, m in body:
            y = m(x)
            if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
                if y.shape != x.shape:
                    raise ValueError(f"layer '{name}' ({type(m).__name__}) changes the volume "
                                     f"{tuple(x.shape[1:])} -> {tuple(y.shape[1:])} at the "
                                     "training size; only identity adaptive pools can be dropped")
                x = y
                continue
            new.append((name, m))
            x = y
    volume = tuple(x.shape[1:])
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
    fcn = nn.Sequential()
    for name, m in new:
        fcn.add_module(name, m)
    return fcn.train(model.training)


def _as_batch(image: torch.Tensor, model: nn.Module) -> torch.Tensor:
    """image (C, H, W) or (1, C, H, W) as a batch of one, in the model's dtype."""
    what = "be a tensor of shape (C, H, W) or (1, C, H, W)"
    check_tensor(image, "image", (3, 4), what, floating=True)
    if image.ndim == 4 and image.shape[0] != 1:
        raise ValueError(f"image must {what}; got {tuple(image.shape)}")
    return (image if image.ndim == 4 else image[None]).to(dtype=model_dtype(model))


def sliding_window_predict(model: nn.Module, image: torch.Tensor, window: int, stride: int = 1,
                           batch_size: int = 256, progress: bool | None = None) -> torch.Tensor:
    """Classify every window x window crop of `image` taken every `stride` pixels.

    image: (C, H, W) or (1, C, H, W). Returns the scores (K, Ho, Wo) with
    Ho = (H - window) // stride + 1; score (k, i, j) belongs to the crop whose top-left corner is
    (i * stride, j * stride), i.e. to its centre pixel (i * stride + window // 2, ...).
    Crops are classified in batches on the model's device; a progress bar appears when there
    are more than 20 batches (progress=None) or when asked.
    """
    x = _as_batch(image, model)
    height, width = x.shape[-2:]
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive int; got {window!r}")
    if window > min(height, width):
        raise ValueError(f"window={window} is larger than the image ({height}x{width})")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be an int >= 1; got {stride!r}")
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
    x = _as_batch(image, fcn)
    with eval_mode(fcn), torch.no_grad():
        return fcn(x.to(model_device(fcn)))[0].cpu()


def shift_and_stitch(fcn: nn.Module, image: torch.Tensor, f: int | None = None) -> torch.Tensor:
    """Dense scores from f x f shifted copies of the input, interleaved.

    For shift (dy, dx) the FCN reads the image without its first dy rows and dx columns; its unit
    (i, j) then sits at input position (i * f + dy, j * f + dx). f defaults to the FCN's total
    stride. Returns (K, H - R + 1, W - R + 1) for receptive field R: one score per position of
    a stride-1 sliding window, i.e. exactly `sliding_window_predict(classifier, image, R, 1)`.
    """
    x = _as_batch(image, fcn)
    f = total_stride(fcn) if f is None else f
    if not isinstance(f, int) or f < 1:
        raise ValueError(f"f must be an int >= 1; got {f!r}")
    height, width = x.shape[-2:]
    rf_h, rf_w = receptive_fields(fcn, tuple(x.shape[1:])).final.size
    if rf_h > height or rf_w > width:
        raise ValueError(f"image {height}x{width} is smaller than the receptive field "
                         f"{rf_h}x{rf_w}")
    pieces = {}
    for dy in range(min(f, height - rf_h + 1)):  # larger shifts leave no complete window
        for dx in range(min(f, width - rf_w + 1)):
            pieces[dy, dx] = fcn_predict(fcn, x[..., dy:, dx:])
    return interleave(pieces, f)


def interleave(pieces: dict[tuple[int, int], torch.Tensor], f: int) -> torch.Tensor:
    """The dense map from shift-and-stitch pieces: `pieces[dy, dx]` (K, h, w) fills rows dy,
    dy + f, ... and columns dx, dx + f, ...; returns (K, H, W), NaN where no piece lands."""
    if not pieces or (0, 0) not in pieces:
        raise ValueError("pieces must hold at least the unshifted output pieces[0, 0]")
    first = pieces[0, 0]
    out_h = max(dy + f * (p.shape[1] - 1) for (dy, _), p in pieces.items()) + 1
    out_w = max(dx + f * (p.shape[2] - 1) for (_, dx), p in pieces.items()) + 1
    dense = torch.full((first.shape[0], out_h, out_w), float("nan"), dtype=first.dtype)  # NaN: gaps
    for (dy, dx), piece in pieces.items():
        dense[:, dy::f, dx::f][:, :piece.shape[1], :piece.shape[2]] = piece
    return dense


class _DilatedAvgPool2d(nn.Module):
    """AvgPool2d with stride 1 and dilated taps (PyTorch's AvgPool2d has no dilation)."""

    def __init__(self, kernel_size, dilation: int):
        super().__init__()
        self.k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        self.d = dilation

    def forward(self, x):
        weight = x.new_full((x.shape[1], 1, *self.k), 1.0 / (self.k[0] * self.k[1]))
        return F.conv2d(x, weight, dilation=self.d, groups=x.shape[1])

    def extra_repr(self) -> str:
        return f"kernel_size={self.k}, stride=1, dilation={self.d}"


def atrous(fcn: nn.Sequential) -> nn.Sequential:
    """The à trous version of `fcn`: strides set to 1, later layers dilated by the lost stride.

    Every layer after a stride-s layer has its taps spread s times further apart (its kernel
    "rarefied" with zeros), so each unit computes what the original unit computed and the output
    is dense: (K, H - R + 1, W - R + 1), equal to `shift_and_stitch` in one pass.
    """
    if not isinstance(fcn, nn.Sequential):
        raise TypeError(f"fcn must be an nn.Sequential; got {type(fcn).__name__}")
    factor = 1
    out = nn.Sequential()
    for name, m in fcn.named_children():
        if isinstance(m, nn.Conv2d):
            s, d, p = m.stride[0], m.dilation[0], m.padding
            if m.stride[0] != m.stride[1] or isinstance(p, str):
                raise ValueError(f"layer '{name}': square strides and numeric padding needed")
            new = nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, 1,
                            tuple(pi * factor for pi in p), dilation=d * factor, groups=m.groups,
                            bias=m.bias is not None).to(m.weight.device, m.weight.dtype)
            new.load_state_dict(m.state_dict())
            factor *= s
        elif isinstance(m, nn.MaxPool2d):
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            pad = m.padding if isinstance(m.padding, int) else m.padding[0]
            new = nn.MaxPool2d(m.kernel_size, 1, pad * factor, dilation=factor * (
                m.dilation if isinstance(m.dilation, int) else m.dilation[0]))
            factor *= s
        elif isinstance(m, nn.AvgPool2d):
            if m.padding not in (0, (0, 0)):
                raise ValueError(f"layer '{name}': padded average pooling is not supported")
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            new = _DilatedAvgPool2d(m.kernel_size, factor)
            factor *= s
        elif isinstance(m, ELEMENTWISE_LAYERS):
            new = m
        else:
            raise ValueError(f"layer '{name}' ({type(m).__name__}) cannot be made à trous")
        out.add_module(name, new)
    return out.train(fcn.training)


def paint_receptive_fields(probabilities: torch.Tensor, stride: int, rf: int,
                           out_size: tuple[int, int], threshold: float = 0.99,
                           offset: int = 0, background: int | None = None) -> torch.Tensor:
    """Direct heatmap prediction: every confident unit labels its whole receptive field.

    probabilities: (N, K, h, w) class probabilities on an FCN grid whose unit (i, j) sees the
    rf x rf input square with top-left corner (offset + i * stride, offset + j * stride).
    A pixel takes the class c + 1 (0 = background) of the most confident unit covering it, if
    that unit's top probability exceeds `threshold`. background: the class index that means
    "nothing here" (e.g. `data.NO_DIGIT`), if the classifier has one: units whose top class it
    is paint nothing, and `threshold=0` needs no cut-off. Returns (N, H, W) int64 labels.
    """
    check_tensor(probabilities, "probabilities", 4, "have shape (N, K, h, w)")
    if stride < 1 or rf < stride:
        raise ValueError(f"need rf >= stride >= 1; got rf={rf}, stride={stride}")
    if background is not None and not 0 <= background < probabilities.shape[1]:
        raise ValueError(f"background must be a class index in [0, {probabilities.shape[1]}); "
                         f"got {background}")
    conf, cls = probabilities.max(1)
    keep = conf > threshold if background is None else (conf > threshold) & (cls != background)
    conf = torch.where(keep, conf, torch.zeros_like(conf))
    height, width = out_size
    n, h, w = conf.shape
    # unit (i, j) sits at the top-left corner of its receptive field; zeros elsewhere
    grid = torch.zeros(n, 1, height + rf - 1 + stride * h, width + rf - 1 + stride * w)
    top = rf - 1 + offset
    grid[:, 0, top: top + stride * h: stride, top: top + stride * w: stride] = conf
    # a pixel is covered by the units whose corners lie in the rf x rf square ending at it
    best, where = F.max_pool2d(grid, rf, 1, return_indices=True)
    best, where = best[:, 0, :height, :width], where[:, 0, :height, :width]
    rows, cols = where // grid.shape[-1], where % grid.shape[-1]
    i = ((rows - rf + 1 - offset) // stride).clamp(0, h - 1)
    j = ((cols - rf + 1 - offset) // stride).clamp(0, w - 1)
    labels = cls.flatten(1).gather(1, (i * w + j).flatten(1)).view(n, height, width) + 1
    return torch.where(best > 0, labels, torch.zeros_like(labels))
