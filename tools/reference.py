"""How fast is this machine? A small fixed reference workload, so that run times measured on
different machines compare: a notebook's time divided by the reference time is in *reference
units* (ru), which stay about the same from a fast machine to a slow one.

The workload has the three kinds of work the notebooks do, each timed on its own:
- training: 8 Adam steps of a fixed three-layer conv net on one fixed random batch of 16 grey
  96x96 images (the size of the course's canvases), torch's default threads and memory layout;
- Python: receptive-field style bookkeeping in plain Python (loops, tuples, dicts, strings);
- figure: a 2x4 figure of six heatmaps, a curve and a bar chart rendered to PNG with Agg, as
  the notebooks' inline backend does.
The reference time is the sum of the three parts, each the median of three runs (~0.5 s a
sample, ~1.4 s in all). It uses nothing from course_utils, so that changing the
course never changes the yardstick. The machines drift (single samples read 0.39-0.55 s
within one run on 2026-12-03), so `make run` samples it before and after every notebook and
divides each notebook's time by the mean of the two samples around it.

The budget: the course must run at its defaults in 420 s, and each notebook in 120 s, on the
slowest 2-core machine seen: the one that ran the course at 86e3ca2 in 662 s (issue 27). That
machine cannot be timed again, so its reference time is inferred from the same course run here:
86e3ca2's notebooks ran in OLD_COURSE_RU reference units on this project's 2-core machine
(2026-12-03, make run's runner, samples around every notebook; docs/results.md), so on the slow
machine one reference unit was 662 s / OLD_COURSE_RU = SLOW_REFERENCE_S. The budgets in ru are
the same on every machine; `machine_line` says how this machine compares with the slow one.
"""

from __future__ import annotations

import gc
import io
import statistics
import time

STEPS = 8
REPEATS = 3
OLD_COURSE_RU = 548.0  # the course at 86e3ca2 on this project's 2-core machine, 2026-12-03
SLOW_MACHINE_OLD_COURSE_S = 662.0  # the same course on the slowest 2-core machine (issue 27)
SLOW_REFERENCE_S = SLOW_MACHINE_OLD_COURSE_S / OLD_COURSE_RU  # one ru there, ~1.21 s
COURSE_BUDGET_RU = 420.0 / SLOW_REFERENCE_S  # the whole course at its defaults, ~348 ru
NOTEBOOK_BUDGET_RU = 120.0 / SLOW_REFERENCE_S  # any one notebook, ~99 ru


def _training() -> float:
    import torch
    from torch import nn

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


def _python() -> float:
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a full collection's cost depends on everything else the process holds
    try:
        start = time.perf_counter()
        table = {}
        for depth in range(1, 80_000):
            field, jump = 1, 1
            for kernel, stride in ((3, 1), (3, 1), (2, 2)) * 4:
                field += (kernel - 1) * jump
                jump *= stride
            table[f"layer{depth}"] = (field, jump, sorted((depth % 7, depth % 5, depth % 3)))
        ",".join(name for name, row in table.items() if row[0] > 10)
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def _figure() -> float:
    import numpy as np
    from matplotlib.figure import Figure  # not pyplot: no backend or global figure involved

    images = np.random.default_rng(0).random((6, 96, 96), dtype=np.float32)
    start = time.perf_counter()
    figure = Figure(figsize=(10, 5))
    axes = figure.subplots(2, 4)
    for ax, image in zip(axes.flat[:6], images):
        ax.imshow(image, cmap="viridis")
        ax.set_title("heatmap")
        ax.axis("off")
    axes.flat[6].plot(np.sin(np.arange(100) / 9), label="curve")
    axes.flat[6].legend()
    axes.flat[7].bar(range(10), np.arange(10))
    figure.tight_layout()
    figure.savefig(io.BytesIO(), format="png", dpi=72)
    return time.perf_counter() - start


PARTS = {"training": _training, "Python": _python, "figure": _figure}


def reference_parts(repeats: int = REPEATS) -> dict[str, float]:
    """Each part's time on this machine, seconds: the median of `repeats` runs (with three, a
    slow first run in a fresh process, fonts and kernels loading, does not count)."""
    return {name: statistics.median(part() for _ in range(repeats))
            for name, part in PARTS.items()}


def reference_seconds(repeats: int = REPEATS) -> float:
    """The reference workload's time on this machine, seconds: the sum of its parts."""
    return sum(reference_parts(repeats).values())


def machine_line(reference_s: float) -> str:
    """'this machine: reference workload 0.50 s (2.4x as fast as the slowest 2-core machine
    seen, 1.21 s)'."""
    return (f"this machine: reference workload {reference_s:.2f} s "
            f"({SLOW_REFERENCE_S / reference_s:.1f}x as fast as the slowest 2-core machine seen, "
            f"{SLOW_REFERENCE_S:.2f} s)")


if __name__ == "__main__":
    parts = reference_parts()
    ref = sum(parts.values())
    print(machine_line(ref) + "; " + ", ".join(f"{k} {v:.3f} s" for k, v in parts.items()))
    print(f"budgets: course {COURSE_BUDGET_RU:.0f} ru = {COURSE_BUDGET_RU * ref:.0f} s here, "
          f"one notebook {NOTEBOOK_BUDGET_RU:.0f} ru = {NOTEBOOK_BUDGET_RU * ref:.0f} s here")
