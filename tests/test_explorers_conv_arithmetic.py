import numpy as np
import pytest
import torch
from torch import nn

from course_utils.explorers import conv_arithmetic as ce


def test_conv_view_places_taps_with_stride_and_dilation():
    view = ce.conv_arithmetic_view(5, 3, stride=2, padding=1, dilation=2, out_cell=(1, 0))
    layer = nn.Conv2d(1, 1, 3, stride=2, padding=1, dilation=2)
    assert view.output_size == layer(torch.zeros(1, 1, 5, 5)).shape[-1] and view.grid_size == 7
    assert view.input_cells == [1, 2, 3, 4, 5] and view.zero_cells == []
    assert (2, 0) in view.taps and (6, 4) in view.taps and len(view.taps) == 9
    assert "= 2" in view.formula


def test_transposed_view_inserts_zeros_and_pads():
    view = ce.conv_arithmetic_view(3, 3, stride=2, padding=0, transposed=True, out_cell=(0, 0))
    # zero-inserted 5 cells, padded by k - 1 - p = 2 on each side
    assert view.grid_size == 9 and view.input_cells == [2, 4, 6] and view.zero_cells == [3, 5]
    layer = nn.ConvTranspose2d(1, 1, 3, stride=2)
    assert view.output_size == layer(torch.zeros(1, 1, 3, 3)).shape[-1] and view.taps[0] == (0, 0)
    cropped = ce.conv_arithmetic_view(3, 3, stride=2, padding=3, transposed=True)
    assert cropped.grid_size == 3 and cropped.output_size == 1  # padding > k - 1 crops


def test_render_colours_cells():
    view = ce.conv_arithmetic_view(3, 3, stride=2, transposed=True, out_cell=(0, 0))
    frame = ce.render_conv_arithmetic(view)
    cell = (frame.shape[0] - 1) // view.grid_size
    centre = lambda r, c: frame[r * cell + cell // 2, c * cell + cell // 2]  # noqa: E731
    assert tuple(centre(2, 6)) == ce.INPUT_RGB
    assert tuple(centre(3, 4)) == ce.ZERO_RGB
    assert tuple(centre(8, 8)) == ce.PADDING_RGB
    assert tuple(centre(0, 0)) != ce.PADDING_RGB  # under the kernel


@pytest.mark.widgets
def test_explorer_sliders_redraw_and_report_invalid_layers():
    explorer = ce.ConvArithmeticExplorer(side=5, kernel=3, stride=2, padding=1)
    assert explorer.view.output_size == 3 and explorer.row.max == 2
    explorer.mode.value = "transposed convolution"
    assert explorer.view.transposed and explorer.view.output_size == 9
    before = explorer.frame.copy()
    explorer.row.value, explorer.col.value = 4, 6
    assert explorer.view.out_cell == (4, 6) and not np.array_equal(before, explorer.frame)
    assert explorer.view.taps[0] == (4, 6)
    explorer.output_padding.value = 2
    assert "output_padding must be smaller" in explorer.caption.value and explorer.error
    explorer.output_padding.value = 1
    assert explorer.error is None and explorer.view.output_size == 10
    explorer.side.value = 2
    assert explorer.row.max == explorer.view.output_size - 1
    assert explorer.picture.value[:4] == b"\x89PNG"


def test_view_bad_input():
    with pytest.raises(ValueError, match="output_padding only applies to transposed"):
        ce.conv_arithmetic_view(5, 3, output_padding=1)
    with pytest.raises(ValueError, match="out_cell row=3 is outside the 3x3 output"):
        ce.conv_arithmetic_view(5, 3, out_cell=(3, 0))
    with pytest.raises(ValueError, match="stride must be an int >= 1; got 0"):
        ce.conv_arithmetic_view(5, 3, stride=0)


@pytest.mark.parametrize("side, kernel, stride, padding, dilation, output_padding", [
    (5, 3, 2, 1, 1, 1), (4, 4, 2, 1, 1, 0), (6, 3, 3, 2, 2, 1), (3, 2, 1, 0, 3, 2)])
def test_taps_are_the_inputs_the_layer_reads(side, kernel, stride, padding, dilation,
                                             output_padding):
    """Oracle: autograd says which cells of the drawn grid one output cell depends on."""
    view = ce.conv_arithmetic_view(side, kernel, stride=stride, padding=padding,
                                   output_padding=output_padding, dilation=dilation,
                                   transposed=True, out_cell=(1, 1))
    layer = nn.ConvTranspose2d(1, 1, kernel, stride=stride, padding=padding,
                               output_padding=output_padding, dilation=dilation, bias=False)
    nn.init.constant_(layer.weight, 1.0)
    x = torch.ones(1, 1, side, side, requires_grad=True)
    out = layer(x)
    assert out.shape[-1] == view.output_size
    out[0, 0, 1, 1].backward()
    read = {(r, c) for r, c in torch.nonzero(x.grad[0, 0]).tolist()}
    inputs = view.input_cells
    drawn = {(inputs.index(r), inputs.index(c)) for r, c in view.taps
             if r in inputs and c in inputs}
    assert drawn == read
