import itertools
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import upsampling as up
from course_utils.conv import conv_output_size


def test_nearest_and_bed_of_nails():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert torch.equal(up.nearest(x, 2), torch.tensor(
        [[1.0, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]))
    assert torch.equal(up.bed_of_nails(x, 2), torch.tensor(
        [[1.0, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]))
    batch = torch.rand(2, 3, 4, 5)
    assert up.nearest(batch, 3).shape == (2, 3, 12, 15)
    assert torch.equal(up.nearest(batch, 3), F.interpolate(batch, scale_factor=3, mode="nearest"))
    assert up.bed_of_nails(batch[0], 2).shape == (3, 8, 10)


def test_zero_insert():
    x = torch.arange(1.0, 5.0).view(2, 2)
    assert torch.equal(up.zero_insert(x, 3), torch.tensor(
        [[1.0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]]))
    assert torch.equal(up.zero_insert(x, 1), x)


CASES = list(itertools.product([1, 2, 3], [0, 1, 2], [1, 2], [1, 2, 3, 4]))


@pytest.mark.parametrize("stride, padding, dilation, kernel", CASES)
def test_three_views_of_transposed_convolution_agree(stride, padding, dilation, kernel):
    rng = random.Random(hash((stride, padding, dilation, kernel)) % 1000)
    gen = torch.Generator().manual_seed(rng.randrange(1000))
    for output_padding in range(max(stride, dilation)):
        size = (rng.randint(2, 6), rng.randint(2, 6))
        try:
            for s in size:
                up.transposed_output_size(s, kernel, stride=stride, padding=padding,
                                          output_padding=output_padding, dilation=dilation)
        except ValueError:
            continue  # padding removes everything
        x = torch.randn(2, 3, *size, generator=gen, dtype=torch.float64)
        w = torch.randn(3, 2, kernel, kernel, generator=gen, dtype=torch.float64)
        ref = F.conv_transpose2d(x, w, stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation)
        kw = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
        as_conv = up.transposed_conv_as_conv(x, w, **kw)
        as_grad = up.transposed_conv_as_gradient(x, w, **kw)
        assert as_conv.shape == as_grad.shape == ref.shape
        assert torch.allclose(as_conv, ref) and torch.allclose(as_grad, ref)


@pytest.mark.parametrize("factor, profile", [
    (2, [0.25, 0.75, 0.75, 0.25]),
    (3, [1 / 3, 2 / 3, 1.0, 2 / 3, 1 / 3]),
    (4, [0.125, 0.375, 0.625, 0.875, 0.875, 0.625, 0.375, 0.125]),
])
def test_bilinear_kernel_values(factor, profile):
    weight = up.bilinear_kernel(factor, channels=3)
    size = len(profile)
    assert weight.shape == (3, 3, size, size)
    expected = torch.outer(torch.tensor(profile), torch.tensor(profile)).float()
    for c in range(3):
        assert torch.allclose(weight[c, c], expected)
        for other in range(3):
            if other != c:
                assert (weight[c, other] == 0).all()  # channel c maps only to channel c


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_bilinear_upsampler_equals_interpolate_inside(factor):
    x = torch.rand(1, 2, 6, 7, generator=torch.Generator().manual_seed(factor))
    layer = up.bilinear_upsampler(factor, 2)
    out = layer(x)
    ref = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    assert out.shape == ref.shape == (1, 2, 6 * factor, 7 * factor)
    inner = (..., slice(factor, -factor), slice(factor, -factor))
    assert torch.allclose(out[inner], ref[inner], atol=1e-6)
    assert not torch.allclose(out, ref, atol=1e-3)  # the borders differ (zeros vs clamping)
    assert layer.weight.requires_grad
    assert not up.bilinear_upsampler(2, 1, learnable=False).weight.requires_grad


def test_output_size_formulas_match_pytorch():
    for i, k, s, p, d in itertools.product([1, 4, 7], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2]):
        x = torch.zeros(1, 1, i, i)
        try:
            expected = nn.Conv2d(1, 1, k, s, p, d)(x).shape[-1]
        except RuntimeError:
            with pytest.raises(ValueError, match="spans"):
                conv_output_size(i, k, stride=s, padding=p, dilation=d)
            continue
        assert conv_output_size(i, k, stride=s, padding=p, dilation=d) == expected
        for a in range(max(s, d)):
            try:
                expected_t = nn.ConvTranspose2d(1, 1, k, s, p, a, dilation=d)(x).shape[-1]
            except RuntimeError:
                with pytest.raises(ValueError, match="removes everything"):
                    up.transposed_output_size(i, k, stride=s, padding=p, output_padding=a,
                                              dilation=d)
                continue
            assert up.transposed_output_size(i, k, stride=s, padding=p, output_padding=a,
                                              dilation=d) == expected_t


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="stride must be an int >= 1; got 0"):
        conv_output_size(5, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be an int >= 0; got -1"):
        up.transposed_output_size(5, 3, padding=-1)
    with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
        up.transposed_output_size(5, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="stride must be an int >= 1"):
        up.zero_insert(torch.zeros(2, 2), 0)
    with pytest.raises(ValueError, match="factor must be an int >= 1"):
        up.nearest(torch.zeros(2, 2), 1.5)
    with pytest.raises(ValueError, match=r"x must have shape \(H, W\)"):
        up.bed_of_nails(torch.zeros(2), 2)
    with pytest.raises(ValueError, match=r"weight must have shape \(C_in, C_out, kh, kw\)"):
        up.transposed_conv_as_conv(torch.zeros(1, 2, 3, 3), torch.zeros(2, 2, 3))
    with pytest.raises(ValueError, match="weight has 3 input channels but x has 2"):
        up.transposed_conv_as_gradient(torch.zeros(1, 2, 3, 3), torch.zeros(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C_in, H, W\)"):
        up.transposed_conv_as_conv(torch.zeros(2, 3, 3), torch.zeros(2, 2, 3, 3))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        up.nearest([[1.0]], 2)
