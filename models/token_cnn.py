"""A 1-D convolutional network over token ids: local patterns (functional groups, ring closures) anywhere in a string.

Token ids [batch, time] (0 = padding) are embedded, passed through stacked 1-D convolutions with ReLU,
and max-pooled over the real positions only, so a pattern counts wherever it occurs and padding never
does; then a hidden dense layer and the output. The text CNN of Kim ("Convolutional neural networks
for sentence classification", EMNLP 2014), stacked, as used on SMILES strings since Hirohara et al.
(BMC Bioinformatics 19:526, 2018).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class TokenCNN(nn.Module):
    """Embedding, `len(features)` conv layers of width `kernel`, masked max over time, dense, output."""

    num_classes: int
    vocab_size: int
    embed_dim: int = 64
    features: tuple[int, ...] = (128, 128, 128)
    kernel: int = 5
    hidden: int = 128
    dropout: float = 0.1
    takes_lengths = True  # zero-padded sequences: the true lengths are passed as `lengths`

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, lengths: jax.Array | None = None) -> jax.Array:
        tokens = x.astype(jnp.int32)
        steps = jnp.arange(tokens.shape[1])[None, :]
        real = (tokens > 0) if lengths is None else (steps < lengths[:, None])
        weights = real[..., None].astype(jnp.float32)
        h = nn.Embed(self.vocab_size, self.embed_dim)(tokens) * weights
        for width in self.features:
            h = nn.relu(nn.Conv(width, (self.kernel,), padding="SAME")(h)) * weights
        pooled = jnp.max(jnp.where(weights > 0, h, -jnp.inf), axis=1)
        pooled = jnp.where(jnp.isfinite(pooled), pooled, 0.0)      # an all-padding row (init): zeros
        pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
        pooled = nn.relu(nn.Dense(self.hidden)(pooled))
        pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
        return nn.Dense(self.num_classes)(pooled)
