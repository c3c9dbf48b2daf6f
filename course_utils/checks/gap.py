"""Checkers for global average pooling and class activation maps (notebook 08)."""

from __future__ import annotations

import torch

from .. import gap, metrics
from .exercise import Case, Exercise, Mistake


def _feature_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(0)
    return [Case((torch.randn(shape, generator=gen),), f"input {shape}")
            for shape in [(2, 3, 4, 4), (1, 10, 7, 5), (3, 1, 1, 6)]]


global_average_pool = Exercise(
    "global_average_pool", _feature_cases, lambda x: x.mean((-2, -1)),
    compare=lambda a, b: isinstance(a, torch.Tensor) and a.shape == b.shape
    and bool(torch.allclose(a, b, atol=1e-5)),
    mistakes=[Mistake(lambda x: x.sum((-2, -1)), "that is the sum; divide by H * W."),
              Mistake(lambda x: x.amax((-2, -1)), "that is global *max* pooling; NiN averages.")],
    shape="one number per map: average over H and W only, keep N and C.",
    hint="x.mean over the last two dimensions.",
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
    compare=lambda a, b: isinstance(a, torch.Tensor) and a.shape == b.shape
    and bool(torch.allclose(a, b, atol=1e-5)),
    mistakes=[Mistake(lambda f, w, c: _cam(f, w, c) / (f.shape[1] * f.shape[2]),
                      "no averaging here: the mean of M_c is what GAP adds to the score."),
              Mistake(lambda f, w, c: f[c],
                      "with a linear head M_c mixes all K maps with the weights of class c; only "
                      "a pure GAP head has M_c = f_c.")],
    shape="a weighted sum of the K maps keeps their h x w shape.",
    hint="M_c(x, y) = sum over k of weight[c, k] * features[k, x, y].",
    passed="M_c = sum_k w_k^c f_k for three layer shapes.")

def _threshold_cases() -> list[Case]:
    """Small synthetic class maps and labels whose best threshold differs between cases."""
    cases = []
    for seed, spread in [(0, 0.15), (1, 0.35), (2, 0.6)]:
        gen = torch.Generator().manual_seed(seed)
        labels = torch.zeros(4, 24, 24, dtype=torch.int64)
        cams = torch.rand(4, 3, 24, 24, generator=gen) * 0.05
        for i in range(4):
            c, top, left = i % 3, 4 + 2 * i, 3 + 3 * i
            labels[i, top:top + 8, left:left + 8] = c + 1
            yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
            distance = ((yy - top - 3.5) ** 2 + (xx - left - 3.5) ** 2).sqrt() / 8
            cams[i, c] += torch.clamp(1 - distance * spread * 3, min=0)
        cases.append(Case((cams, labels, gap.CAM_THRESHOLDS), f"validation set {seed + 1}"))
    return cases


def _mean_iu_at(cams, labels, t) -> float:
    pred = gap.cam_segmentation(cams, t)
    return metrics.segmentation_scores(pred, labels, cams.shape[1] + 1).mean_iu


def _best_threshold(cams, labels, thresholds) -> float:
    return max(thresholds, key=lambda t: _mean_iu_at(cams, labels, t))


def _best_by_mean_accuracy(cams, labels, thresholds) -> float:
    return max(thresholds, key=lambda t: metrics.segmentation_scores(
        gap.cam_segmentation(cams, t), labels, cams.shape[1] + 1).mean_acc)


cam_threshold = Exercise(
    "cam_threshold", _threshold_cases, _best_threshold,
    outcome=lambda answer, *args: float(answer), compare=lambda a, b: abs(a - b) < 1e-9,
    mistakes=[Mistake(lambda cams, labels, thresholds: float(max(
        range(len(thresholds)), key=lambda k: _mean_iu_at(cams, labels, thresholds[k]))),
        "return the threshold itself, not its position in the list."),
        Mistake(_best_by_mean_accuracy, "mean accuracy ignores false alarms (a class painted "
                                        "too widely loses nothing): choose by mean IU.")],
    hint="score gap.cam_segmentation(cams, t) against the labels for every t and keep the "
         "threshold with the highest mean IU.",
    passed="picks the threshold with the best validation mean IU.")
