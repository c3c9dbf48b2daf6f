"""Small classifiers of the lecture, as named `nn.Sequential`s (easy to inspect and convert):
LeNet-5, an MLP, VGG feature stacks, the VGG-style digit classifier that FCNs build on, NiN.

The FCN (`fcn.SkipFCN`) and the U-Net (`unet.UNet`) live in their own modules, next to what
belongs to them.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


def _activation(name: str) -> type[nn.Module]:
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}; got {name!r}")
    return _ACTIVATIONS[name]


def lenet5(in_channels: int = 1, num_classes: int = 10, activation: str = "relu") -> nn.Sequential:
    """LeNet-5 as in the lecture's Keras summary, for (N, in_channels, 32, 32) inputs.

    conv 6@5x5 -> avg-pool 2 -> conv 16@5x5 -> avg-pool 2 -> flatten 400 -> 120 -> 84 -> classes.
    With 1 input channel and 10 classes: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters.
    """
    if in_channels < 1 or num_classes < 1:
        raise ValueError(
            f"in_channels and num_classes must be >= 1; got {in_channels}, {num_classes}"
        )
    act = _activation(activation)
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5)),
        ("act1", act()),
        ("pool1", nn.AvgPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
        ("act2", act()),
        ("pool2", nn.AvgPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 5 * 5, 120)),
        ("act3", act()),
        ("fc2", nn.Linear(120, 84)),
        ("act4", act()),
        ("fc3", nn.Linear(84, num_classes)),
    ]))


def mlp(in_features: int = 32 * 32, hidden: int = 84, num_classes: int = 10) -> nn.Sequential:
    """A one-hidden-layer MLP on the flattened image: 1024 -> 84 -> 10 has 86,950 parameters."""
    if min(in_features, hidden, num_classes) < 1:
        raise ValueError(
            f"in_features, hidden, num_classes must be >= 1; got {in_features}, {hidden}, "
            f"{num_classes}"
        )
    return nn.Sequential(OrderedDict([
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(in_features, hidden)),
        ("act1", nn.ReLU()),
        ("fc2", nn.Linear(hidden, num_classes)),
    ]))


VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                    512, 512, 512, "M", 512, 512, 512, "M")
SMALL_VGG_CFG: tuple[int | str, ...] = (16, 16, "M", 32, 32, "M", 64, 64, "M")


def vgg_features(cfg=VGG16_CFG, in_channels: int = 3) -> nn.Sequential:
    """VGG's convolutional part: an int is a 3x3 conv (padding 1) + ReLU, "M" a 2x2 max-pool.

    With VGG16_CFG the layers and their indices (0..30) are those of
    `torchvision.models.vgg16().features`, so its state_dict loads directly.
    """
    if in_channels < 1:
        raise ValueError(f"in_channels must be >= 1; got {in_channels}")
    layers: list[nn.Module] = []
    channels = in_channels
    for item in cfg:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        elif isinstance(item, int) and item > 0:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
            channels = item
        else:
            raise ValueError(f"cfg entries must be positive ints or 'M'; got {item!r}")
    return nn.Sequential(*layers)


class FeatureMaps(nn.Module):
    """A chain of stages whose forward returns every stage's output by name, as torchvision's
    backbones return named feature maps: {name: (N, channels[name], H / strides[name], ...)}."""

    def __init__(self, stages: OrderedDict[str, nn.Module], strides: dict[str, int]):
        super().__init__()
        self.stages = nn.ModuleDict(stages)
        self.strides = dict(strides)

    @property
    def channels(self) -> dict[str, int]:
        """Channels of each map: the out_channels of the stage's last convolution."""
        return {name: [m for m in stage.modules() if isinstance(m, nn.Conv2d)][-1].out_channels
                for name, stage in self.stages.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = {}
        for name, stage in self.stages.items():
            x = stage(x)
            maps[name] = x
        return maps


class DigitVGG(nn.Sequential):
    """The classifier `digit_vgg` builds. Its contract with FCNs: `feature_maps()` returns its
    convolutional body as named maps pool1..pool5 (pool k at stride 2^k), and `fc6` is its first
    fully connected layer (the one an FCN turns into a convolution)."""

    def feature_maps(self) -> FeatureMaps:
        """A copy of the five blocks as `FeatureMaps` named pool1..pool5."""
        stages = OrderedDict((f"pool{k}", copy.deepcopy(self.get_submodule(f"block{k}")))
                             for k in range(1, 6))
        return FeatureMaps(stages, {f"pool{k}": 2 ** k for k in range(1, 6)})


def digit_vgg(widths: tuple[int, ...] = (16, 32, 64, 64, 64), hidden: int = 128,
              num_classes: int = 10, convs_per_block: int = 1) -> DigitVGG:
    """A small VGG-style digit classifier: 5 blocks of (3x3 conv + ReLU) x convs_per_block and
    a 2x2 max-pool.

    A 32x32 digit becomes widths[-1] x 1 x 1 after block5 (as 224 -> 7 in VGG16), then
    flatten -> fc6 (hidden) -> ReLU -> fc7 (classes). FCNs tap its named feature maps
    (`DigitVGG.feature_maps`: pool3 at stride 8, pool4 at 16, pool5 at 32).
    """
    if len(widths) != 5 or min(widths) < 1:
        raise ValueError(f"widths must give 5 positive channel counts; got {widths}")
    if convs_per_block < 1:
        raise ValueError(f"convs_per_block must be >= 1; got {convs_per_block}")
    layers: list[tuple[str, nn.Module]] = []
    channels = 1
    for b, width in enumerate(widths, start=1):
        block: list[nn.Module] = []
        for _ in range(convs_per_block):
            block += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
            channels = width
        layers.append((f"block{b}", nn.Sequential(*block, nn.MaxPool2d(2))))
    layers += [("flatten", nn.Flatten()), ("fc6", nn.Linear(channels, hidden)),
               ("relu6", nn.ReLU()), ("fc7", nn.Linear(hidden, num_classes))]
    return DigitVGG(OrderedDict(layers))


NIN_HEADS = ("fc", "fc_dropout", "gap")


def mlpconv(in_channels: int, channels: tuple[int, ...], kernel_size: int = 3,
            final_relu: bool = True, batch_norm: bool = False) -> nn.Sequential:
    """Network-in-Network's mlpconv block: a kxk convolution, then 1x1 convolutions.

    channels = (c1, c2, ..., cn): the kxk conv makes c1 maps ("same" padding, odd k), each
    1x1 conv the next count; a ReLU follows every conv except, with final_relu=False, the last.
    A 1x1 conv is a small MLP applied to the channel vector of every pixel, shared over pixels.
    Input (N, in_channels, H, W) -> output (N, cn, H, W).
    """
    if in_channels < 1 or not channels or min(channels) < 1:
        raise ValueError("in_channels and channels must be positive; "
                         f"got {in_channels}, {channels}")
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd (\"same\" padding); got {kernel_size}")
    layers: list[nn.Module] = []
    previous = in_channels
    for i, width in enumerate(channels):
        k = kernel_size if i == 0 else 1
        layers.append(nn.Conv2d(previous, width, k, padding=k // 2))
        if final_relu or i < len(channels) - 1:
            if batch_norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU())
        previous = width
    return nn.Sequential(*layers)


def nin(head: str = "gap", in_channels: int = 1, num_classes: int = 10,
        widths: tuple[int, int, int] = (16, 32, 32), input_size: int = 32, hidden: int = 128,
        dropout: float = 0.5, batch_norm: bool = False) -> nn.Sequential:
    """A NiN-style classifier: three mlpconv blocks (5x5, 3x3, 3x3 convs, each followed by two
    1x1 convs), 2x2 max-pools after the first two, and one of three heads.

    The body is the same for every head and ends with exactly `num_classes` maps
    (N, num_classes, input_size / 4, input_size / 4), the last 1x1 conv without ReLU. Heads:
    - "gap": global average pooling of each map -> (N, num_classes) scores; 0 parameters, and
      the network accepts inputs of any size.
    - "fc": flatten -> Linear(num_classes * (input_size/4)^2, hidden) -> ReLU -> Linear(hidden,
      num_classes); it only accepts input_size x input_size images.
    - "fc_dropout": the same with Dropout(dropout) on the hidden layer.
    batch_norm=True puts BatchNorm2d before every ReLU of the body (NiN predates it; with it the
    GAP head trains in a few epochs instead of dozens).
    """
    if head not in NIN_HEADS:
        raise ValueError(f"head must be one of {NIN_HEADS}; got {head!r}")
    if len(widths) != 3 or min(widths) < 1:
        raise ValueError(f"widths must give 3 positive channel counts; got {widths}")
    if input_size < 4 or input_size % 4:
        raise ValueError(f"input_size must be a positive multiple of 4; got {input_size}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}")
    w1, w2, w3 = widths
    layers: list[tuple[str, nn.Module]] = [
        ("mlpconv1", mlpconv(in_channels, (w1, w1, w1), kernel_size=5, batch_norm=batch_norm)),
        ("pool1", nn.MaxPool2d(2)),
        ("mlpconv2", mlpconv(w1, (w2, w2, w2), kernel_size=3, batch_norm=batch_norm)),
        ("pool2", nn.MaxPool2d(2)),
        ("mlpconv3", mlpconv(w2, (w3, w3, num_classes), kernel_size=3, final_relu=False,
                                     batch_norm=batch_norm)),
    ]
    if head == "gap":
        layers += [("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten())]
    else:
        p = dropout if head == "fc_dropout" else 0.0
        side = input_size // 4
        fc: list[tuple[str, nn.Module]] = [
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(num_classes * side * side, hidden)),
            ("relu", nn.ReLU()),
            ("dropout", nn.Dropout(p)), ("fc2", nn.Linear(hidden, num_classes)),
        ]
        layers += [(n, m) for n, m in fc if not (isinstance(m, nn.Dropout) and p == 0.0)]
    model = nn.Sequential(OrderedDict(layers))
    for module in model.modules():  # He init: nine stacked ReLU convs barely train with the default
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model
