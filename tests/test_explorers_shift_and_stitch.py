import numpy as np
import pytest
import torch

from course_utils import checks, dense_prediction, fully_convolutional, models
from course_utils.explorers import shift_and_stitch as se


@pytest.fixture(scope="module")
def fcn():
    torch.manual_seed(0)
    return fully_convolutional.to_fully_convolutional(models.lenet5(), (1, 32, 32)).eval()


@pytest.mark.parametrize("dy, dx", [(0, 0), (1, 3), (3, 2)])
def test_view_matches_the_pass_it_describes(fcn, dy, dx):
    image = torch.rand(1, 45, 58, generator=torch.Generator().manual_seed(dy))
    view = se.shift_and_stitch_view((45, 58), stride=4, window=32, dy=dy, dx=dx)
    piece = fully_convolutional.fcn_predict(fcn, image[:, dy:, dx:])
    assert view.units == tuple(piece.shape[1:])
    stitched = dense_prediction.shift_and_stitch(fcn, image)
    assert torch.equal(stitched[:, torch.from_numpy(view.landed)], piece.flatten(1))
    top, left, bottom, right = view.read
    assert (top, left) == (dy, dx) and bottom <= 44 and right <= 57
    assert bottom + 4 > 44 and right + 4 > 57  # one more unit would not fit
    centre = checks.centre_pixel.reference
    assert view.centres[0] == centre(dy, dx, 0, 0) and view.centres[-1] == centre(
        dy, dx, view.units[0] - 1, view.units[1] - 1)


def test_the_dense_map_fills_up_pass_after_pass():
    filled = [se.shift_and_stitch_view((40, 40), stride=4, window=32, dy=dy, dx=dx).filled.sum()
              for dy in range(4) for dx in range(4)]
    assert filled == sorted(filled) and len(set(filled)) == 16
    last = se.shift_and_stitch_view((40, 40), stride=4, window=32, dy=3, dx=3)
    assert last.filled.all() and last.order == 15 and "pass 16 of 16" in last.caption()
    first = se.shift_and_stitch_view((40, 40), stride=4, window=32, dy=0, dx=0)
    assert (first.filled == first.landed).all()


def test_render_marks_what_the_pass_reads_and_fills():
    view = se.shift_and_stitch_view((40, 44), stride=4, window=32, dy=1, dx=2)
    dense = np.full(view.filled.shape, 0.5)
    frame = se.render_shift_and_stitch(np.zeros((40, 44)), dense, view, scale=1, gap=0)
    assert frame.shape == (40, 2 * 44 + 1, 3)
    r, c = view.centres[0]
    assert (frame[r, c] == (se.CENTRE_RGB * 255).astype(np.uint8)).all()
    assert frame[0, 0].sum() == 0 and frame[view.read[0] + 1, view.read[1] + 1, 2] > 0  # blue tint
    right = frame[:, 45:]
    offset = 16
    unfilled = np.argwhere(~view.filled)[0]
    held = np.argwhere(view.filled & view.landed)[0]
    lit = right[tuple(np.argwhere(view.filled & ~view.landed)[0] + offset)]
    dim = right[tuple(unfilled + offset)]
    assert np.allclose(dim, se.HELD_BRIGHTNESS * lit.astype(float), atol=2)  # held value, dimmed
    assert held.size  # some position of this pass lands
    with pytest.raises(ValueError, match=r"dense must have shape \(9, 13\)"):
        se.render_shift_and_stitch(np.zeros((40, 44)), np.zeros((3, 3)), view)


def test_positions_not_yet_filled_show_the_nearest_filled_value_of_their_block():
    view = se.shift_and_stitch_view((45, 50), stride=4, window=32, dy=0, dx=1)  # 2 passes done
    rows, cols = view.source
    assert view.filled[rows, cols].all()  # every position shows a filled one
    assert (abs(rows - np.arange(14)[:, None]) < 4).all() and (abs(cols - np.arange(19)) < 4).all()
    filled = np.argwhere(view.filled)
    assert (rows[view.filled] == filled[:, 0]).all() and (cols[view.filled] == filled[:, 1]).all()
    assert (rows[2, 3], cols[2, 3]) == (0, 1)  # offset (2, 3): nearest filled offset is (0, 1)
    assert (rows[1, 0], cols[1, 0]) == (0, 0)
    first = se.shift_and_stitch_view((45, 50), stride=4, window=32)
    dense = np.arange(14 * 19, dtype=float).reshape(14, 19) / (14 * 19)
    coarse = dense[first.source[0], first.source[1]]
    assert (coarse == np.repeat(np.repeat(dense[::4, ::4], 4, 0), 4, 1)[:14, :19]).all()


def test_bad_shifts_and_sizes():
    with pytest.raises(ValueError, match="dy and dx must lie in 0..3"):
        se.shift_and_stitch_view((40, 40), stride=4, window=32, dy=4, dx=0)
    with pytest.raises(ValueError, match="image_size must leave room"):
        se.shift_and_stitch_view((33, 40), stride=4, window=32, dy=0, dx=0)
    with pytest.raises(ValueError, match="stride must be an int >= 1; got 0"):
        se.shift_and_stitch_view((40, 40), stride=0, window=32, dy=0, dx=0)


@pytest.mark.widgets
def test_widget_redraws_when_a_slider_moves():
    image = torch.rand(40, 48, generator=torch.Generator().manual_seed(0))  # a tensor works too
    explorer = se.ShiftAndStitchExplorer(image, np.zeros((9, 17)), stride=4, window=32,
                                         label="P(digit 7)")
    assert "P(digit 7), stitched from the passes so far" in explorer.legend.value
    before = explorer.picture.value
    explorer.dx.value = 2
    assert explorer.picture.value != before and explorer.view.dx == 2
    assert "shift (dy, dx) = (0, 2)" in explorer.caption.value
    explorer.dy.value = 3
    assert explorer.view.order == 14 and explorer.dy.max == 3
