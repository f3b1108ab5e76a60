"""Softmax linear classifier: the hand-fed baseline that deep models are measured against."""

import flax.linen as nn
import jax

from models.taps import tap


class Linear(nn.Module):
    """Logits = W x + b on the flattened input; trained with cross-entropy it is softmax regression."""

    num_classes: int

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        del train  # No dropout or batch norm: identical in train and eval.
        return tap(self, "logits", nn.Dense(self.num_classes)(x.reshape((x.shape[0], -1))))
