import random

import pytest
import torch
from torch import nn

from course_utils import dense_prediction as dp
from course_utils import models, summary


def random_classifier(rng, n_pools, in_channels=2, classes=3, max_pooling=False):
    """conv/pool body with `n_pools` 2x2 pools, then Flatten + two Linear layers.

    Sizes are built backwards from the last map so that no pooling drops a row: the classifier's
    input size is exactly the receptive field of its output.
    """
    kernels = [rng.choice([1, 3]) for _ in range(n_pools)]
    final = rng.choice([1, 2, 3])
    size = final
    for k in reversed(kernels):
        size = 2 * size + k - 1
    layers, channels = [], in_channels
    for k in kernels:
        layers += [nn.Conv2d(channels, 4, k), nn.ReLU(),
                   nn.MaxPool2d(2) if max_pooling else nn.AvgPool2d(2)]
        channels = 4
    layers += [nn.Flatten(), nn.Linear(channels * final * final, 8), nn.ReLU(),
               nn.Linear(8, classes)]
    return nn.Sequential(*layers).eval(), size


def test_linear_to_conv_equals_linear_on_its_volume():
    torch.manual_seed(0)
    linear = nn.Linear(3 * 4 * 5, 7)
    conv = dp.linear_to_conv(linear, (3, 4, 5))
    x = torch.randn(2, 3, 4, 5)
    assert conv.kernel_size == (4, 5) and conv.out_channels == 7
    assert torch.allclose(conv(x).flatten(1), linear(x.flatten(1)), atol=1e-6)
    dense = nn.Linear(6, 2)
    pointwise = dp.linear_to_conv(dense)
    v = torch.randn(3, 6)
    assert pointwise.kernel_size == (1, 1)  # L filters of 1x1xN
    assert torch.allclose(pointwise(v[:, :, None, None]).flatten(1), dense(v), atol=1e-6)


def test_keras_order_would_scramble_the_weights():
    torch.manual_seed(0)
    linear = nn.Linear(2 * 3 * 3, 1)
    x = torch.randn(1, 2, 3, 3)
    wrong = nn.Conv2d(2, 1, 3)
    with torch.no_grad():  # reading the weights as H, W, C (Keras' flatten order)
        wrong.weight.copy_(linear.weight.view(1, 3, 3, 2).permute(0, 3, 1, 2))
        wrong.bias.copy_(linear.bias)
    assert not torch.allclose(wrong(x).flatten(), linear(x.flatten(1)).flatten())


@pytest.mark.parametrize("seed", range(6))
def test_to_fully_convolutional_keeps_the_logits(seed):
    rng = random.Random(seed)
    net, size = random_classifier(rng, n_pools=rng.randint(1, 2), max_pooling=seed % 2 == 0)
    conv_net = dp.to_fully_convolutional(net, (2, size, size))
    x = torch.randn(5, 2, size, size)
    out = conv_net(x)
    assert out.shape == (5, 3, 1, 1)
    assert torch.allclose(out.flatten(1), net(x), atol=1e-5)
    assert conv_net(torch.randn(1, 2, size + 8, size + 12)).shape[-2:] == (
        1 + 8 // summary.total_stride(conv_net), 1 + 12 // summary.total_stride(conv_net))


def test_nested_sequential_and_identity_adaptive_pool():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()), nn.AdaptiveAvgPool2d(6),
                        nn.Flatten(), nn.Sequential(nn.Linear(72, 4)))
    conv_net = dp.to_fully_convolutional(net, (1, 8, 8))
    assert [n for n, _ in conv_net.named_children()] == ["0_0", "0_1", "3_0"]
    x = torch.randn(2, 1, 8, 8)
    assert torch.allclose(conv_net(x).flatten(1), net(x), atol=1e-6)
    squeezing = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(2, 4))
    with pytest.raises(ValueError, match=r"layer '1' \(AdaptiveAvgPool2d\) changes the volume"):
        dp.to_fully_convolutional(squeezing, (1, 8, 8))


def test_to_fully_convolutional_bad_input():
    with pytest.raises(TypeError, match="model must be an nn.Sequential classifier"):
        dp.to_fully_convolutional(nn.Linear(2, 2), (1, 4, 4))
    with pytest.raises(ValueError, match="must contain an nn.Flatten"):
        dp.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 1, 3)), (1, 4, 4))
    with pytest.raises(ValueError, match="no nn.Linear after its Flatten"):
        dp.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()), (1, 4, 4))
    with pytest.raises(ValueError, match="in_shape .* holds 12 values but the Linear reads 10"):
        dp.linear_to_conv(nn.Linear(10, 2), (3, 2, 2))
    with pytest.raises(TypeError, match="linear must be an nn.Linear"):
        dp.linear_to_conv(nn.Conv2d(1, 1, 1))
    bad_head = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2), nn.Softmax(1))
    with pytest.raises(ValueError, match=r"layer '3' \(Softmax\) in the head"):
        dp.to_fully_convolutional(bad_head, (1, 4, 4))


@pytest.mark.parametrize("n_pools", [1, 2, 3])
@pytest.mark.parametrize("max_pooling", [False, True])
def test_shift_and_stitch_equals_sliding_window_and_atrous(n_pools, max_pooling):
    rng = random.Random(n_pools * 10 + max_pooling)
    torch.manual_seed(n_pools)
    net, size = random_classifier(rng, n_pools, max_pooling=max_pooling)
    conv_net = dp.to_fully_convolutional(net, (2, size, size))
    f = summary.total_stride(conv_net)
    assert f == 2**n_pools
    image = torch.randn(2, size + rng.randint(3, 11), size + rng.randint(3, 11))
    sliding = dp.sliding_window_predict(net, image, size, stride=1, progress=False)
    stitched = dp.shift_and_stitch(conv_net, image)
    dense = dp.fcn_predict(dp.atrous(conv_net), image)
    assert sliding.shape == stitched.shape == dense.shape
    assert sliding.shape[1:] == (image.shape[1] - size + 1, image.shape[2] - size + 1)
    assert (stitched - sliding).abs().max() <= 1e-5
    assert (dense - stitched).abs().max() <= 1e-5
    coarse = dp.sliding_window_predict(net, image, size, stride=f, progress=False)
    assert torch.allclose(coarse, dp.fcn_predict(conv_net, image), atol=1e-5)


def test_sliding_window_batches_agree_and_centres():
    torch.manual_seed(0)
    net, size = random_classifier(random.Random(0), 1)
    image = torch.randn(2, size + 5, size + 7)
    a = dp.sliding_window_predict(net, image, size, 2, batch_size=3, progress=False)
    b = dp.sliding_window_predict(net, image[None], size, 2, batch_size=1000, progress=False)
    assert torch.allclose(a, b) and a.shape == (3, 3, 4)
    crop = image[:, 2:2 + size, 4:4 + size]
    assert torch.allclose(a[:, 1, 2], net(crop[None])[0], atol=1e-6)


def test_sliding_window_bad_input():
    net = models.lenet5()
    image = torch.zeros(1, 40, 40)
    with pytest.raises(ValueError, match=r"window=64 is larger than the image \(40x40\)"):
        dp.sliding_window_predict(net, image, 64)
    with pytest.raises(ValueError, match="stride must be an int >= 1; got 0"):
        dp.sliding_window_predict(net, image, 32, stride=0)
    with pytest.raises(ValueError, match="stride must be an int >= 1; got -2"):
        dp.sliding_window_predict(net, image, 32, stride=-2)
    with pytest.raises(ValueError, match=r"image must be a tensor of shape \(C, H, W\)"):
        dp.sliding_window_predict(net, torch.zeros(40, 40), 32)
    with pytest.raises(TypeError, match="image must be a floating-point tensor"):
        dp.sliding_window_predict(net, torch.zeros(1, 40, 40, dtype=torch.uint8), 32)
    with pytest.raises(ValueError, match="window must be a positive int"):
        dp.sliding_window_predict(net, image, 0)


def test_atrous_and_shift_bad_input():
    with pytest.raises(TypeError, match="fcn must be an nn.Sequential"):
        dp.atrous(nn.Conv2d(1, 1, 1))
    with pytest.raises(ValueError, match=r"layer '0' \(Upsample\) cannot be made à trous"):
        dp.atrous(nn.Sequential(nn.Upsample(scale_factor=2)))
    with pytest.raises(ValueError, match="f must be an int >= 1"):
        dp.shift_and_stitch(nn.Sequential(nn.Conv2d(1, 1, 1)), torch.zeros(1, 4, 4), f=0)


def test_conv_flops_counts_multiply_adds_twice():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    assert summary.conv_flops(net, (2, 6, 6)) == 2 * (2 * 9 * 3 * 16) + 2 * (48 * 5)


@pytest.mark.parametrize("stride, rf, offset", [(4, 32, 0), (2, 6, 1), (3, 3, 0)])
def test_paint_receptive_fields_matches_a_loop(stride, rf, offset):
    gen = torch.Generator().manual_seed(stride)
    probs = torch.softmax(torch.randn(2, 4, 5, 6, generator=gen) * 3, 1)
    height, width = offset + stride * 4 + rf, offset + stride * 5 + rf
    got = dp.paint_receptive_fields(probs, stride, rf, (height, width), 0.6, offset)
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
        dp.paint_receptive_fields(torch.zeros(3, 4, 4), 2, 4, (8, 8))
    with pytest.raises(ValueError, match="need rf >= stride >= 1"):
        dp.paint_receptive_fields(torch.zeros(1, 3, 4, 4), 4, 2, (8, 8))


def test_paint_receptive_fields_background_class_paints_nothing():
    gen = torch.Generator().manual_seed(5)
    probs = torch.softmax(torch.randn(2, 4, 5, 6, generator=gen) * 3, 1)
    got = dp.paint_receptive_fields(probs, 4, 8, (28, 32), threshold=0.0, background=3)
    # the same as a classifier whose "nothing" units are never confident enough
    silenced = probs.clone()
    silenced[silenced.argmax(1, keepdim=True).expand_as(silenced) == 3] = 0.0
    expected = dp.paint_receptive_fields(silenced, 4, 8, (28, 32), threshold=0.0)
    assert torch.equal(got, expected)
    assert 4 not in got.unique().tolist() and (got == 0).any()
    with pytest.raises(ValueError, match=r"background must be a class index in \[0, 4\)"):
        dp.paint_receptive_fields(probs, 4, 8, (28, 32), background=4)


def test_interleave_places_each_piece_on_its_phase_and_marks_gaps():
    dense = torch.arange(2 * 7 * 9, dtype=torch.float32).view(2, 7, 9)
    pieces = {(dy, dx): dense[:, dy::3, dx::3] for dy in range(3) for dx in range(3)}
    assert torch.equal(dp.interleave(pieces, 3), dense)
    del pieces[1, 2]
    holes = dp.interleave(pieces, 3)
    assert holes[:, 1::3, 2::3].isnan().all() and not holes[:, 0::3].isnan().any()
    with pytest.raises(ValueError, match=r"pieces must hold at least the unshifted output"):
        dp.interleave({(1, 0): dense}, 2)
