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
