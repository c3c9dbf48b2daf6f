"""The three promises every helper keeps to its caller: the global random stream, a model's
train/eval mode and its BatchNorm statistics are the same after the call as before it."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import checks, fully_convolutional, summary
from course_utils import receptive_field as rf
from course_utils.receptive_field import gradient as rg


def bn_classifier() -> nn.Sequential:
    """A small classifier with BatchNorm and dropout, left in training mode."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 7 * 7, 3)).train()


class Untraceable(nn.Module):
    """Data-dependent control flow: the RF engine falls back to forward hooks."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())

    def forward(self, x):
        if x.sum() > 0:
            x = x * 1
        return self.body(x)


def fcn_of(model):
    return fully_convolutional.to_fully_convolutional(model, (1, 16, 16))


MEASURES = {  # name: (the model it measures, the call)
    "summary": (bn_classifier, lambda m: summary.summary(m, (1, 16, 16))),
    "layer_outputs": (bn_classifier, lambda m: summary.layer_outputs(m, torch.rand(2, 1, 16, 16))),
    "conv_flops": (bn_classifier, lambda m: summary.conv_flops(m, (1, 16, 16))),
    "to_fully_convolutional": (bn_classifier, fcn_of),
    "fcn_predict": (lambda: fcn_of(bn_classifier()),
                    lambda m: fully_convolutional.fcn_predict(m, torch.rand(1, 20, 20))),
    "sliding_window_predict": (bn_classifier, lambda m: fully_convolutional.sliding_window_predict(
        m, torch.rand(1, 20, 20), 16, stride=2)),
    "effective_receptive_field": (lambda: bn_classifier()[:3],
                                  lambda m: rg.effective_receptive_field(
                                      m, (1, 16, 16), "2", n_inputs=2, n_inits=2)),
}


@pytest.mark.parametrize("make, measure", MEASURES.values(), ids=MEASURES)
@pytest.mark.parametrize("training", [True, False], ids=["train mode", "eval mode"])
def test_measuring_leaves_mode_and_batchnorm_statistics_alone(make, measure, training):
    model = make().train(training)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    measure(model)
    assert all(m.training == training for m in model.modules())
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_the_hook_fallback_of_the_rf_engine_measures_in_eval_mode():
    model = Untraceable().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.warns(UserWarning, match="could not trace"):
        table = rf.receptive_fields(model, (1, 16, 16))
    assert table.final.size == (3, 3) and model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def exercises():
    return [(name, getattr(checks, name)) for name in checks.__all__
            if isinstance(getattr(checks, name), checks.Exercise)]


@pytest.mark.parametrize("name, exercise", exercises(), ids=[n for n, _ in exercises()])
def test_a_check_never_moves_the_callers_random_stream(name, exercise):
    for answer in (exercise.reference, None, lambda *args: F.relu(torch.zeros(1))):
        torch.manual_seed(321)
        expected = torch.rand(4)
        torch.manual_seed(321)
        exercise(answer)
        assert torch.equal(torch.rand(4), expected), f"{name} moved the stream"


def test_the_effective_rf_leaves_the_stream_alone():
    model = bn_classifier()[:3]
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    rg.effective_receptive_field(model, (1, 16, 16), "2", n_inputs=2, n_inits=3, seed=7)
    assert torch.equal(torch.rand(3), expected)
