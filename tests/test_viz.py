import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from course_utils import viz


def test_show_images_grid_and_titles():
    fig = viz.show_images(torch.rand(10, 1, 8, 8), titles=list("abcdefghij"), ncols=4)
    axes = fig.get_axes()
    assert len(axes) == 12  # 3 rows x 4 columns, two left empty
    assert [ax.get_title() for ax in axes[:10]] == list("abcdefghij")


def test_show_images_accepts_mixed_list_of_grey_and_rgb():
    fig = viz.show_images([torch.rand(8, 8), torch.rand(3, 8, 8), np.random.rand(8, 8, 3)])
    assert len(fig.get_axes()) == 3
    assert fig.get_axes()[1].get_images()[0].get_array().shape == (8, 8, 3)


def test_show_feature_maps_one_panel_per_channel():
    fig = viz.show_feature_maps(torch.rand(1, 6, 5, 5), title="conv1", ncols=3)
    assert len(fig.get_axes()) == 6
    assert "conv1" in fig._suptitle.get_text()


def test_label_colors_background_black_classes_distinct():
    colors = viz.label_colors(11)
    assert colors.shape == (11, 3) and (colors[0] == 0).all()
    assert len({tuple(c) for c in colors}) == 11


def test_overlay_keeps_background_and_tints_labels():
    image = np.full((4, 4), 0.5)
    labels = np.zeros((4, 4), np.int64)
    labels[0, 0], labels[1, 1] = 3, 255
    out = viz.overlay_labels(image, labels, num_classes=11, alpha=0.5)
    assert out.shape == (4, 4, 3)
    assert np.allclose(out[2, 2], 0.5)  # background untouched
    assert np.allclose(out[0, 0], 0.25 + 0.5 * viz.label_colors(11)[3])
    assert np.allclose(out[1, 1], 0.75)  # void drawn white
    assert viz.overlay_labels(torch.rand(3, 4, 4), torch.from_numpy(labels)).shape == (4, 4, 3)


def test_show_segmentation_three_panels():
    fig = viz.show_segmentation(np.random.rand(6, 6), np.eye(6, dtype=np.int64), title="x")
    assert [ax.get_title() for ax in fig.get_axes()] == ["image", "labels", "overlay"]


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"images must have shape \(N, H, W\) or \(N, C, H, W\)"):
        viz.show_images(torch.rand(8, 8))
    with pytest.raises(ValueError, match="titles must have one entry per image"):
        viz.show_images(torch.rand(2, 8, 8), titles=["a"])
    with pytest.raises(ValueError, match=r"maps must have shape \(C, H, W\)"):
        viz.show_feature_maps(torch.rand(8, 8))
    with pytest.raises(ValueError, match=r"labels must have shape \(H, W\) = \(4, 4\)"):
        viz.overlay_labels(np.zeros((4, 4)), np.zeros((3, 3), np.int64))
    with pytest.raises(TypeError, match="labels must hold integers"):
        viz.overlay_labels(np.zeros((4, 4)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="alpha must be in"):
        viz.overlay_labels(np.zeros((4, 4)), np.zeros((4, 4), np.int64), alpha=2)
    with pytest.raises(ValueError, match=r"image must be one image of shape"):
        viz.overlay_labels(np.zeros((2, 5, 4, 4)), np.zeros((4, 4), np.int64))
    with pytest.raises(ValueError, match="num_classes must be an int >= 1"):
        viz.label_colors(0)
    with pytest.raises(TypeError, match="images must be numeric"):
        viz.show_images(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="ncols must be >= 1"):
        viz.show_images(torch.rand(2, 8, 8), ncols=0)


HOT = np.array(plt.get_cmap("inferno")(1.0)[:3])


def lit_pixels(stride, rf, offset, image_size, grid_size, cell):
    """The pixels that show a heatmap whose only non-zero value is at `cell`."""
    heat = np.zeros(grid_size)
    heat[cell] = 1.0
    out = viz.heatmap_overlay(np.full(image_size, 0.5), heat, alpha=1.0, stride=stride, rf=rf,
                              offset=offset)
    return np.argwhere(np.isclose(out, HOT).all(-1))


@pytest.mark.parametrize("stride, rf, offset, image_size, grid_size, cell, rows, cols", [
    # the LeNet-5 FCN of notebook 03 on a 128x160 canvas: unit (3, 5) sees rows 12-43, cols 20-51
    (4, 32, 0, (128, 160), (25, 33), (3, 5), range(26, 30), range(34, 38)),
    # a padded stride-8 net: unit (2, 6) sees rows 13-32, cols 45-64 (centre 22.5, 54.5)
    (8, 20, -3, (64, 72), (8, 9), (2, 6), range(19, 27), range(51, 59)),
])
def test_heatmap_overlay_draws_a_cell_around_its_receptive_field_centre(
        stride, rf, offset, image_size, grid_size, cell, rows, cols):
    lit = lit_pixels(stride, rf, offset, image_size, grid_size, cell)
    assert {tuple(p) for p in lit} == {(r, c) for r in rows for c in cols}
    centre = [offset + cell[k] * stride + (rf - 1) / 2 for k in (0, 1)]
    assert np.allclose(lit.mean(0), centre)  # the block is centred on the receptive field


def test_heatmap_overlay_leaves_uncovered_pixels_and_outlines_the_threshold():
    heat = np.zeros((25, 33))
    heat[0, 0] = 1.0
    out = viz.heatmap_overlay(np.full((128, 160), 0.5), heat, threshold=0.9, alpha=1.0,
                              stride=4, rf=32)
    assert np.allclose(out[:14], 0.5) and np.allclose(out[:, :14], 0.5)  # before the 1st centre
    assert np.allclose(out[114:], 0.5)  # after the last cell's block (rows 110-113)
    assert np.allclose(out[14, 14], (0, 1, 1)) and np.isclose(out[15, 15], HOT).all()
    same = viz.heatmap_overlay(np.zeros((8, 8)), np.eye(8), alpha=1.0)  # full size: as is
    assert np.isclose(same[3, 3], HOT).all() and not np.isclose(same[3, 4], HOT).all()
    pairs = viz.heatmap_overlay(np.zeros((16, 24)), np.eye(2, 3), alpha=1.0, stride=(8, 8),
                                rf=(8, 8), offset=(0, 0))
    assert np.isclose(pairs[:8, :8], HOT).all() and np.isclose(pairs[8:, 8:16], HOT).all()


def test_heatmap_overlay_bad_input():
    with pytest.raises(ValueError, match=r"heatmap must have shape \(h, w\)"):
        viz.heatmap_overlay(np.zeros((8, 8)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="alpha must be in"):
        viz.heatmap_overlay(np.zeros((8, 8)), np.zeros((8, 8)), alpha=-1)
    with pytest.raises(ValueError, match=r"heatmap \(2, 2\) is coarser than the image "
                                         r"\(8, 8\): pass stride=, rf= and offset="):
        viz.heatmap_overlay(np.zeros((8, 8)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="stride must be an int or a pair of ints; got 2.5"):
        viz.heatmap_overlay(np.zeros((8, 8)), np.zeros((2, 2)), stride=2.5, rf=4)
    with pytest.raises(ValueError, match="stride and rf must be >= 1"):
        viz.heatmap_overlay(np.zeros((8, 8)), np.zeros((2, 2)), stride=0, rf=4)


def test_show_predictions_one_row_per_image_truth_then_each_prediction():
    images, truth = torch.rand(3, 1, 6, 6), torch.randint(0, 3, (3, 6, 6))
    preds = {"FCN-32s": torch.zeros(3, 6, 6, dtype=torch.long), "FCN-8s": truth.clone()}
    fig = viz.show_predictions(images, truth, preds, with_image=True, title="val")
    axes = fig.get_axes()
    assert len(axes) == 3 * 4
    assert [ax.get_title() for ax in axes[:4]] == ["image", "ground truth", "FCN-32s", "FCN-8s"]
    assert all(ax.get_title() == "" for ax in axes[4:])
    shown = [ax.get_images()[0].get_array() for ax in axes[4:8]]  # the second row
    assert np.allclose(shown[1], shown[3])  # a perfect prediction looks like the truth
    background = np.repeat(images[1, 0, ..., None].numpy(), 3, -1)
    assert np.allclose(shown[2], background)  # predicted all background: the plain image
    one = viz.show_predictions(images[0, 0], truth[0], {"p": truth[0]})  # one image, no batch
    assert [ax.get_title() for ax in one.get_axes()] == ["ground truth", "p"]


def test_show_predictions_bad_input():
    images, truth = torch.rand(2, 6, 6), torch.zeros(2, 6, 6, dtype=torch.long)
    with pytest.raises(ValueError, match=r"truth must have shape \(H, W\) or \(N, H, W\)"):
        viz.show_predictions(images, truth[None], {"p": truth})
    with pytest.raises(ValueError, match="predictions must map at least one title"):
        viz.show_predictions(images, truth, {})
    with pytest.raises(ValueError, match=r"predictions\['p'\] must have the shape of truth \(2, 6"):
        viz.show_predictions(images, truth, {"p": truth[:, :5]})
    with pytest.raises(ValueError, match=r"images must hold one image per label map \(2\)"):
        viz.show_predictions(images[:1], truth, {"p": truth})
