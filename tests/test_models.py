import pytest
import torch

from course_utils import models, summary


def test_lenet5_shapes_and_counts():
    net = models.lenet5()
    assert net(torch.zeros(3, 1, 32, 32)).shape == (3, 10)
    assert summary.count_parameters(net) == 61_706
    assert summary.count_parameters(models.lenet5(in_channels=3)) == 61_706 + 300
    assert isinstance(models.lenet5(activation="tanh").act1, torch.nn.Tanh)


def test_mlp_matches_the_lecture():
    net = models.mlp(1024, 84, 10)
    assert summary.count_parameters(net) == 86_950
    assert net(torch.zeros(2, 1, 32, 32)).shape == (2, 10)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        models.lenet5(activation="sigmoid")
    with pytest.raises(ValueError, match="in_channels and num_classes"):
        models.lenet5(in_channels=0)
    with pytest.raises(ValueError, match="in_features, hidden, num_classes"):
        models.mlp(hidden=0)


def test_vgg_features_match_torchvision_vgg16():
    import torchvision

    with torch.device("meta"):
        ours, theirs = models.vgg_features(), torchvision.models.vgg16().features
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert summary.count_parameters(ours) == summary.count_parameters(theirs) == 14_714_688
    small = models.vgg_features(models.SMALL_VGG_CFG, in_channels=1)
    assert small(torch.zeros(1, 1, 32, 32)).shape == (1, 64, 4, 4)
    with pytest.raises(ValueError, match="cfg entries must be positive ints or 'M'"):
        models.vgg_features((16, "P"))
    with pytest.raises(ValueError, match="in_channels must be >= 1"):
        models.vgg_features(in_channels=0)


def test_mlpconv_is_a_conv_then_1x1_convs():
    block = models.mlpconv(3, (8, 6, 4), kernel_size=5, final_relu=False)
    convs = [m for m in block if isinstance(m, torch.nn.Conv2d)]
    assert [tuple(c.kernel_size) for c in convs] == [(5, 5), (1, 1), (1, 1)]
    assert [c.out_channels for c in convs] == [8, 6, 4]
    assert sum(isinstance(m, torch.nn.ReLU) for m in block) == 2
    assert block(torch.zeros(2, 3, 9, 7)).shape == (2, 4, 9, 7)
    normed = models.mlpconv(3, (8, 6), batch_norm=True)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in normed) == 2
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        models.mlpconv(3, (8,), kernel_size=4)
    with pytest.raises(ValueError, match="in_channels and channels must be positive"):
        models.mlpconv(3, ())


def test_nin_heads_parameter_counts():
    counts = {head: summary.count_parameters(models.nin(head)) for head in models.NIN_HEADS}
    body = summary.count_parameters(models.nin("gap"))
    # body: mlpconv1 (1*25*16+16 + 2*(16*16+16)) + mlpconv2 (16*9*32+32 + 2*(32*32+32))
    #       + mlpconv3 (32*9*32+32 + 32*32+32 + 32*10+10)
    assert body == (416 + 544) + (4640 + 2112) + (9248 + 1056 + 330) == 18_346
    fc_head = (10 * 8 * 8 * 128 + 128) + (128 * 10 + 10)
    assert counts == {"fc": body + fc_head, "fc_dropout": body + fc_head, "gap": body}
    fc_dropout = models.nin("fc_dropout")
    assert sum(isinstance(m, torch.nn.Dropout) for m in fc_dropout) == 1
    assert not any(isinstance(m, torch.nn.Dropout) for m in models.nin("fc"))


def test_nin_gap_accepts_any_size_and_fc_only_its_own():
    gap_net, fc_net = models.nin("gap", input_size=28), models.nin("fc", input_size=28)
    for size in (28, 32, 44, 96):
        assert gap_net(torch.zeros(2, 1, size, size)).shape == (2, 10)
    assert fc_net(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(RuntimeError):
        fc_net(torch.zeros(2, 1, 32, 32))
    body_out = gap_net[:-2](torch.zeros(1, 1, 28, 28))
    assert body_out.shape == (1, 10, 7, 7)  # exactly one map per class


@pytest.mark.parametrize("kwargs, match", [
    ({"head": "softmax"}, r"head must be one of \('fc', 'fc_dropout', 'gap'\)"),
    ({"widths": (16, 32)}, "widths must give 3 positive"),
    ({"input_size": 30}, "input_size must be a positive multiple of 4"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
])
def test_nin_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.nin(**kwargs)
