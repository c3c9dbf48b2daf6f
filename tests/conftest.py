import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

os.environ.setdefault("TQDM_DISABLE", "1")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def digits():
    """`data.load_digits()` at its defaults, shared by the whole test run (do not modify)."""
    from course_utils import data

    return data.load_digits()


@pytest.fixture(scope="session")
def small_digits(digits):
    """A stratified 200 / 50 subset of `digits` (20 / 5 per class): enough for a training step."""
    import torch

    from course_utils import data

    def per_class(y, n):
        return torch.cat([torch.nonzero(y == c)[:n, 0] for c in range(10)])

    tr, te = per_class(digits.y_train, 20), per_class(digits.y_test, 5)
    return data.DigitSplit(digits.x_train[tr], digits.y_train[tr], digits.x_test[te],
                           digits.y_test[te], "MNIST-5k subset 200/50")
