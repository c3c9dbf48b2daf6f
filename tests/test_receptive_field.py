import random

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from course_utils import models
from course_utils import receptive_field as rf
from course_utils.receptive_field import gradient as rg

# ----------------------------------------------------------------------------- helpers


def bbox(mask: torch.Tensor):
    rows = mask.any(1).nonzero().flatten()
    cols = mask.any(0).nonzero().flatten()
    return rows.min().item(), cols.min().item(), rows.max().item(), cols.max().item()


def assert_matches_gradient(net, input_size, layer_rf, unit, exact):
    """The analytic box agrees with the structural gradient set of the unit."""
    h, w = input_size[-2:]
    mask = rg.gradient_receptive_field(net, input_size, layer_rf.name, unit)
    top, left, bottom, right = layer_rf.box(*unit)
    ctop, cleft, cbottom, cright = layer_rf.clipped_box(*unit, (h, w))
    gtop, gleft, gbottom, gright = bbox(mask)
    where = f"{layer_rf.name} unit {unit}: analytic {(top, left, bottom, right)}, gradient bbox " \
            f"{(gtop, gleft, gbottom, gright)}"
    # every influencing pixel lies inside the analytic box ...
    assert ctop <= gtop and cleft <= gleft and gbottom <= cbottom and gright <= cright, where
    # ... and the box's ends are reached wherever they are inside the image
    if top >= 0:
        assert gtop == top, where
    if left >= 0:
        assert gleft == left, where
    if bottom <= h - 1:
        assert gbottom == bottom, where
    if right <= w - 1:
        assert gright == right, where
    inside = top >= 0 and left >= 0 and bottom <= h - 1 and right <= w - 1
    if exact and inside:  # no dilation holes, no skipped pixels: the set is the whole box
        box = torch.zeros_like(mask)
        box[ctop:cbottom + 1, cleft:cright + 1] = True
        assert torch.equal(mask, box), where


def units_to_check(layer_rf, rng):
    n_rows, n_cols = layer_rf.output_size
    corners = {(0, 0), (0, n_cols - 1), (n_rows - 1, 0), (n_rows - 1, n_cols - 1),
               (n_rows // 2, n_cols // 2)}
    return sorted(corners | {(rng.randrange(n_rows), rng.randrange(n_cols))})


def random_layer(rng, allow_holes=True):
    kind = rng.choice(["conv", "conv", "max", "avg"])
    kh, kw = rng.randint(1, 4), rng.randint(1, 4)
    sh, sw = rng.randint(1, 3), rng.randint(1, 3)
    if not allow_holes:
        sh, sw = min(sh, kh), min(sw, kw)
    ph, pw = rng.randint(0, kh // 2), rng.randint(0, kw // 2)
    d = rng.randint(1, 3) if allow_holes else 1
    ceil = allow_holes and rng.random() < 0.5
    if kind == "conv":
        return nn.Conv2d(2, 2, (kh, kw), (sh, sw), (ph, pw), dilation=(d, rng.randint(1, 2)
                                                                    if allow_holes else 1))
    if kind == "max":
        return nn.MaxPool2d((kh, kw), (sh, sw), (ph, pw), dilation=d, ceil_mode=ceil)
    return nn.AvgPool2d((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil)


def real_shapes(net, input_size):
    shapes = {}
    hooks = [m.register_forward_hook(lambda mod, i, o, n=n: shapes.__setitem__(n, o.shape[-2:]))
             for n, m in net.named_modules() if n and not list(m.children())]
    net(torch.zeros(1, *input_size))
    for h in hooks:
        h.remove()
    return shapes


# ----------------------------------------------------------------------------- properties


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("allow_holes", [False, True])
def test_random_stacks_match_gradient_ground_truth(seed, allow_holes):
    rng = random.Random(seed * 2 + allow_holes)
    input_size = (2, rng.randint(24, 40), rng.randint(24, 40))
    for _ in range(50):  # draw until the stack fits the image
        net = nn.Sequential(nn.Conv2d(2, 2, 1), *[random_layer(rng, allow_holes)
                                                 for _ in range(rng.randint(2, 5))])
        try:
            table = rf.receptive_fields(net, input_size)
            shapes = real_shapes(net, input_size)
            break
        except (ValueError, RuntimeError):
            continue
    else:
        pytest.skip("no valid stack drawn")
    for layer_rf in table:
        assert layer_rf.output_size == tuple(shapes[layer_rf.name]), layer_rf.name
    last = table.final
    for unit in units_to_check(last, rng):
        assert_matches_gradient(net, input_size, last, unit, exact=not allow_holes)


def centred_branch(rng, strides):
    """Odd kernels with 'same' padding keep the RF centred; strides as given, in order."""
    layers = []
    for sh, sw in strides:
        kh, kw = rng.choice([1, 3, 5]), rng.choice([1, 3, 5])
        d = rng.randint(1, 2)
        if rng.random() < 0.7:
            same = (d * (kh - 1) // 2, d * (kw - 1) // 2)
            layers.append(nn.Conv2d(2, 2, (kh, kw), (sh, sw), same, dilation=d))
        else:
            layers.append(nn.MaxPool2d((kh, kw), (sh, sw), ((kh - 1) // 2, (kw - 1) // 2)))
    return nn.Sequential(*layers)


class TwoBranch(nn.Module):
    def __init__(self, a, b, merge):
        super().__init__()
        self.a, self.b, self.merge = a, b, merge

    def forward(self, x):
        ya, yb = self.a(x), self.b(x)
        return ya + yb if self.merge == "add" else torch.cat([ya, yb], dim=1)


@pytest.mark.parametrize("seed", range(15))
def test_random_two_branch_nets_match_gradient_ground_truth(seed):
    rng = random.Random(100 + seed)
    strides = [(rng.randint(1, 2), rng.randint(1, 2)) for _ in range(rng.randint(1, 3))]
    other = strides[::-1] + [(1, 1)] * rng.randint(0, 2)
    net = TwoBranch(centred_branch(rng, strides), centred_branch(rng, other),
                    rng.choice(["add", "cat"]))
    input_size = (2, rng.randint(20, 33), rng.randint(20, 33))
    table = rf.receptive_fields(net, input_size)
    merged = table.final
    assert merged.name in ("add", "cat")
    assert merged.output_size == tuple(net(torch.zeros(1, *input_size)).shape[-2:])
    assert merged.size == tuple(max(table[f"{b}.{len(getattr(net, b)) - 1}"].size[i]
                                    for b in "ab") for i in range(2))
    for unit in units_to_check(merged, rng):
        assert_matches_gradient(net, input_size, merged, unit, exact=False)


# ----------------------------------------------------------------------------- known values


def conv_stack(*dilations, k=3):
    return nn.Sequential(*[nn.Conv2d(1, 1, k, dilation=d) for d in dilations])


def test_stacked_3x3_convolutions():
    assert rf.receptive_fields(conv_stack(1, 1), (1, 15, 15)).final.size == (5, 5)
    assert rf.receptive_fields(conv_stack(1, 1, 1), (1, 15, 15)).final.size == (7, 7)


def test_dilations_1_2_4_give_3_7_15():
    table = rf.receptive_fields(conv_stack(1, 2, 4), (1, 33, 33))
    assert [r.size[0] for r in table] == [3, 7, 15]


def test_dilated_3x3_touches_every_other_pixel_in_a_5_span():
    mask = rg.gradient_receptive_field(conv_stack(2), (1, 9, 9), "0", (2, 2))
    expected = torch.zeros(9, 9, dtype=torch.bool)
    expected[2:7:2, 2:7:2] = True
    assert torch.equal(mask, expected)
    assert rf.receptive_fields(conv_stack(2), (1, 9, 9)).final.size == (5, 5)


def test_non_square_kernel_and_stride():
    net = nn.Sequential(nn.Conv2d(1, 1, (3, 1), stride=(1, 2)), nn.Conv2d(1, 1, (1, 5)))
    last = rf.receptive_fields(net, (1, 20, 20)).final
    assert last.size == (3, 9) and last.stride == (1, 2)
    assert last.box(4, 3) == (4, 6, 6, 14)


def test_lenet5_and_functional_pooling():
    table = rf.receptive_fields(models.lenet5(), (1, 32, 32))
    assert table["pool2"].size == (16, 16) and table["pool2"].stride == (4, 4)
    assert table["fc3"].whole_input and table["fc3"].output_size is None

    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3, padding=1)

        def forward(self, x):
            return F.max_pool2d(F.relu(self.conv(x)), 3, 2, 1, ceil_mode=True)

    net = Functional()
    last = rf.receptive_fields(net, (1, 16, 16)).final
    assert last.name == "max_pool2d" and last.size == (5, 5) and last.stride == (2, 2)
    assert last.output_size == tuple(net(torch.zeros(1, 1, 16, 16)).shape[-2:])
    for unit in [(0, 0), (7, 7), (3, 5)]:
        assert_matches_gradient(net, (1, 16, 16), last, unit, exact=True)


def test_torchvision_reference_values():
    with torch.device("meta"):
        nets = {"vgg16": torchvision.models.vgg16(), "resnet50": torchvision.models.resnet50(),
                "alexnet": torchvision.models.alexnet()}
    vgg = rf.receptive_fields(nets["vgg16"], (3, 224, 224))
    assert vgg["features.29"].size == (196, 196) and vgg["features.30"].size == (212, 212)
    assert vgg["features.30"].stride == (32, 32) and vgg["avgpool"].size == (212, 212)
    assert vgg["classifier.6"].whole_input
    assert rf.receptive_fields(nets["resnet50"], (3, 224, 224))["layer4.2.relu:3"].size == (
        427, 427)
    assert rf.receptive_fields(nets["alexnet"], (3, 224, 224))["features.12"].size == (195, 195)


def test_crop_by_slicing_shifts_the_offset():
    class Crop(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 1, 3)

        def forward(self, x):
            return self.conv(x)[:, :, 2:-2, 3:]

    net = Crop()
    last = rf.receptive_fields(net, (1, 20, 20)).final
    assert last.output_size == (14, 15) and last.box(0, 0) == (2, 3, 4, 5)
    assert_matches_gradient(net, (1, 20, 20), last, (5, 5), exact=True)


def test_table_text_and_lookup():
    table = rf.receptive_fields(models.lenet5(), (1, 32, 32))
    text = str(table)
    assert text.splitlines()[0].split() == ["layer", "type", "output", "RF", "stride", "padding"]
    assert "whole input" in text and "pool2" in text
    assert "conv1" in table and len(table) == 12 and table.names[0] == "conv1"


def test_effective_rf_is_a_centred_fraction_of_the_theoretical_one():
    net = conv_stack(1, 1, 1, 1, 1)
    erf = rg.effective_receptive_field(net, (1, 21, 21), "4", n_inputs=2, n_inits=30)
    assert erf.shape == (21, 21) and torch.isclose(erf.sum(), torch.tensor(1.0))
    assert (erf > 0).sum() == 11 * 11 and erf[5:16, 5:16].sum() > 0.999  # the theoretical RF
    positions = torch.arange(21.0)
    centroid = ((erf.sum(1) * positions).sum(), (erf.sum(0) * positions).sum())
    assert abs(centroid[0] - 10) < 0.5 and abs(centroid[1] - 10) < 0.5
    assert erf[8:13, 8:13].sum() > 0.4  # 21 % of the area holds most of the mass


# ----------------------------------------------------------------------------- bad input


def test_unsupported_layer_names_the_layer():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 2, stride=2))
    with pytest.raises(rf.UnsupportedLayerError, match=r"layer '1' \(ConvTranspose2d\)"):
        rf.receptive_fields(net, (1, 16, 16))
    with pytest.raises(rf.UnsupportedLayerError, match=r"'1' \(GroupNorm\)"):
        rf.receptive_fields(nn.Sequential(nn.Conv2d(1, 2, 3), nn.GroupNorm(1, 2)), (1, 8, 8))


def test_misaligned_branches_say_which_disagree():
    aligned = TwoBranch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1)),
                        nn.Sequential(nn.Conv2d(1, 1, 3), nn.ZeroPad2d(1)), "add")
    assert rf.receptive_fields(aligned, (1, 8, 8)).final.box(0, 0) == (-1, -1, 1, 1)
    shifted = TwoBranch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1)),
                        nn.Sequential(nn.Conv2d(1, 1, 3), nn.ZeroPad2d((2, 0, 2, 0))), "add")
    with pytest.raises(rf.BranchAlignmentError, match="'a.0' has RF 3, stride 1, padding 1 "
                                                      "but 'b.1' has RF 3, stride 1, padding 2"):
        rf.receptive_fields(shifted, (1, 8, 8))
    net = TwoBranch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1)),
                    nn.Sequential(nn.Conv2d(1, 1, 3, stride=2, padding=1)), "cat")
    with pytest.raises(rf.BranchAlignmentError, match=r"'a.0'.*stride 1.*'b.0'.*stride 2"):
        rf.receptive_fields(net, (1, 8, 8))
    net = TwoBranch(nn.Sequential(nn.Conv2d(1, 1, 3, padding=1)),
                    nn.Sequential(nn.Conv2d(1, 1, (3, 1), padding=(1, 1))), "add")
    with pytest.raises(rf.BranchAlignmentError, match="along the width"):
        rf.receptive_fields(net, (1, 8, 8))


def test_adaptive_pooling_with_uneven_windows_is_refused():
    net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.AdaptiveAvgPool2d(4))
    with pytest.raises(rf.UnsupportedLayerError, match="'1'.*from 11 to 4 units"):
        rf.receptive_fields(net, (1, 13, 13))
    table = rf.receptive_fields(net, (1, 10, 10))  # 8 -> 4: a regular 2x2 pooling
    assert table.final.size == (4, 4) and table.final.stride == (2, 2)


def test_unit_out_of_range_names_the_argument():
    last = rf.receptive_fields(conv_stack(1), (1, 8, 8)).final
    with pytest.raises(IndexError, match=r"row=6 is out of range for layer '0' with 6 units"):
        last.box(6, 0)
    with pytest.raises(IndexError, match="col=-1"):
        last.box(0, -1)
    with pytest.raises(IndexError, match="unit col=9 is out of range"):
        rg.gradient_receptive_field(conv_stack(1), (1, 8, 8), "0", (0, 9))


def test_bad_arguments():
    with pytest.raises(ValueError, match="input_size must be"):
        rf.receptive_fields(conv_stack(1), (1, 0, 8))
    with pytest.raises(ValueError, match=r"input_size must be \(C, H, W\)"):
        rg.gradient_receptive_field(conv_stack(1), (8, 8), "0")
    with pytest.raises(KeyError, match="layer 'nope' not found"):
        rg.gradient_receptive_field(conv_stack(1), (1, 8, 8), "nope")
    with pytest.raises(KeyError, match="no layer or block named 'nope'"):
        rf.receptive_fields(conv_stack(1), (1, 8, 8))["nope"]
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        rf.receptive_fields("vgg", (3, 8, 8))
    with pytest.raises(ValueError, match="n_inputs and n_inits"):
        rg.effective_receptive_field(conv_stack(1), (1, 8, 8), "0", n_inputs=0)


def test_untraceable_model_falls_back_to_a_chain_with_a_warning():
    class DataDependent(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3)

        def forward(self, x):
            if x.sum() > 0:  # not traceable
                return self.b(self.a(x))
            return self.b(self.a(x))

    with pytest.warns(UserWarning, match="could not trace DataDependent"):
        table = rf.receptive_fields(DataDependent(), (1, 10, 10))
    assert table.final.size == (5, 5) and table.names == ["a", "b"]


def test_chain_formula_matches_the_graph_tool_on_lenet():
    lenet = rf.receptive_fields(models.lenet5(), (1, 32, 32))["pool2"]
    layers = [(5, 1, 0, 1), (2, 2, 0, 1), (5, 1, 0, 1), (2, 2, 0, 1)]
    assert rf.chain(layers) == (lenet.size[0], lenet.stride[0], lenet.padding[0]) == (16, 4, 0)
    assert rf.chain([]) == (1, 1, 0)
    assert rf.chain([(3, 1, 1, 2)] * 2) == (9, 1, 2)
    with pytest.raises(ValueError, match=r"layers\[1\] must be \(kernel >= 1, stride >= 1"):
        rf.chain([(3, 1, 1, 1), (3, 0, 1, 1)])


@pytest.mark.parametrize("builder, size, block, last, rf_size", [
    ("resnet18", 224, "layer4", "layer4.1.relu:2", 435),
    ("vgg16", 224, "features", "features.30", 212),
    ("googlenet", 224, "inception5b", "cat_8", 379),
    ("inception_v3", 299, "Mixed_7c", "cat_14", 1311),
])
def test_a_block_name_gives_the_blocks_output(builder, size, block, last, rf_size):
    import torchvision

    plain = builder in ("resnet18", "vgg16")
    kwargs = {} if plain else {"aux_logits": False, "init_weights": False}
    with torch.device("meta"):
        model = getattr(torchvision.models, builder)(**kwargs)
    table = rf.receptive_fields(model, (3, size, size))
    assert block in table and table[block] is table[last] and table[block].size[0] == rf_size
    assert table[block.split(".")[0]].name == last
    with pytest.raises(KeyError, match=f"blocks: .*{block}"):
        table["no_such_block"]


def test_blocks_also_come_from_the_hook_fallback():
    class Untraceable(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
            self.head = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: fx cannot trace it
                x = x * 1
            return self.head(self.stem(x))

    with pytest.warns(UserWarning, match="could not trace"):
        table = rf.receptive_fields(Untraceable(), (1, 16, 16))
    assert table["stem"].name == "stem.1" and table["stem"].size == (3, 3)
