"""Recurrent networks: Elman RNN, LSTM and GRU layers from flax cells scanned over time (`nn.RNN`).

One `RecurrentStack` (stacked, optionally bidirectional, masked by sequence lengths) serves three
heads: a sequence classifier (token ids through an embedding, or float features per step), a
language model whose final state is handed back so the next segment can start from it, and a
regressor for forecasting. Inputs are batch-major: [batch, time] token ids or [batch, time, features].
"""

from __future__ import annotations

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.gru import GRUWeights
from models.lstm import LSTMWeights, gather_rows, lstm_sequence
from models.taps import tap, tap_steps

CELLS: dict[str, Callable[..., nn.RNNCellBase]] = {
    "rnn": nn.SimpleCell,   # Elman: h' = tanh(W_i x + b + W_h h)
    "lstm": nn.LSTMCell,
    "gru": nn.GRUCell,
}
POOLINGS = ("last", "mean", "max")


def make_cell(cell: str, hidden: int) -> nn.RNNCellBase:
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; valid cells: {', '.join(CELLS)}")
    return CELLS[cell](features=hidden)


def final_hidden(carry: Any) -> jax.Array:
    """The output part of a cell's carry: h of an LSTM's (c, h), the whole carry of a GRU or Elman cell."""
    return carry[1] if isinstance(carry, tuple) else carry


def zero_carry(cell: str, hidden: int, batch_size: int, dtype: Any = jnp.float32) -> Any:
    """Zeros shaped like a cell's carry; separate buffers, since a train state's arrays are donated."""
    def zeros() -> jax.Array:
        return jnp.zeros((batch_size, hidden), dtype)
    return (zeros(), zeros()) if cell == "lstm" else zeros()


def as_sequence(x: jax.Array) -> jax.Array:
    """[batch, time, ...features] -> float [batch, time, features]: an 8x8 digit becomes 8 steps of 8 pixels."""
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    return x.reshape(x.shape[0], x.shape[1], -1) if x.ndim != 3 else x


def time_mask(lengths: jax.Array | None, batch: int, steps: int) -> jax.Array:
    """[batch, time] True on real steps (all of them when `lengths` is None)."""
    if lengths is None:
        return jnp.ones((batch, steps), bool)
    return jnp.arange(steps)[None, :] < lengths[:, None]


class RecurrentStack(nn.Module):
    """`num_layers` recurrent layers, each an `nn.RNN` scan of one flax cell; dropout between layers.

    With `lengths`, steps past each sequence's length do not reach its final carry (forward), and
    the backward direction of a bidirectional layer starts at the last real step, so the padding
    values never change the result. Returns (one final carry per layer, outputs [B, T, H or 2H]).

    A unidirectional LSTM over whole sequences (no `lengths`) runs as one sequence-level layer with
    a hand-written backward pass (`models.lstm`), with the cell's own parameters; with
    `kernels='onednn'`, as oneDNN's fused LSTM on CPU (`kernels.lstm`); a GRU likewise runs as oneDNN's
    fused GRU with `kernels='onednn'` (`kernels.gru`), else as the flax cell. Given an `embedding` table,
    `x` holds token ids and the first layer gathers rows of `embedding @ W_ih + b` (pure JAX) or of
    the embedding (oneDNN).
    """

    cell: str = "lstm"
    hidden: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    kernels: str = "xla"

    @nn.compact
    def __call__(self, x: jax.Array, lengths: jax.Array | None = None, initial_carry: Any = None,
                 train: bool = False, embedding: jax.Array | None = None) -> tuple[tuple[Any, ...], jax.Array]:
        whole = not self.bidirectional and lengths is None  # one layer call over every step of every sequence
        fused_gru = whole and self.cell == "gru" and self.kernels == "onednn"
        fused = fused_gru or (whole and self.cell == "lstm")
        tokens = None
        if embedding is not None:
            tokens = x
            x = None if fused else jnp.take(embedding, tokens, axis=0)
        carries = []
        for layer in range(self.num_layers):
            if layer:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
            batch, dtype = (tokens.shape[0], embedding.dtype) if x is None else (x.shape[0], x.dtype)
            if initial_carry is not None:
                start = initial_carry[layer]
            else:  # zeros in the inputs' dtype (flax's default carry is float32 even for float64 inputs)
                start = zero_carry(self.cell, self.hidden, batch, dtype)
                if self.bidirectional:
                    start = (start, zero_carry(self.cell, self.hidden, batch, dtype))
            if fused_gru:
                from kernels.gru import gru

                w_ih, w_hh, bias = GRUWeights(self.hidden, name=f"GRUCell_{layer}")(
                    embedding.shape[1] if x is None else x.shape[-1])
                x, carry = gru(gather_rows(embedding, tokens) if x is None else x, w_ih, w_hh, bias, start)
            elif fused:
                w_ih, w_hh, bias = LSTMWeights(self.hidden, name=f"LSTMCell_{layer}")(
                    embedding.shape[1] if x is None else x.shape[-1])
                if self.kernels == "onednn":
                    from kernels.lstm import lstm

                    x, carry = lstm(gather_rows(embedding, tokens) if x is None else x, w_ih, w_hh, bias, start)
                else:
                    if x is None:  # tokens -> rows of the folded table, time-major
                        zx = gather_rows(embedding @ w_ih + bias, tokens.T)
                    else:
                        zx = jnp.einsum("btd,dk->tbk", x, w_ih) + bias
                    outputs, carry = lstm_sequence(zx, w_hh, start)
                    x = outputs.swapaxes(0, 1)
            else:
                if self.bidirectional:
                    rnn = nn.Bidirectional(nn.RNN(make_cell(self.cell, self.hidden)),
                                           nn.RNN(make_cell(self.cell, self.hidden)), return_carry=True)
                else:
                    rnn = nn.RNN(make_cell(self.cell, self.hidden), return_carry=True)
                carry, x = rnn(x, initial_carry=start, seq_lengths=lengths)
            carries.append(carry)
            # The layer's state after the whole sequence (both directions), and its forward states along time.
            tap(self, f"rnn{layer + 1}", jnp.concatenate([final_hidden(c) for c in carry], -1)
                if self.bidirectional else final_hidden(carry))
            tap_steps(self, f"rnn{layer + 1}", x[..., :self.hidden])
        return tuple(carries), x


def _pool(carries: tuple[Any, ...], outputs: jax.Array, mask: jax.Array, pooling: str, bidirectional: bool):
    if pooling == "last":
        last = carries[-1]
        if bidirectional:  # forward state after the last real step, backward state after the first
            return jnp.concatenate([final_hidden(last[0]), final_hidden(last[1])], -1)
        return final_hidden(last)
    weights = mask[..., None].astype(outputs.dtype)
    if pooling == "mean":
        return jnp.sum(outputs * weights, 1) / jnp.maximum(jnp.sum(weights, 1), 1.0)
    if pooling == "max":
        return jnp.max(jnp.where(weights > 0, outputs, -jnp.inf), 1)
    raise ValueError(f"unknown pooling {pooling!r}; valid poolings: {', '.join(POOLINGS)}")


class RNNClassifier(nn.Module):
    """Sequence -> class: token ids through an embedding (`vocab_size > 0`) or float steps, a
    recurrent stack, then the last state (or a masked mean/max over time) and a dense layer."""

    takes_lengths = True  # zero-padded sequences: the true lengths are passed as `lengths`

    num_classes: int
    cell: str = "lstm"
    hidden: int = 128
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    vocab_size: int = 0        # > 0: inputs are token ids (0 = padding) embedded in `embed_dim`
    embed_dim: int = 64
    embed_dropout: float = 0.0
    pooling: str = "last"      # last | mean | max
    kernels: str = "xla"       # xla | onednn (kernels.resolve): which LSTM and GRU kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, lengths: jax.Array | None = None) -> jax.Array:
        if self.vocab_size:
            x = nn.Embed(self.vocab_size, self.embed_dim)(x.astype(jnp.int32))
            x = nn.Dropout(self.embed_dropout, deterministic=not train)(x)
        else:
            x = as_sequence(x)
        if lengths is not None:
            lengths = jnp.clip(lengths.astype(jnp.int32), 1, x.shape[1])  # an empty sequence reads one step
        carries, outputs = RecurrentStack(self.cell, self.hidden, self.num_layers, self.bidirectional,
                                          self.dropout, self.kernels)(x, lengths, train=train)
        pooled = _pool(carries, outputs, time_mask(lengths, x.shape[0], x.shape[1]), self.pooling,
                       self.bidirectional)
        pooled = nn.Dropout(self.dropout, deterministic=not train)(pooled)
        return tap(self, "logits", nn.Dense(self.num_classes)(pooled))


class RNNLanguageModel(nn.Module):
    """Token ids [B, T] -> next-token logits [B, T, vocabulary], starting from `carry`.

    The final state is written to the mutable 'carry' collection (`mutable=['carry']`), so the
    train step can feed it to the next segment of the same streams (truncated BPTT).
    """

    num_classes: int           # vocabulary size (inputs and outputs)
    cell: str = "lstm"
    hidden: int = 256
    num_layers: int = 1
    embed_dim: int = 64
    dropout: float = 0.0
    kernels: str = "xla"       # xla | onednn (kernels.resolve): which LSTM and GRU kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, carry: Any = None) -> jax.Array:
        embedding = nn.Embed(self.num_classes, self.embed_dim).embedding
        tap_steps(self, "embed", embedding[x.astype(jnp.int32)])  # read only when the taps are collected
        carries, h = RecurrentStack(self.cell, self.hidden, self.num_layers, False, self.dropout, self.kernels)(
            x.astype(jnp.int32), initial_carry=carry, train=train, embedding=embedding)
        if self.is_mutable_collection("carry"):
            self.put_variable("carry", "final", carries)
        h = nn.Dropout(self.dropout, deterministic=not train)(h)
        return tap_steps(self, "logits", nn.Dense(self.num_classes)(h))

    @nn.nowrap
    def initial_carry(self, batch_size: int) -> tuple[Any, ...]:
        """Zeros shaped like the carry of every layer for `batch_size` streams."""
        return tuple(zero_carry(self.cell, self.hidden, batch_size) for _ in range(self.num_layers))


class RNNRegressor(nn.Module):
    """Window [B, T, features] -> `num_classes` real outputs (the next value for one-step forecasts)."""

    takes_lengths = True  # zero-padded sequences: the true lengths are passed as `lengths`

    num_classes: int           # number of outputs
    cell: str = "lstm"
    hidden: int = 32
    num_layers: int = 1
    dropout: float = 0.0
    kernels: str = "xla"       # xla | onednn (kernels.resolve): which LSTM and GRU kernels run on CPU

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False, lengths: jax.Array | None = None) -> jax.Array:
        x = as_sequence(x)
        carries, _ = RecurrentStack(self.cell, self.hidden, self.num_layers, False, self.dropout, self.kernels)(
            x, lengths, train=train)
        h = nn.Dropout(self.dropout, deterministic=not train)(final_hidden(carries[-1]))
        return nn.Dense(self.num_classes)(h)
