"""LeNet-5 (LeCun et al., 1998) in its modern form: ReLU and max-pooling instead of tanh and subsampling."""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.pooling import max_pool_2x2
from models.taps import tap


class LeNet5(nn.Module):
    """conv6(5x5)-pool-conv16(5x5)-pool-dense120-dense84-logits; 'SAME' padding on the first
    convolution so 28x28 inputs play the role of the original padded 32x32."""

    num_classes: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = x.astype(self.dtype)
        x = tap(self, "conv1", max_pool_2x2(nn.relu(nn.Conv(6, (5, 5), padding="SAME", dtype=self.dtype)(x))))
        x = tap(self, "conv2", max_pool_2x2(nn.relu(nn.Conv(16, (5, 5), padding="VALID", dtype=self.dtype)(x))))
        x = x.reshape((x.shape[0], -1))
        x = tap(self, "dense1", nn.relu(nn.Dense(120, dtype=self.dtype)(x)))
        x = tap(self, "dense2", nn.relu(nn.Dense(84, dtype=self.dtype)(x)))
        return tap(self, "logits", nn.Dense(self.num_classes, dtype=self.dtype)(x))
