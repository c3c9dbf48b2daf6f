import random

import pytest
import torch
from nets import random_classifier
from torch import nn

from course_utils import dense_prediction as dp
from course_utils import fully_convolutional as fc
from course_utils import summary


@pytest.mark.parametrize("n_pools", [1, 2, 3])
@pytest.mark.parametrize("max_pooling", [False, True])
def test_shift_and_stitch_equals_sliding_window_and_atrous(n_pools, max_pooling):
    rng = random.Random(n_pools * 10 + max_pooling)
    torch.manual_seed(n_pools)
    net, size = random_classifier(rng, n_pools, max_pooling=max_pooling)
    conv_net = fc.to_fully_convolutional(net, (2, size, size))
    f = summary.total_stride(conv_net)
    assert f == 2**n_pools
    image = torch.randn(2, size + rng.randint(3, 11), size + rng.randint(3, 11))
    sliding = fc.sliding_window_predict(net, image, size, stride=1, progress=False)
    stitched = dp.shift_and_stitch(conv_net, image)
    dense = fc.fcn_predict(dp.atrous(conv_net), image)
    assert sliding.shape == stitched.shape == dense.shape
    assert sliding.shape[1:] == (image.shape[1] - size + 1, image.shape[2] - size + 1)
    assert (stitched - sliding).abs().max() <= 1e-5
    assert (dense - stitched).abs().max() <= 1e-5
    coarse = fc.sliding_window_predict(net, image, size, stride=f, progress=False)
    assert torch.allclose(coarse, fc.fcn_predict(conv_net, image), atol=1e-5)


def test_atrous_and_shift_bad_input():
    with pytest.raises(TypeError, match="fcn must be an nn.Sequential"):
        dp.atrous(nn.Conv2d(1, 1, 1))
    with pytest.raises(ValueError, match=r"layer '0' \(Upsample\) cannot be made à trous"):
        dp.atrous(nn.Sequential(nn.Upsample(scale_factor=2)))
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        dp.shift_and_stitch(nn.Sequential(nn.Conv2d(1, 1, 1)), torch.zeros(1, 4, 4), stride=0)


@pytest.mark.parametrize("stride, rf, offset", [(4, 32, 0), (2, 6, 1), (3, 3, 0)])
def test_paint_receptive_fields_matches_a_loop(stride, rf, offset):
    gen = torch.Generator().manual_seed(stride)
    probs = torch.softmax(torch.randn(2, 4, 5, 6, generator=gen) * 3, 1)
    height, width = offset + stride * 4 + rf, offset + stride * 5 + rf
    got = dp.paint_receptive_fields(probs, stride=stride, rf=rf, out_size=(height, width),
                                    threshold=0.6, offset=offset)
    conf, cls = probs.max(1)
    best = torch.zeros(2, height, width)
    expected = torch.zeros(2, height, width, dtype=torch.int64)
    for i in range(5):
        for j in range(6):
            r, c = offset + i * stride, offset + j * stride
            for n in range(2):
                if conf[n, i, j] <= 0.6:
                    continue
                region = best[n, r:r + rf, c:c + rf]
                better = conf[n, i, j] > region
                region[better] = conf[n, i, j]
                expected[n, r:r + rf, c:c + rf][better] = cls[n, i, j] + 1
    assert torch.equal(got, expected)


def test_paint_receptive_fields_bad_input():
    with pytest.raises(ValueError, match=r"probabilities must have shape \(N, K, h, w\)"):
        dp.paint_receptive_fields(torch.zeros(3, 4, 4), stride=2, rf=4, out_size=(8, 8))
    with pytest.raises(ValueError, match="need rf >= stride >= 1"):
        dp.paint_receptive_fields(torch.zeros(1, 3, 4, 4), stride=4, rf=2, out_size=(8, 8))


def test_paint_receptive_fields_background_class_paints_nothing():
    gen = torch.Generator().manual_seed(5)
    probs = torch.softmax(torch.randn(2, 4, 5, 6, generator=gen) * 3, 1)
    got = dp.paint_receptive_fields(probs, stride=4, rf=8, out_size=(28, 32), threshold=0.0,
                                    background=3)
    # the same as a classifier whose "nothing" units are never confident enough
    silenced = probs.clone()
    silenced[silenced.argmax(1, keepdim=True).expand_as(silenced) == 3] = 0.0
    expected = dp.paint_receptive_fields(silenced, stride=4, rf=8, out_size=(28, 32), threshold=0.0)
    assert torch.equal(got, expected)
    assert 4 not in got.unique().tolist() and (got == 0).any()
    with pytest.raises(ValueError, match=r"background must be a class index in \[0, 4\)"):
        dp.paint_receptive_fields(probs, stride=4, rf=8, out_size=(28, 32), background=4)


def test_interleave_places_each_piece_on_its_phase_and_marks_gaps():
    dense = torch.arange(2 * 7 * 9, dtype=torch.float32).view(2, 7, 9)
    pieces = {(dy, dx): dense[:, dy::3, dx::3] for dy in range(3) for dx in range(3)}
    assert torch.equal(dp.interleave(pieces, 3), dense)
    del pieces[1, 2]
    holes = dp.interleave(pieces, 3)
    assert holes[:, 1::3, 2::3].isnan().all() and not holes[:, 0::3].isnan().any()
    with pytest.raises(ValueError, match=r"pieces must hold at least the unshifted output"):
        dp.interleave({(1, 0): dense}, 2)
