"""A small convolutional network: enough depth to learn strokes and their compositions."""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from kernels import conv_general_dilated
from models.pooling import max_pool_2x2
from models.taps import tap


class SmallCNN(nn.Module):
    """Conv(3x3)+ReLU blocks, one 2x2 max-pool, a hidden dense layer with dropout, then logits.

    Sized for small images (8x8 digits up to 28x28): `features` sets the channel count of each
    convolution, `pool_after` the index of the convolution followed by a max-pool.
    """

    num_classes: int
    features: Sequence[int] = (32, 64)
    hidden: int = 128
    dropout: float = 0.0
    pool_after: int = -1
    dtype: Any = jnp.float32
    kernels: str = "xla"  # xla | onednn (kernels.resolve): which convolution kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        pool_index = self.pool_after % len(self.features)
        x = x.astype(self.dtype)
        for i, channels in enumerate(self.features):
            x = nn.relu(nn.Conv(channels, (3, 3), padding="SAME", dtype=self.dtype,
                                conv_general_dilated=conv_general_dilated(self.kernels))(x))
            if i == pool_index:
                x = max_pool_2x2(x)
            tap(self, f"conv{i + 1}", x)
        x = x.reshape((x.shape[0], -1))
        x = tap(self, "dense1", nn.relu(nn.Dense(self.hidden, dtype=self.dtype)(x)))
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes, dtype=self.dtype)(x))
