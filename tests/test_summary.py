import pytest
import torch
import torchvision
from torch import nn

from course_utils import models, summary


def test_lenet5_table_matches_the_lecture():
    table = summary.summary(models.lenet5(), (1, 32, 32))
    assert table.params_by_layer() == {
        "conv1": 156, "conv2": 2416, "fc1": 48120, "fc2": 10164, "fc3": 850
    }
    assert table.total == table.trainable == 61_706 and table.non_trainable == 0
    assert table.bytes == 61_706 * 4
    shapes = {r.name: r.output_shape for r in table.rows}
    assert shapes["conv1"] == (None, 6, 28, 28)
    assert shapes["flatten"] == (None, 400)
    assert shapes["fc3"] == (None, 10)
    text = str(table)
    assert "conv1 (Conv2d)" in text and "Total params: 61,706 (241.04 KiB)" in text
    assert "Non-trainable params: 0" in text


def test_frozen_parameters_count_as_non_trainable():
    net = models.lenet5()
    for p in net.conv1.parameters():
        p.requires_grad_(False)
    table = summary.summary(net, (1, 32, 32))
    assert table.non_trainable == 156
    assert summary.count_parameters(net, trainable_only=True) == 61_706 - 156


def test_meta_device_vgg16_counts_without_memory():
    with torch.device("meta"):
        vgg = torchvision.models.vgg16()
    table = summary.summary(vgg, (3, 224, 224))
    assert table.total == 138_357_544
    assert table.rows[0].output_shape == (None, 64, 224, 224)


def test_module_called_twice_is_counted_once():
    shared = nn.Linear(4, 4)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = shared

        def forward(self, x):
            return self.lin(self.lin(x))

    table = summary.summary(Twice(), (4,))
    assert len(table.rows) == 2 and sum(r.params for r in table.rows) == 20 == table.total


def test_model_is_left_in_its_training_mode():
    net = models.lenet5().train()
    summary.summary(net, (1, 32, 32))
    assert net.training


def test_layer_outputs_records_every_leaf_in_order():
    net = models.lenet5()
    outs = summary.layer_outputs(net, torch.rand(2, 1, 32, 32))
    assert list(outs) == [n for n, _ in net.named_children()]
    assert outs["pool2"].shape == (2, 16, 5, 5)
    assert not outs["fc3"].requires_grad


@pytest.mark.parametrize("bad", [32, (1, 32, 0), (1, 32.0, 32), "1,32,32"])
def test_bad_input_size_names_the_argument(bad):
    with pytest.raises(ValueError, match="input_size must be a tuple of positive ints"):
        summary.summary(models.lenet5(), bad)


def test_input_the_model_cannot_take_is_explained():
    with pytest.raises(ValueError, match=r"could not run on an input of shape \(1, 1, 64, 64\)"):
        summary.summary(models.lenet5(), (1, 64, 64))


@pytest.mark.parametrize("func, args", [(summary.summary, ((1, 32, 32),)),
                                        (summary.count_parameters, ()),
                                        (summary.layer_outputs, (torch.zeros(1, 1, 32, 32),))])
def test_model_must_be_a_module(func, args):
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        func("lenet", *args)


def test_layer_outputs_needs_a_tensor():
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        summary.layer_outputs(models.lenet5(), [[0.0]])


def test_layer_outputs_survive_in_place_activations():
    net = nn.Sequential(nn.Conv2d(1, 1, 1), nn.ReLU(inplace=True))
    with torch.no_grad():
        net[0].weight.fill_(-1.0)
        net[0].bias.zero_()
    outs = summary.layer_outputs(net, torch.ones(1, 1, 2, 2))
    assert (outs["0"] == -1).all() and (outs["1"] == 0).all()
