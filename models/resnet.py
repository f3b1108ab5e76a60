"""ResNet for small images (He et al., 2016, section 4.2): ResNet-20/32/56 on 28x28 or 32x32 inputs.

Batch norm runs on batch statistics in training and on running averages in evaluation; the running
averages live in `TrainState.batch_stats` and are updated functionally by each train step
(`models.batch_norm`: flax's semantics, a faster step on CPU).
"""

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from kernels import conv_general_dilated
from models.batch_norm import BatchNorm
from models.taps import tap


class ResidualBlock(nn.Module):
    channels: int
    stride: int
    dtype: Any = jnp.float32
    kernels: str = "xla"

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        conv = functools.partial(nn.Conv, use_bias=False, dtype=self.dtype,
                                 conv_general_dilated=conv_general_dilated(self.kernels))
        norm = lambda: BatchNorm(use_running_average=not train, momentum=0.9, dtype=self.dtype)  # noqa: E731
        y = conv(self.channels, (3, 3), (self.stride, self.stride), padding="SAME")(x)
        y = nn.relu(norm()(y))
        y = conv(self.channels, (3, 3), padding="SAME")(y)
        y = norm()(y)
        if self.stride != 1 or x.shape[-1] != self.channels:  # projection shortcut (option B)
            x = conv(self.channels, (1, 1), (self.stride, self.stride))(x)
            x = norm()(x)
        return nn.relu(x + y)


class ResNet(nn.Module):
    """3 stages of `blocks_per_stage` residual blocks (16, 32, 64 channels x `width`): depth 6n+2."""

    num_classes: int
    blocks_per_stage: int = 3  # 3 -> ResNet-20
    width: int = 1
    dtype: Any = jnp.float32
    kernels: str = "xla"  # xla | onednn (kernels.resolve): which convolution kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = x.astype(self.dtype)
        x = nn.Conv(16 * self.width, (3, 3), padding="SAME", use_bias=False, dtype=self.dtype,
                    conv_general_dilated=conv_general_dilated(self.kernels))(x)
        x = tap(self, "stem", nn.relu(BatchNorm(use_running_average=not train, momentum=0.9, dtype=self.dtype)(x)))
        for stage, channels in enumerate((16, 32, 64)):
            for block in range(self.blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                x = ResidualBlock(channels * self.width, stride, self.dtype, self.kernels)(x, train)
                tap(self, f"block{stage * self.blocks_per_stage + block + 1}", x)
        x = x.mean(axis=(1, 2))
        return tap(self, "logits", nn.Dense(self.num_classes, dtype=self.dtype)(x))
