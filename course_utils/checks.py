"""Exercise checkers: each takes the student's function and returns a CheckResult.

A checker never raises for a wrong or unfinished answer: it reports pass / fail / "not solved
yet" with a hint, so that "Run all" completes on a student copy.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class CheckResult:
    """Outcome of one exercise check; truthy only when passed."""

    name: str
    passed: bool
    message: str
    solved: bool = True  # False while the stub still raises NotImplementedError

    def __bool__(self) -> bool:
        return self.passed

    @property
    def mark(self) -> str:
        return "PASS" if self.passed else ("TODO" if not self.solved else "FAIL")

    def __repr__(self) -> str:
        return f"[{self.mark}] {self.name}: {self.message}"

    def _repr_html_(self) -> str:
        color = {"PASS": "#1a7f37", "TODO": "#9a6700", "FAIL": "#cf222e"}[self.mark]
        return (f'<div style="border-left:4px solid {color};padding:2px 8px">'
                f'<b style="color:{color}">{self.mark}</b> <code>{html.escape(self.name)}</code>: '
                f"{html.escape(self.message)}</div>")


def yours_or(fn: Callable, check: Callable[[Callable], CheckResult], reference: Callable):
    """`fn` when `check(fn)` passes, else the course's `reference` (saying so in one line).

    Cells after an exercise that reuse the student's function keep running in a student copy
    whose exercise is not solved yet.
    """
    result = check(fn)
    if result:
        return fn
    print(f"{result.name}: [{result.mark}] using the course's reference until your exercise "
          "passes")
    return reference


def _call(name: str, fn: Callable, *args):
    """(value, None) or (None, CheckResult) when the call fails or returns nothing."""
    if not callable(fn):
        return None, CheckResult(name, False, f"expected a function, got {type(fn).__name__}.")
    try:
        value = fn(*args)
    except NotImplementedError:
        return None, CheckResult(
            name, False, "not solved yet: replace `raise NotImplementedError` with your code.",
            solved=False,
        )
    except Exception as err:  # the student's bug, reported instead of raised
        return None, CheckResult(name, False, f"your function raised {type(err).__name__}: {err}")
    if value is None:
        return None, CheckResult(name, False, "your function returned None: missing `return`?")
    return value, None


def conv2d(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> CheckResult:
    """Check fn(image (H, W), kernel (kh, kw)) -> valid convolution (H-kh+1, W-kw+1)."""
    name = "conv2d"
    gen = torch.Generator().manual_seed(0)
    cases = [((6, 6), (3, 3)), ((7, 5), (2, 3)), ((5, 8), (5, 1)), ((4, 4), (1, 1))]
    for image_shape, kernel_shape in cases:
        image = torch.randn(image_shape, generator=gen, dtype=torch.float64)
        kernel = torch.randn(kernel_shape, generator=gen, dtype=torch.float64)
        expected = F.conv2d(image[None, None], kernel[None, None])[0, 0]
        got, failure = _call(name, fn, image.clone(), kernel.clone())
        if failure is not None:
            return failure
        got = torch.as_tensor(got, dtype=torch.float64)
        if got.shape != expected.shape:
            return CheckResult(
                name, False,
                f"image {image_shape} with kernel {kernel_shape}: output shape {tuple(got.shape)}"
                f", expected {tuple(expected.shape)}. Hint: a 'valid' convolution has "
                f"H - kh + 1 rows and W - kw + 1 columns.",
            )
        if not torch.allclose(got, expected, atol=1e-6):
            flipped = F.conv2d(image[None, None], kernel.flip(0, 1)[None, None])[0, 0]
            hint = ("you flipped the kernel: deep-learning 'convolution' uses w(x, y) with "
                    "I(r + x, c + y), no flip." if torch.allclose(got, flipped, atol=1e-6)
                    else "check the indices: output (r, c) sums w(x, y) * I(r + x, c + y).")
            return CheckResult(name, False,
                               f"wrong values for image {image_shape}, kernel {kernel_shape}. "
                               f"Hint: {hint}")
    return CheckResult(name, True, f"matches F.conv2d on {len(cases)} image/kernel shapes.")


def conv_parameters(fn: Callable[[int, int, int], int]) -> CheckResult:
    """Check fn(in_channels, out_channels, kernel_size) -> #parameters of a Conv2d with bias."""
    name = "conv_parameters"
    cases = [(1, 6, 5), (6, 16, 5), (3, 6, 5), (3, 64, 3), (64, 64, 3), (512, 4096, 7)]
    for cin, cout, k in cases:
        expected = cout * (cin * k * k + 1)
        got, failure = _call(name, fn, cin, cout, k)
        if failure is not None:
            return failure
        if got == expected:
            continue
        if got == cout * cin * k * k:
            hint = "don't forget one bias per filter."
        elif got == cout * (k * k + 1):
            hint = "each filter is 3-D: it spans all input channels (in_channels x k x k)."
        else:
            hint = "count the weights of one filter, add its bias, multiply by the filters."
        return CheckResult(
            name, False, f"in={cin}, out={cout}, k={k}: got {got}, expected {expected}. "
            f"Hint: {hint}"
        )
    return CheckResult(name, True, f"right on {len(cases)} layers, incl. LeNet-5's and VGG16's")


def receptive_field_chain(
    fn: Callable[[list[tuple[int, int, int, int]]], tuple[int, int, int]],
) -> CheckResult:
    """Check fn(layers) -> (R, S, P) for a chain of (kernel, stride, padding, dilation) layers."""
    import random

    from .receptive_field import chain

    name = "receptive_field_chain"
    rng = random.Random(0)
    cases = [[(3, 1, 1, 1), (3, 1, 1, 1)], [(5, 1, 0, 1), (2, 2, 0, 1)], [(3, 1, 0, 2)]]
    cases += [[(rng.randint(1, 5), rng.randint(1, 3), rng.randint(0, 2), rng.randint(1, 3))
               for _ in range(rng.randint(1, 6))] for _ in range(20)]
    for layers in cases:
        size, jump, pad = chain(layers)
        got, failure = _call(name, fn, [tuple(layer) for layer in layers])
        if failure is not None:
            return failure
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            return CheckResult(name, False, f"got {got!r}. Hint: return a tuple (R, S, P).")
        if got == (size, jump, pad):
            continue
        hint = "return a tuple (R, S, P)."
        if len(got) == 3:
            r, s, p = got
            if s != jump:
                hint = "the jump S is the product of the strides so far."
            elif r != size and all(d == 1 for *_, d in layers):
                hint = "each layer adds (k - 1) * S_before to R (S_before: the jump before it)."
            elif r != size:
                hint = "dilation d stretches a kernel k to d * (k - 1) + 1."
            else:
                hint = "padding p of a layer counts p * S_before input pixels."
        return CheckResult(name, False, f"layers {layers}: got {got}, expected "
                                        f"{(size, jump, pad)}. Hint: {hint}")
    return CheckResult(name, True, f"right on {len(cases)} chains, with strides and dilations.")


def rf_design(net, min_rf: int = 64, max_convs: int = 6) -> CheckResult:
    """Check a network of <= max_convs 3x3 convolutions (no pooling) whose output sees >= min_rf."""
    from torch import nn

    from .receptive_field import receptive_fields

    name = "rf_design"
    if net is None:
        return CheckResult(name, False, "not solved yet: build the network.", solved=False)
    if not isinstance(net, nn.Module):
        return CheckResult(name, False, f"expected an nn.Module, got {type(net).__name__}.")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    pools = [m for m in net.modules() if "Pool" in type(m).__name__]
    if pools:
        return CheckResult(name, False, "no pooling allowed here: use the convolutions alone.")
    if len(convs) > max_convs or any(tuple(m.kernel_size) != (3, 3) for m in convs):
        return CheckResult(name, False, f"use at most {max_convs} convolutions, all 3x3 "
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


def linear_to_conv(fn: Callable) -> CheckResult:
    """Check fn(linear, (C, H, W)) -> Conv2d computing the Linear at every H x W window."""
    from torch import nn

    name = "linear_to_conv"
    gen = torch.Generator().manual_seed(0)
    for c, h, w, out in [(16, 5, 5, 120), (3, 2, 4, 7), (8, 1, 1, 5)]:
        linear = nn.Linear(c * h * w, out)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(linear.weight.shape, generator=gen))
            linear.bias.copy_(torch.randn(out, generator=gen))
        x = torch.randn(2, c, h, w, generator=gen)
        conv, failure = _call(name, fn, linear, (c, h, w))
        if failure is not None:
            return failure
        if not isinstance(conv, nn.Conv2d):
            return CheckResult(name, False, f"return an nn.Conv2d, not {type(conv).__name__}.")
        if tuple(conv.kernel_size) != (h, w) or conv.out_channels != out:
            return CheckResult(name, False, f"for a {c}x{h}x{w} volume and {out} outputs expect "
                                            f"Conv2d({c}, {out}, kernel_size=({h}, {w})); got "
                                            f"{conv}. Hint: one filter per output neuron, as "
                                            "large as the whole volume.")
        with torch.no_grad():
            got, expected = conv(x).flatten(1), linear(x.flatten(1))
        if not torch.allclose(got, expected, atol=1e-5):
            hwc = linear.weight.view(out, h, w, c).permute(0, 3, 1, 2)
            hint = ("the weights look read in H, W, C order (Keras'); PyTorch flattens C, H, W."
                    if torch.allclose(conv.weight, hwc) else
                    "copy linear.weight reshaped to (out, C, H, W), and the bias.")
            return CheckResult(name, False, f"outputs differ for a {c}x{h}x{w} volume. "
                                            f"Hint: {hint}")
    return CheckResult(name, True, "the convolution reproduces the Linear layer exactly.")


def fcn_output_size(fn: Callable[[int, int], tuple[int, int]]) -> CheckResult:
    """Check fn(H, W) -> (rows, cols) of LeNet-5's fully convolutional output grid."""
    name = "fcn_output_size"
    for h, w in [(32, 32), (36, 40), (128, 160), (33, 35), (1000, 2000)]:
        expected = ((h - 32) // 4 + 1, (w - 32) // 4 + 1)
        got, failure = _call(name, fn, h, w)
        if failure is not None:
            return failure
        if tuple(got) != expected:
            hint = ("a 32x32 window fits (H - 32) // 4 + 1 times with stride 4."
                    if tuple(got) != ((h - 32) // 4, (w - 32) // 4) else
                    "don't forget the first window: + 1.")
            return CheckResult(name, False, f"{h}x{w}: got {tuple(got)}, expected {expected}. "
                                            f"Hint: {hint}")
    return CheckResult(name, True, "right for five image sizes, the lecture's 1000x2000 too.")


def interleave(fn: Callable[[dict, int], torch.Tensor]) -> CheckResult:
    """Check fn(pieces, f) -> dense map from {(dy, dx): (K, h, w) output on the shifted input}."""
    name = "interleave"
    gen = torch.Generator().manual_seed(0)
    for f, (height, width) in [(2, (7, 9)), (4, (13, 10)), (3, (9, 9))]:
        dense = torch.randn(2, height, width, generator=gen)
        pieces = {(dy, dx): dense[:, dy::f, dx::f].clone() for dy in range(f) for dx in range(f)}
        got, failure = _call(name, fn, pieces, f)
        if failure is not None:
            return failure
        got = torch.as_tensor(got)
        if got.shape != dense.shape:
            return CheckResult(name, False, f"f={f}: shape {tuple(got.shape)}, expected "
                                            f"{tuple(dense.shape)}. Hint: output (K, h, w) of "
                                            "shift (dy, dx) fills rows dy, dy+f, ... and columns "
                                            "dx, dx+f, ...")
        if not torch.equal(got, dense):
            return CheckResult(name, False, f"f={f}: values in the wrong places. Hint: "
                                            "dense[:, dy::f, dx::f] = pieces[dy, dx].")
    return CheckResult(name, True, "interleaves pieces for f = 2, 3, 4 and odd sizes.")


def atrous_dilations(fn: Callable[[list[int]], list[int]]) -> CheckResult:
    """Check fn(strides) -> dilation of each layer once every stride is set to 1."""
    name = "atrous_dilations"
    cases = [[1, 2, 1, 2, 1, 1, 1], [2, 2, 2], [1, 1], [3, 1, 2, 1], [1, 2, 1, 1, 2, 2, 1]]
    for strides in cases:
        expected, factor = [], 1
        for s in strides:
            expected.append(factor)
            factor *= s
        got, failure = _call(name, fn, list(strides))
        if failure is not None:
            return failure
        if list(got) != expected:
            shifted = expected[1:] + [factor]
            hint = ("a layer is dilated by the strides before it, not by its own."
                    if list(got) == shifted else
                    "multiply the strides removed so far; the first layer keeps dilation 1.")
            return CheckResult(name, False, f"strides {strides}: got {list(got)}, expected "
                                            f"{expected}. Hint: {hint}")
    return CheckResult(name, True, f"right for {len(cases)} stride patterns.")


def zero_insert(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> CheckResult:
    """Check fn(x (H, W), stride) -> x with stride - 1 zeros between neighbouring samples."""
    name = "zero_insert"
    gen = torch.Generator().manual_seed(0)
    for shape, stride in [((2, 2), 2), ((3, 4), 3), ((1, 5), 2), ((3, 3), 1)]:
        x = torch.rand(shape, generator=gen) + 0.5
        expected = torch.zeros((shape[0] - 1) * stride + 1, (shape[1] - 1) * stride + 1)
        expected[::stride, ::stride] = x
        got, failure = _call(name, fn, x.clone(), stride)
        if failure is not None:
            return failure
        got = torch.as_tensor(got)
        if got.shape != expected.shape:
            hint = ("no zeros after the last sample: (H - 1) * stride + 1."
                    if got.shape == (shape[0] * stride, shape[1] * stride) else
                    "H samples with stride - 1 zeros between neighbours.")
            return CheckResult(name, False, f"{tuple(shape)} with stride {stride}: shape "
                                            f"{tuple(got.shape)}, expected "
                                            f"{tuple(expected.shape)}. Hint: {hint}")
        if not torch.equal(got, expected):
            return CheckResult(name, False, f"{tuple(shape)} with stride {stride}: values in "
                                            "the wrong places. Hint: out[::stride, ::stride] = x.")
    return CheckResult(name, True, "right for strides 1-3, square and non-square inputs.")


def transposed_output_size(fn: Callable[..., int]) -> CheckResult:
    """Check fn(i, k, s, p, output_padding) -> output size of ConvTranspose2d."""
    from torch import nn

    name = "transposed_output_size"
    cases = [(3, 3, 2, 0, 0), (4, 4, 2, 1, 0), (5, 3, 2, 1, 1), (7, 2, 3, 0, 2), (2, 5, 1, 2, 0)]
    for i, k, s, p, a in cases:
        expected = nn.ConvTranspose2d(1, 1, k, s, p, a)(torch.zeros(1, 1, i, i)).shape[-1]
        got, failure = _call(name, fn, i, k, s, p, a)
        if failure is not None:
            return failure
        if got == expected:
            continue
        hint = next(text for wrong, text in (
            (a and got == (i - 1) * s - 2 * p + k, "output_padding is added too."),
            (got == (i - 1) * s + k + a,
             "padding removes 2p (it is the padding of the convolution being undone)."),
            (True, "o = (i - 1) * s - 2p + k + output_padding.")) if wrong)
        return CheckResult(name, False, f"i={i}, k={k}, s={s}, p={p}, output_padding={a}: "
                                        f"got {got}, expected {expected}. Hint: {hint}")
    return CheckResult(name, True, f"matches nn.ConvTranspose2d on {len(cases)} layers.")


def _number(name: str, got) -> tuple[float | None, CheckResult | None]:
    try:
        return float(got), None
    except (TypeError, ValueError):
        return None, CheckResult(name, False, f"return a number, not {type(got).__name__}.")


def _confusion_cases():
    gen = torch.Generator().manual_seed(0)
    cases = [torch.tensor([[50, 2, 3], [4, 10, 0], [1, 0, 5]]),
             torch.tensor([[8, 0, 0], [0, 0, 0], [2, 0, 6]])]  # class 1 absent everywhere
    cases += [torch.randint(0, 20, (4, 4), generator=gen) for _ in range(3)]
    return cases


def _confusion_metric(name: str, fn: Callable, field: str, hint: Callable, passed: str):
    """Run fn on every confusion case against metrics' `field`; hint(confusion, got) on a miss."""
    from .metrics import scores_from_confusion

    for confusion in _confusion_cases():
        expected = getattr(scores_from_confusion(confusion), field)
        got, failure = _call(name, fn, confusion.clone())
        if failure is None:
            got, failure = _number(name, got)
        if failure is not None:
            return failure
        if abs(got - expected) >= 1e-9:
            return CheckResult(name, False, f"confusion {confusion.tolist()}: got {got:.4f}, "
                                            f"expected {expected:.4f}. Hint: "
                                            f"{hint(confusion.double(), got)}")
    return CheckResult(name, True, passed)


def _mean_iu_hint(n: torch.Tensor, got: float) -> str:
    union = n.sum(0) + n.sum(1) - n.diag()
    if abs(got - float((n.diag() / n.sum(1)).nanmean())) < 1e-9:
        return "that is the mean accuracy: IU divides by the union t_i + sum_j n_ji - n_ii."
    if (union == 0).any():
        return "a class with no pixels in labels or predictions has no IU: leave it out."
    return "IU_i = n_ii / (t_i + sum_j n_ji - n_ii), averaged over the classes."


def mean_iu(fn: Callable[[torch.Tensor], float]) -> CheckResult:
    """Check fn(confusion) -> mean IU, classes absent from labels and predictions left out."""
    return _confusion_metric("mean_iu", fn, "mean_iu", _mean_iu_hint,
                             "right, including a class absent from labels and predictions.")


def frequency_weighted_iu(fn: Callable[[torch.Tensor], float]) -> CheckResult:
    """Check fn(confusion) -> frequency-weighted IU."""
    return _confusion_metric(
        "frequency_weighted_iu", fn, "fw_iu",
        lambda n, got: "weight IU_i by t_i (the pixels of class i) and divide by all "
                       "labelled pixels.",
        "right on five confusion matrices.")


def border_term(fn: Callable[..., float]) -> CheckResult:
    """Check fn(d1, d2, w0, sigma) -> w0 * exp(-(d1 + d2)**2 / (2 sigma**2))."""
    import math

    name = "border_term"
    for d1, d2, w0, sigma in [(1.0, 1.0, 10.0, 5.0), (3.0, 3.0, 10.0, 5.0), (0.0, 8.0, 5.0, 2.0),
                              (2.0, 5.0, 10.0, 3.0)]:
        expected = w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma**2))
        got, failure = _call(name, fn, d1, d2, w0, sigma)
        if failure is None:
            got, failure = _number(name, got)
        if failure is not None:
            return failure
        if abs(got - expected) > 1e-9:
            if abs(got - w0 * math.exp(-((d1 - d2) ** 2) / (2 * sigma**2))) < 1e-9:
                hint = "the paper adds the two distances: (d1 + d2), not (d1 - d2)."
            elif abs(got - w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma))) < 1e-9:
                hint = "sigma is a standard deviation: divide by 2 sigma**2, not 2 sigma."
            else:
                hint = "w0 * exp(-(d1 + d2)**2 / (2 * sigma**2))."
            return CheckResult(name, False, f"d1={d1}, d2={d2}, w0={w0}, sigma={sigma}: got "
                                            f"{got:.4f}, expected {expected:.4f}. Hint: {hint}")
    return CheckResult(name, True, "matches the paper's border term.")


def unet_output_size(fn: Callable[[int, int], int]) -> CheckResult:
    """Check fn(size, depth) -> output side of a valid (unpadded) U-Net."""
    from .unet import unet_output_size as reference

    name = "unet_output_size"
    for size, depth in [(572, 4), (188, 4), (92, 3), (44, 2), (20, 1)]:
        expected = reference(size, depth, 0)
        got, failure = _call(name, fn, size, depth)
        if failure is not None:
            return failure
        if got != expected:
            return CheckResult(name, False, f"size {size}, depth {depth}: got {got}, expected "
                                            f"{expected}. Hint: each level loses 4 pixels to its "
                                            "two valid 3x3 convs, then halves (down) or doubles "
                                            "(up).")
    return CheckResult(name, True, "right for depths 1-4, 572 -> 388 among them.")


def _tensor_call(name: str, fn: Callable, args: tuple, expected: torch.Tensor, case: str,
                 shape_hint: str):
    """(got, None) when fn(*args) returns a tensor shaped like expected, else (None, failure)."""
    got, failure = _call(name, fn, *args)
    if failure is not None:
        return None, failure
    if not isinstance(got, torch.Tensor):
        return None, CheckResult(name, False, f"{case}: return a torch.Tensor, not "
                                              f"{type(got).__name__}.")
    if tuple(got.shape) != tuple(expected.shape):
        return None, CheckResult(name, False, f"{case}: shape {tuple(got.shape)}, expected "
                                              f"{tuple(expected.shape)}. Hint: {shape_hint}")
    return got, None


def global_average_pool(fn: Callable[[torch.Tensor], torch.Tensor]) -> CheckResult:
    """Check fn(x (N, C, H, W)) -> (N, C) mean of every feature map."""
    name = "global_average_pool"
    gen = torch.Generator().manual_seed(0)
    for shape in [(2, 3, 4, 4), (1, 10, 7, 5), (3, 1, 1, 6)]:
        x = torch.randn(shape, generator=gen)
        expected = x.mean((-2, -1))
        case = f"input {shape}"
        got, failure = _tensor_call(name, fn, (x.clone(),), expected, case,
                                    "one number per map: average over H and W only.")
        if failure is not None:
            return failure
        if not torch.allclose(got, expected, atol=1e-5):
            if torch.allclose(got, x.sum((-2, -1)), atol=1e-4):
                hint = "that is the sum; divide by H * W."
            elif torch.allclose(got, x.amax((-2, -1)), atol=1e-5):
                hint = "that is global *max* pooling; NiN averages."
            else:
                hint = "x.mean over the last two dimensions."
            return CheckResult(name, False, f"{case}: wrong values. Hint: {hint}")
    return CheckResult(name, True, "matches nn.AdaptiveAvgPool2d(1) on three shapes.")


def class_activation_map(fn: Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]
                         ) -> CheckResult:
    """Check fn(features (K, h, w), weight (num_classes, K), c) -> (h, w) map sum_k w[c, k] f_k."""
    name = "class_activation_map"
    gen = torch.Generator().manual_seed(0)
    for k, h, w, num_classes, c in [(4, 3, 3, 5, 2), (8, 7, 5, 10, 9), (1, 2, 6, 3, 0)]:
        features = torch.randn(k, h, w, generator=gen)
        weight = torch.randn(num_classes, k, generator=gen)
        expected = torch.einsum("k,khw->hw", weight[c], features)
        case = f"{k} maps of {h}x{w}, class {c} of {num_classes}"
        got, failure = _tensor_call(name, fn, (features.clone(), weight.clone(), c), expected,
                                    case, "a weighted sum of the K maps keeps their h x w shape.")
        if failure is not None:
            return failure
        if not torch.allclose(got, expected, atol=1e-5):
            if torch.allclose(got, expected / (h * w), atol=1e-5):
                hint = "no averaging here: the mean of M_c is what GAP adds to the score."
            else:
                hint = "M_c(x, y) = sum over k of weight[c, k] * features[k, x, y]."
            return CheckResult(name, False, f"{case}: wrong values. Hint: {hint}")
    return CheckResult(name, True, "M_c = sum_k w_k^c f_k for three layer shapes.")
