"""The answer model of the checkers: what counts as the same answer, written any way.

A student may answer with a Python number, a NumPy scalar or array, a tensor (0-d or not, any
dtype, any device), a list or a tuple. `plain` turns all of these into one form (Python numbers,
CPU tensors, lists); `same` compares that form with the reference's: floats with a float32-safe
relative tolerance, integers as integers *in value* (15.0 is pixel 15, 15.5 is no pixel),
sequences element by element. `difference` says how an answer is off without giving the expected
value away, and `conform` gives an answer that passed the reference's type, dtype and device, so
that the cells after an exercise work whatever form the answer took. None of them raises.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

RTOL = 1e-5  # float32 has ~7 significant digits: a float32 computation of a float64 formula
ATOL = 1e-8  # passes, a wrong formula (off by 1e-3 or more) does not


def plain(value: Any) -> Any:
    """Python numbers for scalars (NumPy scalars, 0-d arrays and tensors), detached CPU tensors
    for arrays, lists for tuples and lists (element by element); anything else unchanged."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        value = torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        return value.item() if value.ndim == 0 else value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_tensor(value: Any) -> torch.Tensor | None:
    if isinstance(value, torch.Tensor):
        return value
    try:
        tensor = torch.as_tensor(value)
    except Exception:
        return None
    return tensor if tensor.dtype != torch.bool or isinstance(value, list) else None


def _close(got: float, expected: float, rtol: float, atol: float) -> bool:
    if math.isnan(expected):
        return math.isnan(got)
    return abs(got - expected) <= atol + rtol * abs(expected)


def _whole(value: float) -> bool:
    return math.isfinite(value) and float(value).is_integer()


def same(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether `got` has the value of `expected`, whatever form either takes. Never raises."""
    try:
        return _same(plain(got), plain(expected), rtol, atol)
    except Exception:
        return False


def _same(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    if isinstance(expected, bool):
        return isinstance(got, (bool, int)) and got in (0, 1) and bool(got) == expected
    if _is_number(expected):
        return _same_number(got, expected, rtol, atol)
    if isinstance(expected, torch.Tensor):
        return _same_tensor(got, expected, rtol, atol)
    if isinstance(expected, list):
        if isinstance(got, torch.Tensor) and got.ndim == 1:
            got = got.tolist()
        return (isinstance(got, list) and len(got) == len(expected)
                and all(_same(g, e, rtol, atol) for g, e in zip(got, expected)))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(same(got[k], expected[k], rtol, atol) for k in expected))
    return bool(got == expected)


def _same_number(got: Any, expected: int | float, rtol: float, atol: float) -> bool:
    if not _is_number(got):
        return False
    if isinstance(expected, int):
        return _whole(got) and int(got) == expected
    return _close(float(got), float(expected), rtol, atol)


def _same_tensor(got: Any, expected: torch.Tensor, rtol: float, atol: float) -> bool:
    tensor = _as_tensor(got)
    if tensor is None or tuple(tensor.shape) != tuple(expected.shape):
        return False
    if tensor.is_complex() or expected.is_complex():
        return False
    g, e = tensor.double(), expected.double()
    if not expected.is_floating_point() and not bool((g == g.round()).all()):
        return False
    return bool(torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True).all())


def kind(value: Any) -> str:
    """A few words for the form of an answer: 'an int', 'a float32 tensor of shape (3, 3)'."""
    value = value.detach() if isinstance(value, torch.Tensor) else value
    if isinstance(value, torch.Tensor):
        return f"a {str(value.dtype).removeprefix('torch.')} tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} NumPy array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} values"
    article = "an" if type(value).__name__[0] in "aeiou" else "a"
    return f"{article} {type(value).__name__}"


def difference(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> str:
    """How `got` is off from `expected`, in words that do not give `expected` away (shapes and
    positions are named, values are not). Never raises."""
    try:
        return _difference(plain(got), plain(expected), rtol, atol)
    except Exception:
        return "your answer differs"


def _difference(got: Any, expected: Any, rtol: float, atol: float) -> str:
    if _is_number(expected):
        return _number_difference(got, expected)
    if isinstance(expected, torch.Tensor):
        return _tensor_difference(got, expected, rtol, atol)
    if isinstance(expected, list):
        if isinstance(got, torch.Tensor) and got.ndim == 1:
            got = got.tolist()
        if not isinstance(got, list):
            return f"{len(expected)} values were needed, not {kind(got)}"
        if len(got) != len(expected):
            return f"{len(got)} values where {len(expected)} were needed"
        for i, (g, e) in enumerate(zip(got, expected)):
            if not _same(g, e, rtol, atol):
                return f"entry {i}: {_difference(g, e, rtol, atol)}"
    return "your answer differs"


def _number_difference(got: Any, expected: int | float) -> str:
    if not _is_number(got):
        return f"a number was needed, not {kind(got)}"
    if isinstance(expected, int) and not _whole(got):
        return "not a whole number (the answer counts or indexes pixels)"
    if math.isnan(float(got)):
        return "NaN (a division by zero?)"
    return "too large" if float(got) > float(expected) else "too small"


def _tensor_difference(got: Any, expected: torch.Tensor, rtol: float, atol: float) -> str:
    tensor = _as_tensor(got)
    if tensor is None:
        return f"a tensor (or array) was needed, not {kind(got)}"
    if tuple(tensor.shape) != tuple(expected.shape):
        return f"shape {tuple(tensor.shape)} where {tuple(expected.shape)} was needed"
    g, e = tensor.double(), expected.double()
    if not expected.is_floating_point() and not bool((g == g.round()).all()):
        return "some values are not whole numbers"
    wrong = ~torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    first = tuple(int(i) for i in wrong.nonzero()[0]) if wrong.any() else ()
    gap = (g - e).abs().nan_to_num(nan=math.inf).max().item()
    return (f"{int(wrong.sum())} of {wrong.numel()} values are off, the first at index "
            f"{first}, the largest by {gap:.3g}")


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def answer_text(value: Any) -> str:
    """A short text for an answer in a message: a large tensor by its shape, anything else by
    its value."""
    value = plain(value)
    if isinstance(value, torch.Tensor):
        if value.numel() > 6:
            return kind(value)
        value = [round(v, 4) if isinstance(v, float) else v for v in value.flatten().tolist()]
    text = _short(value) if isinstance(value, float) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def conform(value: Any, like: Any) -> Any:
    """`value` in the form of `like`: the same Python type, tensor dtype and device, tuple or
    list; a number that equals `like` (within the tolerance) becomes `like` itself. Where it
    cannot, `value` unchanged. Never raises."""
    try:
        return _conform(value, like)
    except Exception:
        return value


def _conform(value: Any, like: Any) -> Any:
    if isinstance(like, torch.Tensor):
        tensor = value if isinstance(value, torch.Tensor) else torch.as_tensor(plain(value))
        return tensor.to(dtype=like.dtype, device=like.device)
    if isinstance(like, np.ndarray):
        return np.asarray(plain(value).numpy() if isinstance(plain(value), torch.Tensor)
                          else plain(value), dtype=like.dtype)
    if isinstance(like, (bool, int, float)):
        if same(value, like):
            return like
        number = plain(value)
        if isinstance(like, bool) or not _is_number(number):
            return value
        return float(number) if isinstance(like, float) else (
            int(number) if _whole(number) else number)
    if isinstance(like, (tuple, list)):
        items = plain(value) if not isinstance(value, (tuple, list)) else value
        if isinstance(items, torch.Tensor):
            items = items.tolist()
        if isinstance(items, (list, tuple)) and len(items) == len(like):
            return type(like)(_conform(v, item) for v, item in zip(items, like))
    return value
