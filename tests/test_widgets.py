import numpy as np
import pytest
import torch

from course_utils import widgets

pytestmark = pytest.mark.widgets


@pytest.fixture
def explorer():
    probs = torch.zeros(3, 4, 4)
    probs[1, 0, 0], probs[2] = 0.9, 0.3
    return widgets.HeatmapExplorer(np.zeros((16, 16)), probs, ["a", "b", "c"])


def test_class_and_threshold_sliders_redraw(explorer):
    first = explorer.frame.copy()
    explorer.klass.value = 1
    assert not np.array_equal(explorer.frame, first)
    assert (explorer.frame[0, 0] == (0, 255, 255)).all()  # the hot cell is outlined
    assert "P(b)" in explorer.caption.value and "1 cells" in explorer.caption.value
    explorer.klass.value = 2
    explorer.threshold.value = 0.25
    assert "16 cells" in explorer.caption.value
    assert explorer.picture.value[:4] == b"\x89PNG"


def test_bad_input():
    with pytest.raises(ValueError, match=r"probabilities must have shape \(K, h, w\)"):
        widgets.HeatmapExplorer(np.zeros((8, 8)), np.zeros((4, 4)), ["a"])
    with pytest.raises(ValueError, match="class_names must name the 2 classes"):
        widgets.HeatmapExplorer(np.zeros((8, 8)), np.zeros((2, 4, 4)), ["a"])


def test_weight_map_explorer_follows_the_sliders():
    inst = np.zeros((12, 12), int)
    inst[2:10, 1:5], inst[2:10, 7:11] = 1, 2
    explorer = widgets.WeightMapExplorer(inst)
    top = explorer.weights.max()
    explorer.w0.value = 0
    assert explorer.weights.max() < top and "w0 = 0" in explorer.caption.value
    explorer.balance.value = False
    assert np.allclose(explorer.weights, 1.0)
    explorer.w0.value, explorer.sigma.value = 10, 2
    gap = explorer.weights[5, 5]
    explorer.sigma.value = 6
    assert explorer.weights[5, 5] > gap  # a wider sigma lifts the weight in the gap
    assert explorer.picture.value[:4] == b"\x89PNG"
