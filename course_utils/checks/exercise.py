"""The declarative core of the exercise checkers.

An `Exercise` is data: the cases to try, the reference solution, how to compare an answer with
it (`answers.same` by default: any form of the right value passes), the known wrong answers with
the hint each deserves, and hints that grow with the student's attempts. Calling it with a
student's function (or, for an exercise without arguments, the answer itself) returns a
`CheckResult` and never raises, whatever it is given (pass / fail / "not solved yet"), so that
"Run all" completes on a student copy.

Hints are progressive: the first wrong answer gets `hints[0]` (a nudge: which case, what is
off), a second, different wrong answer `hints[1]` (the concept), later ones `hints[-1]` (the
formula). An exercise with `reveal=False` (by hand, predict first) never shows the expected
value; the others show it from the second wrong answer on. A recognised mistake always gets its
own hint. The attempts are counted on the exercise (`tried`; `reset()` forgets them).
"""

from __future__ import annotations

import copy
import functools
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from .._core import kept_rng
from .answers import answer_text, conform, difference, plain, same

KINDS = {  # what an exercise asks of the student, as the docs' exercise table names it
    "implement": "write a formula of the notebook as code",
    "by hand": "work it out on paper, then let the code confirm",
    "predict": "commit to a number before the notebook shows it",
    "design": "build something with a non-obvious answer; many answers pass",
}


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


def todo(name: str, what: str = "write your answer") -> CheckResult:
    return CheckResult(name, False, f"not solved yet: {what}.", solved=False)


def call(name: str, fn: Any, *args) -> tuple[Any, CheckResult | None]:
    """(value, None), or (None, the CheckResult) when `fn` is missing, unfinished or fails.

    Without `args`, an answer that is not a function is the value itself."""
    if fn is None:
        return None, todo(name)
    if not callable(fn):
        if not args:
            return fn, None
        return None, CheckResult(name, False, "a function was needed, your answer is "
                                              f"{type(fn).__name__}: define it with `def`.")
    try:
        value = fn(*copy.deepcopy(args))
    except NotImplementedError:
        return None, todo(name, "replace `raise NotImplementedError` with your code")
    except Exception as err:  # the student's bug, reported instead of raised
        return None, CheckResult(name, False, f"your function raised {type(err).__name__}: {err}")
    if value is None:
        return None, CheckResult(name, False, "your function returned None: missing `return`?")
    return value, None


def _safely(fn: Callable[..., Any], *args, default: Any = None) -> Any:
    try:
        return fn(*args)
    except Exception:
        return default


@dataclass
class Exercise:
    """A checker: `exercise(student_fn)` tries every case against the reference.

    reference(*args) gives the expected answer. `outcome(answer, *args)` turns an answer (the
    student's, the reference's, a mistake's) into what is compared — e.g. run a returned layer on
    a test input; by default the answer itself. `compare(got, expected)` decides equality
    (`answers.same` by default). On the first failing case the message names the case, says how
    the student's answer is off and gives the hint of the first `mistakes` entry whose answer the
    student's matches, else `shape` (for a tensor of the wrong shape), else the progressive
    `hints`. `validate(answer, *args)` may return a message for an answer of the wrong kind.
    `kind` is one of `KINDS`.
    """

    name: str
    cases: Sequence[Case] | Callable[[], Sequence[Case]]
    reference: Callable[..., Any]
    hints: Sequence[str]
    passed: str
    mistakes: Sequence[Mistake] = ()
    outcome: Callable[..., Any] | None = None
    compare: Callable[[Any, Any], bool] = same
    validate: Callable[..., str | None] | None = None
    show: Callable[[Any], str] = answer_text
    shape: str | None = None  # the hint for a tensor answer of the wrong shape
    reveal: bool = True  # False: never show the expected value (by hand, predict first)
    kind: str = "implement"
    tried: set = field(default_factory=set, repr=False, compare=False)
    _memo: dict = field(default_factory=dict, repr=False, compare=False)  # cases, expected values

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}; got {self.kind!r}")
        if isinstance(self.hints, str) or not self.hints:
            raise ValueError("hints must be a non-empty sequence: nudge, concept, formula")

    def reset(self) -> None:
        """Forget the wrong answers tried so far: hints start again from the nudge."""
        self.tried.clear()

    def _outcome(self, answer: Any, args: tuple) -> Any:
        return answer if self.outcome is None else self.outcome(answer, *copy.deepcopy(args))

    def _same(self, got: Any, expected: Any) -> bool:
        return bool(_safely(self.compare, got, expected, default=False))

    def _cases(self) -> Sequence[Case]:
        if "cases" not in self._memo:  # the cases are deterministic: build them once
            self._memo["cases"] = self.cases() if callable(self.cases) else self.cases
        return self._memo["cases"]

    def _expected(self, index: int, case: Case) -> Any:
        key = ("expected", index)
        if key not in self._memo:
            self._memo[key] = self._outcome(self.reference(*copy.deepcopy(case.args)), case.args)
        return self._memo[key]

    def _mistake_outcome(self, index: int, mistake: Mistake, case: Case) -> Any:
        key = ("mistake", index, id(mistake))
        if key not in self._memo:
            try:
                self._memo[key] = (True, self._outcome(mistake.answer(*copy.deepcopy(case.args)),
                                                       case.args))
            except Exception:  # a mistake that cannot even run matches nothing
                self._memo[key] = (False, None)
        return self._memo[key]

    def _matches(self, got_outcome: Any, mistake: Mistake, index: int, case: Case) -> bool:
        ran, wrong = self._mistake_outcome(index, mistake, case)
        return ran and self._same(got_outcome, wrong)

    def shape_hint(self, got: Any, expected: Any) -> str | None:
        """The `shape` hint when a tensor answer has the wrong shape, else None."""
        got, expected = plain(got), plain(expected)
        if (self.shape and isinstance(expected, torch.Tensor) and isinstance(got, torch.Tensor)
                and got.shape != expected.shape):
            return self.shape
        return None

    def __call__(self, fn: Any) -> CheckResult:
        with kept_rng():  # building cases and running answers never moves the caller's stream
            try:
                return self._check(fn)
            except Exception as err:  # the checker itself must never stop "Run all"
                return CheckResult(self.name, False, "this answer could not be checked "
                                   f"({type(err).__name__}: {err}); return "
                                   "what the exercise asks for.")

    def _check(self, fn: Any) -> CheckResult:
        for index, case in enumerate(self._cases()):
            got, failure = call(self.name, fn, *case.args)
            if failure is not None:
                return failure
            problem = _safely(self.validate, got, *case.args) if self.validate else None
            if problem:
                return CheckResult(self.name, False, f"{case.label}: {problem}")
            try:
                got_outcome = self._outcome(got, case.args)
            except Exception as err:
                return CheckResult(self.name, False, f"{case.label}: your answer could not be "
                                                     f"used ({type(err).__name__}: {err}).")
            expected = self._expected(index, case)
            if not self._same(got_outcome, expected):
                return self._failure(index, case, got_outcome, expected)
        return CheckResult(self.name, True, self.passed)

    def _failure(self, index: int, case: Case, got: Any, expected: Any) -> CheckResult:
        fingerprint = (case.label, _safely(lambda: repr(plain(got))[:2000], default=""))
        attempt = len(self.tried - {fingerprint})
        self.tried.add(fingerprint)
        mistake = next((m for m in self.mistakes if self._matches(got, m, index, case)), None)
        if mistake is not None:
            hint = mistake.hint
        else:
            hint = self.shape_hint(got, expected) or self.hints[min(attempt, len(self.hints) - 1)]
        shown = _safely(self.show, got, default=None) or answer_text(got)
        # a custom `show` describes a designed answer's behaviour; a diff of it would be noise
        off = difference(got, expected) if self.show is answer_text else "your answer differs"
        message = f"{case.label}: you gave {shown}" + (
            "" if off == "your answer differs" else f": {off}") + f". Hint: {hint}"
        if self.reveal and attempt >= 1:
            message += f" (the right answer here: {_safely(self.show, expected) or '?'})"
        return CheckResult(self.name, False, message)


def yours_or(answer: Any, check: Callable[[Any], CheckResult],
             reference: Callable[..., Any] | None = None) -> Any:
    """The student's `answer` once `check(answer)` passes, else the course's `reference` (saying
    so in one line); `reference` defaults to the checker's.

    Cells after an exercise reuse the student's function through this: in a student copy whose
    exercise is not solved yet they keep running, and an answer that passed in another form
    (NumPy, a list, another dtype) reaches them in the reference's form (`answers.conform`).
    A function gives a function, a value (an exercise without arguments) a value.
    """
    reference = check.reference if reference is None else reference
    result = check(answer)
    is_value = answer is not None and not callable(answer)
    if not result:
        print(f"{result.name}: [{result.mark}] using the course's reference until your exercise "
              "passes")
        return reference() if is_value and callable(reference) else reference
    if is_value:
        return conform(answer, reference() if callable(reference) else reference)

    @functools.wraps(answer)
    def conformed(*args, **kwargs):
        return conform(answer(*args, **kwargs), reference(*args, **kwargs))

    return conformed
