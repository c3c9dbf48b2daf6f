"""Every checker: the reference passes, every known mistake earns its own hint, hints grow with
the attempts, an unsolved stub is TODO, and no answer, however hostile, makes a checker raise."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import checks
from course_utils.checks.answers import plain

EXERCISES = sorted(checks.EXERCISES.items())


def cases_of(exercise):
    return exercise.cases() if callable(exercise.cases) else exercise.cases


@pytest.fixture(autouse=True)
def fresh_attempts():
    for exercise in checks.EXERCISES.values():
        exercise.reset()
    yield


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
    assert len(exercise.mistakes) >= 3, f"{name}: register at least three typical wrong answers"
    for mistake in exercise.mistakes:
        assert not exercise(mistake.answer) or False
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
    if any(case.args for case in cases_of(exercise)):
        assert "a function was needed" in exercise(42).message


class Hostile:
    """An answer that raises on everything a checker might try."""

    def __getattr__(self, name):
        raise RuntimeError(f"hostile {name}")

    def __eq__(self, other):
        raise RuntimeError("hostile ==")

    __ne__ = __lt__ = __gt__ = __le__ = __ge__ = __eq__
    __hash__ = None

    def __len__(self):
        raise RuntimeError("hostile len")

    def __iter__(self):
        raise RuntimeError("hostile iter")

    def __float__(self):
        raise RuntimeError("hostile float")

    __int__ = __index__ = __bool__ = __float__


HOSTILE_VALUES = [
    Hostile(), float("nan"), math.inf, -1, 10**100, 1e308, "23", b"x", {1: 2}, {3}, 1j,
    (i for i in range(3)), [1, [2, 3]], [], (), np.array(["a"]), np.empty((0, 3)),
    np.array([1, None], dtype=object), torch.zeros(0), torch.ones(3, dtype=torch.bool),
    torch.ones(2, 2, dtype=torch.complex64), torch.full((3, 3), float("nan")),
    torch.empty(3, 3, device="meta"), torch.ones(3, 3, requires_grad=True), nn.Linear(2, 2),
    nn.Sequential(), torch.ones(10**4), np.float16(3.5), type, print,
]


@pytest.mark.parametrize("name, exercise", EXERCISES)
def test_no_checker_raises_whatever_the_answer(name, exercise):
    has_args = any(case.args for case in cases_of(exercise))
    for value in HOSTILE_VALUES:
        answers = [lambda *args, v=value: v] + ([] if has_args else [value])
        for answer in answers:
            result = exercise(answer)
            assert isinstance(result, checks.CheckResult) and isinstance(result.message, str)
            assert not result, (name, value, result)
    for strange in (lambda: 1, lambda a, b, c, d, e, f, g: 1, Hostile):
        assert isinstance(exercise(strange), checks.CheckResult)


@pytest.mark.parametrize("value", HOSTILE_VALUES[:12] + [None, nn.Conv2d(1, 1, 5)],
                         ids=lambda value: type(value).__name__)
def test_rf_design_never_raises(value):
    result = checks.rf_design(value)
    assert isinstance(result, checks.CheckResult) and not result


def perturbed(value, k: int):
    """A wrong answer of the reference's form, different for each k, matching no mistake."""
    value = plain(value)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 7 * k + 3
    if isinstance(value, float):
        return value * (1.37 + 0.11 * k) + 0.013
    if isinstance(value, torch.Tensor):
        wrong = value.clone().double()
        wrong.view(-1)[0] += 0.71 + k
        return wrong
    if isinstance(value, list):
        return [perturbed(value[0], k)] + value[1:]
    raise TypeError(type(value))


PLAIN_ANSWERS = [(n, e) for n, e in EXERCISES if e.outcome is None]


@pytest.mark.parametrize("name, exercise", PLAIN_ANSWERS)
def test_hints_nudge_first_then_teach_then_tell(name, exercise):
    first = cases_of(exercise)[0]
    expected = exercise.reference(*first.args)

    def wrong(k):
        answer = perturbed(expected, k)
        return (lambda *args: answer) if first.args else answer

    messages = [exercise(wrong(k)).message for k in range(3)]
    assert all(m.startswith(first.label) and "Hint: " in m for m in messages)
    assert not any(f"Hint: {m.hint}" in message for m in exercise.mistakes
                   for message in messages), "a perturbed answer should match no mistake"
    hints = list(exercise.hints)
    assert f"Hint: {hints[0]}" in messages[0]
    assert f"Hint: {hints[min(1, len(hints) - 1)]}" in messages[1]
    assert f"Hint: {hints[-1]}" in messages[2]
    assert "right answer" not in messages[0], "the first failure nudges, it does not tell"
    assert ("right answer" in messages[1]) == exercise.reveal
    again = exercise(wrong(2)).message
    assert f"Hint: {hints[-1]}" in again  # the same wrong answer again: no new level, no reset


@pytest.mark.parametrize("name, exercise", [(n, e) for n, e in EXERCISES if not e.reveal])
def test_by_hand_and_predict_exercises_never_give_the_answer_away(name, exercise):
    first = cases_of(exercise)[0]
    expected = plain(exercise.reference(*first.args))
    numbers = [v for v in (expected if isinstance(expected, list) else [expected])]
    for k in range(6):
        answer = perturbed(expected, k)
        message = exercise((lambda *args, a=answer: a) if first.args else answer).message
        assert "right answer" not in message
        shown = message.split("Hint:")[0] + message.split("Hint:")[-1]
        for number in numbers:  # the expected numbers appear neither in the diagnosis nor hint
            assert f" {number}," not in shown and f"({number}," not in shown, message


def test_tensor_mismatches_name_the_first_wrong_index_and_the_largest_difference():
    def off_by_one_pixel(image, kernel):
        out = torch.nn.functional.conv2d(image[None, None], kernel[None, None])[0, 0].clone()
        out[2, 1] += 0.5
        return out

    message = checks.conv2d(off_by_one_pixel).message
    assert "1 of 16 values are off, the first at index (2, 1), the largest by 0.5" in message


def test_a_tensor_of_the_wrong_shape_gets_the_shape_hint():
    result = checks.conv2d(lambda image, kernel: torch.zeros_like(image))
    assert "Hint: a 'valid' convolution has H - kh + 1 rows" in result.message
    assert "shape (6, 6) where (4, 4) was needed" in result.message


def test_an_answer_of_the_wrong_kind_is_explained():
    result = checks.linear_to_conv(lambda linear, volume: nn.Linear(3, 3))
    assert result.mark == "FAIL" and "return an nn.Conv2d, not Linear" in result.message


def test_fcn16_is_checked_on_an_fcn32_without_a_fusion_of_its_own():
    case = cases_of(checks.fcn16_fusion)[0]
    (fcn32,) = case.args
    assert not hasattr(fcn32, "with_stride") and not hasattr(fcn32, "score_pool4")
    result = checks.fcn16_fusion(lambda net: net)
    assert result.mark == "FAIL" and "score_pool4" in result.message


def test_integer_answers_must_be_whole_numbers():
    half_pixel = checks.centre_pixel(lambda dy, dx, i, j: (dy + 4 * i + 16.5, dx + 4 * j + 16.5))
    assert not half_pixel and "not a whole number" in half_pixel.message
    assert checks.centre_pixel(lambda dy, dx, i, j: (dy + 4.0 * i + 16, np.int64(dx + 4 * j + 16)))


def test_diagonal_edge_kernel_is_a_design_many_kernels_pass():
    sobel_diagonal = [[-2, -1, 0], [-1, 0, 1], [0, 1, 2]]
    assert checks.diagonal_edge_kernel(lambda: sobel_diagonal)  # a list of ints
    assert checks.diagonal_edge_kernel(lambda: 0.5 * np.array(sobel_diagonal))
    assert checks.diagonal_edge_kernel(np.array(sobel_diagonal))  # the kernel itself, no function
    assert not checks.diagonal_edge_kernel(lambda: torch.zeros(3, 3))
    wrong_size = checks.diagonal_edge_kernel(lambda: torch.zeros(5, 5))
    assert "return a 3x3 kernel" in wrong_size.message


def test_rf_design_measures_coverage_applications_and_pooling():
    dilated = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=2**i, padding=2**i) for i in range(6)])
    assert checks.rf_design(dilated)
    strided = nn.Sequential(*[nn.Conv2d(1, 1, 3, stride=2) for _ in range(6)])
    assert checks.rf_design(strided)
    plain_stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(6)])
    result = checks.rf_design(plain_stack)
    assert not result and "only 13x13" in result.message
    holes = checks.rf_design(nn.Sequential(nn.Conv2d(1, 1, 3, dilation=32, padding=32)))
    assert not holes and "spans 65x65 pixels, but has holes" in holes.message

    class Repeated(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            for _ in range(40):
                x = self.conv(x)
            return x

    assert "applies a 3x3 convolution 40 times" in checks.rf_design(Repeated()).message

    class FunctionalPool(Repeated):
        def forward(self, x):
            return self.conv(torch.nn.functional.max_pool2d(x, 2))

    assert "no pooling" in checks.rf_design(FunctionalPool()).message
    pooled = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
    assert "no pooling" in checks.rf_design(pooled).message
    assert checks.rf_design(None).solved is False


def test_the_by_hand_network_is_the_one_the_engine_measures():
    from course_utils import receptive_field as rf

    final = rf.receptive_fields(checks.hand_network(), (1, 64, 64)).final
    assert (final.size[0], final.stride[0]) == (23, 4)
    assert checks.receptive_field_by_hand((23, 4))
    assert checks.receptive_field_by_hand([np.int64(23), torch.tensor(4)])
    assert checks.receptive_field_by_hand(lambda: (23, 4))


def test_cam_threshold_cases_separate_the_metrics():
    from course_utils import gap, metrics

    for case in cases_of(checks.cam_threshold):
        cams, labels, thresholds = case.args
        best = {score: max(thresholds, key=lambda t: getattr(metrics.segmentation_scores(
            gap.cam_segmentation(cams, t), labels, cams.shape[1] + 1), score))
            for score in ("mean_iu", "pixel_acc", "mean_acc")}
        assert len(set(best.values())) == 3, (case.label, best)


def test_results_show_in_text_and_html():
    result = checks.conv_parameters(lambda cin, cout, k: 0)
    assert repr(result).startswith("[FAIL] conv_parameters: in=1, out=6, k=5: you gave 0: too "
                                   "small. Hint: count the parts of one filter first")
    assert "<b style" in result._repr_html_() and "FAIL" in result._repr_html_()


def test_yours_or_falls_back_to_the_reference_until_the_exercise_passes(capsys):
    from course_utils import receptive_field as rf

    def unsolved(layers):
        raise NotImplementedError

    mine = checks.yours_or(lambda layers: list(rf.chain(layers)), checks.receptive_field_chain)
    assert capsys.readouterr().out == ""
    assert mine([(3, 1, 1, 1)]) == (3, 1, 1) and isinstance(mine([(3, 1, 1, 1)]), tuple)
    assert checks.yours_or(unsolved, checks.receptive_field_chain, rf.chain) is rf.chain
    assert "[TODO] using the course's reference" in capsys.readouterr().out
    wrong = checks.yours_or(lambda layers: (1, 1, 0), checks.receptive_field_chain, rf.chain)
    assert wrong is rf.chain and "[FAIL]" in capsys.readouterr().out


def test_yours_or_hands_later_cells_the_reference_form():
    kernel = checks.yours_or(lambda: [[-1, -1, 0], [-1, 0, 1], [0, 1, 1]],
                             checks.diagonal_edge_kernel)()
    assert isinstance(kernel, torch.Tensor) and kernel.dtype == torch.float32
    threshold = checks.yours_or(
        lambda cams, labels, thresholds: torch.tensor(thresholds)[
            thresholds.index(checks.cam_threshold.reference(cams, labels, thresholds))],
        checks.cam_threshold)
    cams, labels, thresholds = cases_of(checks.cam_threshold)[0].args
    assert threshold(cams, labels, thresholds) in thresholds  # float32 rounding snapped back
