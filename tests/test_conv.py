import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import conv


@pytest.mark.parametrize("image_shape, kernel_shape", [((6, 6), (3, 3)), ((9, 5), (2, 4)),
                                                       ((5, 5), (5, 5)), ((4, 7), (1, 1))])
def test_loops_equal_f_conv2d(image_shape, kernel_shape):
    gen = torch.Generator().manual_seed(0)
    image = torch.randn(image_shape, generator=gen, dtype=torch.float64)
    kernel = torch.randn(kernel_shape, generator=gen, dtype=torch.float64)
    expected = F.conv2d(image[None, None], kernel[None, None])[0, 0]
    assert torch.allclose(conv.conv2d_loops(image, kernel), expected)


def test_loops_do_not_flip_the_kernel():
    image = torch.zeros(3, 3)
    image[0, 0] = 1.0
    kernel = torch.arange(4.0).reshape(2, 2)
    # output (0, 0) sees image[0, 0] through kernel[0, 0] only
    assert conv.conv2d_loops(image, kernel)[0, 0] == kernel[0, 0]


@pytest.mark.parametrize("image_shape, kernel_shape", [((6, 6), (3, 3)), ((5, 8), (2, 3))])
def test_matrix_times_vector_equals_convolution(image_shape, kernel_shape):
    gen = torch.Generator().manual_seed(1)
    image = torch.randn(image_shape, generator=gen, dtype=torch.float64)
    kernel = torch.randn(kernel_shape, generator=gen, dtype=torch.float64)
    m = conv.conv_matrix(kernel, image_shape)
    out_h, out_w = image_shape[0] - kernel_shape[0] + 1, image_shape[1] - kernel_shape[1] + 1
    assert m.shape == (out_h * out_w, image_shape[0] * image_shape[1])
    assert torch.allclose(m @ image.flatten(), conv.conv2d_loops(image, kernel).flatten())
    assert ((m != 0).sum(1) == kernel.numel()).all()


def test_conv_parameters_matches_nn_conv2d():
    for cin, cout, k in [(1, 6, 5), (3, 64, 3), (512, 4096, 7)]:
        layer = nn.Conv2d(cin, cout, k, device="meta")
        assert conv.conv_parameters(cin, cout, k) == sum(p.numel() for p in layer.parameters())
    assert conv.conv_parameters(2, 3, (1, 5), bias=False) == 30


@pytest.mark.parametrize("func", [conv.conv2d_loops, lambda i, k: conv.conv_matrix(k, (4, 4))])
def test_bad_rank_and_dtype(func):
    with pytest.raises(ValueError, match=r"kernel must be 2-D \(H, W\); got shape \(1, 3, 3\)"):
        func(torch.zeros(4, 4), torch.zeros(1, 3, 3))
    with pytest.raises(TypeError, match="kernel must be a floating-point tensor"):
        func(torch.zeros(4, 4), torch.zeros(3, 3, dtype=torch.int64))


def test_image_rank_and_size_errors():
    with pytest.raises(ValueError, match=r"image must be 2-D \(H, W\); got shape \(1, 1, 4, 4\)"):
        conv.conv2d_loops(torch.zeros(1, 1, 4, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="larger than the image"):
        conv.conv2d_loops(torch.zeros(2, 4), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="image_shape must be"):
        conv.conv_matrix(torch.zeros(3, 3), (4,))
    with pytest.raises(TypeError, match="image must be a torch.Tensor"):
        conv.conv2d_loops([[0.0]], torch.zeros(1, 1))


def test_conv_parameters_bad_input():
    with pytest.raises(ValueError, match="in_channels must be an int >= 1"):
        conv.conv_parameters(0, 4, 3)
    with pytest.raises(ValueError, match="kernel width"):
        conv.conv_parameters(1, 4, (3, 0))
