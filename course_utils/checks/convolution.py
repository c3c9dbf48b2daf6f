"""Checkers for the lecture's first part: convolution (notebook 01) and receptive fields (02)."""

from __future__ import annotations

import random

import torch
import torch.nn.functional as F
from torch import nn

from ..receptive_field import chain, receptive_fields
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


conv2d = Exercise(
    "conv2d", _conv_cases, _valid_conv,
    mistakes=[Mistake(lambda image, kernel: _valid_conv(image, kernel.flip(0, 1)),
                      "you flipped the kernel: deep-learning 'convolution' uses w(x, y) with "
                      "I(r + x, c + y), no flip."),
              Mistake(lambda image, kernel: _valid_conv(image, kernel.T)
                      if kernel.shape[0] == kernel.shape[1] else None,
                      "rows and columns are swapped: w(x, y) multiplies I(r + x, c + y).")],
    shape="a 'valid' convolution has H - kh + 1 rows and W - kw + 1 columns.",
    hint="check the indices: output (r, c) sums w(x, y) * I(r + x, c + y).",
    passed="matches F.conv2d on 4 image/kernel shapes.")

conv_parameters = Exercise(
    "conv_parameters",
    [Case((cin, cout, k), f"in={cin}, out={cout}, k={k}")
     for cin, cout, k in [(1, 6, 5), (6, 16, 5), (3, 6, 5), (3, 64, 3), (64, 64, 3),
                          (512, 4096, 7)]],
    lambda cin, cout, k: cout * (cin * k * k + 1),
    mistakes=[Mistake(lambda cin, cout, k: cout * cin * k * k, "don't forget one bias per filter."),
              Mistake(lambda cin, cout, k: cout * (k * k + 1),
                      "each filter is 3-D: it spans all input channels (in_channels x k x k).")],
    hint="count the weights of one filter, add its bias, multiply by the filters.",
    passed="right on 6 layers, incl. LeNet-5's and VGG16's.")


def _edges() -> dict[str, torch.Tensor]:
    """Test images (1, 1, 9, 9): flat, brighter to the right, brighter to the bottom."""
    step = (torch.arange(9) >= 4).double()
    return {"flat": torch.full((1, 1, 9, 9), 0.7, dtype=torch.float64),
            "vertical": step.expand(9, 9)[None, None].clone(),
            "horizontal": step[:, None].expand(9, 9)[None, None].clone()}


def _edge_behaviour(kernel) -> tuple[str, str, str]:
    """What a 3x3 kernel does on a flat image, a vertical and a horizontal edge."""
    kernel = torch.as_tensor(kernel, dtype=torch.float64)
    if kernel.shape != (3, 3):
        raise ValueError(f"return a 3x3 tensor; got shape {tuple(kernel.shape)}")
    out = {name: F.conv2d(image, kernel[None, None])[0, 0] for name, image in _edges().items()}
    scale = max(float(kernel.abs().sum()), 1e-12)
    flat = "flat: 0" if out["flat"].abs().max() <= 1e-9 * scale else "flat: not 0"
    vertical = out["vertical"]
    if vertical.abs().max() <= 1e-9 * scale:
        vertical_says = "vertical edge: no response"
    elif vertical.min() >= -1e-9 * scale:
        vertical_says = "vertical edge: positive"
    else:
        vertical_says = "vertical edge: negative"
    horizontal = ("horizontal edge: 0" if out["horizontal"].abs().max() <= 1e-9 * scale
                  else "horizontal edge: not 0")
    return flat, vertical_says, horizontal


vertical_edge_kernel = Exercise(
    "vertical_edge_kernel", [Case((), "your kernel")],
    lambda: torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
    outcome=_edge_behaviour,
    mistakes=[Mistake(lambda: torch.tensor([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]),
                      "that kernel finds horizontal edges: compare left and right columns, "
                      "not top and bottom rows."),
              Mistake(lambda: torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
                      "the sign is flipped: right minus left is positive where the image gets "
                      "brighter to the right."),
              Mistake(lambda: torch.ones(3, 3) / 9,
                      "a flat region must give 0: make the weights sum to 0.")],
    hint="a flat image must give 0, a horizontal edge 0, and an image getting brighter to the "
         "right a positive response: right column minus left column.",
    passed="0 on flat regions and horizontal edges, positive on a dark-to-bright vertical edge.")


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


receptive_field_chain = Exercise(
    "receptive_field_chain", _chain_cases, chain,
    outcome=lambda answer, layers: tuple(int(v) for v in answer),
    mistakes=[Mistake(lambda layers: chain([(k, s, p, 1) for k, s, p, _ in layers]),
                      "dilation d stretches a kernel k to d * (k - 1) + 1."),
              Mistake(_chain_without_jump,
                      "each layer adds (k - 1) * S_before to R and p * S_before to P, where "
                      "S_before is the jump (product of strides) before that layer."),
              Mistake(lambda layers: (chain(layers)[0], sum(s for _, s, _, _ in layers),
                                      chain(layers)[2]),
                      "the jump S is the product of the strides so far, not their sum.")],
    hint="R grows by d * (k - 1) * S_before, P by p * S_before, S is multiplied by s.",
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
    "receptive_field_by_hand", [Case((), "the network of the exercise")], _engine_answer,
    outcome=lambda answer: tuple(int(v) for v in answer),
    mistakes=[Mistake(lambda: (15, 4), "the dilated 3x3 convolution covers 5 pixels: "
                                       "d * (k - 1) + 1 with d = 2."),
              Mistake(lambda: (10, 4), "each layer adds (k - 1) times the jump *before* it: "
                                       "the later layers count 2 and 4 input pixels per step."),
              Mistake(lambda: (23, 8), "the jump is the product of the strides: conv 2 and "
                                       "the pooling each halve the resolution once.")],
    hint="walk the layers: R += d * (k - 1) * S, then S *= stride; 1x1 convolutions add nothing.",
    passed="right: the engine agrees.")


def rf_design(net, min_rf: int = 64, max_convs: int = 6) -> CheckResult:
    """Check a network of <= max_convs 3x3 convolutions (no pooling) whose output sees >= min_rf.

    A design exercise: any network meeting the constraints passes, so there is no reference.
    """
    name = "rf_design"
    if net is None:
        return CheckResult(name, False, "not solved yet: build the network.", solved=False)
    if not isinstance(net, nn.Module):
        return CheckResult(name, False, f"expected an nn.Module, got {type(net).__name__}.")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    if any("Pool" in type(m).__name__ for m in net.modules()):
        return CheckResult(name, False, "no pooling allowed here: use the convolutions alone.")
    if not convs or len(convs) > max_convs or any(tuple(m.kernel_size) != (3, 3) for m in convs):
        return CheckResult(name, False, f"use 1 to {max_convs} convolutions, all 3x3 "
                                        f"(found {len(convs)}).")
    try:
        final = receptive_fields(net, (convs[0].in_channels, 256, 256)).final
    except Exception as err:
        return CheckResult(name, False, f"could not analyse the network: {err}")
    if min(final.size) >= min_rf:
        return CheckResult(name, True, f"the output units see {final.size[0]}x{final.size[1]} "
                                       f"pixels with {len(convs)} 3x3 convolutions.")
    return CheckResult(name, False, f"the output units see only {final.size[0]}x{final.size[1]} "
                                    f"pixels (need {min_rf}). Hint: plain 3x3 convolutions add 2 "
                                    "per layer; dilation or stride make later layers add more.")
