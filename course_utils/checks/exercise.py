"""The declarative core of the exercise checkers.

An `Exercise` is data: the cases to try, the reference solution, how to compare an answer with
it, and the known wrong answers, each with the hint it deserves. Calling it with a student's
function returns a `CheckResult` and never raises for a wrong or unfinished answer (pass / fail /
"not solved yet"), so that "Run all" completes on a student copy.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .._core import kept_rng


@dataclass
class CheckResult:
    """Outcome of one exercise check; truthy only when passed."""

    name: str
    passed: bool
    message: str
    solved: bool = True  # False while the stub still raises NotImplementedError (or is None)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def mark(self) -> str:
        return "PASS" if self.passed else ("TODO" if not self.solved else "FAIL")

    def __repr__(self) -> str:
        return f"[{self.mark}] {self.name}: {self.message}"

    def _repr_html_(self) -> str:
        color = {"PASS": "#1a7f37", "TODO": "#9a6700", "FAIL": "#cf222e"}[self.mark]
        return (f'<div style="border-left:4px solid {color};padding:2px 8px">'
                f'<b style="color:{color}">{self.mark}</b> <code>{html.escape(self.name)}</code>: '
                f"{html.escape(self.message)}</div>")


@dataclass(frozen=True)
class Case:
    """One call of the student's function: its arguments and how to name them in a message."""

    args: tuple
    label: str


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer (a function of the case's arguments) and the hint it earns."""

    answer: Callable[..., Any]
    hint: str


def answer_text(value: Any) -> str:
    """A short text for an answer in a message: a tensor by its shape, anything else by repr."""
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}" if value.numel() > 6 else str(
            [round(v, 4) for v in value.flatten().tolist()])
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def same(got: Any, expected: Any, tol: float = 1e-6) -> bool:
    """Answer equality: tensors (same shape, values within tol), numbers within tol, sequences
    element-wise; anything else with ==. Never raises."""
    try:
        if isinstance(expected, torch.Tensor):
            got = torch.as_tensor(got, dtype=expected.dtype if expected.is_floating_point()
                                  else None)
            return got.shape == expected.shape and bool(
                torch.allclose(got.to(expected.dtype), expected, atol=tol, rtol=tol))
        if isinstance(expected, bool) or isinstance(got, bool):
            return got == expected
        if isinstance(expected, (int, float)):
            return isinstance(got, (int, float)) and abs(float(got) - float(expected)) <= tol
        if isinstance(expected, (tuple, list)):
            return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                    and all(same(g, e, tol) for g, e in zip(got, expected)))
        return bool(got == expected)
    except Exception:
        return False


def call(name: str, fn: Callable, *args) -> tuple[Any, CheckResult | None]:
    """(value, None), or (None, the CheckResult) when `fn` is missing, unfinished or fails."""
    if fn is None:
        return None, CheckResult(name, False, "not solved yet: write your answer.", solved=False)
    if not callable(fn):
        return None, CheckResult(name, False, f"expected a function, got {type(fn).__name__}.")
    try:
        value = fn(*copy.deepcopy(args))
    except NotImplementedError:
        return None, CheckResult(
            name, False, "not solved yet: replace `raise NotImplementedError` with your code.",
            solved=False)
    except Exception as err:  # the student's bug, reported instead of raised
        return None, CheckResult(name, False, f"your function raised {type(err).__name__}: {err}")
    if value is None:
        return None, CheckResult(name, False, "your function returned None: missing `return`?")
    return value, None


@dataclass
class Exercise:
    """A checker: `exercise(student_fn)` tries every case against the reference.

    reference(*args) gives the expected answer. `outcome(answer, *args)` turns an answer (the
    student's, the reference's, a mistake's) into what is compared — e.g. run a returned layer on
    a test input; by default the answer itself. `compare(got, expected)` decides equality
    (`same` by default). On the first failing case the message names the case, shows both answers
    and gives the hint of the first `mistakes` entry whose answer the student's matches, else
    `shape` (for a tensor of the wrong shape), else `hint`. `validate(answer, *args)` may return a
    message for an answer of the wrong kind.
    """

    name: str
    cases: Sequence[Case] | Callable[[], Sequence[Case]]
    reference: Callable[..., Any]
    hint: str
    passed: str
    mistakes: Sequence[Mistake] = ()
    outcome: Callable[..., Any] | None = None
    compare: Callable[[Any, Any], bool] = same
    validate: Callable[..., str | None] | None = None
    show: Callable[[Any], str] = answer_text
    shape: str | None = None  # the hint for a tensor answer of the wrong shape

    def _matches(self, got_outcome: Any, mistake: Mistake, case: Case) -> bool:
        try:
            wrong = self._outcome(mistake.answer(*copy.deepcopy(case.args)), case.args)
        except Exception:  # a mistake that cannot even run matches nothing
            return False
        return self.compare(got_outcome, wrong)

    def shape_hint(self, got: Any, expected: Any) -> str | None:
        """The `shape` hint when a tensor answer has the wrong shape, else None."""
        if (self.shape and isinstance(expected, torch.Tensor) and isinstance(got, torch.Tensor)
                and got.shape != expected.shape):
            return self.shape
        return None

    def _outcome(self, answer: Any, args: tuple) -> Any:
        return answer if self.outcome is None else self.outcome(answer, *copy.deepcopy(args))

    def __call__(self, fn: Callable) -> CheckResult:
        with kept_rng():  # building cases and running answers never moves the caller's stream
            return self._check(fn)

    def _check(self, fn: Callable) -> CheckResult:
        cases = self.cases() if callable(self.cases) else self.cases
        for case in cases:
            got, failure = call(self.name, fn, *case.args)
            if failure is not None:
                return failure
            problem = self.validate(got, *case.args) if self.validate else None
            if problem:
                return CheckResult(self.name, False, f"{case.label}: {problem}")
            try:
                got_outcome = self._outcome(got, case.args)
            except Exception as err:
                return CheckResult(self.name, False, f"{case.label}: your answer could not be "
                                                     f"used ({type(err).__name__}: {err}).")
            expected = self._outcome(self.reference(*copy.deepcopy(case.args)), case.args)
            if self.compare(got_outcome, expected):
                continue
            hint = next((m.hint for m in self.mistakes if self._matches(got_outcome, m, case)),
                        self.shape_hint(got_outcome, expected) or self.hint)
            return CheckResult(self.name, False, f"{case.label}: got {self.show(got_outcome)}, "
                                                 f"expected {self.show(expected)}. Hint: {hint}")
        return CheckResult(self.name, True, self.passed)


def yours_or(fn: Callable, check: Callable[[Callable], CheckResult], reference: Callable):
    """`fn` when `check(fn)` passes, else the course's `reference` (saying so in one line).

    Cells after an exercise that reuse the student's function keep running in a student copy
    whose exercise is not solved yet.
    """
    result = check(fn)
    if result:
        return fn
    print(f"{result.name}: [{result.mark}] using the course's reference until your exercise "
          "passes")
    return reference
