"""PyTorch mirrors of layerwise models, layer for layer, for like-for-like speed comparisons."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class SmallCNN(nn.Module):
    """models.cnn.SmallCNN: 3x3 'SAME' convolutions + ReLU, one 2x2 max-pool, dense, dropout, logits."""

    def __init__(self, in_channels: int, height: int, width: int, num_classes: int, features=(32, 64),
                 hidden: int = 128, dropout: float = 0.0, pool_after: int = -1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        pool_index = pool_after % len(features)
        channels = in_channels
        for i, out in enumerate(features):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.ReLU()]
            if i == pool_index:
                layers.append(nn.MaxPool2d(2))
                height, width = height // 2, width // 2
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(channels * height * width, hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def mirror(model_config: dict[str, Any], input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """The torch model for a layerwise `config.model` (NHWC input shape as in the data set)."""
    kwargs = dict(model_config)
    name = kwargs.pop("name")
    if name == "cnn":
        height, width, channels = input_shape
        return SmallCNN(channels, height, width, num_classes, **kwargs)
    raise ValueError(f"no PyTorch mirror for model {name!r}")
