"""Checkers for segmentation networks and their training: FCN metrics and skips (notebook 06),
U-Net (07)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import fcn, models, unet
from .._core import seeded
from ..metrics import scores_from_confusion
from .answers import kind, plain
from .exercise import Case, Exercise, Mistake


def _confusion_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    matrices = [torch.tensor([[50, 2, 3], [4, 10, 0], [1, 0, 5]]),
                torch.tensor([[8, 0, 0], [0, 0, 0], [2, 0, 6]]),  # class 1 absent everywhere
                torch.tensor([[7, 3, 0], [0, 0, 0], [1, 0, 9]])]  # class 1 predicted, never true
    matrices += [torch.randint(0, 20, (4, 4), generator=gen) for _ in range(3)]
    return [Case((n,), f"confusion {n.tolist()}") for n in matrices]


def _iu_of_labelled_classes(n: torch.Tensor) -> float:
    correct, union = _per_class(n)
    labelled = n.double().sum(1) > 0
    return float((correct[labelled] / union[labelled]).mean())


def _per_class(n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    n = n.double()
    return n.diag(), n.sum(1) + n.sum(0) - n.diag()


mean_iu = Exercise(
    "mean_iu", _confusion_cases, lambda n: scores_from_confusion(n).mean_iu,
    mistakes=[Mistake(lambda n: float((n.double().diag() / n.double().sum(1)).nanmean()),
                      "that is the mean accuracy: IU divides by the union "
                      "t_i + sum_j n_ji - n_ii."),
              Mistake(lambda n: float(torch.nan_to_num(_per_class(n)[0] / _per_class(n)[1]).mean()),
                      "a class with no pixels in labels or predictions has no IU: leave it out of "
                      "the mean (0 / 0 is not 0)."),
              Mistake(_iu_of_labelled_classes,
                      "a class the network predicts but the labels never contain still counts: "
                      "its IU is 0 (all false alarms). Leave out only classes absent from both."),
              Mistake(lambda n: float(n.double().diag().sum() / n.double().sum()),
                      "that is the pixel accuracy: mean IU averages one IU per class.")],
    hints=("compute the IU of each class of the named matrix on its own first: which one is off?",
           "a class's IU is its correct pixels over the union of its true and its predicted "
           "pixels (row sum + column sum - diagonal); classes absent from both are left out.",
           "IU_i = n_ii / (t_i + sum_j n_ji - n_ii), averaged over the classes present."),
    passed="right, including a class absent everywhere and one predicted but never true.")

frequency_weighted_iu = Exercise(
    "frequency_weighted_iu", _confusion_cases, lambda n: scores_from_confusion(n).fw_iu,
    mistakes=[Mistake(lambda n: float(np.nansum((n.double().sum(0) * _per_class(n)[0]
                                                 / _per_class(n)[1]).numpy()) / n.double().sum()),
                      "weight by t_i, the pixels *labelled* i (row sums), not the pixels "
                      "predicted as i."),
              Mistake(lambda n: scores_from_confusion(n).mean_iu,
                      "that is the plain mean IU: weight IU_i by t_i, the pixels of class i."),
              Mistake(lambda n: float(np.nansum((n.double().sum(1) * _per_class(n)[0]
                                                 / _per_class(n)[1]).numpy())),
                      "divide by all labelled pixels, sum_k t_k.")],
    hints=("compute IU_i and t_i for every class of the named matrix: which part of the sum "
           "is off?",
           "each class's IU counts as often as the class has labelled pixels: a weighted mean "
           "whose weights t_i sum to all labelled pixels.",
           "(sum_k t_k)^-1 * sum_i t_i * IU_i."),
    passed="right on five confusion matrices.")


class _FCN32(nn.Module):
    """A plain FCN-32s with the attributes the exercise names, and no skip layer of its own."""

    def __init__(self, skip_fcn: fcn.SkipFCN):
        super().__init__()
        self.backbone, self.fc6, self.relu6 = skip_fcn.backbone, skip_fcn.fc6, skip_fcn.relu6
        self.score, self.up = skip_fcn.score, skip_fcn.up

    def scores(self, x: torch.Tensor) -> tuple[dict, torch.Tensor]:
        maps = self.backbone(x)
        return maps, self.score(self.relu6(self.fc6(maps["pool5"])))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.scores(x)[1]
        for up in self.up:
            s = up(s)
        return s


class _FCN16(nn.Module):
    """The reference: pool4's scores (zero-initialised) join after the first x2 step."""

    def __init__(self, fcn32: nn.Module, pool4_channels: int, bias: bool = True):
        super().__init__()
        self.fcn32 = fcn32
        self.score_pool4 = nn.Conv2d(pool4_channels, fcn32.score.out_channels, 1, bias=bias)
        with torch.no_grad():
            for p in self.score_pool4.parameters():
                p.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps, s = self.fcn32.scores(x)
        s = self.fcn32.up[0](s) + self.score_pool4(maps["pool4"])
        for up in self.fcn32.up[1:]:
            s = up(s)
        return s


def _tiny_fcn32() -> _FCN32:
    with seeded(0):  # the caller's random stream is left alone
        net = fcn.SkipFCN(models.digit_vgg(widths=(4, 4, 8, 8, 8), hidden=8), num_classes=3)
        with torch.no_grad():  # pretend it was trained: non-zero scores
            for p in (net.score.weight, net.score.bias):
                p.copy_(torch.randn(p.shape))
    return _FCN32(net).eval()


def _reference_fcn16(fcn32: _FCN32) -> nn.Module:
    return _FCN16(fcn32, fcn32.backbone.channels["pool4"])


def _fusion_outcome(net: nn.Module, fcn32: fcn.SkipFCN) -> tuple[bool, torch.Tensor]:
    """(whether the net starts with FCN-32s's output, its output with the same random weights
    in its score_pool4)."""
    x = torch.randn(2, 1, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        start = net.eval()(x)
        starts_as_fcn32 = start.shape == fcn32(x).shape and bool(torch.allclose(start, fcn32(x)))
        skip = net.score_pool4  # the same random weights in every answer's skip, bias 0
        gen = torch.Generator().manual_seed(2)
        skip.weight.copy_(torch.randn(skip.weight.shape, generator=gen))
        if skip.bias is not None:
            skip.bias.zero_()
        return starts_as_fcn32, net(x)


def _skip_kind(net, fcn32: _FCN32) -> str | None:
    skip = getattr(net, "score_pool4", None)
    channels = fcn32.backbone.channels["pool4"]
    if not isinstance(net, nn.Module) or not isinstance(skip, nn.Conv2d):
        return "return an nn.Module with a `score_pool4` attribute, the new nn.Conv2d."
    if tuple(skip.kernel_size) != (1, 1) or skip.in_channels != channels:
        return (f"score_pool4 must be a 1x1 convolution from pool4's {channels} channels to the "
                f"{fcn32.score.out_channels} classes; got {skip}.")
    return None


class _LateFusion(nn.Module):
    """A wrong FCN-16s: pool4's scores upsampled on their own and added at the very end."""

    def __init__(self, fcn32: _FCN32):
        super().__init__()
        self.fcn32 = fcn32
        self.score_pool4 = _reference_fcn16(fcn32).score_pool4  # zero-initialised

    def forward(self, x):
        late = F.interpolate(self.score_pool4(self.fcn32.backbone(x)["pool4"]), size=x.shape[-2:],
                             mode="bilinear", align_corners=False)
        return self.fcn32(x) + late


class _Pool4Only(_FCN16):
    """A wrong FCN-16s: pool4's scores replace pool5's instead of joining them."""

    def forward(self, x):
        maps, _ = self.fcn32.scores(x)
        s = self.score_pool4(maps["pool4"])
        for up in self.fcn32.up[1:]:
            s = up(s)
        return s


def _randomly_initialised(fcn32: _FCN32) -> nn.Module:
    net = _reference_fcn16(fcn32)
    net.score_pool4 = nn.Conv2d(net.score_pool4.in_channels, net.score_pool4.out_channels, 1)
    return net


fcn16_fusion = Exercise(
    "fcn16_fusion", lambda: [Case((_tiny_fcn32(),), "a small trained FCN-32s")],
    _reference_fcn16, outcome=_fusion_outcome, validate=_skip_kind, kind="design",
    compare=lambda a, b: a[0] == b[0] and a[1].shape == b[1].shape
    and bool(torch.allclose(a[1], b[1], atol=1e-5)),
    show=lambda outcome: ("a network that starts as FCN-32s" if outcome[0] else
                          "a network that starts differently from FCN-32s")
    + f", outputs of shape {tuple(outcome[1].shape)}",
    mistakes=[Mistake(_randomly_initialised, "zero-initialise score_pool4: a fresh FCN-16s must "
                                             "start exactly as the FCN-32s it comes from."),
              Mistake(_LateFusion, "fuse at stride 16: add pool4's scores right after the first "
                                   "x2 step and let the remaining four steps upsample the sum."),
              Mistake(lambda fcn32: _Pool4Only(fcn32, fcn32.backbone.channels["pool4"]),
                      "pool4's scores must *join* pool5's, not replace them: add the two maps.")],
    hints=("does your network give exactly FCN-32s's output before any training? Then check "
           "where pool4's scores enter.",
           "a skip adds a finer map's scores to the coarse ones at the resolution where both "
           "exist (stride 16, after one x2 step); a skip whose weights are zero adds nothing.",
           "s = up[0](scores of pool5) + score_pool4(pool4), then up[1] ... up[4]; score_pool4 "
           "starts at zero."),
    passed="starts exactly as FCN-32s, and pool4's scores join at stride 16.")


def _border_term(d1: float, d2: float, w0: float, sigma: float) -> float:
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma**2))


border_term = Exercise(
    "border_term",
    [Case(args, "d1={}, d2={}, w0={}, sigma={}".format(*args))
     for args in [(1.0, 1.0, 10.0, 5.0), (3.0, 3.0, 10.0, 5.0), (0.0, 8.0, 5.0, 2.0),
                  (2.0, 5.0, 10.0, 3.0)]],
    _border_term,
    mistakes=[Mistake(lambda d1, d2, w0, s: w0 * math.exp(-(d1 + d2) / (2 * s**2)),
                      "square the summed distance: (d1 + d2)**2."),
              Mistake(lambda d1, d2, w0, s: w0 * math.exp(-((d1 - d2) ** 2) / (2 * s**2)),
                      "the paper adds the two distances: (d1 + d2), not (d1 - d2)."),
              Mistake(lambda d1, d2, w0, s: w0 * math.exp(-((d1 + d2) ** 2) / (2 * s)),
                      "sigma is a standard deviation: divide by 2 sigma**2, not 2 sigma.")],
    hints=("evaluate the formula of the markdown cell on paper for the named case: which "
           "factor differs?",
           "a Gaussian of the summed distance to the two nearest cells, scaled by w0: large only "
           "where both cells are near.",
           "w0 * exp(-(d1 + d2)**2 / (2 * sigma**2))."),
    passed="matches the paper's border term.")


def _unet_size_down_only(size: int, depth: int) -> int:
    for _ in range(depth):
        size = (size - 4) // 2
    return size - 4


def _unet_one_conv_per_level(size: int, depth: int) -> int:
    for _ in range(depth):
        size = (size - 2) // 2
    size -= 2
    for _ in range(depth):
        size = 2 * size - 2
    return size


def _unet_up_without_convs(size: int, depth: int) -> int:
    return _unet_size_down_only(size, depth) * 2**depth


unet_output_size = Exercise(
    "unet_output_size",
    [Case((size, depth), f"size {size}, depth {depth}")
     for size, depth in [(572, 4), (188, 4), (92, 3), (44, 2), (20, 1)]],
    lambda size, depth: unet.unet_output_size(size, depth, 0),
    mistakes=[Mistake(lambda size, depth: size, "valid 3x3 convolutions lose 2 pixels each: the "
                                                "output is smaller than the input."),
              Mistake(_unet_size_down_only, "that is the bottom of the U; the expanding path "
                                            "doubles the size and loses 4 pixels per level "
                                            "on the way up."),
              Mistake(_unet_one_conv_per_level, "each level has *two* valid 3x3 convolutions: "
                                                "4 pixels lost per level, not 2."),
              Mistake(_unet_up_without_convs, "the expanding path has two valid 3x3 "
                                              "convolutions per level too, after each "
                                              "up-convolution.")],
    hints=("follow the named input through the U on paper, level by level: where does your "
           "size first differ?",
           "every level (down, bottom and up) has two valid 3x3 convolutions; a 2x2 pooling "
           "halves, a 2x2 up-convolution doubles.",
           "down: size = (size - 4) // 2, depth times; bottom: size - 4; up: size = 2 size - 4, "
           "depth times."),
    passed="right for depths 1-4, 572 -> 388 among them.")


def _instance_cases() -> list[Case]:
    from ..data import touching_cells

    cells = touching_cells(3, size=48, seed=5).instances
    return [Case((cells[i].clone(), w0, sigma),
                 f"a 48x48 instance map (int64 tensor), w0={w0}, sigma={sigma}")
            for i, (w0, sigma) in enumerate([(10.0, 5.0), (5.0, 2.0), (10.0, 3.0)])]


def _border_weights(instances: torch.Tensor, w0: float, sigma: float) -> np.ndarray:
    return unet.unet_weight_map(instances, w0, sigma, class_weights=(0.0, 0.0))


def _two_distances(instances) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage

    instances = np.asarray(instances)
    ids = [i for i in np.unique(instances) if i > 0]
    distances = np.sort(np.stack([ndimage.distance_transform_edt(instances != i) for i in ids]), 0)
    return distances[0], distances[1]


def _nearest_twice(instances, w0: float, sigma: float) -> np.ndarray:
    from scipy import ndimage

    instances = np.asarray(instances)
    d1 = ndimage.distance_transform_edt(instances == 0)
    return np.where(instances == 0, w0 * np.exp(-((2 * d1) ** 2) / (2 * sigma**2)), 0.0)


def _everywhere(instances, w0: float, sigma: float) -> np.ndarray:
    d1, d2 = _two_distances(instances)
    return w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))


def _difference_of_distances(instances, w0: float, sigma: float) -> np.ndarray:
    d1, d2 = _two_distances(instances)
    return np.where(np.asarray(instances) == 0, w0 * np.exp(-((d1 - d2) ** 2) / (2 * sigma**2)),
                    0.0)


def _sigma_as_variance(instances, w0: float, sigma: float) -> np.ndarray:
    d1, d2 = _two_distances(instances)
    return np.where(np.asarray(instances) == 0, w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma)), 0.0)


border_weights = Exercise(
    "border_weights", _instance_cases, _border_weights,
    mistakes=[Mistake(_difference_of_distances, "the paper adds the two distances: (d1 - d2) "
                                                "is small along the whole mid-line between any "
                                                "two cells."),
              Mistake(_sigma_as_variance, "sigma is a standard deviation: divide by "
                                          "2 sigma**2."),
              Mistake(_nearest_twice, "d2 is the distance to the *second*-nearest cell: one "
                                      "distance transform per cell, then the two smallest."),
              Mistake(_everywhere, "the border term weights background pixels only: inside a "
                                   "cell it is 0.")],
    shape="one weight per pixel: the shape of the instance map.",
    hints=("show your map next to the instance map (plt.imshow): is it large in the narrow gaps "
           "between cells, and 0 on the cells?",
           "every background pixel needs its distance to the nearest and to the second-nearest "
           "cell: one distance transform per cell, sorted pixel by pixel.",
           "for every background pixel w0 * exp(-(d1 + d2)**2 / (2 sigma**2)), with d1, d2 the "
           "two smallest distances; 0 on the cells."),
    passed="matches the course's U-Net border weights on three instance maps.")


def _confusion_scores(answer) -> tuple[bool, bool, float, float]:
    """(pixel accuracy >= 0.9, mean IU <= 0.5, pixel accuracy, mean IU) of a confusion matrix."""
    scores = scores_from_confusion(torch.as_tensor(np.asarray(plain(answer), dtype=np.float64)))
    return (scores.pixel_acc >= 0.9, scores.mean_iu <= 0.5, scores.pixel_acc, scores.mean_iu)


def _confusion_kind(answer) -> str | None:
    matrix = np.asarray(plain(answer), dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        return (f"a square matrix with one row per class (at least 2) was needed, not "
                f"{kind(answer)}.")
    if (matrix < 0).any() or (matrix != matrix.round()).any() or matrix.sum() == 0:
        return "a confusion matrix counts pixels: non-negative whole numbers, not all zero."
    return None


misleading_confusion = Exercise(
    "misleading_confusion", [Case((), "your confusion matrix")],
    lambda: [[90, 0], [10, 0]], outcome=_confusion_scores, validate=_confusion_kind,
    compare=lambda got, expected: tuple(got[:2]) == tuple(expected[:2]), kind="design",
    show=lambda o: f"pixel accuracy {o[2]:.3f}, mean IU {o[3]:.3f}",
    mistakes=[Mistake(lambda: [[90, 0], [0, 10]], "your matrix scores well on both: mean IU "
                                                  "only drops when some class is mostly wrong."),
              Mistake(lambda: [[5, 5], [5, 5]], "pixel accuracy must stay high: put most pixels "
                                                "in one class that is predicted right."),
              Mistake(lambda: [[6, 4], [0, 10]], "neither holds yet: start from a big class "
                                                 "predicted right and a small one predicted "
                                                 "wrong.")],
    hints=("which of the two conditions fails? Change one entry of your matrix and watch both "
           "scores.",
           "pixel accuracy is dominated by the big classes, mean IU weighs every class the "
           "same: make one class rare and get it wrong.",
           "e.g. 90 background pixels right and all 10 pixels of a second class predicted as "
           "background."),
    passed="pixel accuracy at least 0.9 with a mean IU of at most 0.5: the headline number "
           "hides a class the network never gets right.")


def _input_for_output(output: int, depth: int = 4) -> int:
    return next(size for size in unet.valid_input_sizes(depth, 0, output, 10 * output + 1000)
                if unet.unet_output_size(size, depth, 0) == output)


unet_input_for_output = Exercise(
    "unet_input_for_output", [Case((), "your input side for a 100x100 output (depth 4)")],
    lambda: _input_for_output(100), kind="predict", reveal=False,
    mistakes=[Mistake(lambda: 192, "the context is needed on *both* sides of the output tile."),
              Mistake(lambda: 147, "the lost margin does not scale with the tile: it is the same "
                                   "number of pixels for every valid size."),
              Mistake(lambda: 136, "the lost pixels count at the resolution where they are lost: "
                                   "4 pixels at depth 2 are 16 pixels of the input.")],
    hints=("compare with the paper's tile: 572 in, 388 out. What does that say about any tile?",
           "a valid U-Net loses the same margin for every valid input size; your "
           "my_unet_output can confirm the size you predict.",
           "input = output + (572 - 388)."),
    passed="a 100x100 output tile needs a 284x284 input tile: 92 pixels of context on every "
           "side, whatever the tile size.")
