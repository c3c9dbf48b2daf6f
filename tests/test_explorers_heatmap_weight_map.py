import numpy as np
import pytest
import torch

from course_utils import explorers, unet


def probabilities():
    probs = torch.zeros(3, 4, 4)
    probs[1, 0, 0], probs[2] = 0.9, 0.3
    return probs


def test_heatmap_view_counts_cells_and_names_the_class():
    view = explorers.heatmap_view(probabilities().numpy(), ("a", "b", "c"), 2, threshold=0.25,
                                  stride=4, rf=8, offset=-2)
    assert view.cells_above == 16 and view.class_name == "c"
    assert "P(c) on a 4×4 grid" in view.caption() and "16 cells ≥ 0.25" in view.caption()
    assert explorers.heatmap_view(probabilities(), ["a", "b", "c"], 1, 0.95).cells_above == 0
    assert explorers.heatmap_view(probabilities(), ["a", "b", "c"], 1).cell == (0, 0)  # the peak
    picked = explorers.heatmap_view(probabilities(), ["a", "b", "c"], 2, stride=4, rf=8,
                                    offset=-2, cell=(1, 2))
    assert picked.cell_box == (2, 6, 9, 13)  # rows 4*1-2 .. +7, cols 4*2-2 .. +7
    assert "rows 2–9 and columns 6–13" in picked.caption()
    frame = explorers.render_heatmap(np.zeros((16, 16)), picked)
    assert frame.shape == (16, 16, 3) and frame.dtype == np.uint8
    assert (frame[2, 6:14] == explorers.heatmap.RF_COLOR).all()  # the picked cell's RF, framed
    assert (frame[9, 6:14] == explorers.heatmap.RF_COLOR).all()
    with pytest.raises(ValueError, match="class_index must lie in 0..2"):
        explorers.heatmap_view(probabilities(), ["a", "b", "c"], 3)
    with pytest.raises(ValueError, match=r"cell must lie in the 4×4 grid; got \(4, 0\)"):
        explorers.heatmap_view(probabilities(), ["a", "b", "c"], 0, cell=(4, 0))


def test_weight_map_view_is_unet_weight_map():
    inst = np.zeros((12, 12), int)
    inst[2:10, 1:5], inst[2:10, 7:11] = 1, 2
    view = explorers.weight_map_view(inst, w0=5, sigma=2, balance=False)
    assert np.array_equal(view.weights, unet.unet_weight_map(inst, 5, 2, (1.0, 1.0)))
    frame = explorers.render_weight_map(view, scale=2)
    assert frame.shape == (24, 24, 3) and frame.dtype == np.uint8
    brightest = np.unravel_index(view.weights.argmax(), view.weights.shape)
    assert frame[2 * brightest[0], 2 * brightest[1]].sum() == frame.sum(-1).max()


@pytest.fixture
def explorer():
    return explorers.HeatmapExplorer(np.zeros((16, 16)), probabilities(), ["a", "b", "c"],
                                     stride=4, rf=8, offset=-2)


@pytest.mark.widgets
def test_class_and_threshold_sliders_redraw(explorer):
    first = explorer.frame.copy()
    explorer.klass.value = 1
    assert not np.array_equal(explorer.frame, first)
    assert (explorer.frame[3, 3] == (0, 255, 255)).all()  # the hot cell (rows 0-3) is outlined
    assert (explorer.frame[5, 2] == explorers.heatmap.RF_COLOR).all()  # its RF: rows -2..5
    assert "P(b)" in explorer.caption.value and "1 cells" in explorer.caption.value
    assert explorer.view.cell == (0, 0) and "cell (0, 0)" in explorer.caption.value
    explorer.row.value, explorer.col.value = 2, 3
    assert explorer.view.cell == (2, 3) and "rows 6–13 and columns 10–17" in explorer.caption.value
    explorer.klass.value = 2
    explorer.threshold.value = 0.25
    assert "16 cells" in explorer.caption.value
    assert explorer.picture.value[:4] == b"\x89PNG"


@pytest.mark.widgets
def test_bad_input():
    with pytest.raises(ValueError, match=r"probabilities must have shape \(K, h, w\)"):
        explorers.HeatmapExplorer(np.zeros((8, 8)), np.zeros((4, 4)), ["a"], stride=2, rf=2)
    with pytest.raises(ValueError, match="class_names must name the 2 classes"):
        explorers.HeatmapExplorer(np.zeros((8, 8)), np.zeros((2, 4, 4)), ["a"], stride=2, rf=2)
    with pytest.raises(TypeError, match="stride"):
        explorers.HeatmapExplorer(np.zeros((8, 8)), np.zeros((2, 4, 4)), ["a", "b"])


@pytest.mark.widgets
def test_weight_map_explorer_follows_the_sliders():
    inst = np.zeros((12, 12), int)
    inst[2:10, 1:5], inst[2:10, 7:11] = 1, 2
    explorer = explorers.WeightMapExplorer(torch.from_numpy(inst))
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


def test_png_bytes_round_trip():
    import io

    from PIL import Image

    frame = (np.random.default_rng(0).random((5, 7, 3)) * 255).astype(np.uint8)
    png = explorers._base.png_bytes(frame)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), frame)
