"""2x2 max-pooling as a reshape and a max: the values and gradients of `nn.max_pool`, faster on CPU.

`nn.max_pool` is a `reduce_window`, whose gradient XLA builds as a select-and-scatter; on XLA:CPU that
scatter dominated the fashion_mnist_cnn train step (about 1,200 examples/s, against 3,500 with average
pooling in its place). Non-overlapping 2x2 windows are a reshape, so the forward pass is a plain
`max` over the window axis and the backward pass a one-hot of each window's first maximum: the
gradient `nn.max_pool` gives, tie-breaking included, so runs stay bit-identical to the
reduce_window version (tested). Measured speed-ups are in benchmarks/RESULTS.md.
"""

import jax
import jax.numpy as jnp


def _windows(x: jax.Array) -> jax.Array:
    """[B, H, W, C] with even H, W -> [B, H/2, W/2, 4, C], each window's entries in row-major order."""
    batch, height, width, channels = x.shape
    x = x.reshape(batch, height // 2, 2, width // 2, 2, channels).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(batch, height // 2, width // 2, 4, channels)


@jax.custom_vjp
def _pool_even(x: jax.Array) -> jax.Array:
    return _windows(x).max(axis=3)


def _pool_even_fwd(x: jax.Array):
    windows = _windows(x)
    return windows.max(axis=3), jnp.argmax(windows, axis=3).astype(jnp.int8)  # first maximum, as XLA's


def _pool_even_bwd(first: jax.Array, g: jax.Array):
    batch, half_h, half_w, channels = g.shape
    grads = jnp.where(jnp.arange(4, dtype=jnp.int8)[:, None] == first[..., None, :], g[..., None, :],
                      jnp.zeros((), g.dtype))
    grads = grads.reshape(batch, half_h, half_w, 2, 2, channels).transpose(0, 1, 3, 2, 4, 5)
    return (grads.reshape(batch, 2 * half_h, 2 * half_w, channels),)


_pool_even.defvjp(_pool_even_fwd, _pool_even_bwd)


def max_pool_2x2(x: jax.Array, padding: str = "VALID") -> jax.Array:
    """Stride-2 2x2 max-pool of [batch, height, width, channels]. 'VALID' drops an odd last row or
    column; 'SAME' pads it with -inf (as `nn.max_pool` does), so 7 rows become 4."""
    height, width = x.shape[1], x.shape[2]
    if padding == "SAME":
        x = jnp.pad(x, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), constant_values=-jnp.inf)
    elif padding == "VALID":
        x = x[:, : height - height % 2, : width - width % 2]
    else:
        raise ValueError(f"unknown padding {padding!r}; valid: 'VALID', 'SAME'")
    return _pool_even(x)
