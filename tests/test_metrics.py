import math

import pytest
import torch

from course_utils import metrics


def brute_force(pred, target, n, void=255):
    """Per-pixel loops straight from the FCN paper's definitions."""
    counts = [[0] * n for _ in range(n)]
    for p, t in zip(pred.flatten().tolist(), target.flatten().tolist()):
        if t != void:
            counts[t][p] += 1
    t_i = [sum(row) for row in counts]
    predicted = [sum(counts[j][i] for j in range(n)) for i in range(n)]
    present = [i for i in range(n) if t_i[i] + predicted[i] > 0]
    ius = {i: counts[i][i] / (t_i[i] + predicted[i] - counts[i][i]) for i in present}
    accs = [counts[i][i] / t_i[i] for i in range(n) if t_i[i] > 0]
    total = sum(t_i)
    return (sum(counts[i][i] for i in range(n)) / total, sum(accs) / len(accs),
            sum(ius.values()) / len(ius), sum(t_i[i] * ius[i] for i in present) / total)


@pytest.mark.parametrize("seed", range(8))
def test_matches_brute_force_with_void_and_absent_classes(seed):
    gen = torch.Generator().manual_seed(seed)
    n = 6
    target = torch.randint(0, n - 2, (3, 9, 11), generator=gen)  # classes 4, 5 absent from labels
    target[torch.rand(target.shape, generator=gen) < 0.15] = 255  # void pixels
    pred = torch.randint(0, n - 1, (3, 9, 11), generator=gen)  # class 5 absent everywhere
    got = metrics.segmentation_scores(pred, target, n)
    for a, b in zip(got.as_row(), brute_force(pred, target, n)):
        assert math.isclose(a, b, rel_tol=1e-12)
    assert math.isnan(got.per_class_iu[5]) and got.per_class_iu[4] == 0.0


def test_perfect_and_known_values():
    target = torch.tensor([[0, 0, 1, 1], [0, 0, 1, 255]])
    perfect = metrics.segmentation_scores(target.clamp(max=1), target, 2)
    assert perfect.as_row() == (1.0, 1.0, 1.0, 1.0)
    pred = torch.tensor([[0, 0, 0, 1], [0, 0, 1, 1]])
    s = metrics.segmentation_scores(pred, target, 2)
    # class 0: 4 pixels, all right; class 1: 3 pixels, 2 right; one 1 predicted as 0
    assert s.pixel_acc == pytest.approx(6 / 7)
    assert s.mean_acc == pytest.approx((1 + 2 / 3) / 2)
    assert s.per_class_iu == pytest.approx((4 / 5, 2 / 3))
    assert s.fw_iu == pytest.approx((4 * 4 / 5 + 3 * 2 / 3) / 7)


def test_confusion_matrix_counts():
    pred = torch.tensor([0, 1, 1, 2, 2, 2])
    target = torch.tensor([0, 1, 2, 2, 255, 0])
    cm = metrics.confusion_matrix(pred, target, 3)
    assert cm.tolist() == [[1, 0, 1], [0, 1, 0], [0, 1, 1]]
    assert metrics.confusion_matrix(pred, target.clamp(max=2), 3, void=None).sum() == 6


def labels(*shape):
    return torch.zeros(*shape, dtype=torch.long)


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match=r"same shape; got \(2, 3\) and \(3, 2\)"):
        metrics.confusion_matrix(labels(2, 3), labels(3, 2), 2)
    with pytest.raises(ValueError, match=r"target has labels outside \[0, 2\) other than void"):
        metrics.confusion_matrix(labels(4), torch.tensor([0, 1, 7, 255]), 2)
    with pytest.raises(ValueError, match="pred has labels outside"):
        metrics.confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 2)
    with pytest.raises(TypeError, match="pred must hold integer labels"):
        metrics.confusion_matrix(torch.zeros(2), labels(2), 2)
    with pytest.raises(ValueError, match="num_classes must be an int >= 1"):
        metrics.confusion_matrix(labels(2), labels(2), 0)
    with pytest.raises(ValueError, match="no labelled pixels"):
        metrics.segmentation_scores(labels(2), torch.full((2,), 255), 2)
    with pytest.raises(ValueError, match="square"):
        metrics.scores_from_confusion(torch.zeros(2, 3))
