import pytest
import torch
from torch import nn

from course_utils import fcn, models


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    return models.digit_vgg(widths=(4, 4, 8, 8, 8), hidden=8)


def test_digit_vgg_shapes():
    net = models.digit_vgg()
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)
    assert net.block5(net.block4(net.block3(net.block2(net.block1(
        torch.zeros(1, 1, 32, 32)))))).shape == (1, 64, 1, 1)
    assert len([m for m in models.digit_vgg(convs_per_block=2).modules()
                if isinstance(m, nn.Conv2d)]) == 10
    with pytest.raises(ValueError, match="widths must give 5 positive channel counts"):
        models.digit_vgg(widths=(8, 8))


def test_new_score_layers_start_at_zero(classifier):
    net = fcn.SkipFCN(classifier, num_classes=11)
    out = net(torch.rand(2, 1, 64, 96))
    assert out.shape == (2, 11, 64, 96) and out.abs().max() == 0
    assert net.fc6.kernel_size == (1, 1)  # fc6 migrated by fully_convolutional.linear_to_conv


def test_finer_stages_start_with_the_coarser_predictions(classifier):
    torch.manual_seed(1)
    fcn32 = fcn.SkipFCN(classifier, num_classes=11, stride=32)
    with torch.no_grad():  # pretend FCN-32s was trained: non-zero score and upsampling weights
        for p in list(fcn32.score.parameters()) + list(fcn32.up.parameters()):
            p.add_(torch.randn_like(p) * 0.1)
    x = torch.rand(3, 1, 64, 64)
    fcn16 = fcn32.with_stride(16)
    assert torch.equal(fcn16(x), fcn32(x))
    with torch.no_grad():
        fcn16.score_pool4.weight.normal_()  # "train" the pool4 skip
    assert not torch.equal(fcn16(x), fcn32(x))
    fcn8 = fcn16.with_stride(8)
    assert torch.equal(fcn8(x), fcn16(x))
    assert fcn8.stride == 8 and fcn16.stride == 16 and fcn32.stride == 32


def test_fc6_keeps_the_classifier_function(classifier):
    net = fcn.SkipFCN(classifier, num_classes=11)
    x = torch.rand(4, 1, 32, 32)
    with torch.no_grad():
        feats = net.backbone(x)["pool5"]
        expected = classifier.relu6(classifier.fc6(classifier.flatten(feats)))
        got = net.relu6(net.fc6(feats)).flatten(1)
    assert torch.allclose(got, expected, atol=1e-6)


def test_bad_input(classifier):
    with pytest.raises(ValueError, match=r"stride must be one of \(32, 16, 8\)"):
        fcn.SkipFCN(classifier, 11, stride=4)
    with pytest.raises(ValueError, match="must expose named feature maps"):
        fcn.SkipFCN(nn.Sequential(nn.Conv2d(1, 1, 3)), 11)
    net = fcn.SkipFCN(classifier, 11)
    with pytest.raises(ValueError, match="multiples of 32; got 40x64"):
        net(torch.zeros(1, 1, 40, 64))
    with pytest.raises(ValueError, match="stride must be one of"):
        net.with_stride(2)


def test_the_classifier_names_its_feature_maps(classifier):
    maps = classifier.feature_maps()
    x = torch.rand(2, 1, 64, 96)
    with torch.no_grad():
        out = maps(x)
    assert list(out) == ["pool1", "pool2", "pool3", "pool4", "pool5"]
    for name, stride in maps.strides.items():
        assert out[name].shape == (2, maps.channels[name], 64 // stride, 96 // stride)
    assert maps.channels == {"pool1": 4, "pool2": 4, "pool3": 8, "pool4": 8, "pool5": 8}


@pytest.mark.parametrize("learn", [True, False])
def test_upsamplers_learn_only_when_asked(classifier, learn):
    from course_utils import upsampling

    net = fcn.SkipFCN(classifier, num_classes=3, stride=8, learn_upsampling=learn)
    nn.init.normal_(net.score.weight)  # non-zero scores, so that the upsamplers get gradients
    optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.1)
    scores = net(torch.randn(2, 1, 64, 64))
    nn.functional.cross_entropy(scores, torch.randint(0, 3, (2, 64, 64))).backward()
    optimizer.step()
    bilinear = upsampling.bilinear_kernel(2, 3)
    moved = [not torch.equal(up.weight, bilinear) for up in net.up]
    assert moved == [learn] * 5
    assert all(up.weight.requires_grad == learn for up in net.with_stride(16).up)


def test_sampled_loss_keeps_a_seeded_share_of_the_pixels():
    scores = torch.randn(4, 3, 32, 32, requires_grad=True)
    target = torch.randint(0, 3, (4, 32, 32))
    target[:, :4] = 255  # void rows stay out
    loss = fcn.SampledCrossEntropyLoss(keep=0.25, seed=1)
    value = loss(scores, target)
    value.backward()
    kept = scores.grad.abs().sum(1) > 0
    assert not kept[:, :4].any()
    assert 0.2 < kept[:, 4:].float().mean() < 0.3
    # the same pixels through a plain cross-entropy give the same value
    sampled = torch.where(kept, target, torch.full_like(target, 255))
    assert torch.allclose(value, nn.functional.cross_entropy(scores, sampled, ignore_index=255))
    again = fcn.SampledCrossEntropyLoss(keep=0.25, seed=1)(scores, target)
    assert torch.equal(again, value)  # seeded
    assert torch.allclose(fcn.SampledCrossEntropyLoss(keep=1.0)(scores, target),
                          nn.functional.cross_entropy(scores, target, ignore_index=255))


def test_sampled_loss_bad_input():
    with pytest.raises(ValueError, match=r"keep must be a probability in \(0, 1\]"):
        fcn.SampledCrossEntropyLoss(keep=0)
    loss = fcn.SampledCrossEntropyLoss(keep=0.5)
    with pytest.raises(ValueError, match=r"scores must have shape \(N, K, H, W\)"):
        loss(torch.zeros(3, 8, 8), torch.zeros(3, 8, 8, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"target must have shape \(2, 8, 8\) to match scores"):
        loss(torch.zeros(2, 3, 8, 8), torch.zeros(2, 4, 8, dtype=torch.int64))
