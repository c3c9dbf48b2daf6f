"""Checkers for the lecture's first part: convolution (notebook 01) and receptive fields (02)."""

from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..receptive_field import chain, receptive_fields
from ..receptive_field.gradient import gradient_receptive_field
from .answers import plain
from .exercise import Case, CheckResult, Exercise, Mistake


def _conv_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [Case((torch.randn(image, generator=gen, dtype=torch.float64),
                  torch.randn(kernel, generator=gen, dtype=torch.float64)),
                 f"image {image} with kernel {kernel}")
            for image, kernel in [((6, 6), (3, 3)), ((7, 5), (2, 3)), ((5, 8), (5, 1)),
                                  ((4, 4), (1, 1))]]


def _valid_conv(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    return F.conv2d(image[None, None], kernel[None, None])[0, 0]


def _assignment_not_sum(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """`out[r, c] = ...` instead of `+=`: only the last kernel tap survives."""
    kh, kw = kernel.shape
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    return kernel[-1, -1] * image[kh - 1:kh - 1 + h, kw - 1:kw - 1 + w]


conv2d = Exercise(
    "conv2d", _conv_cases, _valid_conv,
    mistakes=[Mistake(lambda image, kernel: _valid_conv(image, kernel.flip(0, 1)),
                      "you flipped the kernel: deep-learning 'convolution' uses w(x, y) with "
                      "I(r + x, c + y), no flip."),
              Mistake(lambda image, kernel: _valid_conv(image, kernel.T)
                      if kernel.shape[0] == kernel.shape[1] else None,
                      "rows and columns are swapped: w(x, y) multiplies I(r + x, c + y)."),
              Mistake(_assignment_not_sum,
                      "only the last product survived: accumulate with `+=` over all kernel "
                      "taps (or sum a whole patch times the kernel)."),
              Mistake(lambda image, kernel: _valid_conv(image, torch.ones_like(kernel)),
                      "the kernel's values are missing: each pixel is multiplied by its weight.")],
    shape="a 'valid' convolution has H - kh + 1 rows and W - kw + 1 columns.",
    hints=("look at the first wrong output pixel: which image pixels should it read, and with "
           "which weights?",
           "output (r, c) is the sum over the whole kernel of weight times the pixel under it, "
           "the kernel's top-left tap on pixel (r, c); no flip.",
           "out[r, c] = sum over x < kh, y < kw of kernel[x, y] * image[r + x, c + y]."),
    passed="matches F.conv2d on 4 image/kernel shapes.")

conv_parameters = Exercise(
    "conv_parameters",
    [Case((cin, cout, k), f"in={cin}, out={cout}, k={k}")
     for cin, cout, k in [(1, 6, 5), (6, 16, 5), (3, 6, 5), (3, 64, 3), (64, 64, 3),
                          (512, 4096, 7)]],
    lambda cin, cout, k: cout * (cin * k * k + 1),
    mistakes=[Mistake(lambda cin, cout, k: cout * cin * k * k, "don't forget one bias per filter."),
              Mistake(lambda cin, cout, k: cout * (k * k + 1),
                      "each filter is 3-D: it spans all input channels (in_channels x k x k)."),
              Mistake(lambda cin, cout, k: cout * (cin * k + 1),
                      "a k x k filter has k * k weights per channel, not k."),
              Mistake(lambda cin, cout, k: cin * k * k + 1,
                      "that is one filter: the layer has out_channels of them.")],
    hints=("count the parts of one filter first: how many weights, how many biases?",
           "one filter spans all input channels with a k x k window and has one bias; the layer "
           "has one filter per output channel.",
           "out_channels * (in_channels * k * k + 1)."),
    passed="right on 6 layers, incl. LeNet-5's and VGG16's.")


def _edges() -> dict[str, torch.Tensor]:
    """Test images (1, 1, 11, 11): flat, an edge brighter towards the bottom right (along the
    anti-diagonal), an edge brighter towards the top right (along the diagonal), a vertical
    and a horizontal edge."""
    r, c = torch.meshgrid(torch.arange(11.0), torch.arange(11.0), indexing="ij")
    images = {"flat": torch.full((11, 11), 0.7), "down-right": (r + c >= 10).double(),
              "up-right": (c - r >= 0).double()}
    return {name: image.double()[None, None] for name, image in images.items()}


def _response(out: torch.Tensor, scale: float) -> str:
    if out.abs().max() <= 1e-6 * scale:
        return "0"
    return "positive" if out.min() >= -1e-6 * scale else "negative or mixed"


def _edge_behaviour(kernel) -> tuple[str, str, str]:
    """What a 3x3 kernel does on a flat image and on the two diagonal edges."""
    kernel = torch.as_tensor(np.asarray(plain(kernel), dtype=np.float64))
    if kernel.shape != (3, 3):
        raise ValueError(f"return a 3x3 kernel; yours has shape {tuple(kernel.shape)}")
    scale = max(float(kernel.abs().sum()), 1e-12)
    out = {name: F.conv2d(image, kernel[None, None])[0, 0] for name, image in _edges().items()}
    return (f"flat: {_response(out['flat'], scale)}",
            f"edge brighter to the bottom right: {_response(out['down-right'], scale)}",
            f"edge brighter to the top right: {_response(out['up-right'], scale)}")


diagonal_edge_kernel = Exercise(
    "diagonal_edge_kernel", [Case((), "your kernel")],
    lambda: torch.tensor([[-2.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 2.0]]),
    outcome=_edge_behaviour, kind="design", show=lambda behaviour: "; ".join(behaviour),
    mistakes=[Mistake(lambda: torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
                      "Sobel x answers every edge with a left-right change, the other diagonal "
                      "too: the weights must be arranged along the diagonal."),
              Mistake(lambda: torch.tensor([[0.0, 1.0, 2.0], [-1.0, 0.0, 1.0], [-2.0, -1.0, 0.0]]),
                      "that kernel finds the other diagonal (brighter to the top right): "
                      "compare the top-left corner with the bottom-right one."),
              Mistake(lambda: torch.tensor([[2.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -2.0]]),
                      "the sign is flipped: bottom right minus top left is positive where the "
                      "image gets brighter towards the bottom right."),
              Mistake(lambda: torch.tensor([[0.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 2.0]]),
                      "a flat region must give 0: make the weights sum to 0.")],
    hints=("try it on paper on a flat patch first, then on the two diagonal edges: which "
           "response is off?",
           "a kernel that is 0 on flat regions has weights summing to 0; to ignore an edge, "
           "its weights must cancel along that edge's direction.",
           "weights growing from the top-left corner to the bottom-right one, e.g. w(x, y) = "
           "x + y - 2, are 0 along every line where x - y is constant."),
    passed="0 on flat regions and on edges along the diagonal, positive where the image gets "
           "brighter towards the bottom right.")


def _chain_cases() -> list[Case]:
    rng = random.Random(0)
    layers = [[(3, 1, 1, 1), (3, 1, 1, 1)], [(5, 1, 0, 1), (2, 2, 0, 1)], [(3, 1, 0, 2)]]
    layers += [[(rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 3))
                for _ in range(rng.randint(1, 6))] for _ in range(20)]
    return [Case((chain_layers,), f"layers {chain_layers}") for chain_layers in layers]


def _chain_without_jump(layers) -> tuple[int, int, int]:
    size, jump, pad = 1, 1, 0
    for k, s, p, d in layers:
        size, pad, jump = size + d * (k - 1), pad + p, jump * s
    return size, jump, pad


def _chain_jump_after(layers) -> tuple[int, int, int]:
    size, jump, pad = 1, 1, 0
    for k, s, p, d in layers:
        jump *= s
        size, pad = size + d * (k - 1) * jump, pad + p * jump
    return size, jump, pad


receptive_field_chain = Exercise(
    "receptive_field_chain", _chain_cases, chain,
    mistakes=[Mistake(lambda layers: chain([(k, s, p, 1) for k, s, p, _ in layers]),
                      "dilation d stretches a kernel k to d * (k - 1) + 1."),
              Mistake(_chain_without_jump,
                      "each layer adds (k - 1) * S_before to R and p * S_before to P, where "
                      "S_before is the jump (product of strides) before that layer."),
              Mistake(lambda layers: (chain(layers)[0], sum(s for _, s, _, _ in layers),
                                      chain(layers)[2]),
                      "the jump S is the product of the strides so far, not their sum."),
              Mistake(_chain_jump_after,
                      "update S *after* R and P: a layer's kernel steps over the input of that "
                      "layer, whose pixels are S_before apart, not S_before * s.")],
    hints=("try the named chain on paper, one layer at a time: which of R, S, P goes wrong "
           "first?",
           "all three start at R = 1, S = 1, P = 0; a layer's kernel and padding count in "
           "pixels of its own input, which are S (the jump so far) image pixels apart.",
           "R += d * (k - 1) * S, P += p * S, then S *= s."),
    passed="right on 23 chains, with strides and dilations.")


def hand_network() -> nn.Sequential:
    """The network of notebook 02's by-hand exercise."""
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2),
                         nn.Conv2d(8, 8, 3, padding=2, dilation=2), nn.ReLU(),
                         nn.Conv2d(8, 4, 1))


def _engine_answer() -> tuple[int, int]:
    final = receptive_fields(hand_network(), (1, 64, 64)).final
    return final.size[0], final.stride[0]


receptive_field_by_hand = Exercise(
    "receptive_field_by_hand", [Case((), "your (R, S)")], _engine_answer,
    kind="by hand", reveal=False,
    mistakes=[Mistake(lambda: (15, 4), "the dilated 3x3 convolution covers 5 pixels: "
                                       "d * (k - 1) + 1 with d = 2."),
              Mistake(lambda: (10, 4), "each layer adds (k - 1) times the jump *before* it: "
                                       "the later layers count 2 and 4 input pixels per step."),
              Mistake(lambda: (23, 8), "the jump is the product of the strides: conv 2 and "
                                       "the pooling each halve the resolution once."),
              Mistake(lambda: (9, 4), "a 2x2 pooling is a layer too: it adds (2 - 1) * S, and "
                                      "the dilated convolution d * (3 - 1) * S.")],
    hints=("write R and S after every layer of the printed network, from the input on.",
           "a layer adds (k' - 1) * S to R, with k' = d * (k - 1) + 1 and S the jump before "
           "it; then S is multiplied by its stride. ReLUs and 1x1 convolutions add nothing.",
           "conv 3x3: R 3; conv 3x3 stride 2: R 5, S 2; pool 2x2: R 7, S 4; now the dilated "
           "conv, whose kernel covers d * (k - 1) + 1 pixels at a jump of 4; the 1x1 conv adds 0."),
    passed="right: the engine agrees.")


def _calls(net: nn.Module, x: torch.Tensor) -> list[str]:
    """The names of the torch functions a forward pass calls (convolutions, poolings...)."""
    from torch.overrides import TorchFunctionMode

    class Recorder(TorchFunctionMode):
        names: list[str] = []

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.names.append(getattr(func, "__name__", str(func)))
            return func(*args, **(kwargs or {}))

    recorder = Recorder()
    recorder.names = []
    with torch.no_grad(), recorder:
        net(x)
    return recorder.names


def _largest_full_square(mask: torch.Tensor) -> int:
    """The side of the largest square of True pixels in a (H, W) bool mask."""
    best = torch.zeros(mask.shape[1] + 1, dtype=torch.int64)
    side = 0
    for row in mask.tolist():  # dynamic programming, one row at a time
        current = torch.zeros_like(best)
        for j, seen in enumerate(row, start=1):
            if seen:
                current[j] = 1 + min(int(best[j]), int(best[j - 1]), int(current[j - 1]))
                side = max(side, int(current[j]))
        best = current
    return side


def rf_design(net, min_rf: int = 64, max_convs: int = 6) -> CheckResult:
    """Check a network of <= max_convs applications of 3x3 convolutions (no pooling) whose
    central output unit sees every pixel of a min_rf x min_rf square (no holes).

    A design exercise: any network meeting the constraints passes, so there is no reference.
    Never raises.
    """
    name = "rf_design"
    try:
        return _rf_design(net, min_rf, max_convs)
    except Exception as err:
        return CheckResult(name, False, f"could not analyse the network ({type(err).__name__}: "
                                        f"{err}): use nn.Conv2d layers in an nn.Sequential.")


def _rf_design(net, min_rf: int, max_convs: int) -> CheckResult:
    name = "rf_design"
    if net is None:
        return CheckResult(name, False, "not solved yet: build the network.", solved=False)
    if not isinstance(net, nn.Module):
        return CheckResult(name, False, f"an nn.Module was needed, not {type(net).__name__}.")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    if not convs or any(tuple(m.kernel_size) != (3, 3) for m in convs):
        return CheckResult(name, False, "use nn.Conv2d layers with 3x3 kernels only.")
    side = 256
    x = torch.zeros(1, convs[0].in_channels, side, side)
    calls = _calls(net, x)
    if any("pool" in call for call in calls) or any("Pool" in type(m).__name__
                                                    for m in net.modules()):
        return CheckResult(name, False, "no pooling allowed here: use the convolutions alone.")
    applied = sum(call.startswith("conv2d") for call in calls)
    if applied > max_convs:
        return CheckResult(name, False, f"your forward pass applies a 3x3 convolution {applied} "
                                        f"times; at most {max_convs} are allowed.")
    table = receptive_fields(net, (convs[0].in_channels, side, side))
    final = table.final
    covered = _largest_full_square(gradient_receptive_field(
        net, (convs[0].in_channels, side, side), final.name))
    span = f"{final.size[0]}x{final.size[1]}"
    if covered >= min_rf:
        return CheckResult(name, True, f"the central output unit sees every pixel of a "
                                       f"{covered}x{covered} square (span {span}) with {applied} "
                                       "3x3 convolutions.")
    if min(final.size) >= min_rf:
        return CheckResult(name, False, f"the receptive field spans {span} pixels, but has holes: "
                                        f"the largest square it sees completely is {covered}x"
                                        f"{covered}. Hint: a dilated kernel skips pixels; an "
                                        "earlier layer must fill the gaps it leaves.")
    return CheckResult(name, False, f"the output units see only {span} pixels (need {min_rf}). "
                                    "Hint: plain 3x3 convolutions add 2 per layer; dilation or "
                                    "stride make later layers add more.")


lenet_rgb_parameters = Exercise(
    "lenet_rgb_parameters", [Case((), "your (conv1 parameters, growth of the whole network)")],
    lambda: (6 * (3 * 5 * 5 + 1), 6 * (3 * 5 * 5 + 1) - 6 * (5 * 5 + 1)),
    kind="predict", reveal=False,
    mistakes=[Mistake(lambda: (468, 312), "the weights triple, the biases do not: one bias per "
                                          "filter, whatever the input channels."),
              Mistake(lambda: (156, 0), "conv1's filters span every input channel: three of "
                                        "them now."),
              Mistake(lambda: (456, 900), "only conv1 reads the input channels; every later "
                                          "layer reads the same maps as before.")],
    hints=("start with one conv1 filter: how many weights does it have on a grey image, how "
           "many on an RGB one?",
           "a filter spans all input channels, so only conv1's weights grow; its bias and "
           "every later layer stay as they are.",
           "conv1: 6 * (3 * 5 * 5 + 1); growth: that minus 6 * (5 * 5 + 1)."),
    passed="right: only the first layer grows, by 2 x 6 x 25 weights.")
