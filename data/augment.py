"""On-device, seeded image augmentation: it runs inside the compiled train step, per example."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax


def random_crop(images: jax.Array, key: jax.Array, padding: int) -> jax.Array:
    """Zero-pads NHWC `images` by `padding` pixels and crops each back at a random offset."""
    if padding <= 0:
        return images
    _, height, width, channels = images.shape
    padded = jnp.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    offsets = jax.random.randint(key, (images.shape[0], 2), 0, 2 * padding + 1)

    def crop(image: jax.Array, offset: jax.Array) -> jax.Array:
        return lax.dynamic_slice(image, (offset[0], offset[1], 0), (height, width, channels))

    return jax.vmap(crop)(padded, offsets)


def random_flip(images: jax.Array, key: jax.Array) -> jax.Array:
    """Mirrors each NHWC image left-right with probability 1/2 (not for digits or text)."""
    flip = jax.random.bernoulli(key, 0.5, (images.shape[0], 1, 1, 1))
    return jnp.where(flip, images[:, :, ::-1, :], images)


def augment(images: jax.Array, key: jax.Array, crop_padding: int, flip: bool) -> jax.Array:
    crop_key, flip_key = jax.random.split(key)
    images = random_crop(images, crop_key, crop_padding)
    return random_flip(images, flip_key) if flip else images
