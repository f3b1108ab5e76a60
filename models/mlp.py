"""Multi-layer perceptron: depth and width without any spatial prior, between linear and CNN."""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.taps import tap


class MLP(nn.Module):
    """`depth` hidden Dense+ReLU layers of `width` units (dropout after each), then logits."""

    num_classes: int
    depth: int = 2
    width: int = 256
    dropout: float = 0.0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = x.reshape((x.shape[0], -1)).astype(self.dtype)
        for i in range(self.depth):
            x = tap(self, f"dense{i + 1}", nn.relu(nn.Dense(self.width, dtype=self.dtype)(x)))
            x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes, dtype=self.dtype)(x))
