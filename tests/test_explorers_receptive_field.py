import numpy as np
import pytest
import torch
from torch import nn

from course_utils import models
from course_utils.explorers import receptive_field as rx

pytestmark = pytest.mark.widgets  # every test here builds the widget (or checks its version)


@pytest.fixture(scope="module")
def explorer():
    torch.manual_seed(0)
    image = np.random.default_rng(0).random((64, 64, 3))
    nets = {"lenet": models.lenet5()[:6],
            "vgg": models.vgg_features(models.SMALL_VGG_CFG)}
    return rx.ReceptiveFieldExplorer(nets, image, erf_inputs=2)


def test_ipywidgets_version_under_test():
    import os

    import ipywidgets
    from packaging.version import Version

    expected = os.environ.get("EXPECT_IPYWIDGETS")  # set by `make test-widgets7`
    version = Version(ipywidgets.__version__)
    assert version == Version(expected) if expected else version >= Version("7.6")


def test_starts_on_the_deepest_layer_centre_unit(explorer):
    explorer.select(network="lenet")
    assert explorer.layer.value == "pool2"
    n_rows, n_cols = explorer.view.layer_rf.output_size
    assert explorer.view.unit == (n_rows // 2, n_cols // 2)
    assert (explorer.row.max, explorer.col.max) == (n_rows - 1, n_cols - 1)
    assert explorer.picture.value[:4] == b"\x89PNG"


def test_sliders_move_the_drawn_rectangle(explorer):
    state = explorer.select(network="vgg", layer="14", row=0, col=0)
    # pool3 of the small VGG: RF 36, stride 8, padding 14 -> unit (0, 0) covers -14..21
    assert state.box == (-14, -14, 21, 21) and state.clipped == (0, 0, 21, 21)
    before = explorer.frame.copy()
    explorer.col.value = 3
    assert explorer.view.box == (-14, 10, 21, 45)
    frame = explorer.frame
    assert not np.array_equal(frame, before)
    assert (frame[0, 10] == rx.BOX_COLOR).all() and (frame[21, 45] == rx.BOX_COLOR).all()
    assert not (frame[30, 50] == rx.BOX_COLOR).all()  # outside the new box
    assert "rows -14..21, cols 10..45" in explorer.caption.value
    assert "padding" in explorer.caption.value  # the box pokes out of the image


def test_unit_marker_on_the_feature_map(explorer):
    explorer.select(network="vgg", layer="14", row=2, col=5)
    panel = explorer.frame[:, 64 + 8:]
    cell = 64 // 8  # 8x8 feature map shown at 64x64
    assert (panel[2 * cell, 5 * cell] == rx.UNIT_COLOR).all()
    assert not (panel[0, 0] == rx.UNIT_COLOR).all()


def test_switching_network_and_layer_resets_the_sliders(explorer):
    explorer.select(network="vgg", layer="0")
    assert explorer.row.max == 63
    explorer.network.value = "lenet"
    assert list(explorer.layer.options) == [
        ("conv1 · Conv2d", "conv1"), ("act1 · ReLU", "act1"),
        ("pool1 · AvgPool2d (pool1)", "pool1"), ("conv2 · Conv2d", "conv2"),
        ("act2 · ReLU", "act2"), ("pool2 · AvgPool2d (pool2)", "pool2")]
    explorer.layer.value = "conv1"
    assert explorer.row.max == 59 and explorer.view.layer == "conv1"


def test_effective_rf_checkbox_tints_the_photo(explorer):
    explorer.select(network="lenet", layer="conv2", row=10, col=10)
    plain = explorer.frame.copy()
    explorer.show_erf.value = True
    try:
        assert not np.array_equal(explorer.frame, plain)
        assert ("lenet", "conv2") in explorer._erf
    finally:
        explorer.show_erf.value = False


def test_the_callers_networks_keep_their_mode_and_statistics():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
    net.train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    image = np.random.default_rng(1).random((20, 20, 3))
    explorer = rx.ReceptiveFieldExplorer({"bn": net}, image, erf_inputs=2)
    explorer.show_erf.value = True
    assert net.training and all(m.training for m in net.modules())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_shifted_erf_moves_the_peak():
    table_rf = type("R", (), {"output_size": (5, 5), "stride": (2, 2)})()
    erf = np.zeros((12, 12))
    erf[6, 6] = 1.0  # centre unit (2, 2)
    moved = rx.shifted_erf(erf, table_rf, (3, 1))
    assert moved[8, 4] == 1.0 and moved.sum() == 1.0


def test_bad_input():
    with pytest.raises(ValueError, match=r"image must have shape \(H, W\) or \(H, W, 3\)"):
        rx.ReceptiveFieldExplorer({"n": models.lenet5()[:2]}, np.zeros((4, 8, 8)))
    with pytest.raises(ValueError, match="networks must name at least one model"):
        rx.ReceptiveFieldExplorer({}, np.zeros((8, 8)))
    with pytest.raises(ValueError, match="in_channels must be 1 or 3"):
        rx.image_tensor(np.zeros((8, 8)), 2)
    with pytest.raises(ValueError, match="model must contain a Conv2d"):
        rx.ReceptiveFieldExplorer({"n": nn.Sequential(nn.ReLU())}, np.zeros((8, 8)))


def test_unit_out_of_range_is_named(explorer):
    net = explorer.network.value
    with pytest.raises(IndexError, match="row=99 is out of range"):
        rx.receptive_field_view(net, explorer._tables[net], explorer._acts[net],
                          explorer.layer.value, 99, 0)


def test_layer_labels_say_what_a_layer_is_and_the_legend_what_the_panel_shows(explorer):
    import torch
    import torchvision

    from course_utils import receptive_field as rf

    with torch.device("meta"):
        vgg = torchvision.models.vgg16().features
    table = rf.receptive_fields(vgg, (3, 224, 224))
    labels = {name: label for label, name in rx.layer_options(table, ["0", "4", "30"])}
    assert labels == {"0": "0 · Conv2d", "4": "4 · MaxPool2d (pool1)",
                      "30": "30 · MaxPool2d (pool5)"}
    explorer.select(network="lenet", layer="conv2", row=3, col=4)
    legend = explorer.legend.value
    assert "layer <code>conv2</code>'s feature map" in legend and "mean |activation|" in legend
    fmap = explorer.view.feature_map
    assert f"{fmap.min():.3g}" in legend and f"{fmap.max():.3g}" in legend
    assert "linear-gradient" in legend  # the colour bar


def test_normalise_feeds_the_named_network_a_normalised_image():
    image = np.full((16, 16, 3), 0.5)
    net = nn.Sequential(nn.Conv2d(3, 1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(1.0)
    plain = rx.ReceptiveFieldExplorer({"n": net}, image, erf_inputs=1)
    mean, std = (0.5, 0.25, 0.0), (1.0, 0.5, 0.25)
    normed = rx.ReceptiveFieldExplorer({"n": net}, image, erf_inputs=1,
                                       normalise={"n": (mean, std)})
    expected = sum((0.5 - m) / s for m, s in zip(mean, std))  # 0 + 0.5 + 2
    assert torch.allclose(plain._acts["n"]["0"], torch.full((1, 1, 16, 16), 1.5))
    assert torch.allclose(normed._acts["n"]["0"], torch.full((1, 1, 16, 16), expected))
    assert np.array_equal(normed.image, plain.image)  # the photo shown is untouched
    with pytest.raises(ValueError, match=r"normalise\['n'\] must hold 3 means and 3 stds"):
        rx.ReceptiveFieldExplorer({"n": net}, image, normalise={"n": ((0.5,), (1.0,))})
    with pytest.raises(ValueError, match=r"normalise names networks that are not given: \['m'\]"):
        rx.ReceptiveFieldExplorer({"n": net}, image, normalise={"m": (mean, std)})
