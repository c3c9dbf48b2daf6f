"""How fast is this machine? A small fixed reference workload, so that run times measured on
different machines compare: a notebook's time divided by the reference time is in *reference
units* (ru), which stay about the same from a fast machine to a slow one.

The workload: 8 Adam steps of a fixed three-layer conv net on one fixed random batch of 16 grey
96x96 images (the size of the course's canvases), on the CPU with torch's default threads and
memory layout. It uses nothing
from course_utils, so that changing the course never changes the yardstick. The figure is the
median of three runs after a warm-up (~0.3 s each, ~1.3 s in all, on the fast 2-core machine).
These machines are noisy (one run to the next: +-20 %), so `make run` measures it before every
notebook and divides by the median of those samples.

Known limit (2026-12-03): the workload is convolution training, and it tracks the notebooks'
training well but not their Python and plotting work: in one run notebooks 02 and 04 (little
training) took 1.5x as long as an hour before while the reference read 0.9x. FAST_REFERENCE_S
was measured on the machine whose course run matched the fast one of the table (297.7 s at
3d9afa9 vs 297.9 s), an hour apart from that run.

The budget: the course must run at its defaults in 420 s, and each notebook in 120 s, on the
slowest 2-core machine seen (2026-12-02: 2.2x slower than the fast one, notebook by notebook).
In reference units the budget is the same on every machine; it is set from the two machines.
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

STEPS = 8
REPEATS = 3
FAST_REFERENCE_S = 0.29  # this workload on the 2-core machine of 2026-12-03 (median of 8, make run)
SLOW_FACTOR = 2.2  # the slow 2-core machine of 2026-12-02 against the fast one (issue 27's table)
SLOW_REFERENCE_S = FAST_REFERENCE_S * SLOW_FACTOR
COURSE_BUDGET_RU = 420.0 / SLOW_REFERENCE_S  # the whole course at its defaults
NOTEBOOK_BUDGET_RU = 120.0 / SLOW_REFERENCE_S  # any one notebook


def _workload() -> float:
    generator = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    x = torch.rand(16, 1, 96, 96, generator=generator)
    y = torch.randint(0, 10, (16,), generator=generator)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(STEPS):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
    return time.perf_counter() - start


def reference_seconds(repeats: int = REPEATS) -> float:
    """The reference workload's time on this machine: the median of `repeats` runs, seconds."""
    _workload()  # warm-up: first-call allocations and kernel selection
    return statistics.median(_workload() for _ in range(repeats))


def in_units(seconds: float, reference_s: float) -> float:
    """A time on this machine in reference units."""
    return seconds / reference_s


def machine_line(reference_s: float) -> str:
    """'this machine: reference workload 0.32 s (1.0x the fast 2-core machine of 2026-12-03)'."""
    return (f"this machine: reference workload {reference_s:.2f} s "
            f"({reference_s / FAST_REFERENCE_S:.1f}x the fast 2-core machine of 2026-12-03)")


if __name__ == "__main__":
    ref = reference_seconds()
    print(machine_line(ref))
    print(f"budgets: course {COURSE_BUDGET_RU:.0f} ru = {COURSE_BUDGET_RU * ref:.0f} s here, "
          f"one notebook {NOTEBOOK_BUDGET_RU:.0f} ru = {NOTEBOOK_BUDGET_RU * ref:.0f} s here")
