import torch

from course_utils import checks, conv


def test_conv2d_checker_accepts_a_correct_solution():
    result = checks.conv2d(conv.conv2d_loops)
    assert result and result.passed and "PASS" in repr(result)


def test_conv2d_checker_reports_unfinished_stub_without_raising():
    def stub(image, kernel):
        raise NotImplementedError

    result = checks.conv2d(stub)
    assert not result and not result.solved and "not solved yet" in result.message
    assert "TODO" in repr(result) and "TODO" in result._repr_html_()


def test_conv2d_checker_hints():
    flipped = checks.conv2d(lambda i, k: conv.conv2d_loops(i, k.flip(0, 1)))
    assert not flipped and "flipped the kernel" in flipped.message
    assert "FAIL" in flipped._repr_html_() and "&#x27;" in flipped._repr_html_()  # escaped
    same_size = checks.conv2d(lambda i, k: torch.zeros_like(i))
    assert not same_size and "H - kh + 1" in same_size.message
    wrong = checks.conv2d(lambda i, k: conv.conv2d_loops(i, k) + 1)
    assert not wrong and "check the indices" in wrong.message
    crash = checks.conv2d(lambda i, k: i[100])
    assert not crash and "raised IndexError" in crash.message and crash.solved
    assert "expected a function" in checks.conv2d(42).message
    assert "missing `return`" in checks.conv2d(lambda i, k: None).message


def test_conv_parameters_checker():
    assert checks.conv_parameters(conv.conv_parameters)
    no_bias = checks.conv_parameters(lambda i, o, k: o * i * k * k)
    assert not no_bias and "bias" in no_bias.message
    flat = checks.conv_parameters(lambda i, o, k: o * (k * k + 1))
    assert not flat and "all input channels" in flat.message
    other = checks.conv_parameters(lambda i, o, k: 0)
    assert not other and "Hint" in other.message


def test_receptive_field_chain_checker():
    def right(layers):
        size, jump, pad = 1, 1, 0
        for k, s, p, d in layers:
            size, jump, pad = size + d * (k - 1) * jump, jump * s, pad + p * jump
        return size, jump, pad

    assert checks.receptive_field_chain(right)

    def no_dilation(layers):
        size, jump, pad = 1, 1, 0
        for k, s, p, _ in layers:
            size, jump, pad = size + (k - 1) * jump, jump * s, pad + p * jump
        return size, jump, pad

    result = checks.receptive_field_chain(no_dilation)
    assert not result and "dilation" in result.message

    def jump_after(layers):
        size, jump, pad = 1, 1, 0
        for k, s, p, d in layers:
            jump *= s
            size, pad = size + d * (k - 1) * jump, pad + p * jump
        return size, jump, pad

    assert not checks.receptive_field_chain(jump_after)
    assert "return a tuple" in checks.receptive_field_chain(lambda layers: 0).message
    assert checks.receptive_field_chain(lambda layers: (_ for _ in ()).throw(
        NotImplementedError)).solved is False


def test_rf_design_checker():
    from torch import nn

    dilated = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=2**i, padding=2**i) for i in range(6)])
    assert checks.rf_design(dilated)
    plain = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(6)])
    result = checks.rf_design(plain)
    assert not result and "only 13x13" in result.message
    pooled = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2))
    assert "no pooling" in checks.rf_design(pooled).message
    too_deep = nn.Sequential(*[nn.Conv2d(1, 1, 3) for _ in range(7)])
    assert "at most 6" in checks.rf_design(too_deep).message
    assert checks.rf_design(None).solved is False


def test_linear_to_conv_checker():
    from course_utils import dense_prediction

    assert checks.linear_to_conv(dense_prediction.linear_to_conv)

    def keras_order(linear, shape):
        c, h, w = shape
        conv = torch.nn.Conv2d(c, linear.out_features, (h, w))
        with torch.no_grad():
            conv.weight.copy_(linear.weight.view(-1, h, w, c).permute(0, 3, 1, 2))
            conv.bias.copy_(linear.bias)
        return conv

    result = checks.linear_to_conv(keras_order)
    assert not result and "Keras" in result.message
    wrong_kernel = checks.linear_to_conv(lambda lin, s: torch.nn.Conv2d(s[0], 3, 1))
    assert not wrong_kernel and "as large as the whole volume" in wrong_kernel.message
    assert "return an nn.Conv2d" in checks.linear_to_conv(lambda lin, s: lin).message


def test_fcn_output_size_checker():
    assert checks.fcn_output_size(lambda h, w: ((h - 32) // 4 + 1, (w - 32) // 4 + 1))
    off_by_one = checks.fcn_output_size(lambda h, w: ((h - 32) // 4, (w - 32) // 4))
    assert not off_by_one and "+ 1" in off_by_one.message
    assert not checks.fcn_output_size(lambda h, w: (h // 4, w // 4))


def test_interleave_checker():
    def right(pieces, f):
        h = max(dy + f * (p.shape[1] - 1) for (dy, _), p in pieces.items()) + 1
        w = max(dx + f * (p.shape[2] - 1) for (_, dx), p in pieces.items()) + 1
        out = torch.zeros(pieces[0, 0].shape[0], h, w)
        for (dy, dx), p in pieces.items():
            out[:, dy::f, dx::f] = p
        return out

    assert checks.interleave(right)

    def swapped(pieces, f):
        out = right(pieces, f)
        return out.transpose(1, 2) if out.shape[1] == out.shape[2] else out * 0

    assert not checks.interleave(swapped)


def test_atrous_dilations_checker():
    def right(strides):
        out, factor = [], 1
        for s in strides:
            out.append(factor)
            factor *= s
        return out

    assert checks.atrous_dilations(right)

    def own_stride(strides):
        out, factor = [], 1
        for s in strides:
            factor *= s
            out.append(factor)
        return out

    result = checks.atrous_dilations(own_stride)
    assert not result and "before it" in result.message
    assert not checks.atrous_dilations(lambda strides: [1] * len(strides))


def test_zero_insert_checker():
    from course_utils import upsampling

    assert checks.zero_insert(upsampling.zero_insert)
    too_long = checks.zero_insert(lambda x, s: upsampling.bed_of_nails(x, s))
    assert not too_long and "no zeros after the last sample" in too_long.message
    shifted = checks.zero_insert(lambda x, s: upsampling.zero_insert(x, s).roll(1, 0))
    assert not shifted and "wrong places" in shifted.message


def test_transposed_output_size_checker():
    assert checks.transposed_output_size(lambda i, k, s, p, a: (i - 1) * s - 2 * p + k + a)
    forgot = checks.transposed_output_size(lambda i, k, s, p, a: (i - 1) * s - 2 * p + k)
    assert not forgot and "output_padding is added too" in forgot.message
    no_pad = checks.transposed_output_size(lambda i, k, s, p, a: (i - 1) * s + k + a)
    assert not no_pad and "2p" in no_pad.message


def test_iu_checkers():
    from course_utils import metrics

    assert checks.mean_iu(lambda c: metrics.scores_from_confusion(c).mean_iu)
    assert checks.frequency_weighted_iu(lambda c: metrics.scores_from_confusion(c).fw_iu)
    acc = checks.mean_iu(lambda c: metrics.scores_from_confusion(c).mean_acc)
    assert not acc and "mean accuracy" in acc.message

    def nan_as_zero(c):
        n = c.double()
        iu = n.diag() / (n.sum(0) + n.sum(1) - n.diag())
        return float(iu.nan_to_num(0).mean())

    absent = checks.mean_iu(nan_as_zero)
    assert not absent and "leave it out" in absent.message
    assert not checks.frequency_weighted_iu(lambda c: 0.5)
    assert "return a number" in checks.mean_iu(lambda c: "0.5x").message


def test_unet_checkers():
    import math

    from course_utils import unet

    assert checks.border_term(lambda d1, d2, w0, s: w0 * math.exp(-((d1 + d2) ** 2) / (2 * s**2)))
    minus = checks.border_term(lambda d1, d2, w0, s: w0 * math.exp(-((d1 - d2) ** 2) / (2 * s**2)))
    assert not minus and "(d1 + d2)" in minus.message
    variance = checks.border_term(lambda d1, d2, w0, s: w0 * math.exp(-((d1 + d2) ** 2) / (2 * s)))
    assert not variance and "standard deviation" in variance.message
    assert checks.unet_output_size(lambda size, depth: unet.unet_output_size(size, depth, 0))
    assert not checks.unet_output_size(lambda size, depth: size - 4 * depth)


def test_global_average_pool_checker():
    assert checks.global_average_pool(lambda x: x.mean((-2, -1)))
    assert checks.global_average_pool(lambda x: torch.nn.AdaptiveAvgPool2d(1)(x).flatten(1))
    summed = checks.global_average_pool(lambda x: x.sum((-2, -1)))
    assert not summed and "divide by H * W" in summed.message
    maxed = checks.global_average_pool(lambda x: x.amax((-2, -1)))
    assert not maxed and "max" in maxed.message
    kept = checks.global_average_pool(lambda x: x.mean((-2, -1), keepdim=True))
    assert not kept and "shape" in kept.message
    todo = checks.global_average_pool(lambda x: (_ for _ in ()).throw(NotImplementedError))
    assert not todo and not todo.solved


def test_class_activation_map_checker():
    assert checks.class_activation_map(lambda f, w, c: (w[c][:, None, None] * f).sum(0))
    assert checks.class_activation_map(lambda f, w, c: torch.einsum("k,khw->hw", w[c], f))
    averaged = checks.class_activation_map(lambda f, w, c: (w[c][:, None, None] * f).sum(0)
                                           / f[0].numel())
    assert not averaged and "no averaging" in averaged.message
    scores = checks.class_activation_map(lambda f, w, c: w @ f.mean((1, 2)))
    assert not scores and "shape" in scores.message
    wrong = checks.class_activation_map(lambda f, w, c: f.sum(0))
    assert not wrong and "weight[c, k]" in wrong.message


def test_yours_or_falls_back_to_the_reference_until_the_exercise_passes(capsys):
    from course_utils import receptive_field as rf

    def unsolved(layers):
        raise NotImplementedError

    assert checks.yours_or(rf.chain, checks.receptive_field_chain, len) is rf.chain
    assert capsys.readouterr().out == ""
    assert checks.yours_or(unsolved, checks.receptive_field_chain, rf.chain) is rf.chain
    assert "[TODO] using the course's reference" in capsys.readouterr().out
    wrong = checks.yours_or(lambda layers: (1, 1, 0), checks.receptive_field_chain, rf.chain)
    assert wrong is rf.chain and "[FAIL]" in capsys.readouterr().out
