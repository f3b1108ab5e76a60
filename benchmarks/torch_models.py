"""PyTorch mirrors of layerwise models, layer for layer, for like-for-like speed comparisons."""

from __future__ import annotations

from typing import Any, Sequence

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


class VGG(nn.Module):
    """models.vgg.VGG: stages of conv3x3 (+BN) + ReLU ended by a 2x2 max-pool ('SAME', so odd sizes round
    up); then global average pooling (`hidden=0`) or flatten + dense ReLU; dropout; logits."""

    def __init__(self, in_channels: int, height: int, width: int, num_classes: int,
                 features: Sequence[int] = (32, 64, 128), convs_per_stage: int = 2, dropout: float = 0.0,
                 batch_norm: bool = True, hidden: int = 0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for out in features:
            for _ in range(convs_per_stage):
                layers.append(nn.Conv2d(channels, out, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(out, momentum=0.1))
                layers.append(nn.ReLU())
                channels = out
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
            height, width = -(-height // 2), -(-width // 2)
        self.features = nn.Sequential(*layers)
        if hidden:
            head: list[nn.Module] = [nn.Flatten(), nn.Linear(channels * height * width, hidden), nn.ReLU()]
            channels = hidden
        else:
            head = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.head = nn.Sequential(*head, nn.Dropout(dropout), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ResidualBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Identity()
        if stride != 1 or in_channels != channels:  # projection shortcut (option B), as in models.resnet
            self.shortcut = nn.Sequential(nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                                          nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.shortcut(x) + self.bn2(self.conv2(y)))


class ResNet(nn.Module):
    """models.resnet.ResNet: conv16 + BN + ReLU, 3 stages of residual blocks, global average pool, logits."""

    def __init__(self, in_channels: int, num_classes: int, blocks_per_stage: int = 3, width: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(in_channels, 16 * width, 3, padding=1, bias=False),
                                   nn.BatchNorm2d(16 * width), nn.ReLU()]
        channels = 16 * width
        for stage, out in enumerate((16, 32, 64)):
            for block in range(blocks_per_stage):
                layers.append(ResidualBlock(channels, out * width, 2 if stage > 0 and block == 0 else 1))
                channels = out * width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x).mean(dim=(2, 3)))


class RNNLanguageModel(nn.Module):
    """models.rnn.RNNLanguageModel: embedding, stacked LSTM/GRU/Elman layers, dense logits per step.

    `forward` takes and returns the recurrent state, so a training loop can carry it across segments.
    """

    def __init__(self, num_classes: int, cell: str = "lstm", hidden: int = 256, num_layers: int = 1,
                 embed_dim: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        kinds = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.rnn = kinds[cell](embed_dim, hidden, num_layers, batch_first=True,
                               dropout=dropout if num_layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        h, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(h)), state


def mirror(model_config: dict[str, Any], input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """The torch model for a layerwise `config.model` (NHWC input shape as in the data set)."""
    kwargs = dict(model_config)
    name = kwargs.pop("name")
    if name == "cnn":
        height, width, channels = input_shape
        return SmallCNN(channels, height, width, num_classes, **kwargs)
    if name == "vgg":
        height, width, channels = input_shape
        return VGG(channels, height, width, num_classes, **kwargs)
    if name == "resnet":
        return ResNet(input_shape[-1], num_classes, **kwargs)
    if name == "rnn_lm":
        return RNNLanguageModel(num_classes, **kwargs)
    raise ValueError(f"no PyTorch mirror for model {name!r}")
