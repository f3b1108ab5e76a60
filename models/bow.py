"""Bag-of-words logistic regression: the linear baseline a sequence model must beat on text."""

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.taps import tap


class BagOfWords(nn.Module):
    """Logits = W counts(tokens) + b, where counts are the word counts of the real tokens.

    Summing one learned row of W per token equals the matrix product of W with the count vector,
    without materialising a [batch, vocabulary] matrix. Token 0 is padding and never counted;
    `binary` counts each distinct word once (presence features).
    """

    takes_lengths = True  # zero-padded sequences: the true lengths are passed as `lengths`

    num_classes: int
    vocab_size: int
    binary: bool = False

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, lengths: jax.Array | None = None) -> jax.Array:
        del train  # no dropout: identical in train and eval
        tokens = x.astype(jnp.int32)
        steps = jnp.arange(tokens.shape[1])[None, :]
        real = tokens > 0 if lengths is None else (steps < lengths[:, None]) & (tokens > 0)
        if self.binary:  # a token counts only where it does not occur earlier in the sequence
            earlier = (tokens[:, :, None] == tokens[:, None, :]) & (steps < steps.T)[None] & real[:, None, :]
            real = real & ~jnp.any(earlier, axis=2)
        weights = nn.Embed(self.vocab_size, self.num_classes, embedding_init=nn.initializers.zeros)(tokens)
        bias = self.param("bias", nn.initializers.zeros, (self.num_classes,))
        return tap(self, "logits", jnp.sum(weights * real[..., None], axis=1) + bias)
