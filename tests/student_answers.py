"""Correct student answers written differently from the notebooks' reference solutions.

ANSWERS[checker] lists complete Python sources, each defining NAMES[checker] (the function, or
the value or network, that notebook NOTEBOOK[checker] asks for) with the parameters of that
notebook's solution cell. Each is a plausible answer, right to float32 rounding but written as
a student might: NumPy instead of torch, int literals, lists instead of tuples, NumPy or 0-d
tensor scalars, float32 arithmetic, other loop orders, vectorised code, math instead of NumPy.
The sources expect the names the notebooks import (`torch`, `np`, `nn`, `F`); most import what
they use again. tests/test_student_answers.py runs them through the checkers and, in the
notebooks, through the cells that reuse them.
"""

from textwrap import dedent


def _src(text: str) -> str:
    return dedent(text).strip() + "\n"


NOTEBOOK: dict[str, str] = {
    "conv2d": "01_convolution.ipynb",
    "conv_parameters": "01_convolution.ipynb",
    "receptive_field_chain": "02_receptive_fields.ipynb",
    "receptive_field_by_hand": "02_receptive_fields.ipynb",
    "rf_design": "02_receptive_fields.ipynb",
    "linear_to_conv": "03_fully_convolutional.ipynb",
    "fcn_output_size": "03_fully_convolutional.ipynb",
    "unit_box": "03_fully_convolutional.ipynb",
    "interleave": "04_dense_predictions.ipynb",
    "centre_pixel": "04_dense_predictions.ipynb",
    "atrous_dilations": "04_dense_predictions.ipynb",
    "zero_insert": "05_upsampling.ipynb",
    "transposed_output_size": "05_upsampling.ipynb",
    "bilinear_kernel": "05_upsampling.ipynb",
    "stamp_counts": "05_upsampling.ipynb",
    "fcn16_fusion": "06_skip_connections.ipynb",
    "mean_iu": "06_skip_connections.ipynb",
    "frequency_weighted_iu": "06_skip_connections.ipynb",
    "unet_output_size": "07_unet.ipynb",
    "border_term": "07_unet.ipynb",
    "border_weights": "07_unet.ipynb",
    "global_average_pool": "08_global_average_pooling.ipynb",
    "class_activation_map": "08_global_average_pooling.ipynb",
    "cam_threshold": "08_global_average_pooling.ipynb",
}

NAMES: dict[str, str] = {
    "conv2d": "my_conv2d",
    "conv_parameters": "my_conv_parameters",
    "receptive_field_chain": "my_receptive_field",
    "receptive_field_by_hand": "my_hand_rf",
    "rf_design": "my_wide_net",
    "linear_to_conv": "my_linear_to_conv",
    "fcn_output_size": "my_output_grid",
    "unit_box": "my_unit_box",
    "interleave": "my_interleave",
    "centre_pixel": "my_centre_pixel",
    "atrous_dilations": "my_dilations",
    "zero_insert": "my_zero_insert",
    "transposed_output_size": "my_transposed_size",
    "bilinear_kernel": "my_bilinear_kernel",
    "stamp_counts": "my_stamp_counts",
    "fcn16_fusion": "my_fcn16",
    "mean_iu": "my_mean_iu",
    "frequency_weighted_iu": "my_fw_iu",
    "unet_output_size": "my_unet_output",
    "border_term": "my_border_term",
    "border_weights": "my_border_weights",
    "global_average_pool": "my_gap",
    "class_activation_map": "my_cam",
    "cam_threshold": "my_cam_threshold",
}

ANSWERS: dict[str, list[str]] = {
    # ---------------------------------------------------------------- notebook 01
    "conv2d": [
        # NumPy in, NumPy out, four loops
        _src("""
        import numpy as np

        def my_conv2d(image, kernel):
            image = np.asarray(image)
            kernel = np.asarray(kernel)
            kh, kw = kernel.shape
            H, W = image.shape
            out = np.zeros((H - kh + 1, W - kw + 1))
            for r in range(H - kh + 1):
                for c in range(W - kw + 1):
                    for x in range(kh):
                        for y in range(kw):
                            out[r, c] += kernel[x, y] * image[r + x, c + y]
            return out
        """),
        # torch.zeros without dtype (float32 accumulation of float64 inputs), other loop order
        _src("""
        import torch

        def my_conv2d(image, kernel):
            kh, kw = kernel.shape
            out = torch.zeros(image.shape[0] - kh + 1, image.shape[1] - kw + 1)
            for x in range(kh):
                for y in range(kw):
                    for r in range(out.shape[0]):
                        for c in range(out.shape[1]):
                            out[r, c] += kernel[x, y] * image[r + x, c + y]
            return out
        """),
        # vectorised over the output: one shifted slice per kernel tap
        _src("""
        def my_conv2d(image, kernel):
            kh, kw = kernel.shape
            oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
            out = 0
            for x in range(kh):
                for y in range(kw):
                    out = out + kernel[x, y] * image[x:x + oh, y:y + ow]
            return out
        """),
        # unfold into patches, multiply, sum
        _src("""
        def my_conv2d(image, kernel):
            kh, kw = kernel.shape
            patches = image.unfold(0, kh, 1).unfold(1, kw, 1)  # (oh, ow, kh, kw)
            return (patches * kernel).sum(dim=(-2, -1))
        """),
        # pure Python lists, then a tensor
        _src("""
        import torch

        def my_conv2d(image, kernel):
            kh, kw = kernel.shape
            rows = []
            for r in range(image.shape[0] - kh + 1):
                row = []
                for c in range(image.shape[1] - kw + 1):
                    total = 0.0
                    for x in range(kh):
                        for y in range(kw):
                            total += float(kernel[x][y]) * float(image[r + x][c + y])
                    row.append(total)
                rows.append(row)
            return torch.tensor(rows, dtype=image.dtype)
        """),
        # SciPy's cross-correlation (no flip), NumPy result
        _src("""
        import numpy as np
        from scipy import signal

        def my_conv2d(image, kernel):
            return signal.correlate2d(np.asarray(image), np.asarray(kernel), mode="valid")
        """),
    ],
    "conv_parameters": [
        _src("""
        def my_conv_parameters(in_channels, out_channels, kernel_size):
            weights = out_channels * in_channels * kernel_size ** 2
            biases = out_channels
            return weights + biases
        """),
        # NumPy: np.prod gives an np.int64
        _src("""
        import numpy as np

        def my_conv_parameters(in_channels, out_channels, kernel_size):
            per_filter = np.prod([in_channels, kernel_size, kernel_size]) + 1
            return per_filter * out_channels
        """),
        # let PyTorch count (meta device: no memory for VGG's 102M-parameter fc6)
        _src("""
        import torch
        from torch import nn

        def my_conv_parameters(in_channels, out_channels, kernel_size):
            layer = nn.Conv2d(in_channels, out_channels, kernel_size, device="meta")
            return sum(p.numel() for p in layer.parameters())
        """),
        # math.prod, one filter at a time
        _src("""
        import math

        def my_conv_parameters(in_channels, out_channels, kernel_size):
            one_filter = math.prod((in_channels, kernel_size, kernel_size)) + 1  # + its bias
            return out_channels * one_filter
        """),
        # a 0-d tensor count
        _src("""
        import torch

        def my_conv_parameters(in_channels, out_channels, kernel_size):
            shape = torch.tensor([out_channels, in_channels, kernel_size, kernel_size])
            return shape.prod() + out_channels
        """),
    ],
    # ---------------------------------------------------------------- notebook 02
    "receptive_field_chain": [
        # list instead of tuple, explicit effective kernel
        _src("""
        def my_receptive_field(layers):
            R, S, P = 1, 1, 0
            for kernel, stride, padding, dilation in layers:
                effective = dilation * (kernel - 1) + 1
                R = R + (effective - 1) * S
                P = P + padding * S
                S = S * stride
            return [R, S, P]
        """),
        # closed form with math.prod of the strides before each layer
        _src("""
        import math

        def my_receptive_field(layers):
            strides = [s for _, s, _, _ in layers]
            jumps = [math.prod(strides[:i]) for i in range(len(layers))]
            R = 1 + sum(d * (k - 1) * j for (k, _, _, d), j in zip(layers, jumps))
            P = sum(p * j for (_, _, p, _), j in zip(layers, jumps))
            return R, math.prod(strides), P
        """),
        # NumPy cumprod (np.int64 entries)
        _src("""
        import numpy as np

        def my_receptive_field(layers):
            k, s, p, d = np.array(layers).T
            jump_before = np.concatenate([[1], np.cumprod(s)[:-1]])
            R = 1 + np.sum(d * (k - 1) * jump_before)
            P = np.sum(p * jump_before)
            return R, np.prod(s), P
        """),
        # from the output back to the input: r_in = s * (r_out - 1) + k'
        _src("""
        def my_receptive_field(layers):
            size = 1
            for k, s, p, d in reversed(layers):
                size = s * (size - 1) + d * (k - 1) + 1
            jump, pad = 1, 0
            for k, s, p, d in layers:
                pad += p * jump
                jump *= s
            return size, jump, pad
        """),
    ],
    "receptive_field_by_hand": [
        # the current notebook 02 sets a value `my_hand_rf = (R, S)` (at HEAD it was a function)
        _src("""
        # conv3 -> 3, conv3/2 -> 5 (S=2), pool2/2 -> 7 (S=4), dilated conv3 -> 7 + 2*2*4 = 23
        my_hand_rf = [23, 4]
        """),
        _src("""
        import numpy as np

        my_hand_rf = np.array([23, 4])
        """),
        _src("""
        import torch

        my_hand_rf = torch.tensor([23, 4])
        """),
        _src("""
        import numpy as np

        # R = 1 + sum of (k' - 1) * S_before; S = product of the strides
        my_hand_rf = (np.int64(1 + 2 * 1 + 2 * 1 + 1 * 2 + 2 * 2 * 4), np.int64(1 * 2 * 2))
        """),
        # walk back from one output unit: r_in = s * (r_out - 1) + k'
        _src("""
        layers = [(3, 1, 1), (3, 2, 1), (2, 2, 1), (3, 1, 2), (1, 1, 1)]  # k, s, d
        r, jump = 1, 1
        for k, s, d in reversed(layers):
            r = s * (r - 1) + d * (k - 1) + 1
        for _, s, _ in layers:
            jump *= s
        my_hand_rf = (r, jump)
        """),
        # function forms (HEAD's notebook: `def my_hand_rf():`); the current checker takes both
        _src("""
        def my_hand_rf():
            return [23, 4]
        """),
        _src("""
        import numpy as np

        def my_hand_rf():
            return np.int64(23), np.int64(4)
        """),
    ],
    "rf_design": [
        # six strided 3x3 convolutions: 1 + 2 * (1 + 2 + ... + 32) = 127
        _src("""
        from torch import nn

        my_wide_net = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(8, 1, 3, stride=2, padding=1),
        )
        """),
        # dilations 1, 2, 4, 8, 16, 1 with ReLUs and no padding: R = 65
        _src("""
        from torch import nn

        layers = []
        for i, d in enumerate([1, 2, 4, 8, 16, 1]):
            layers += [nn.Conv2d(3 if i == 0 else 16, 16, kernel_size=3, dilation=d), nn.ReLU()]
        my_wide_net = nn.Sequential(*layers[:-1])
        """),
        # four stride-3 convolutions: 1 + 2 * (1 + 3 + 9 + 27) = 81
        _src("""
        import torch.nn as nn

        my_wide_net = nn.Sequential(*[nn.Conv2d(1, 1, (3, 3), stride=3) for _ in range(4)])
        """),
        # a custom nn.Module with a ModuleList
        _src("""
        import torch
        from torch import nn

        class WideNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.convs = nn.ModuleList(
                    [nn.Conv2d(1, 4, 3, padding=1)]
                    + [nn.Conv2d(4, 4, 3, padding=2 ** i, dilation=2 ** i) for i in range(1, 6)])

            def forward(self, x):
                for conv in self.convs:
                    x = torch.relu(conv(x))
                return x

        my_wide_net = WideNet()
        """),
    ],
    # ---------------------------------------------------------------- notebook 03
    "linear_to_conv": [
        # .data assignment, reshape
        _src("""
        from torch import nn

        def my_linear_to_conv(linear, volume):
            c, h, w = volume
            conv = nn.Conv2d(in_channels=c, out_channels=linear.out_features, kernel_size=(h, w))
            conv.weight.data = linear.weight.data.reshape(linear.out_features, c, h, w).clone()
            conv.bias.data = linear.bias.data.clone()
            return conv
        """),
        # load_state_dict
        _src("""
        import torch
        from torch import nn

        def my_linear_to_conv(linear, volume):
            c, h, w = volume
            conv = nn.Conv2d(c, linear.out_features, kernel_size=(h, w))
            conv.load_state_dict({"weight": linear.weight.detach().reshape(-1, c, h, w),
                                  "bias": linear.bias.detach()})
            return conv
        """),
        # new Parameters, unflatten
        _src("""
        import torch
        from torch import nn

        def my_linear_to_conv(linear, volume):
            c, h, w = volume
            conv = nn.Conv2d(c, linear.out_features, (h, w))
            conv.weight = nn.Parameter(linear.weight.detach().unflatten(1, (c, h, w)).clone())
            conv.bias = nn.Parameter(linear.bias.detach().clone())
            return conv
        """),
        # filter by filter
        _src("""
        import torch
        from torch import nn

        def my_linear_to_conv(linear, volume):
            c, h, w = volume
            conv = nn.Conv2d(c, linear.out_features, (h, w))
            with torch.no_grad():
                for i in range(linear.out_features):
                    conv.weight[i] = linear.weight[i].view(c, h, w)
                    conv.bias[i] = linear.bias[i]
            return conv
        """),
    ],
    "fcn_output_size": [
        _src("""
        def my_output_grid(height, width):
            rows = (height - 32) // 4 + 1
            cols = (width - 32) // 4 + 1
            return [rows, cols]
        """),
        _src("""
        import math

        def my_output_grid(height, width):
            return math.floor((height - 32) / 4) + 1, math.floor((width - 32) / 4) + 1
        """),
        # NumPy: a tuple of np.int64
        _src("""
        import numpy as np

        def my_output_grid(height, width):
            return tuple(np.floor_divide(np.array([height, width]) - 32, 4) + 1)
        """),
        # count the window positions
        _src("""
        def my_output_grid(height, width):
            window, stride = 32, 4
            return (len(range(0, height - window + 1, stride)),
                    len(range(0, width - window + 1, stride)))
        """),
        _src("""
        import torch

        def my_output_grid(height, width):
            return tuple(((torch.tensor([height, width]) - 32) // 4 + 1).tolist())
        """),
    ],
    "unit_box": [
        _src("""
        def my_unit_box(i, j):
            top, left = 4 * i, 4 * j
            return [top, left, top + 31, left + 31]
        """),
        _src("""
        import numpy as np

        def my_unit_box(i, j):
            top_left = 4 * np.array([i, j])
            return np.concatenate([top_left, top_left + 32 - 1])
        """),
        _src("""
        def my_unit_box(i, j):
            R, S = 32, 4  # receptive field and stride of the FCN
            top, left = S * i, S * j
            bottom, right = top + R - 1, left + R - 1
            return (top, left, bottom, right)
        """),
        _src("""
        import torch

        def my_unit_box(i, j):
            return torch.tensor([4 * i, 4 * j, 4 * i + 31, 4 * j + 31])
        """),
    ],
    # ---------------------------------------------------------------- notebook 04
    "interleave": [
        # rows = the pieces' rows summed over dy; loops over the shifts in order
        _src("""
        import torch

        def my_interleave(pieces, f):
            K = pieces[0, 0].shape[0]
            H = sum(pieces[dy, 0].shape[1] for dy in range(f))
            W = sum(pieces[0, dx].shape[2] for dx in range(f))
            dense = torch.zeros(K, H, W)
            for dy in range(f):
                for dx in range(f):
                    dense[:, dy::f, dx::f] = pieces[dy, dx]
            return dense
        """),
        # NumPy
        _src("""
        import numpy as np

        def my_interleave(pieces, f):
            first = np.asarray(pieces[0, 0])
            H = max(dy + f * (p.shape[1] - 1) for (dy, dx), p in pieces.items()) + 1
            W = max(dx + f * (p.shape[2] - 1) for (dy, dx), p in pieces.items()) + 1
            dense = np.zeros((first.shape[0], H, W), dtype=first.dtype)
            for (dy, dx), piece in pieces.items():
                dense[:, dy::f, dx::f] = np.asarray(piece)
            return dense
        """),
        # vectorised: a (K, h, f, w, f) grid reshaped, then cropped
        _src("""
        import torch

        def my_interleave(pieces, f):
            first = pieces[0, 0]
            K, h, w = first.shape
            H = sum(pieces[dy, 0].shape[1] for dy in range(f))
            W = sum(pieces[0, dx].shape[2] for dx in range(f))
            grid = first.new_zeros(K, h, f, w, f)
            for (dy, dx), p in pieces.items():
                grid[:, :p.shape[1], dy, :p.shape[2], dx] = p
            return grid.reshape(K, h * f, w * f)[:, :H, :W]
        """),
        # element by element, new_empty
        _src("""
        def my_interleave(pieces, f):
            K = pieces[0, 0].shape[0]
            H = max(dy + f * (p.shape[1] - 1) for (dy, _), p in pieces.items()) + 1
            W = max(dx + f * (p.shape[2] - 1) for (_, dx), p in pieces.items()) + 1
            dense = pieces[0, 0].new_empty(K, H, W)
            for (dy, dx), p in pieces.items():
                for i in range(p.shape[1]):
                    for j in range(p.shape[2]):
                        dense[:, dy + f * i, dx + f * j] = p[:, i, j]
            return dense
        """),
    ],
    "centre_pixel": [
        _src("""
        def my_centre_pixel(dy, dx, i, j):
            row = 4 * i + dy + 16
            col = 4 * j + dx + 16
            return [row, col]
        """),
        _src("""
        def my_centre_pixel(dy, dx, i, j):
            window, stride = 32, 4
            top, left = dy + stride * i, dx + stride * j  # the window in canvas pixels
            return top + window // 2, left + window // 2
        """),
        _src("""
        import numpy as np

        def my_centre_pixel(dy, dx, i, j):
            return tuple(np.array([dy, dx]) + 4 * np.array([i, j]) + 16)
        """),
        _src("""
        import torch

        def my_centre_pixel(dy, dx, i, j):
            return torch.tensor([dy, dx]) + 4 * torch.tensor([i, j]) + 16
        """),
    ],
    "atrous_dilations": [
        _src("""
        from itertools import accumulate
        import operator

        def my_dilations(strides):
            return [1] + list(accumulate(strides[:-1], operator.mul))
        """),
        # a list of np.int64
        _src("""
        import numpy as np

        def my_dilations(strides):
            return list(np.cumprod([1] + list(strides[:-1])))
        """),
        _src("""
        import math

        def my_dilations(strides):
            return [math.prod(strides[:i]) for i in range(len(strides))]
        """),
        # a torch tensor
        _src("""
        import torch

        def my_dilations(strides):
            s = torch.tensor(strides)
            return torch.cat([torch.ones(1, dtype=s.dtype), s.cumprod(0)[:-1]])
        """),
        _src("""
        def my_dilations(strides):
            out = []
            for i in range(len(strides)):
                d = 1
                for s in strides[:i]:
                    d *= s
                out.append(d)
            return out
        """),
    ],
    # ---------------------------------------------------------------- notebook 05
    "zero_insert": [
        # torch.zeros without dtype
        _src("""
        import torch

        def my_zero_insert(x, stride):
            h, w = x.shape
            out = torch.zeros(stride * (h - 1) + 1, stride * (w - 1) + 1)
            out[::stride, ::stride] = x
            return out
        """),
        # NumPy
        _src("""
        import numpy as np

        def my_zero_insert(x, stride):
            x = np.asarray(x)
            out = np.zeros(((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1))
            out[::stride, ::stride] = x
            return out
        """),
        # a transposed convolution with a 1x1 kernel of one: (i - 1) * s + 1
        _src("""
        import torch
        import torch.nn.functional as F

        def my_zero_insert(x, stride):
            one = torch.ones(1, 1, 1, 1, dtype=x.dtype)
            return F.conv_transpose2d(x[None, None], one, stride=stride)[0, 0]
        """),
        # reshape trick: (h, s, w, s) with the value in the corner, then crop
        _src("""
        def my_zero_insert(x, stride):
            h, w = x.shape
            grid = x.new_zeros(h, stride, w, stride)
            grid[:, 0, :, 0] = x
            full = grid.reshape(h * stride, w * stride)
            return full[:(h - 1) * stride + 1, :(w - 1) * stride + 1]
        """),
        # loops
        _src("""
        import torch

        def my_zero_insert(x, stride):
            out = torch.zeros((x.shape[0] - 1) * stride + 1, (x.shape[1] - 1) * stride + 1,
                              dtype=x.dtype)
            for r in range(x.shape[0]):
                for c in range(x.shape[1]):
                    out[r * stride, c * stride] = x[r, c]
            return out
        """),
    ],
    "transposed_output_size": [
        _src("""
        def my_transposed_size(i, k, s, p, output_padding):
            return s * (i - 1) + k - 2 * p + output_padding
        """),
        # ask PyTorch
        _src("""
        import torch
        from torch import nn

        def my_transposed_size(i, k, s, p, output_padding):
            layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=output_padding)
            with torch.no_grad():
                return layer(torch.zeros(1, 1, i, i)).shape[-1]
        """),
        # the stamps' extent, minus the padding, plus the output padding
        _src("""
        def my_transposed_size(i, k, s, p, output_padding):
            last_stamp_start = (i - 1) * s
            full = last_stamp_start + k   # every stamp, overlapping sums
            return full - 2 * p + output_padding
        """),
        # the dilation-general formula with d = 1, NumPy
        _src("""
        import numpy as np

        def my_transposed_size(i, k, s, p, output_padding):
            d = 1
            return np.int64((i - 1) * s - 2 * p + d * (k - 1) + output_padding + 1)
        """),
    ],
    "bilinear_kernel": [
        # NumPy float64
        _src("""
        import numpy as np

        def my_bilinear_kernel(f):
            k = 2 * f - f % 2
            centre = (k - 1) / 2
            profile = 1 - np.abs(np.arange(k) - centre) / f
            return np.outer(profile, profile)
        """),
        # Python loops
        _src("""
        import torch

        def my_bilinear_kernel(f):
            k = 2 * f - 1 if f % 2 == 1 else 2 * f
            m = f - 1 if k % 2 == 1 else f - 0.5
            return torch.tensor([[(1 - abs(r - m) / f) * (1 - abs(q - m) / f) for q in range(k)]
                                 for r in range(k)])
        """),
        # the Caffe / FCN upsample_filt with np.ogrid
        _src("""
        import numpy as np

        def my_bilinear_kernel(f):
            size = 2 * f - f % 2
            center = f - 1 if size % 2 == 1 else f - 0.5
            og = np.ogrid[:size, :size]
            return (1 - abs(og[0] - center) / f) * (1 - abs(og[1] - center) / f)
        """),
        # float64 tensor, broadcasting
        _src("""
        import torch

        def my_bilinear_kernel(f):
            k = 2 * f - f % 2
            taps = torch.arange(k, dtype=torch.float64)
            profile = 1 - (taps - (k - 1) / 2).abs() / f
            return profile[:, None] * profile[None, :]
        """),
    ],
    "stamp_counts": [
        # simulate the stamps on a long 1-D output
        _src("""
        def my_stamp_counts(k, s):
            n = 10 * k
            counts = [0] * ((n - 1) * s + k)
            for i in range(n):
                for t in range(k):
                    counts[i * s + t] += 1
            start = 4 * k * s  # interior, a multiple of s
            return counts[start:start + s]
        """),
        _src("""
        import numpy as np

        def my_stamp_counts(k, s):
            r = np.arange(s)
            return (k - 1 - r) // s + 1
        """),
        _src("""
        import math

        def my_stamp_counts(k, s):
            return [math.ceil((k - r) / s) for r in range(s)]
        """),
        # count the inputs i with 0 <= o - i*s < k
        _src("""
        def my_stamp_counts(k, s):
            counts = []
            for r in range(s):
                o = 10 * k * s + r
                counts.append(sum(1 for i in range(100 * k) if 0 <= o - i * s < k))
            return counts
        """),
        # PyTorch, with int-valued floats returned as a tensor
        _src("""
        import torch
        import torch.nn.functional as F

        def my_stamp_counts(k, s):
            out = F.conv_transpose1d(torch.ones(1, 1, 5 * k), torch.ones(1, 1, k), stride=s)[0, 0]
            start = 2 * k * s
            return out[start:start + s].long()
        """),
    ],
    # ---------------------------------------------------------------- notebook 06
    "fcn16_fusion": [
        # bias-free zero-initialised score_pool4
        _src("""
        import torch
        from torch import nn

        def my_fcn16(fcn32):
            class FCN16(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fcn32 = fcn32
                    self.score_pool4 = nn.Conv2d(fcn32.backbone.channels["pool4"],
                                                 fcn32.score.out_channels, 1, bias=False)
                    nn.init.zeros_(self.score_pool4.weight)

                def forward(self, x):
                    maps = self.fcn32.backbone(x)
                    s = self.fcn32.score(self.fcn32.relu6(self.fcn32.fc6(maps["pool5"])))
                    s = self.fcn32.up[0](s) + self.score_pool4(maps["pool4"])
                    for up in self.fcn32.up[1:]:
                        s = up(s)
                    return s

            return FCN16()
        """),
        # the FCN-32s' parts as direct submodules of a deep copy; weight.data.zero_()
        _src("""
        import copy
        import torch
        from torch import nn

        class MyFCN16(nn.Module):
            def __init__(self, fcn32):
                super().__init__()
                fcn32 = copy.deepcopy(fcn32)
                self.backbone, self.fc6, self.relu6 = fcn32.backbone, fcn32.fc6, fcn32.relu6
                self.score, self.up = fcn32.score, fcn32.up
                self.score_pool4 = nn.Conv2d(self.backbone.channels["pool4"],
                                             self.score.out_channels, kernel_size=(1, 1))
                self.score_pool4.weight.data.zero_()
                self.score_pool4.bias.data.zero_()

            def forward(self, x):
                maps = self.backbone(x)
                s = self.score(self.relu6(self.fc6(maps["pool5"])))
                for i, up in enumerate(self.up):
                    s = up(s)
                    if i == 0:
                        s = s + self.score_pool4(maps["pool4"])
                return s

        def my_fcn16(fcn32):
            return MyFCN16(fcn32)
        """),
        # torch.no_grad + fill_, the pool4 scores added in place of a separate variable
        _src("""
        import torch
        from torch import nn

        class FCN16s(nn.Module):
            def __init__(self, fcn32):
                super().__init__()
                self.fcn32 = fcn32
                in_ch = fcn32.backbone.channels["pool4"]
                n_cls = fcn32.score.out_channels
                self.score_pool4 = nn.Conv2d(in_ch, n_cls, 1)
                with torch.no_grad():
                    self.score_pool4.weight.fill_(0.0)
                    self.score_pool4.bias.fill_(0.0)

            def forward(self, x):
                net = self.fcn32
                feats = net.backbone(x)
                pool5_scores = net.score(net.relu6(net.fc6(feats["pool5"])))
                fused = net.up[0](pool5_scores) + self.score_pool4(feats["pool4"])
                out = fused
                for k in range(1, len(net.up)):
                    out = net.up[k](out)
                return out

        def my_fcn16(fcn32):
            return FCN16s(fcn32)
        """),
        # constant_ init, nn.Sequential for the last four upsamplers
        _src("""
        import torch
        from torch import nn

        def my_fcn16(fcn32):
            class FCN16(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fcn32 = fcn32
                    self.score_pool4 = nn.Conv2d(fcn32.backbone.channels["pool4"],
                                                 fcn32.score.out_channels, kernel_size=1)
                    nn.init.constant_(self.score_pool4.weight, 0.0)
                    nn.init.constant_(self.score_pool4.bias, 0.0)
                    self.rest = nn.Sequential(*fcn32.up[1:])

                def forward(self, x):
                    m = self.fcn32.backbone(x)
                    coarse = self.fcn32.score(self.fcn32.relu6(self.fcn32.fc6(m["pool5"])))
                    return self.rest(self.fcn32.up[0](coarse) + self.score_pool4(m["pool4"]))

            return FCN16()
        """),
    ],
    "mean_iu": [
        # float32: int64 / int64 true division
        _src("""
        def my_mean_iu(confusion):
            n = confusion
            return (n.diag() / (n.sum(0) + n.sum(1) - n.diag())).nanmean().item()
        """),
        # NumPy
        _src("""
        import numpy as np

        def my_mean_iu(confusion):
            n = np.asarray(confusion, dtype=np.float64)
            tp = np.diag(n)
            with np.errstate(invalid="ignore", divide="ignore"):
                iu = tp / (n.sum(axis=1) + n.sum(axis=0) - tp)
            return np.nanmean(iu)
        """),
        # Python loops over the classes present
        _src("""
        def my_mean_iu(confusion):
            n = confusion.tolist()
            k = len(n)
            ius = []
            for i in range(k):
                t_i = sum(n[i])
                predicted_i = sum(n[j][i] for j in range(k))
                union = t_i + predicted_i - n[i][i]
                if union > 0:
                    ius.append(n[i][i] / union)
            return sum(ius) / len(ius)
        """),
        # a 0-d float64 tensor, mask instead of nanmean
        _src("""
        def my_mean_iu(confusion):
            n = confusion.double()
            union = n.sum(0) + n.sum(1) - n.diag()
            present = union > 0
            return (n.diag()[present] / union[present]).mean()
        """),
    ],
    "frequency_weighted_iu": [
        # float32 (integer matrix, true division)
        _src("""
        def my_fw_iu(confusion):
            n = confusion
            t = n.sum(1)
            iu = n.diag() / (t + n.sum(0) - n.diag())
            return ((t * iu).nansum() / t.sum()).item()
        """),
        # NumPy, frequencies first
        _src("""
        import numpy as np

        def my_fw_iu(confusion):
            n = np.asarray(confusion, dtype=float)
            freq = n.sum(1) / n.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                iu = np.diag(n) / (n.sum(1) + n.sum(0) - np.diag(n))
            return np.nansum(freq * iu)
        """),
        # Python loops
        _src("""
        def my_fw_iu(confusion):
            n = confusion.tolist()
            k = len(n)
            total = sum(sum(row) for row in n)
            acc = 0.0
            for i in range(k):
                t_i = sum(n[i])
                union = t_i + sum(n[j][i] for j in range(k)) - n[i][i]
                if union > 0:
                    acc += t_i * n[i][i] / union
            return acc / total
        """),
        # torch double, nan_to_num
        _src("""
        import torch

        def my_fw_iu(confusion):
            n = confusion.to(torch.float64)
            t = n.sum(dim=1)
            iu = torch.nan_to_num(n.diag() / (t + n.sum(dim=0) - n.diag()))
            return float((t * iu).sum() / t.sum())
        """),
    ],
    # ---------------------------------------------------------------- notebook 07
    "unet_output_size": [
        # closed form for a valid size: size - 12 * 2**depth + 8
        _src("""
        def my_unet_output(size, depth):
            return size - 12 * 2 ** depth + 8
        """),
        # recursion over the levels
        _src("""
        def my_unet_output(size, depth):
            if depth == 0:
                return size - 4  # the bottom's two valid convs
            below = my_unet_output((size - 4) // 2, depth - 1)
            return 2 * below - 4
        """),
        # true division: a float result
        _src("""
        def my_unet_output(size, depth):
            for _ in range(depth):
                size = (size - 4) / 2
            size = size - 4
            for _ in range(depth):
                size = size * 2 - 4
            return size
        """),
        # conv by conv
        _src("""
        def my_unet_output(size, depth):
            def two_convs(n):
                return n - 2 - 2

            for _ in range(depth):
                size = two_convs(size) // 2
            size = two_convs(size)
            for _ in range(depth):
                size = two_convs(size * 2)
            return size
        """),
    ],
    "border_term": [
        _src("""
        import math

        def my_border_term(d1, d2, w0, sigma):
            return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma ** 2))
        """),
        # torch float32
        _src("""
        import torch

        def my_border_term(d1, d2, w0, sigma):
            d = torch.tensor(d1 + d2)
            return w0 * torch.exp(-d ** 2 / (2 * sigma ** 2))
        """),
        _src("""
        import numpy as np

        def my_border_term(d1, d2, w0, sigma):
            return w0 * np.exp(-np.square(d1 + d2) / (2 * np.square(sigma)))
        """),
        _src("""
        import math

        def my_border_term(d1, d2, w0, sigma):
            return w0 / math.exp(((d1 + d2) / sigma) ** 2 / 2)
        """),
    ],
    "border_weights": [
        # running smallest and second smallest distances
        _src("""
        import numpy as np
        from scipy import ndimage

        def my_border_weights(instances, w0, sigma):
            d1 = np.full(instances.shape, np.inf)
            d2 = np.full(instances.shape, np.inf)
            for c in np.unique(instances):
                if c == 0:
                    continue
                d = ndimage.distance_transform_edt(instances != c)
                d2 = np.minimum(d2, np.maximum(d1, d))
                d1 = np.minimum(d1, d)
            w = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma ** 2))
            w[instances > 0] = 0
            return w
        """),
        # np.partition and a multiplication by the background mask
        _src("""
        import numpy as np
        import scipy.ndimage

        def my_border_weights(instances, w0, sigma):
            ids = np.unique(instances)
            ids = ids[ids != 0]
            dist = np.array([scipy.ndimage.distance_transform_edt(instances != i) for i in ids])
            two = np.partition(dist, 1, axis=0)[:2]
            return (instances == 0) * w0 * np.exp(-(two[0] + two[1]) ** 2 / (2 * sigma ** 2))
        """),
        # torch topk, float32
        _src("""
        import numpy as np
        import torch
        from scipy import ndimage

        def my_border_weights(instances, w0, sigma):
            cells = [c for c in np.unique(instances) if c != 0]
            d = torch.stack([torch.tensor(ndimage.distance_transform_edt(instances != c),
                                          dtype=torch.float32) for c in cells])
            nearest = d.topk(2, dim=0, largest=False).values
            w = w0 * torch.exp(-(nearest[0] + nearest[1]) ** 2 / (2 * sigma ** 2))
            return torch.where(torch.as_tensor(instances) == 0, w, torch.zeros_like(w))
        """),
        # pixel by pixel over the background, math.exp
        _src("""
        import math
        import numpy as np
        from scipy import ndimage

        def my_border_weights(instances, w0, sigma):
            cells = [c for c in np.unique(instances) if c > 0]
            maps = [ndimage.distance_transform_edt(instances != c) for c in cells]
            out = np.zeros(instances.shape)
            for r in range(instances.shape[0]):
                for c in range(instances.shape[1]):
                    if instances[r, c] == 0:
                        d1, d2 = sorted(m[r, c] for m in maps)[:2]
                        out[r, c] = w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma ** 2))
            return out
        """),
    ],
    # ---------------------------------------------------------------- notebook 08
    "global_average_pool": [
        _src("""
        def my_gap(x):
            n, c, h, w = x.shape
            return x.sum(dim=(2, 3)) / (h * w)
        """),
        _src("""
        import torch.nn.functional as F

        def my_gap(x):
            return F.adaptive_avg_pool2d(x, 1).flatten(1)
        """),
        # NumPy
        _src("""
        import numpy as np

        def my_gap(x):
            return np.asarray(x).mean(axis=(2, 3))
        """),
        _src("""
        def my_gap(x):
            return x.flatten(2).mean(-1)
        """),
        # loops over the maps
        _src("""
        import torch

        def my_gap(x):
            out = torch.zeros(x.shape[0], x.shape[1])
            for i in range(x.shape[0]):
                for k in range(x.shape[1]):
                    out[i, k] = x[i, k].mean()
            return out
        """),
    ],
    "class_activation_map": [
        _src("""
        import torch

        def my_cam(features, weight, c):
            return torch.tensordot(weight[c], features, dims=1)
        """),
        # matrix product on flattened maps
        _src("""
        def my_cam(features, weight, c):
            k, h, w = features.shape
            return (weight[c] @ features.reshape(k, h * w)).reshape(h, w)
        """),
        # NumPy
        _src("""
        import numpy as np

        def my_cam(features, weight, c):
            return np.tensordot(np.asarray(weight)[c], np.asarray(features), axes=(0, 0))
        """),
        # sum over k in a loop
        _src("""
        import torch

        def my_cam(features, weight, c):
            cam = torch.zeros(features.shape[1:])
            for k in range(features.shape[0]):
                cam += weight[c, k] * features[k]
            return cam
        """),
        # every class, then pick c
        _src("""
        import torch

        def my_cam(features, weight, c):
            return torch.einsum("ck,khw->chw", weight, features)[c]
        """),
    ],
    "cam_threshold": [
        # torch.tensor(thresholds)[best] (a float32 0-d tensor)
        _src("""
        import torch
        from course_utils import gap, metrics

        def my_cam_threshold(cams, labels, thresholds):
            scores = []
            for t in thresholds:
                pred = gap.cam_segmentation(cams, t)
                scores.append(metrics.segmentation_scores(pred, labels, cams.shape[1] + 1).mean_iu)
            best = torch.tensor(scores).argmax()
            return torch.tensor(thresholds)[best]
        """),
        # explicit search, confusion matrix then scores
        _src("""
        from course_utils import gap, metrics

        def my_cam_threshold(cams, labels, thresholds):
            best_t, best_iu = None, -1.0
            for t in thresholds:
                confusion = metrics.confusion_matrix(gap.cam_segmentation(cams, t), labels,
                                                     cams.shape[1] + 1)
                iu = metrics.scores_from_confusion(confusion).mean_iu
                if iu > best_iu:
                    best_t, best_iu = t, iu
            return best_t
        """),
        # np.argmax, indexing the list
        _src("""
        import numpy as np
        from course_utils import gap, metrics

        def my_cam_threshold(cams, labels, thresholds):
            num_classes = cams.shape[1] + 1
            ious = [metrics.segmentation_scores(gap.cam_segmentation(cams, t), labels,
                                                num_classes).mean_iu for t in thresholds]
            return thresholds[int(np.argmax(ious))]
        """),
        # np.array(thresholds)[argmax] (np.float64), own mean IU from the confusion matrix
        _src("""
        import numpy as np
        from course_utils import gap, metrics

        def my_cam_threshold(cams, labels, thresholds):
            def mean_iu(t):
                n = metrics.confusion_matrix(gap.cam_segmentation(cams, t), labels,
                                             cams.shape[1] + 1).numpy().astype(float)
                with np.errstate(invalid="ignore", divide="ignore"):
                    iu = np.diag(n) / (n.sum(0) + n.sum(1) - np.diag(n))
                return np.nanmean(iu)

            return np.array(thresholds)[np.argmax([mean_iu(t) for t in thresholds])]
        """),
    ],
}

assert set(ANSWERS) == set(NAMES) == set(NOTEBOOK)
assert all(len(v) >= 3 for v in ANSWERS.values())



# ------------------------------------------------------------------------------------------------
# Exercises new in the working tree (not at HEAD 5874fc0): names from the current notebooks.
NAMES.update({
    "diagonal_edge_kernel": "my_diagonal_edge_kernel",
    "lenet_rgb_parameters": "my_rgb_prediction",
    "misleading_confusion": "my_flattering_confusion",
    "unet_input_for_output": "my_input_side",
})
NOTEBOOK.update({"diagonal_edge_kernel": "01_convolution.ipynb",
                 "lenet_rgb_parameters": "01_convolution.ipynb",
                 "misleading_confusion": "06_skip_connections.ipynb",
                 "unet_input_for_output": "07_unet.ipynb"})
ANSWERS.update({
    "diagonal_edge_kernel": [
        # diagonal Sobel, x + y - 2, with int literals
        _src("""
        import torch

        def my_diagonal_edge_kernel():
            return torch.tensor([[-2, -1, 0], [-1, 0, 1], [0, 1, 2]])
        """),
        # NumPy outer sum (int array)
        _src("""
        import numpy as np

        def my_diagonal_edge_kernel():
            return np.add.outer(np.arange(3), np.arange(3)) - 2
        """),
        # bottom-right corner minus top-left corner
        _src("""
        import torch

        def my_diagonal_edge_kernel():
            kernel = torch.zeros(3, 3)
            kernel[0, 0], kernel[2, 2] = -1.0, 1.0
            return kernel
        """),
        # a nested list: the four edge-centre taps along x + y
        _src("""
        def my_diagonal_edge_kernel():
            return [[0, -1, 0],
                    [-1, 0, 1],
                    [0, 1, 0]]
        """),
    ],
    "lenet_rgb_parameters": [
        # a list
        _src("""
        conv1_rgb = 6 * (3 * 5 * 5 + 1)
        conv1_grey = 6 * (1 * 5 * 5 + 1)
        my_rgb_prediction = [conv1_rgb, conv1_rgb - conv1_grey]
        """),
        # only the two extra channels' weights are new: 2 * 6 * 25, as a tensor
        _src("""
        import torch

        my_rgb_prediction = torch.tensor([456, 2 * 6 * 25])
        """),
        # NumPy ints
        _src("""
        import numpy as np

        weights_per_filter = np.prod([3, 5, 5])
        my_rgb_prediction = (6 * (weights_per_filter + 1), 6 * 2 * 5 * 5)
        """),
        # counted with PyTorch (not what "predict" asks, but correct)
        _src("""
        from torch import nn

        count = lambda m: sum(p.numel() for p in m.parameters())
        rgb, grey = count(nn.Conv2d(3, 6, 5)), count(nn.Conv2d(1, 6, 5))
        my_rgb_prediction = (rgb, rgb - grey)
        """),
    ],
    "misleading_confusion": [
        _src("""
        my_flattering_confusion = [[95, 0], [5, 0]]
        """),
        # three classes, the two rare ones confused with each other
        _src("""
        import torch

        my_flattering_confusion = torch.tensor([[900, 0, 0], [0, 0, 50], [0, 50, 0]])
        """),
        _src("""
        import numpy as np

        my_flattering_confusion = np.zeros((4, 4), dtype=np.int64)
        my_flattering_confusion[0, 0] = 970
        my_flattering_confusion[1:, 0] = 10  # every pixel of the small classes called background
        """),
        # floats that are whole numbers, a tuple of tuples
        _src("""
        my_flattering_confusion = ((180.0, 0.0), (20.0, 0.0))
        """),
    ],
    "unet_input_for_output": [
        # the margin, level by level: 4 px lost at level l are 4 * 2**l input pixels
        _src("""
        down = sum(4 * 2 ** level for level in range(4))
        bottom = 4 * 2 ** 4
        up = sum(4 * 2 ** level for level in range(4))
        my_input_side = 100 + down + bottom + up
        """),
        # NumPy int
        _src("""
        import numpy as np

        my_input_side = np.int64(100) + (572 - 388)
        """),
        # a float that is a whole number
        _src("""
        my_input_side = 100 + 184.0
        """),
        # a 0-d tensor
        _src("""
        import torch

        my_input_side = torch.tensor(100) + 572 - 388
        """),
    ],
})

# HEAD (5874fc0) only: notebook 01's vertical-edge exercise and its checker, replaced by
# diagonal_edge_kernel in the working tree.
