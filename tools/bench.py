"""Benchmarks of the course helpers (`make bench`): prints a table, writes JSON.

Usage: python -m tools.bench [OUTPUT.json]

Figures are wall-clock on this machine (best of several repeats). Only targets that hold on any
reasonable machine are asserted, i.e. decide the exit status (0 iff all are met):
- interactive latencies: one slider step of each of the five explorers <= 50 ms (what feels
  live), and the RF table of ResNet-152 <= 1 s;
- a machine-independent ratio: the FCN's speed-up over the batched sliding window is at least
  2x the FLOP ratio (window FLOPs / FCN FLOPs) -- it saves more than the arithmetic alone, as
  one large convolution runs better than many small batches.
Absolute throughputs (images/s, canvases/s, GFLOP/s, load and summary times, raw speed-ups)
depend on the CPU and are only reported (target None). The reference workload
(tools/reference.py), timed before and after, says how fast this machine was: divide a time by
it to compare with another machine's figures.
"""

from __future__ import annotations

import itertools
import json
import platform
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from course_utils import (
    conv,
    data,
    env,
    explorers,
    fully_convolutional,
    models,
    receptive_field,
    summary,
    train,
)
from course_utils import dense_prediction as dense
from tools.reference import machine_line, reference_seconds

STEP_TARGET_S = 0.05  # one explorer redraw: "live" while dragging a slider
Record = Callable[..., None]


def steps(control, values: Iterable) -> Iterator:
    """An endless cycle through distinct `values`, starting after the control's current value,
    so that every step changes it (and so really redraws)."""
    values = list(values)
    start = values.index(control.value) + 1 if control.value in values else 0
    return itertools.cycle(values[start:] + values[:start])


def step_time(control, values: Iterable, repeats: int = 10) -> float:
    """Best time of one `control.value = next value` (which redraws the explorer), in s."""
    it = steps(control, values)
    return env.best_time(lambda: setattr(control, "value", next(it)), repeats)


def record_step(record: Record, name: str, seconds: float) -> None:
    record(name, seconds * 1e3, "ms", "<= 50 ms", seconds <= STEP_TARGET_S)


def bench_basics(record: Record, digits) -> None:
    load = env.best_time(data.load_digits, 3)
    record("load_digits (embedded MNIST-5k)", load, "s")

    image, kernel = torch.rand(32, 32), torch.rand(3, 3)
    loops = env.best_time(lambda: conv.conv2d_loops(image, kernel), 3)
    library = env.best_time(lambda: F.conv2d(image[None, None], kernel[None, None]), 50)
    record("conv2d_loops 32x32 * 3x3", loops * 1e3, "ms")
    record("F.conv2d 32x32 * 3x3", library * 1e6, "us")
    record("F.conv2d speed-up over loops", loops / library, "x")

    model = models.lenet5()
    epoch = env.best_time(lambda: train.fit(model, (digits.x_train, digits.y_train), epochs=1,
                                            batch_size=32, progress=False, device="cpu"), 2)
    record("LeNet-5 training (CPU, batch 32)", len(digits.y_train) / epoch, "images/s")
    infer = env.best_time(lambda: train.predict(model, digits.x_test, device="cpu"), 5)
    record("LeNet-5 inference (CPU, batch 256)", len(digits.y_test) / infer, "images/s")

    n = 200
    canvases = env.best_time(lambda: data.make_digit_canvases(digits.x_test, digits.y_test, n, 96,
                                                              96, (2, 4), seed=0), 3)
    record("make_digit_canvases 96x96, 2-4 digits", n / canvases, "canvases/s")

    with torch.device("meta"):
        vgg = torchvision.models.vgg16()
    vgg_summary = env.best_time(lambda: summary.summary(vgg, (3, 224, 224)), 3)
    record("summary(VGG16) on the meta device", vgg_summary * 1e3, "ms")

    with torch.device("meta"):
        resnet152 = torchvision.models.resnet152()
    rf_table = env.best_time(lambda: receptive_field.receptive_fields(resnet152, (3, 224, 224)), 3)
    record("RF table of ResNet-152 (trace + analysis)", rf_table * 1e3, "ms", "<= 1000 ms",
           rf_table <= 1.0)


def bench_explorers(record: Record) -> None:
    """One slider step of each explorer, on the sizes the notebooks use."""
    from skimage import data as skdata
    from skimage.transform import resize

    photo = resize(skdata.astronaut() / 255.0, (224, 224), anti_aliasing=True)
    rf = explorers.ReceptiveFieldExplorer({"VGG16 features": models.vgg_features()}, photo)
    rf.select(layer="23")
    record_step(record, "RF explorer slider step (VGG16, 224 px)",
                step_time(rf.row, range(rf.row.max + 1)))

    arithmetic = explorers.ConvArithmeticExplorer(side=8, kernel=3, stride=2, padding=1,
                                                  output_padding=1, transposed=True)
    record_step(record, "conv-arithmetic explorer slider step (transposed, i=8)",
                step_time(arithmetic.col, range(arithmetic.col.max + 1)))
    record_step(record, "conv-arithmetic explorer, input side change",
                step_time(arithmetic.side, [3, 12, 5, 10, 7]))

    rng = np.random.default_rng(0)
    canvas = rng.random((128, 160))
    stitch = explorers.ShiftAndStitchExplorer(canvas, rng.random((97, 129)), stride=4, window=32,
                                             label="random values")
    record_step(record, "shift-and-stitch explorer slider step (128x160 canvas)",
                step_time(stitch.dx, range(4)))

    logits = rng.standard_normal((11, 25, 33))  # a 32-px, stride-4 FCN's grid on 128x160
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0)
    names = [str(d) for d in range(10)] + ["background"]
    heatmap = explorers.HeatmapExplorer(canvas, probabilities, names, stride=4, rf=32)
    record_step(record, "heatmap explorer, class change (128x160, 11x25x33)",
                step_time(heatmap.klass, range(11)))
    record_step(record, "heatmap explorer, threshold step",
                step_time(heatmap.threshold, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]))

    cells = data.touching_cells(1, 96, seed=1).instances[0]  # notebook 07's 96x96 sample
    weights = explorers.WeightMapExplorer(cells, w0=10.0, sigma=5.0)
    record_step(record, "weight-map explorer, sigma step (96x96 cells)",
                step_time(weights.sigma, [3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0]))


def bench_fcn(record: Record, digits) -> None:
    """FCN vs sliding windows (notebooks 03/04), LeNet-sized digit net on a 256x256 canvas.

    Both use channels-last weights, the layout oneDNN/cuDNN prefer for 2-D convolutions
    (values unchanged), so that the race is fair; the teaching functions keep the default.
    """
    fc = fully_convolutional
    torch.manual_seed(0)
    classifier = models.lenet5().eval()
    fcn_net = fc.to_fully_convolutional(classifier, (1, 32, 32)).eval()
    classifier.to(memory_format=torch.channels_last)
    fcn_net.to(memory_format=torch.channels_last)
    canvas = data.make_digit_canvases(digits.x_test, digits.y_test, 1, 256, 256, 6, seed=0)
    image = canvas.images[0]

    def windows(stride: int, batch_size: int = 256):
        return fc.sliding_window_predict(classifier, image, 32, stride=stride,
                                         batch_size=batch_size, progress=False)

    windowed = windows(4)
    t_window = env.best_time(lambda: windows(4), 5)
    t_fcn = env.best_time(lambda: fc.fcn_predict(fcn_net, image), 20)
    n_windows = windowed.shape[1] * windowed.shape[2]
    fcn_flops = summary.conv_flops(fcn_net, (1, 256, 256))
    window_flops = n_windows * summary.conv_flops(classifier, (1, 32, 32))
    flop_ratio = window_flops / fcn_flops
    speed_up = t_window / t_fcn
    t_one = env.best_time(lambda: windows(4, batch_size=1), 1)
    record("256x256: sliding window (stride 4), one window at a time", t_one * 1e3, "ms")
    record("256x256: sliding window (stride 4), batches of 256", t_window * 1e3, "ms")
    record("256x256: FCN, same output grid", t_fcn * 1e3, "ms")
    record("FCN speed-up over one window at a time", t_one / t_fcn, "x")
    record("FCN speed-up over batched sliding window", speed_up, "x")
    record("  FLOP ratio (work saved)", flop_ratio, "x")
    record("FCN speed-up / FLOP ratio", speed_up / flop_ratio, "x", ">= 2x",
           speed_up / flop_ratio >= 2)
    record("  max |FCN - sliding window| (x 1e-6)", 1e6 * float(
        (fc.fcn_predict(fcn_net, image) - windowed).abs().max()), "")

    dense_windows = windows(1)
    t_dense_window = env.best_time(lambda: windows(1), 2)
    t_stitch = env.best_time(lambda: dense.shift_and_stitch(fcn_net, image), 5)
    atrous_net = dense.atrous(fcn_net)
    t_atrous = env.best_time(lambda: fc.fcn_predict(atrous_net, image), 5)
    record("256x256: sliding window, stride 1", t_dense_window * 1e3, "ms")
    record("256x256: shift-and-stitch (16 passes)", t_stitch * 1e3, "ms")
    record("256x256: a trous (1 pass)", t_atrous * 1e3, "ms")
    record("shift-and-stitch speed-up over stride-1 windows", t_dense_window / t_stitch, "x")
    record("  max |shift-and-stitch - stride-1 windows| (x 1e-6)", 1e6 * float(
        (dense.shift_and_stitch(fcn_net, image) - dense_windows).abs().max()), "")

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    t_mm = env.best_time(lambda: a @ b, 5)
    matmul_gflops = 2 * 2048**3 / t_mm / 1e9
    fcn_gflops = fcn_flops / t_fcn / 1e9
    record("matrix multiply 2048x2048 (float32)", matmul_gflops, "GFLOP/s")
    record("FCN throughput, 256x256", fcn_gflops, "GFLOP/s")
    record("FCN share of matmul throughput", 100 * fcn_gflops / matmul_gflops, "%")
    large = torch.rand(1, 1000, 2000)
    t_large = env.best_time(lambda: fc.fcn_predict(fcn_net, large), 3)
    record("FCN on 1000x2000 (the lecture's size)", t_large * 1e3, "ms")
    large_flops = summary.conv_flops(fcn_net, (1, 1000, 2000))
    record("FCN throughput, 1000x2000", large_flops / t_large / 1e9, "GFLOP/s")


def print_table(rows: list[dict]) -> list[str]:
    """Print the table and the verdict line; returns the names of the missed targets."""
    name_w = max(len(r["benchmark"]) for r in rows)
    print(f"{'benchmark':<{name_w}}  {'value':>12}  unit         target")
    for r in rows:
        target = "" if r["target"] is None else (
            f"{r['target']} ({'met' if r['meets_target'] else 'MISSED'})")
        print(f"{r['benchmark']:<{name_w}}  {r['value']:>12,.3f}  {r['unit']:<11}  {target}")
    asserted = [r for r in rows if r["target"] is not None]
    missed = [r["benchmark"] for r in asserted if not r["meets_target"]]
    print(f"targets missed: {', '.join(missed)}" if missed
          else f"all {len(asserted)} targets met")
    return missed


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    env.seed_everything(0)
    before = reference_seconds()
    print(machine_line(before), flush=True)
    digits = data.load_digits()
    rows: list[dict] = []

    def record(name, value, unit, target=None, ok=None):
        rows.append({"benchmark": name, "value": round(value, 3), "unit": unit,
                     "target": target, "meets_target": None if ok is None else bool(ok)})

    bench_basics(record, digits)
    bench_explorers(record)
    bench_fcn(record, digits)

    missed = print_table(rows)
    after = reference_seconds()
    reference_s = (before + after) / 2
    print(f"{machine_line(reference_s)} (before {before:.2f} s, after {after:.2f} s)")
    meta = {"machine": platform.machine(), "cpus": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "reference_s": round(reference_s, 3),
            "reference_samples_s": [round(before, 3), round(after, 3)]}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
        print(f"written to {out}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
