import math

import numpy as np
import pytest
import torch

from course_utils import summary, unet


def test_paper_configuration_on_the_meta_device():
    with torch.device("meta"):
        net = unet.UNet(in_channels=1, num_classes=2, depth=4, base_width=64, padding=0)
        out = net(torch.zeros(1, 1, 572, 572))
    assert summary.count_parameters(net) == 31_030_658
    assert out.shape == (1, 2, 388, 388)
    assert len([m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]) == 19  # + 4 up-convs


@pytest.mark.parametrize("depth, padding, size", [(1, 0, 20), (2, 0, 44), (3, 0, 92), (2, 1, 36),
                                                  (3, 1, 64)])
def test_output_sizes_match_the_helper(depth, padding, size):
    net = unet.UNet(1, 3, depth=depth, base_width=4, padding=padding)
    out = net(torch.zeros(2, 1, size, size + (2**depth if padding else 0)))
    assert out.shape[:2] == (2, 3)
    assert out.shape[-2] == unet.unet_output_size(size, depth, padding)
    if padding:
        assert out.shape[-2:] == (size, size + 2**depth)


def test_border_is_constant_for_valid_sizes():
    borders = {s - unet.unet_output_size(s, 4, 0) for s in unet.valid_input_sizes(4, 0, 150, 700)}
    assert borders == {184}
    assert unet.valid_input_sizes(4, 0, 560, 600) == [572, 588]


def test_invalid_size_lists_the_nearest_valid_ones():
    with pytest.raises(ValueError, match=r"input size 570 .* nearest valid sizes: \[556, 572\]"):
        unet.unet_output_size(570, 4, 0)
    net = unet.UNet(1, 2, depth=2, base_width=2, padding=0)
    with pytest.raises(ValueError, match="input width: input size 45"):
        net(torch.zeros(1, 1, 44, 45))
    with pytest.raises(ValueError, match="padding must be 0"):
        unet.UNet(padding=2)


def test_weight_map_hand_computed_two_objects():
    inst = np.zeros((1, 7), int)
    inst[0, 0], inst[0, 6] = 1, 2
    w = unet.unet_weight_map(inst, w0=10, sigma=5, class_weights=(1.0, 2.0))
    gap = 1 + 10 * math.exp(-(6**2) / (2 * 5**2))  # d1 + d2 = 6 everywhere in the gap
    assert np.allclose(w[0, 1:6], gap)
    assert w[0, 0] == w[0, 6] == 2.0  # objects get w_c only


def test_weight_map_symmetric_single_and_empty():
    inst = np.zeros((9, 9), int)
    inst[2:7, 1:3], inst[2:7, 6:8] = 1, 2  # mirror-symmetric layout
    w = unet.unet_weight_map(inst)
    assert np.allclose(w, w[:, ::-1]) and w[4, 4] > w[0, 0]
    single = np.zeros((5, 5), int)
    single[1:3, 1:3] = 1
    assert np.allclose(unet.unet_weight_map(single, class_weights=(1.0, 3.0)),
                       np.where(single > 0, 3.0, 1.0))
    assert np.allclose(unet.unet_weight_map(np.zeros((4, 4), int)), 1.0)


def test_w0_zero_gives_class_weights_only():
    inst = np.zeros((6, 6), int)
    inst[:, :2], inst[:, 4:] = 1, 2
    w = unet.unet_weight_map(inst, w0=0)
    n_fg = (inst > 0).sum()
    assert np.allclose(w[inst > 0], 36 / (2 * n_fg)) and np.allclose(w[inst == 0], 36 / (2 * 12))


def test_weighted_cross_entropy_crops_and_weights():
    logits = torch.zeros(1, 2, 4, 4)
    target = torch.ones(1, 6, 6, dtype=torch.long)
    ones = torch.ones(1, 6, 6)
    assert unet.weighted_cross_entropy(logits, target, ones).item() == pytest.approx(math.log(2))
    assert unet.weighted_cross_entropy(logits, target, 3 * ones).item() == pytest.approx(
        3 * math.log(2))


def test_weight_map_bad_input():
    with pytest.raises(ValueError, match=r"instances must be an \(H, W\) integer map"):
        unet.unet_weight_map(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="sigma > 0"):
        unet.unet_weight_map(np.zeros((2, 2), int), sigma=0)


def test_touching_cells_generator():
    from course_utils import data

    cells = data.touching_cells(4, 64, num_cells=(5, 7), seed=3)
    assert cells.images.shape == (4, 1, 64, 64) and cells.images.min() >= 0
    assert torch.equal(cells.labels, (cells.instances > 0).long())
    assert all(5 <= len(cells.instances[i].unique()) - 1 <= 7 for i in range(4))
    assert sum(len(unet.touching_pairs(cells.instances[i])) for i in range(4)) >= 2
    again = data.touching_cells(4, 64, num_cells=(5, 7), seed=3)
    assert torch.equal(again.images, cells.images)
    with pytest.raises(ValueError, match="num_cells must be a range"):
        data.touching_cells(1, 64, num_cells=(3, 1))


def test_separated_share():
    inst = np.zeros((10, 12), int)
    inst[2:8, 1:5], inst[2:8, 6:10] = 1, 2  # touching across the background column 5
    assert unet.touching_pairs(inst) == {(1, 2)}
    assert unet.separated_share(inst > 0, inst) == 1.0
    merged = inst > 0
    merged[2:8, 5] = True  # the prediction bridges the gap
    assert unet.separated_share(merged, inst) == 0.0
    assert math.isnan(unet.separated_share(inst == 1, np.where(inst == 2, 0, inst)))
    with pytest.raises(ValueError, match="same shape"):
        unet.separated_share(np.zeros((3, 3)), inst)


def test_overlap_tile_equals_a_single_pass():
    torch.manual_seed(0)
    net = unet.UNet(1, 2, depth=2, base_width=4, padding=0).double()
    tile = 60  # valid for depth 2: output 60 - 40 = 20
    assert unet.unet_output_size(tile, 2, 0) == 20
    image = torch.rand(1, 50, 70, dtype=torch.float64)
    tiled = unet.overlap_tile_predict(net, image, tile)
    assert tiled.shape == (2, 50, 70)
    # one pass over the same mirror-padded image (60 x 80 outputs fit: sizes 100 x 120 are valid)
    padded = torch.nn.functional.pad(image[None], (20, 20 + 10, 20, 20 + 10), mode="reflect")
    with torch.no_grad():
        single = net(padded)[0][:, :50, :70]
    assert torch.allclose(tiled, single, atol=1e-12)


def test_overlap_tile_bad_input():
    with pytest.raises(ValueError, match="needs a valid U-Net"):
        unet.overlap_tile_predict(unet.UNet(1, 2, 2, 4, padding=1), torch.zeros(1, 8, 8), 16)
    with pytest.raises(ValueError, match="nearest valid sizes"):
        unet.overlap_tile_predict(unet.UNet(1, 2, 2, 4, padding=0), torch.zeros(1, 8, 8), 61)


def _tiles(net, padded, tile, out_tile, step, rows, cols):
    """Overlap-tile by hand, any step: tile (r, c) at (r * step, c * step) keeps step x step."""
    out = torch.zeros(2, rows * step, cols * step, dtype=padded.dtype)
    with torch.no_grad():
        for r in range(rows):
            for c in range(cols):
                y, x = r * step, c * step
                out[:, y:y + step, x:x + step] = net(padded[..., y:y + tile, x:x + tile])[0][
                    :, :step, :step]
    return out


def test_overlap_tile_is_exact_when_the_step_keeps_the_pooling_grids_in_phase():
    torch.manual_seed(0)
    net = unet.UNet(1, 2, depth=4, base_width=2, padding=0).double().eval()
    tile, height, width = 204, 120, 130  # output tile 20: 20 mod 16 = 4, like the paper's 388
    out_tile = unet.unet_output_size(tile, 4, 0)
    border = (tile - out_tile) // 2
    assert out_tile == 20
    image = torch.rand(1, height, width, dtype=torch.float64)
    tiled = unet.overlap_tile_predict(net, image, tile)  # steps by 16
    rows, cols = -(-height // 16), -(-width // 16)
    padded = torch.nn.functional.pad(image[None], (
        border, border + (cols - 1) * 16 + out_tile - width,
        border, border + (rows - 1) * 16 + out_tile - height), mode="reflect")
    with torch.no_grad():
        single = net(padded)[0][:, :height, :width]
    assert tiled.shape == (2, height, width) and torch.allclose(tiled, single, atol=1e-12)
    assert torch.equal(unet.overlap_tile_predict(net, image, tile, step=16), tiled)
    # stepping by the whole 20-pixel output puts the second tile's pooling grid out of phase
    by_20 = _tiles(net, padded, tile, out_tile, 20, 6, 7)[:, :height, :width]
    assert (by_20 - single).abs().max() > 1e-6
    assert torch.allclose(by_20[:, :20, :20], single[:, :20, :20], atol=1e-12)  # first tile ok
    with pytest.raises(ValueError, match=r"step must be a multiple of 2\^depth = 16"):
        unet.overlap_tile_predict(net, image, tile, step=20)
    with pytest.raises(ValueError, match="less than one in-phase step"):
        unet.overlap_tile_predict(net, image, 188)  # output 4 < 16
