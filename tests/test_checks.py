"""Every checker: the reference passes, every known mistake earns its own hint, an unsolved stub
is TODO and a crashing answer is reported, never raised."""

import pytest
import torch
from torch import nn

from course_utils import checks

EXERCISES = sorted(checks.EXERCISES.items())


def test_every_checker_is_an_exercise_of_a_notebook_and_back():
    import re

    import nbformat

    from tools.notebook_rules import ROOT

    called = set()
    for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                         if c.cell_type == "code")
        called |= set(re.findall(r"\bchecks\.(\w+)\(", code))
    checkers = set(checks.EXERCISES) | {"rf_design"}
    assert checkers <= called, f"checkers no notebook uses: {sorted(checkers - called)}"
    helpers = {"yours_or", "hand_network"}  # not checkers: a fallback and a network builder
    assert called - helpers <= checkers, f"unknown checkers: {sorted(called - helpers - checkers)}"


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_the_reference_passes(name, exercise):
    result = exercise(exercise.reference)
    assert result, result
    assert result.mark == "PASS" and result.message == exercise.passed


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_each_mistake_earns_its_hint(name, exercise):
    assert len(exercise.mistakes) >= 2, f"{name}: give at least two typical wrong answers"
    for mistake in exercise.mistakes:
        result = exercise(mistake.answer)
        assert not result and result.solved and result.mark == "FAIL"
        assert f"Hint: {mistake.hint}" in result.message, (name, result.message)


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_unsolved_stubs_are_todo_not_errors(name, exercise):
    def stub(*args):
        raise NotImplementedError

    for unsolved in (stub, None):
        result = exercise(unsolved)
        assert not result and result.mark == "TODO" and "not solved yet" in result.message


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_broken_answers_are_reported(name, exercise):
    crash = exercise(lambda *args: 1 / 0)
    assert crash.mark == "FAIL" and "raised ZeroDivisionError" in crash.message
    forgot = exercise(lambda *args: None)
    assert forgot.mark == "FAIL" and "missing `return`" in forgot.message
    assert "expected a function" in exercise(42).message


def test_a_tensor_of_the_wrong_shape_gets_the_shape_hint():
    result = checks.conv2d(lambda image, kernel: torch.zeros_like(image))
    assert "Hint: a 'valid' convolution has H - kh + 1 rows" in result.message
    assert "got a tensor of shape (6, 6)" in result.message


def test_an_answer_of_the_wrong_kind_is_explained():
    result = checks.linear_to_conv(lambda linear, volume: nn.Linear(3, 3))
    assert result.mark == "FAIL" and "return an nn.Conv2d, not Linear" in result.message
    result = checks.fcn16_fusion(lambda fcn32: fcn32)  # FCN-32s has score_pool4 but never uses it
    assert result.mark == "FAIL" and "Hint: s = up[0]" in result.message


def test_edge_kernel_is_a_design_many_kernels_pass():
    prewitt = torch.tensor([[-1.0, 0.0, 1.0]] * 3)
    assert checks.vertical_edge_kernel(lambda: prewitt)
    assert checks.vertical_edge_kernel(lambda: 0.5 * prewitt)
    assert not checks.vertical_edge_kernel(lambda: torch.zeros(3, 3))
    wrong_size = checks.vertical_edge_kernel(lambda: torch.zeros(5, 5))
    assert "return a 3x3 tensor" in wrong_size.message


def test_rf_design_checker():
    dilated = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=2**i, padding=2**i) for i in range(6)])
    assert checks.rf_design(dilated)
    plain = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(6)])
    result = checks.rf_design(plain)
    assert not result and "only 13x13" in result.message
    pooled = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
    assert "no pooling" in checks.rf_design(pooled).message
    too_deep = nn.Sequential(*[nn.Conv2d(1, 1, 3) for _ in range(7)])
    assert "use 1 to 6 convolutions" in checks.rf_design(too_deep).message
    assert checks.rf_design(None).solved is False


def test_the_by_hand_network_is_the_one_the_engine_measures():
    from course_utils import receptive_field as rf

    final = rf.receptive_fields(checks.hand_network(), (1, 64, 64)).final
    assert (final.size[0], final.stride[0]) == (23, 4)
    assert checks.receptive_field_by_hand(lambda: (23, 4))


def test_results_show_in_text_and_html():
    result = checks.conv_parameters(lambda cin, cout, k: 0)
    assert repr(result).startswith("[FAIL] conv_parameters: in=1, out=6, k=5: got 0, expected 156")
    assert "<b style" in result._repr_html_() and "FAIL" in result._repr_html_()


def test_yours_or_falls_back_to_the_reference_until_the_exercise_passes(capsys):
    from course_utils import receptive_field as rf

    def unsolved(layers):
        raise NotImplementedError

    assert checks.yours_or(rf.chain, checks.receptive_field_chain, len) is rf.chain
    assert capsys.readouterr().out == ""
    assert checks.yours_or(unsolved, checks.receptive_field_chain, rf.chain) is rf.chain
    assert "[TODO] using the course's reference" in capsys.readouterr().out
    wrong = checks.yours_or(lambda layers: (1, 1, 0), checks.receptive_field_chain, rf.chain)
    assert wrong is rf.chain and "[FAIL]" in capsys.readouterr().out
