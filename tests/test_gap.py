import pytest
import torch
from torch import nn

from course_utils import gap, models


@pytest.fixture(scope="module")
def gap_net():
    torch.manual_seed(0)
    return models.nin("gap", input_size=28).eval()


@pytest.fixture(scope="module")
def linear_head_net():
    torch.manual_seed(1)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.Conv2d(6, 5, 3, stride=2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 4)).eval()


def test_pure_gap_cam_is_the_class_map(gap_net):
    x = torch.rand(3, 1, 28, 28)
    maps = gap.class_activation_maps(gap_net, x, upsample=False)
    with torch.no_grad():
        class_maps = gap_net[:-2](x)  # everything before AdaptiveAvgPool2d and Flatten
        logits = gap_net(x)
    assert maps.shape == (3, 10, 7, 7)
    assert torch.allclose(maps, class_maps)
    assert torch.allclose(maps.mean((-2, -1)), logits, atol=1e-5)  # S_c = sum M_c / (h*w)
    one = gap.class_activation_map(gap_net, x[1], 7, upsample=False)
    assert torch.allclose(one, class_maps[1, 7])


def test_linear_head_cam_sums_give_the_logits(linear_head_net):
    x = torch.rand(2, 1, 20, 16)
    maps = gap.class_activation_maps(linear_head_net, x, upsample=False)
    with torch.no_grad():
        logits = linear_head_net(x)
        features = linear_head_net[:3](x)
    weight, bias = linear_head_net[-1].weight, linear_head_net[-1].bias
    assert maps.shape == (2, 4) + features.shape[-2:]
    expected = (weight[None, :, :, None, None] * features[:, None]).sum(2)
    assert torch.allclose(maps, expected, atol=1e-6)
    assert torch.allclose(maps.mean((-2, -1)) + bias, logits, atol=1e-5)


def test_cams_are_upsampled_to_the_image(gap_net):
    x = torch.rand(2, 1, 40, 36)
    maps = gap.class_activation_maps(gap_net, x)
    assert maps.shape == (2, 10, 40, 36)
    low = gap.class_activation_maps(gap_net, x, upsample=False)
    assert maps.amax() <= low.amax() + 1e-5 and maps.amin() >= low.amin() - 1e-5
    assert gap.class_activation_map(gap_net, x[0], 3).shape == (40, 36)


def test_cam_restores_training_mode(gap_net):
    net = models.nin("gap").train()
    gap.class_activation_maps(net, torch.rand(1, 1, 32, 32))
    assert net.training


def test_split_gap_model(linear_head_net, gap_net):
    features, linear = gap.split_gap_model(linear_head_net)
    assert linear is linear_head_net[-1] and len(features) == 3
    features, linear = gap.split_gap_model(gap_net)
    assert linear is None and isinstance(features[-1], nn.Sequential)  # ends with mlpconv3


@pytest.mark.parametrize("model, error, match", [
    (models.nin("fc"), ValueError, r"exactly one global average pooling layer .* found 0"),
    (nn.Sequential(nn.Conv2d(1, 2, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3),
                   nn.ReLU(), nn.Linear(3, 2)), ValueError, "only Flatten and one Linear"),
    (nn.Conv2d(1, 2, 1), TypeError, "model must be an nn.Sequential GAP classifier"),
])
def test_models_without_a_gap_head_are_refused(model, error, match):
    with pytest.raises(error, match=match):
        gap.class_activation_maps(model, torch.rand(1, 1, 32, 32))


def test_bad_images_and_class_index(gap_net):
    with pytest.raises(ValueError, match=r"images must be a float tensor of shape \(N, C, H, W\); "
                                         r"got \(1, 28, 28\)"):
        gap.class_activation_maps(gap_net, torch.rand(1, 28, 28))
    with pytest.raises(ValueError, match=r"image must be a tensor of shape \(C, H, W\); "
                                         r"got \(1, 1, 28, 28\)"):
        gap.class_activation_map(gap_net, torch.rand(1, 1, 28, 28), 0)
    for bad in (10, -1, 2.0):
        with pytest.raises(ValueError, match=r"class_index must be an int in \[0, 9\]"):
            gap.class_activation_map(gap_net, torch.rand(1, 28, 28), bad)


def test_cam_segmentation_thresholds_the_strongest_class():
    maps = torch.zeros(1, 3, 2, 4)
    maps[0, 0, 0, 0] = 10.0   # peak: class 0
    maps[0, 2, 0, 1] = 6.0    # class 2, 60 % of the peak
    maps[0, 1, 1, 2] = 3.0    # class 1, 30 %
    maps[0, 0, 1, 3] = -5.0   # negative everywhere: background
    seg = gap.cam_segmentation(maps, threshold=0.5)
    assert seg.dtype == torch.int64
    assert seg.tolist() == [[[1, 3, 0, 0], [0, 0, 0, 0]]]
    assert gap.cam_segmentation(maps, threshold=0.2).tolist() == [[[1, 3, 0, 0], [0, 0, 2, 0]]]
    assert gap.cam_segmentation(-maps.abs(), 0.0).count_nonzero() == 0


def test_cam_segmentation_bad_input():
    with pytest.raises(ValueError, match=r"maps must be a tensor of shape \(N, K, H, W\)"):
        gap.cam_segmentation(torch.zeros(3, 4, 4))
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        gap.cam_segmentation(torch.zeros(1, 3, 4, 4), 1.5)
