"""Deep networks on raw multichannel EEG [batch, time, channels]: they learn their own filters.

ShallowConvNet and Deep4 follow Schirrmeister et al. 2017 ("Deep learning with convolutional
neural networks for EEG decoding and visualization"), EEGNet follows Lawhern et al. 2018
("EEGNet: a compact convolutional neural network for EEG-based brain-computer interfaces").
In each the first layer is a bank of temporal filters shared by every electrode, followed by
spatial filters across electrodes: the learned counterpart of band-pass filtering and channel
weighting in the classic pipeline. `RawGRU`
reads the (average-pooled) sequence step by step.

Every model takes the same optional, on-device augmentation (`shift`, `channel_dropout`, `noise`),
applied only in training with the step's dropout key, so it stays inside the compiled step.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from models.taps import tap, tap_steps


def augment(x: jax.Array, key: jax.Array, shift: int, channel_dropout: float, noise: float) -> jax.Array:
    """Random time shift of up to +-`shift` samples (zero fill), whole-channel dropout, Gaussian noise."""
    shift_key, drop_key, noise_key = jax.random.split(key, 3)
    batch, time, channels = x.shape
    if shift > 0:
        padded = jnp.pad(x, ((0, 0), (shift, shift), (0, 0)))
        offsets = jax.random.randint(shift_key, (batch,), 0, 2 * shift + 1)
        x = jax.vmap(lambda row, o: jax.lax.dynamic_slice_in_dim(row, o, time, axis=0))(padded, offsets)
    if channel_dropout > 0:
        keep = jax.random.bernoulli(drop_key, 1.0 - channel_dropout, (batch, 1, channels))
        x = x * keep / (1.0 - channel_dropout)
    if noise > 0:
        x = x + noise * jax.random.normal(noise_key, x.shape, x.dtype)
    return x


class _Augmented(nn.Module):
    """Mixin: augmentation and the optional fixed front-end (average-pool decimation), shared by every EEG model."""

    shift: int = 0
    channel_dropout: float = 0.0
    noise: float = 0.0
    downsample: int = 1       # average-pool the signal by this factor first (keeps < fs / (2 * downsample))

    def augmented(self, x: jax.Array, train: bool) -> jax.Array:
        if x.ndim != 3:
            raise ValueError(f"{type(self).__name__} takes [batch, time, channels] EEG, got shape {x.shape}")
        if train and (self.shift or self.channel_dropout or self.noise):
            x = augment(x, self.make_rng("dropout"), self.shift, self.channel_dropout, self.noise)
        if self.downsample > 1:
            x = nn.avg_pool(x, (self.downsample,), strides=(self.downsample,))
        return x


def _batch_norm(train: bool) -> nn.BatchNorm:
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5)


class SpatioTemporalConv(nn.Module):
    """`filters` temporal filters shared by every electrode, then `spatial` filters across electrodes and filters.

    Written as two layers (temporal kernel [kernel, filters], spatial kernel [channels, filters, spatial])
    but computed as ONE 1-D convolution whose kernel is their product: with nothing nonlinear in between,
    temporal-then-spatial is exactly that convolution (tested). On a CPU this is 20-40x faster than the
    two-layer form, which convolves every electrode separately with a one-channel input.
    `groups > 1` makes the spatial step depthwise (EEGNet: `spatial // filters` spatial filters per temporal filter).
    """

    filters: int
    spatial: int
    kernel: int
    groups: int = 1
    padding: str = "VALID"
    temporal_bias: bool = True

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        channels = x.shape[-1]
        temporal = self.param("temporal", nn.initializers.lecun_normal(), (self.kernel, 1, self.filters))[:, 0]
        if self.groups == 1:
            spatial = self.param("spatial", nn.initializers.lecun_normal(), (channels, self.filters, self.spatial))
            kernel = jnp.einsum("kf,cfg->kcg", temporal, spatial)
        else:  # depthwise: output g uses temporal filter g // (spatial // filters) only
            per = self.spatial // self.filters
            spatial = self.param("spatial", nn.initializers.lecun_normal(), (channels, 1, self.spatial))[:, 0]
            kernel = jnp.repeat(temporal, per, axis=1)[:, None, :] * spatial[None]
        y = jax.lax.conv_general_dilated(x, kernel.astype(x.dtype), (1,), self.padding,
                                         dimension_numbers=("NWC", "WIO", "NWC"))
        if self.temporal_bias:
            bias = self.param("temporal_bias", nn.initializers.zeros, (self.filters,))
            if self.groups == 1:
                y = y + jnp.einsum("f,cfg->g", bias, spatial)
            else:
                y = y + jnp.repeat(bias, self.spatial // self.filters) * spatial.sum(0)
        return y


class ShallowConvNet(_Augmented):
    """Temporal conv -> spatial conv -> BN -> square -> mean-pool -> log -> dropout -> linear.

    Square, average and log make each output a log band power of a learned spatio-temporal filter:
    the filter-bank common-spatial-pattern pipeline, written as one trainable network.
    """

    num_classes: int = 2
    filters: int = 40
    kernel: int = 25          # temporal filter length in samples (after `downsample`)
    pool: int = 75
    pool_stride: int = 15
    dropout: float = 0.5

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = self.augmented(x, train)
        x = SpatioTemporalConv(self.filters, self.filters, self.kernel, name="conv")(x)    # [B, T', F]
        x = tap(self, "filters", x)
        x = _batch_norm(train)(x)
        x = jnp.square(x)
        pool = min(self.pool, x.shape[1])
        x = nn.avg_pool(x, (pool,), strides=(min(self.pool_stride, pool),))
        x = tap(self, "log_power", jnp.log(jnp.maximum(x, 1e-6)))
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes)(x.reshape((x.shape[0], -1))))


class EEGNet(_Augmented):
    """Temporal conv -> depthwise spatial conv -> BN, ELU, pool -> separable conv -> BN, ELU, pool -> linear.

    Few parameters (a few thousand) by design: depthwise convolutions give every temporal filter
    its own spatial filters, and the separable convolution mixes them cheaply. The paper's batch
    norm between the temporal and spatial convolutions is left out so the two fold into one
    convolution (`SpatioTemporalConv`); at inference it is a per-filter affine map the next batch
    norm absorbs, so the functions the network can express are the same.
    """

    num_classes: int = 2
    filters: int = 8          # F1: temporal filters
    depth: int = 2            # D: spatial filters per temporal filter
    separable: int = 16       # F2: pointwise filters after the separable conv
    kernel: int = 64          # temporal filter length (half a second at 128 Hz in the paper)
    separable_kernel: int = 16
    pool1: int = 4
    pool2: int = 8
    dropout: float = 0.25

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = self.augmented(x, train)
        width = self.filters * self.depth
        x = SpatioTemporalConv(self.filters, width, self.kernel, groups=self.filters, padding="SAME",
                               temporal_bias=False, name="conv")(x)
        x = nn.elu(_batch_norm(train)(x))
        x = tap(self, "spatial", nn.avg_pool(x, (self.pool1,), strides=(self.pool1,)))
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        x = nn.Conv(width, (self.separable_kernel,), padding="SAME", use_bias=False, feature_group_count=width,
                    name="depthwise")(x)
        x = nn.Conv(self.separable, (1,), use_bias=False, name="pointwise")(x)
        x = nn.elu(_batch_norm(train)(x))
        pool2 = min(self.pool2, x.shape[1])
        x = tap(self, "separable", nn.avg_pool(x, (pool2,), strides=(pool2,)))
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes)(x.reshape((x.shape[0], -1))))


class Deep4(_Augmented):
    """Four conv-pool blocks (the first a temporal-then-spatial conv), BN and ELU throughout.

    The deeper, more generic design: later blocks combine the first block's filters into longer
    and more abstract temporal patterns.
    """

    num_classes: int = 2
    features: Sequence[int] = (25, 50, 100, 200)
    kernel: int = 10
    pool: int = 3
    dropout: float = 0.5

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = self.augmented(x, train)
        x = SpatioTemporalConv(self.features[0], self.features[0], self.kernel, name="conv")(x)
        for i, features in enumerate(self.features):
            if i:
                x = nn.Dropout(self.dropout, deterministic=not train)(x)
                x = nn.Conv(features, (min(self.kernel, x.shape[1]),), padding="VALID", use_bias=False)(x)
            x = nn.elu(_batch_norm(train)(x))
            if x.shape[1] >= 2 * self.pool:
                x = nn.max_pool(x, (self.pool,), strides=(self.pool,))
            tap(self, f"block{i + 1}", x)
        x = nn.Dropout(self.dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes)(x.reshape((x.shape[0], -1))))


class RawGRU(_Augmented):
    """Average-pool the raw sequence by `downsample`, run a GRU over it, classify its last state.

    Pooling shortens the recurrence (SCP1: 896 steps to 112) so it trains in seconds on a CPU.
    """

    num_classes: int = 2
    hidden: int = 64
    dropout: float = 0.2

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = self.augmented(x, train)
        x = tap(self, "projection", nn.Dense(self.hidden, name="input")(x))
        carry, states = nn.RNN(nn.GRUCell(self.hidden), return_carry=True, name="gru")(x)
        tap(self, "gru_state", carry)
        tap_steps(self, "gru_state", states)
        carry = nn.Dropout(self.dropout, deterministic=not train)(carry)
        return tap(self, "logits", nn.Dense(self.num_classes)(carry))


class SpatialMeanNet(_Augmented):
    """Spatial filters -> mean over `windows` equal time segments -> dropout -> [ELU hidden layer] -> linear.

    No square, no rectifier before the average: each output keeps the sign of a slow drift under a
    learned electrode weighting, which is where movement preparation (the lateralised readiness
    potential before a key press) and slow cortical potentials live. ShallowConvNet's square-and-log
    keeps band power and discards that sign. With `hidden=0` it is linear end to end; `hidden=H`
    puts H ELU units (and `hidden_dropout`) between the window means and the read-out, so the
    classifier can combine the learned slow-potential features non-linearly.
    """

    num_classes: int = 2
    spatial: int = 0          # learned spatial filters (electrode weightings); 0: one per electrode
    windows: int = 5          # equal time segments averaged separately
    dropout: float = 0.0
    hidden: int = 0           # ELU units between the window means and the read-out; 0: none (a linear model)
    hidden_dropout: float = 0.0

    @nn.compact
    def __call__(self, x: jax.Array, train: bool = False) -> jax.Array:
        x = self.augmented(x, train)
        x = nn.Dense(self.spatial or x.shape[-1], use_bias=False, name="spatial")(x)   # [B, T, S]
        x = tap(self, "filtered", x)
        batch, time, spatial = x.shape
        windows = max(1, min(self.windows, time))
        segment = time // windows
        x = x[:, time - segment * windows:].reshape(batch, windows, segment, spatial).mean(axis=2)
        x = tap(self, "windows", x)
        x = nn.Dropout(self.dropout, deterministic=not train)(x).reshape((batch, -1))
        if self.hidden:
            x = tap(self, "dense1", nn.elu(nn.Dense(self.hidden, name="hidden")(x)))
            x = nn.Dropout(self.hidden_dropout, deterministic=not train)(x)
        return tap(self, "logits", nn.Dense(self.num_classes)(x))
