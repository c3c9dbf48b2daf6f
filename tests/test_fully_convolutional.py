import random

import pytest
import torch
from nets import random_classifier
from torch import nn

from course_utils import fully_convolutional as fc
from course_utils import models, summary


def test_linear_to_conv_equals_linear_on_its_volume():
    torch.manual_seed(0)
    linear = nn.Linear(3 * 4 * 5, 7)
    conv = fc.linear_to_conv(linear, (3, 4, 5))
    x = torch.randn(2, 3, 4, 5)
    assert conv.kernel_size == (4, 5) and conv.out_channels == 7
    assert torch.allclose(conv(x).flatten(1), linear(x.flatten(1)), atol=1e-6)
    dense = nn.Linear(6, 2)
    pointwise = fc.linear_to_conv(dense)
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
    conv_net = fc.to_fully_convolutional(net, (2, size, size))
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
    conv_net = fc.to_fully_convolutional(net, (1, 8, 8))
    assert [n for n, _ in conv_net.named_children()] == ["0_0", "0_1", "3_0"]
    x = torch.randn(2, 1, 8, 8)
    assert torch.allclose(conv_net(x).flatten(1), net(x), atol=1e-6)
    squeezing = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                              nn.Linear(2, 4))
    with pytest.raises(ValueError, match=r"layer '1' \(AdaptiveAvgPool2d\) changes the volume"):
        fc.to_fully_convolutional(squeezing, (1, 8, 8))


def test_to_fully_convolutional_bad_input():
    with pytest.raises(TypeError, match="model must be an nn.Sequential classifier"):
        fc.to_fully_convolutional(nn.Linear(2, 2), (1, 4, 4))
    with pytest.raises(ValueError, match="must contain an nn.Flatten"):
        fc.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 1, 3)), (1, 4, 4))
    with pytest.raises(ValueError, match="no nn.Linear after its Flatten"):
        fc.to_fully_convolutional(nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten()), (1, 4, 4))
    with pytest.raises(ValueError, match="input_size .* holds 12 values but the Linear reads 10"):
        fc.linear_to_conv(nn.Linear(10, 2), (3, 2, 2))
    with pytest.raises(TypeError, match="linear must be an nn.Linear"):
        fc.linear_to_conv(nn.Conv2d(1, 1, 1))
    bad_head = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2), nn.Softmax(1))
    with pytest.raises(ValueError, match=r"layer '3' \(Softmax\) in the head"):
        fc.to_fully_convolutional(bad_head, (1, 4, 4))


def test_sliding_window_batches_agree_and_centres():
    torch.manual_seed(0)
    net, size = random_classifier(random.Random(0), 1)
    image = torch.randn(2, size + 5, size + 7)
    a = fc.sliding_window_predict(net, image, size, stride=2, batch_size=3, progress=False)
    b = fc.sliding_window_predict(net, image[None], size, stride=2, batch_size=1000, progress=False)
    assert torch.allclose(a, b) and a.shape == (3, 3, 4)
    crop = image[:, 2:2 + size, 4:4 + size]
    assert torch.allclose(a[:, 1, 2], net(crop[None])[0], atol=1e-6)


def test_sliding_window_bad_input():
    net = models.lenet5()
    image = torch.zeros(1, 40, 40)
    with pytest.raises(ValueError, match=r"window=64 is larger than the image \(40x40\)"):
        fc.sliding_window_predict(net, image, 64)
    with pytest.raises(ValueError, match="stride must be an int >= 1; got 0"):
        fc.sliding_window_predict(net, image, 32, stride=0)
    with pytest.raises(ValueError, match="stride must be an int >= 1; got -2"):
        fc.sliding_window_predict(net, image, 32, stride=-2)
    with pytest.raises(ValueError, match=r"image must be a tensor of shape \(C, H, W\)"):
        fc.sliding_window_predict(net, torch.zeros(40, 40), 32)
    with pytest.raises(TypeError, match="image must be a floating-point tensor"):
        fc.sliding_window_predict(net, torch.zeros(1, 40, 40, dtype=torch.uint8), 32)
    with pytest.raises(ValueError, match="window must be an int >= 1"):
        fc.sliding_window_predict(net, image, 0)


def test_conv_flops_counts_multiply_adds_twice():
    net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.Flatten(), nn.Linear(3 * 4 * 4, 5))
    assert summary.conv_flops(net, (2, 6, 6)) == 2 * (2 * 9 * 3 * 16) + 2 * (48 * 5)
