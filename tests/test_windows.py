import pytest
import torch

from course_utils import data
from course_utils.data import NO_DIGIT, VOID


def one_digit_canvas(top=10, left=20, digit=7, size=64):
    """A size x size canvas with a 32x32 box of random pixels at (top, left)."""
    images = torch.zeros(1, 1, size, size)
    glyph = torch.rand(32, 32, generator=torch.Generator().manual_seed(0))
    images[0, 0, top:top + 32, left:left + 32] = glyph
    labels = torch.zeros(1, size, size, dtype=torch.int64)
    return data.Canvases(images, labels, labels.clone(), [[(top, left, digit)]])


def test_window_labels_centred_void_and_empty():
    labels = data.window_labels(one_digit_canvas(), window=32, stride=1, centred=2, off_centre=5)
    assert labels.shape == (1, 33, 33)
    grid = labels[0]
    assert grid[10, 20] == 7 and grid[12, 22] == 7 and grid[8, 18] == 7  # within 2 px
    assert grid[13, 20] == VOID and grid[10, 16] == VOID  # 3-4 px: ambiguous
    assert grid[15, 20] == NO_DIGIT and grid[10, 25] == NO_DIGIT and grid[0, 0] == NO_DIGIT
    assert (grid == 7).sum() == 25 and (grid == VOID).sum() == 81 - 25


def test_window_labels_on_a_strided_grid_subsample_the_dense_one(digits):
    canvases = data.make_digit_canvases(digits.x_test, digits.y_test, 4, 96, 128, (2, 4), seed=3)
    dense = data.window_labels(canvases, 32, stride=1)
    strided = data.window_labels(canvases, 32, stride=4)
    assert strided.shape == (4, (96 - 32) // 4 + 1, (128 - 32) // 4 + 1)
    assert torch.equal(strided, dense[:, ::4, ::4])
    for i, boxes in enumerate(canvases.boxes):  # each placed digit is centred in its own window
        for top, left, digit in boxes:
            assert dense[i, top, left] == digit


def test_window_dataset_cuts_centred_digits_and_empty_windows():
    canvases = one_digit_canvas()
    x, y = data.window_dataset(canvases, background_per_canvas=4, seed=1)
    assert x.shape == (5, 1, 32, 32) and y.tolist() == [7] + [NO_DIGIT] * 4
    labels = data.window_labels(canvases)[0]
    image = canvases.images[0, 0]

    def where(crop, wanted):
        return [(t, c) for t in range(33) for c in range(33)
                if labels[t, c] == wanted and torch.equal(image[t:t + 32, c:c + 32], crop[0])]

    assert where(x[0], 7), "the digit window must be cut within 2 px of the digit"
    for crop in x[1:]:
        assert where(crop, NO_DIGIT), "background windows must be cut where no digit is centred"
    again = data.window_dataset(canvases, background_per_canvas=4, seed=1)
    assert torch.equal(again[0], x) and torch.equal(again[1], y)


@pytest.mark.parametrize("call, error, match", [
    (lambda c: data.window_labels(c.images), TypeError, "canvases must be data.Canvases"),
    (lambda c: data.window_labels(c, centred=5, off_centre=5), ValueError,
     "0 <= centred < off_centre"),
    (lambda c: data.window_labels(c, window=65), ValueError, "window <= 64"),
    (lambda c: data.window_labels(c, stride=0), ValueError, "stride >= 1"),
    (lambda c: data.window_dataset(c, background_per_canvas=-1), ValueError,
     "background_per_canvas"),
])
def test_window_functions_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call(one_digit_canvas())
