"""The four FCN segmentation metrics (Long et al. 2015), from a confusion matrix.

With n_ij the number of pixels of class i predicted as class j, t_i = sum_j n_ij the pixels of
class i and n_cl the number of classes:
    pixel accuracy      sum_i n_ii / sum_i t_i
    mean accuracy       (1/n_cl) sum_i n_ii / t_i
    mean IU             (1/n_cl) sum_i n_ii / (t_i + sum_j n_ji - n_ii)
    frequency-weighted  (sum_k t_k)^-1 sum_i t_i n_ii / (t_i + sum_j n_ji - n_ii)
Pixels labelled `void` (255, as in PASCAL VOC) are ignored. A class absent from both labels and
predictions has an undefined accuracy and IU; it is left out of the means (nan-mean), so n_cl
counts the classes that occur. A class that is predicted but absent from the labels has IU 0 and
counts; its accuracy is undefined and left out of the mean accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .data.labels import VOID


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                     void: int | None = VOID) -> torch.Tensor:
    """(num_classes, num_classes) int64 matrix: entry (i, j) counts pixels of class i predicted j.

    pred, target: integer label maps of the same shape (any number of dimensions). Target pixels
    equal to `void` are ignored; other labels must lie in [0, num_classes).
    """
    for name, t in (("pred", pred), ("target", target)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if t.is_floating_point() or t.is_complex():
            raise TypeError(f"{name} must hold integer labels; got {t.dtype} (use argmax(1) on "
                            "scores)")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape; got {tuple(pred.shape)} "
                         f"and {tuple(target.shape)}")
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be an int >= 1; got {num_classes!r}")
    keep = torch.ones_like(target, dtype=torch.bool) if void is None else target != void
    p, t = pred[keep].long(), target[keep].long()
    for name, values in (("target", t), ("pred", p)):
        bad = (values < 0) | (values >= num_classes)
        if bad.any():
            raise ValueError(f"{name} has labels outside [0, {num_classes}) other than void="
                             f"{void}: e.g. {values[bad][0].item()}")
    counts = torch.bincount(t * num_classes + p, minlength=num_classes**2)
    return counts.view(num_classes, num_classes).cpu()


@dataclass(frozen=True)
class SegmentationScores:
    pixel_acc: float
    mean_acc: float
    mean_iu: float
    fw_iu: float
    per_class_iu: tuple[float, ...]

    def as_row(self) -> tuple[float, float, float, float]:
        return self.pixel_acc, self.mean_acc, self.mean_iu, self.fw_iu


def scores_from_confusion(confusion: torch.Tensor) -> SegmentationScores:
    """The four FCN metrics (and per-class IU, nan where undefined) of a confusion matrix."""
    if not isinstance(confusion, torch.Tensor) or confusion.ndim != 2 or (
            confusion.shape[0] != confusion.shape[1]):
        raise ValueError("confusion must be a square (n, n) tensor")
    n = confusion.double()
    correct = n.diag()
    per_label = n.sum(1)  # t_i
    per_pred = n.sum(0)  # sum_j n_ji
    union = per_label + per_pred - correct
    total = per_label.sum()
    if total == 0:
        raise ValueError("confusion has no labelled pixels")
    acc = torch.where(per_label > 0, correct / per_label.clamp(min=1), torch.nan)
    iu = torch.where(union > 0, correct / union.clamp(min=1), torch.nan)
    fw = (per_label[union > 0] * iu[union > 0]).sum() / total
    return SegmentationScores(
        pixel_acc=float(correct.sum() / total),
        mean_acc=float(acc.nanmean()),
        mean_iu=float(iu.nanmean()),
        fw_iu=float(fw),
        per_class_iu=tuple(float(v) for v in iu),
    )


def segmentation_scores(pred: torch.Tensor, target: torch.Tensor, num_classes: int,
                        void: int | None = VOID) -> SegmentationScores:
    """`scores_from_confusion(confusion_matrix(pred, target, num_classes, void))`."""
    return scores_from_confusion(confusion_matrix(pred, target, num_classes, void))
