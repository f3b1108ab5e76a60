"""VGG-style CNN (Simonyan and Zisserman, 2014): stacks of 3x3 convolutions, pooled between stages.

Depth is the number of stages and convolutions per stage, so a depth study varies one knob.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from kernels import conv_general_dilated
from models.pooling import max_pool_2x2
from models.taps import tap


class VGG(nn.Module):
    """Stages of `convs_per_stage` conv3x3+BN+ReLU with `features[i]` channels, each ended by a 2x2
    max-pool; then either global average pooling (`hidden=0`) or flatten + a dense ReLU layer of
    `hidden` units; dropout; logits."""

    num_classes: int
    features: Sequence[int] = (32, 64, 128)
    convs_per_stage: int = 2
    dropout: float = 0.0
    batch_norm: bool = True
    hidden: int = 0
    dtype: Any = jnp.float32
    kernels: str = "xla"  # xla | onednn (kernels.resolve): which convolution kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = x.astype(self.dtype)
        convs = 0
        for channels in self.features:
            for _ in range(self.convs_per_stage):
                x = nn.Conv(channels, (3, 3), padding="SAME", use_bias=not self.batch_norm, dtype=self.dtype,
                            conv_general_dilated=conv_general_dilated(self.kernels))(x)
                if self.batch_norm:
                    x = nn.BatchNorm(use_running_average=not train, momentum=0.9, dtype=self.dtype)(x)
                convs += 1
                x = tap(self, f"conv{convs}", nn.relu(x))
            x = max_pool_2x2(x, padding="SAME")
        if self.hidden:
            x = tap(self, "dense1", nn.relu(nn.Dense(self.hidden, dtype=self.dtype)(x.reshape((x.shape[0], -1)))))
        else:
            x = x.mean(axis=(1, 2))
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes, dtype=self.dtype)(x))
