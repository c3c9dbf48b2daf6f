"""Checkers for global average pooling and class activation maps (notebook 08)."""

from __future__ import annotations

import random

import torch

from .. import gap, metrics
from .exercise import Case, Exercise, Mistake


def _feature_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [Case((torch.randn(shape, generator=gen),), f"input {shape}")
            for shape in [(2, 3, 4, 4), (1, 10, 7, 5), (3, 1, 1, 6)]]


global_average_pool = Exercise(
    "global_average_pool", _feature_cases, lambda x: x.mean((-2, -1)),
    mistakes=[Mistake(lambda x: x.sum((-2, -1)), "that is the sum; divide by H * W."),
              Mistake(lambda x: x.amax((-2, -1)), "that is global *max* pooling; NiN averages."),
              Mistake(lambda x: x.mean((-2, -1), keepdim=True),
                      "keepdim leaves (N, C, 1, 1): the head needs (N, C), one number per map."),
              Mistake(lambda x: x.mean(-1),
                      "that averages each row only: a map's average runs over H and W.")],
    shape="one number per map: average over H and W only, keep N and C.",
    hints=("which dimensions of (N, C, H, W) does your answer keep, and which does it average?",
           "global average pooling replaces every feature map by one number, its average over "
           "all its positions; the images (N) and maps (C) stay.",
           "x.mean over the last two dimensions."),
    passed="matches nn.AdaptiveAvgPool2d(1) on three shapes.")


def _cam_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [Case((torch.randn(k, h, w, generator=gen), torch.randn(n, k, generator=gen), c),
                 f"{k} maps of {h}x{w}, class {c} of {n}")
            for k, h, w, n, c in [(4, 3, 3, 5, 2), (8, 7, 5, 10, 9), (1, 2, 6, 3, 0)]]


def _cam(features: torch.Tensor, weight: torch.Tensor, c: int) -> torch.Tensor:
    return torch.einsum("k,khw->hw", weight[c], features)


class_activation_map = Exercise(
    "class_activation_map", _cam_cases, _cam,
    mistakes=[Mistake(lambda f, w, c: _cam(f, w.sum(0, keepdim=True).expand_as(w), c),
                      "that mixes the weights of every class: class c's map uses row c of the "
                      "head's weight only."),
              Mistake(lambda f, w, c: _cam(f, w, c) / (f.shape[1] * f.shape[2]),
                      "no averaging here: the mean of M_c is what GAP adds to the score."),
              Mistake(lambda f, w, c: f[c],
                      "with a linear head M_c mixes all K maps with the weights of class c; only "
                      "a pure GAP head has M_c = f_c.")],
    shape="a weighted sum of the K maps keeps their h x w shape.",
    hints=("check one position of the named case by hand: which maps and which weights "
           "should it combine?",
           "the class score is sum_k w_k^c times the *average* of map k; before averaging, the "
           "same weighted sum at every position is the class activation map.",
           "M_c(x, y) = sum over k of weight[c, k] * features[k, x, y]."),
    passed="M_c = sum_k w_k^c f_k for three layer shapes.")

def _threshold_cases() -> list[Case]:
    """Small synthetic class maps and labels (objects of varied size, maps of varied spread)
    whose best threshold differs between cases, and differs from the threshold that pixel
    accuracy or mean accuracy would pick."""
    cases = []
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    for number, seed in enumerate((0, 3, 10), start=1):
        rng = random.Random(seed)
        gen = torch.Generator().manual_seed(seed)
        labels = torch.zeros(4, 24, 24, dtype=torch.int64)
        cams = torch.rand(4, 3, 24, 24, generator=gen) * 0.05
        for i in range(4):
            c, size = i % 3, rng.choice([3, 5, 8, 12])
            top, left = rng.randint(0, 24 - size), rng.randint(0, 24 - size)
            spread = rng.choice([0.1, 0.2, 0.3, 0.5, 0.8])
            labels[i, top:top + size, left:left + size] = c + 1
            distance = ((yy - top - (size - 1) / 2) ** 2
                        + (xx - left - (size - 1) / 2) ** 2).sqrt() / 8
            cams[i, c] += torch.clamp(1 - distance * spread * 3, min=0)
        cases.append(Case((cams, labels, gap.CAM_THRESHOLDS), f"validation set {number}"))
    return cases


def _mean_iu_at(cams, labels, t) -> float:
    pred = gap.cam_segmentation(cams, t)
    return metrics.segmentation_scores(pred, labels, cams.shape[1] + 1).mean_iu


def _best_threshold(cams, labels, thresholds) -> float:
    return max(thresholds, key=lambda t: _mean_iu_at(cams, labels, t))


def _best_by(score: str):
    def best(cams, labels, thresholds) -> float:
        return max(thresholds, key=lambda t: getattr(metrics.segmentation_scores(
            gap.cam_segmentation(cams, t), labels, cams.shape[1] + 1), score))
    return best


cam_threshold = Exercise(
    "cam_threshold", _threshold_cases, _best_threshold,
    mistakes=[Mistake(lambda cams, labels, thresholds: max(
        range(len(thresholds)), key=lambda k: _mean_iu_at(cams, labels, thresholds[k])),
        "return the threshold itself, not its position in the list."),
        Mistake(_best_by("mean_acc"), "mean accuracy ignores false alarms (a class painted "
                                      "too widely loses nothing): choose by mean IU."),
        Mistake(_best_by("pixel_acc"), "pixel accuracy is dominated by the background, which "
                                       "a high threshold keeps: choose by mean IU, where every "
                                       "class counts the same."),
        Mistake(lambda cams, labels, thresholds: min(
            thresholds, key=lambda t: _mean_iu_at(cams, labels, t)),
            "that is the threshold with the *lowest* mean IU: keep the highest.")],
    hints=("print the mean IU of every threshold on the named validation set: which one wins?",
           "score each candidate segmentation against the labels with the metric the course "
           "reports (mean IU) and keep the best; the labels decide, not the test set.",
           "max(thresholds, key=lambda t: mean IU of gap.cam_segmentation(cams, t) against "
           "labels)."),
    passed="picks the threshold with the best validation mean IU, where pixel accuracy and "
           "mean accuracy would pick others.")
