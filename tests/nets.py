"""Networks the tests build (shared by several test files)."""

from torch import nn


def random_classifier(rng, n_pools, in_channels=2, classes=3, max_pooling=False):
    """conv/pool body with `n_pools` 2x2 pools, then Flatten + two Linear layers.

    Sizes are built backwards from the last map so that no pooling drops a row: the classifier's
    input size is exactly the receptive field of its output.
    """
    kernels = [rng.choice([1, 3]) for _ in range(n_pools)]
    final = rng.choice([1, 2, 3])
    size = final
    for k in reversed(kernels):
        size = 2 * size + k - 1
    layers, channels = [], in_channels
    for k in kernels:
        layers += [nn.Conv2d(channels, 4, k), nn.ReLU(),
                   nn.MaxPool2d(2) if max_pooling else nn.AvgPool2d(2)]
        channels = 4
    layers += [nn.Flatten(), nn.Linear(channels * final * final, 8), nn.ReLU(),
               nn.Linear(8, classes)]
    return nn.Sequential(*layers).eval(), size
