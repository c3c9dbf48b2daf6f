"""Helpers follow the model's device and dtype, checked without a GPU (and on one, if present).

The `meta` device stands in for a GPU: a device other than the CPU on which nothing is computed
(shapes only). A helper that forgets to move its input to the model's device fails there exactly
as it would on CUDA ("expected ... on device meta"). Results documented as returned on the CPU
come back through `.cpu()` / `.to("cpu")`, which `CopyOutOfMeta` answers with zeros of the right
shape and dtype (a meta tensor has no values to copy), so their device and shape can be checked.
Where CUDA is available (`make test-gpu`), the same tests also run on the real GPU.
"""

import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from course_utils import dense_prediction, fully_convolutional, gap, models, summary, train, unet
from course_utils import receptive_field as rf

META = torch.device("meta")
OTHER_DEVICES = [META] + ([torch.device("cuda")] if torch.cuda.is_available() else [])


class CopyOutOfMeta(TorchFunctionMode):
    """Within this mode, copying a meta tensor to the CPU gives zeros of its shape and dtype."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in (torch.Tensor.cpu, torch.Tensor.to) and args and isinstance(
                args[0], torch.Tensor) and args[0].is_meta:
            target = "cpu" if func is torch.Tensor.cpu else kwargs.get(
                "device", args[1] if len(args) > 1 else None)
            if isinstance(target, (str, torch.device)) and torch.device(target).type == "cpu":
                return torch.zeros(args[0].shape, dtype=args[0].dtype)
        return func(*args, **kwargs)


def _inputs_on_the_weights_device(module, inputs):
    weight = next(module.parameters(recurse=False))
    for x in inputs:
        if isinstance(x, torch.Tensor) and x.device != weight.device:
            raise RuntimeError(f"{type(module).__name__} on {weight.device} got an input on "
                               f"{x.device}")


@pytest.fixture(params=OTHER_DEVICES, ids=str)
def device(request) -> torch.device:
    return request.param


@pytest.fixture
def on_device(device):
    """Put a model on the device; each layer with weights also checks its inputs' device (some
    meta kernels, e.g. convolution's, accept a CPU input where CUDA would refuse it)."""
    def move(model: nn.Module) -> nn.Module:
        for module in model.modules():
            if next(module.parameters(recurse=False), None) is not None:
                module.register_forward_pre_hook(_inputs_on_the_weights_device)
        return model.to(device)
    return move


def test_the_stand_in_catches_an_input_left_on_the_cpu(device, on_device):
    model = on_device(models.lenet5())
    with pytest.raises(RuntimeError, match=f"Conv2d on {device}.* got an input on cpu"):
        model(torch.zeros(1, 1, 32, 32))
    with CopyOutOfMeta():
        out = model(torch.zeros(1, 1, 32, 32, device=device)).cpu()
    assert out.device.type == "cpu" and out.shape == (1, 10)


def test_predict_runs_on_the_given_device_and_returns_on_the_cpu(device, on_device):
    model = on_device(models.lenet5())
    with CopyOutOfMeta():
        logits = train.predict(model, torch.randn(5, 1, 32, 32), batch_size=2, device=device)
    assert logits.device.type == "cpu" and logits.shape == (5, 10)


def test_dense_predictions_move_the_image_to_the_model_and_return_on_the_cpu(on_device):
    classifier = on_device(models.lenet5())
    net = on_device(fully_convolutional.to_fully_convolutional(models.lenet5(), (1, 32, 32)))
    image = torch.randn(1, 40, 44)
    with CopyOutOfMeta():
        windows = fully_convolutional.sliding_window_predict(classifier, image, 32, stride=4)
        scores = fully_convolutional.fcn_predict(net, image)
        dense = dense_prediction.shift_and_stitch(net, image)
    assert windows.device.type == scores.device.type == dense.device.type == "cpu"
    assert windows.shape == scores.shape == (10, 3, 4) and dense.shape == (10, 9, 13)


def test_migrations_keep_the_models_device(device, on_device):
    migrated = fully_convolutional.to_fully_convolutional(on_device(models.lenet5()), (1, 32, 32))
    assert {p.device.type for p in migrated.parameters()} == {device.type}
    assert {p.device.type for p in dense_prediction.atrous(migrated).parameters()} == {device.type}


def test_migrations_keep_the_models_dtype():
    torch.manual_seed(0)
    classifier = models.lenet5().double().eval()
    migrated = fully_convolutional.to_fully_convolutional(classifier, (1, 32, 32))
    assert {p.dtype for p in migrated.parameters()} == {torch.float64}
    x = torch.randn(4, 1, 32, 32, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(migrated(x).flatten(1), classifier(x), atol=1e-12)
    assert {p.dtype for p in dense_prediction.atrous(migrated).parameters()} == {torch.float64}
    image = torch.randn(1, 36, 36, dtype=torch.float64)
    dense = dense_prediction.shift_and_stitch(migrated, image)
    windows = fully_convolutional.sliding_window_predict(classifier, image, 32, stride=1)
    assert dense.dtype == windows.dtype == torch.float64
    assert torch.allclose(dense, windows, atol=1e-12)
    assert fully_convolutional.fcn_predict(migrated, image.float()).dtype == torch.float64


def test_overlap_tile_runs_on_the_networks_device_and_returns_on_the_cpu(on_device):
    net = on_device(unet.UNet(1, 2, depth=2, base_width=4, padding=0))
    tile = 92
    with CopyOutOfMeta():
        scores = unet.overlap_tile_predict(net, torch.randn(1, 70, 90), tile)
    assert scores.device.type == "cpu" and scores.shape == (2, 70, 90)


def test_class_activation_maps_return_on_the_cpu(on_device):
    net = on_device(models.nin("gap", input_size=28))
    with CopyOutOfMeta():
        maps = gap.class_activation_maps(net, torch.randn(2, 1, 28, 28))
    assert maps.device.type == "cpu" and maps.shape == (2, 10, 28, 28)


def test_introspection_runs_on_the_models_device(on_device):
    model = on_device(models.lenet5())
    assert summary.summary(model, (1, 32, 32)).total == 61_706
    assert rf.receptive_fields(model, (1, 32, 32)).final.size == (32, 32)


def test_receptive_field_functions_follow_the_models_device(device, on_device):
    model = on_device(models.lenet5())
    layer = rf.receptive_fields(model, (1, 32, 32)).rows[2].name
    with CopyOutOfMeta():
        mask = rf.gradient.gradient_receptive_field(model, (1, 32, 32), layer)
        erf = rf.gradient.effective_receptive_field(model, (1, 32, 32), layer, n_inputs=2,
                                                    n_inits=1)
    assert mask.device.type == erf.device.type == "cpu"
    assert mask.shape == erf.shape == (32, 32)


def test_receptive_field_functions_take_float64_models():
    model = models.lenet5()
    layer = rf.receptive_fields(model, (1, 32, 32)).rows[2].name
    mask = rf.gradient.gradient_receptive_field(model, (1, 32, 32), layer)
    assert torch.equal(rf.gradient.gradient_receptive_field(model.double(), (1, 32, 32), layer),
                       mask)
    assert rf.receptive_fields(model, (1, 32, 32)).rows[2].height.size == int(mask.any(1).sum())
    erf = rf.gradient.effective_receptive_field(model, (1, 32, 32), layer, n_inputs=2, n_inits=1)
    assert torch.isclose(erf.sum(), torch.tensor(1.0)) and (erf[~mask] == 0).all()
