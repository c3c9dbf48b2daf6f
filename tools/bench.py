"""Benchmarks of the course helpers (`make bench`): prints a table, writes JSON.

Usage: python -m tools.bench [OUTPUT.json]
Figures are wall-clock on this machine (best of several repeats); targets, where the course
has one, are checked and reported, never asserted in unit tests.
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from course_utils import conv, data, env, models, receptive_field, summary, train
from course_utils import dense_prediction as dense
from course_utils.receptive_field import explorer as rf_explorer


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    env.seed_everything(0)
    digits = data.load_digits()
    rows = []

    def record(name, value, unit, target=None, ok=None):
        rows.append({"benchmark": name, "value": round(value, 3), "unit": unit,
                     "target": target, "meets_target": ok})

    load = env.best_time(data.load_digits, 3)
    record("load_digits (embedded MNIST-5k)", load, "s", "<= 2 s", load <= 2)

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
    record("make_digit_canvases 96x96, 2-4 digits", n / canvases, "canvases/s", ">= 500/s",
           n / canvases >= 500)

    with torch.device("meta"):
        vgg = torchvision.models.vgg16()
    vgg_summary = env.best_time(lambda: summary.summary(vgg, (3, 224, 224)), 3)
    record("summary(VGG16) on the meta device", vgg_summary * 1e3, "ms", "<= 500 ms",
           vgg_summary <= 0.5)

    with torch.device("meta"):
        resnet152 = torchvision.models.resnet152()
    rf_table = env.best_time(lambda: receptive_field.receptive_fields(resnet152, (3, 224, 224)), 3)
    record("RF table of ResNet-152 (trace + analysis)", rf_table * 1e3, "ms", "<= 1000 ms",
           rf_table <= 1.0)

    from skimage import data as skdata
    from skimage.transform import resize

    photo = resize(skdata.astronaut() / 255.0, (224, 224), anti_aliasing=True)
    explorer = rf_explorer.ReceptiveFieldExplorer({"VGG16 features": models.vgg_features()}, photo)
    explorer.select(layer="23")
    values = iter(list(range(14)) * 10)
    step = env.best_time(lambda: setattr(explorer.row, "value", next(values)), 10)
    record("RF explorer slider step (VGG16, 224 px)", step * 1e3, "ms", "<= 50 ms", step <= 0.05)

    from course_utils import conv_explorer

    arithmetic = conv_explorer.ConvArithmeticExplorer(input_size=8, kernel=3, stride=2,
                                                      padding=1, output_padding=1,
                                                      transposed=True)
    cells = iter((list(range(1, 16)) + list(range(14, 0, -1))) * 10)  # always a change
    step = env.best_time(lambda: setattr(arithmetic.col, "value", next(cells)), 10)
    record("conv-arithmetic explorer slider step (transposed, i=8)", step * 1e3, "ms",
           "<= 50 ms", step <= 0.05)
    sizes = iter([3, 12, 5, 10, 7] * 4)
    step = env.best_time(lambda: setattr(arithmetic.input_size, "value", next(sizes)), 10)
    record("conv-arithmetic explorer, input size change", step * 1e3, "ms", "<= 50 ms",
           step <= 0.05)

    from course_utils import stitch_explorer

    canvas = np.random.default_rng(0).random((128, 160))
    stitch = stitch_explorer.ShiftAndStitchExplorer(canvas, np.zeros((97, 129)), f=4, window=32)
    shifts = iter([1, 2, 3, 0] * 10)  # always a change
    step = env.best_time(lambda: setattr(stitch.dx, "value", next(shifts)), 10)
    record("shift-and-stitch explorer slider step (128x160 canvas)", step * 1e3, "ms",
           "<= 50 ms", step <= 0.05)

    # --- FCN vs sliding windows (notebooks 03/04), LeNet-sized digit net on a 256x256 canvas.
    # Both use channels-last weights, the layout oneDNN/cuDNN prefer for 2-D convolutions
    # (values unchanged), so that the race is fair; the teaching functions keep the default.
    torch.manual_seed(0)
    classifier = models.lenet5().eval()
    fcn_net = fully_convolutional.to_fully_convolutional(classifier, (1, 32, 32)).eval()
    classifier.to(memory_format=torch.channels_last)
    fcn_net.to(memory_format=torch.channels_last)
    canvas = data.make_digit_canvases(digits.x_test, digits.y_test, 1, 256, 256, 6, seed=0)
    image = canvas.images[0]
    windowed = fully_convolutional.sliding_window_predict(classifier, image, 32, stride=4, progress=False)
    t_window = env.best_time(lambda: fully_convolutional.sliding_window_predict(classifier, image, 32, stride=4,
                                                          progress=False), 5)
    t_fcn = env.best_time(lambda: fully_convolutional.fcn_predict(fcn_net, image), 20)
    n_windows = windowed.shape[1] * windowed.shape[2]
    fcn_flops = summary.conv_flops(fcn_net, (1, 256, 256))
    window_flops = n_windows * summary.conv_flops(classifier, (1, 32, 32))
    t_one = env.best_time(lambda: fully_convolutional.sliding_window_predict(classifier, image, 32, stride=4,
                                                               batch_size=1, progress=False), 1)
    record("256x256: sliding window (stride 4), one window at a time", t_one * 1e3, "ms")
    record("256x256: sliding window (stride 4), batches of 256", t_window * 1e3, "ms")
    record("256x256: FCN, same output grid", t_fcn * 1e3, "ms")
    record("FCN speed-up over one window at a time", t_one / t_fcn, "x")
    record("FCN speed-up over batched sliding window", t_window / t_fcn, "x", ">= 30x",
           t_window / t_fcn >= 30)
    record("  FLOP ratio (work saved)", window_flops / fcn_flops, "x")
    record("  max |FCN - sliding window| (x 1e-6)", 1e6 * float(
        (fully_convolutional.fcn_predict(fcn_net, image) - windowed).abs().max()), "")
    dense_windows = fully_convolutional.sliding_window_predict(classifier, image, 32, stride=1, progress=False)
    t_dense_window = env.best_time(lambda: fully_convolutional.sliding_window_predict(classifier, image, 32, stride=1,
                                                                progress=False), 2)
    t_stitch = env.best_time(lambda: dense.shift_and_stitch(fcn_net, image), 5)
    atrous_net = dense.atrous(fcn_net)
    t_atrous = env.best_time(lambda: fully_convolutional.fcn_predict(atrous_net, image), 5)
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
    record("FCN share of matmul throughput", 100 * fcn_gflops / matmul_gflops, "%", ">= 40 %",
           fcn_gflops / matmul_gflops >= 0.4)
    large = torch.rand(1, 1000, 2000)
    t_large = env.best_time(lambda: fully_convolutional.fcn_predict(fcn_net, large), 3)
    record("FCN on 1000x2000 (the lecture's size)", t_large * 1e3, "ms")
    large_flops = summary.conv_flops(fcn_net, (1, 1000, 2000))
    record("FCN throughput, 1000x2000", large_flops / t_large / 1e9,
           "GFLOP/s")

    name_w = max(len(r["benchmark"]) for r in rows)
    print(f"{'benchmark':<{name_w}}  {'value':>12}  unit         target")
    for r in rows:
        target = "" if r["target"] is None else (
            f"{r['target']} ({'met' if r['meets_target'] else 'MISSED'})")
        print(f"{r['benchmark']:<{name_w}}  {r['value']:>12,.3f}  {r['unit']:<11}  {target}")
    meta = {"machine": platform.machine(), "cpus": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version()}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"meta": meta, "results": rows}, indent=2))
        print(f"written to {out}")
    return 0 if all(r["meets_target"] in (None, True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
