"""The pure train step: loss definition, gradients against finite differences, and learning."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from train.step import create_state, eval_step, train_step
from train.tasks import CLASSIFICATION, cross_entropy


def test_sparse_cross_entropy_equals_categorical_of_softmax_value_and_gradient():
    logits = jax.random.normal(jax.random.key(0), (16, 10)) * 3
    labels = jax.random.randint(jax.random.key(1), (16,), 0, 10)

    def sparse(z):
        return cross_entropy(z, labels).mean()

    def categorical(z):  # -sum(one_hot * log(softmax)), written out from the definition
        return -jnp.mean(jnp.sum(jax.nn.one_hot(labels, 10) * jnp.log(jax.nn.softmax(z)), axis=-1))

    np.testing.assert_allclose(sparse(logits), categorical(logits), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(sparse)(logits), jax.grad(categorical)(logits), atol=1e-7)
    # The gradient has the closed form (softmax - one_hot) / batch.
    expected = (jax.nn.softmax(logits) - jax.nn.one_hot(labels, 10)) / 16
    np.testing.assert_allclose(jax.grad(sparse)(logits), expected, atol=1e-7)


class _Tiny(nn.Module):
    @nn.compact
    def __call__(self, x, train=False):
        return nn.Dense(3)(nn.tanh(nn.Dense(4)(x)))


def test_gradient_matches_central_finite_differences():
    with jax.enable_x64(True):
        x = jax.random.normal(jax.random.key(0), (5, 3), jnp.float64)
        y = jnp.array([0, 1, 2, 1, 0])
        model = _Tiny()
        params = jax.tree.map(lambda p: p.astype(jnp.float64), model.init(jax.random.key(1), x)["params"])
        flat, unravel = jax.flatten_util.ravel_pytree(params)

        def loss(vector):
            logits = model.apply({"params": unravel(vector)}, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        analytic = jax.grad(loss)(flat)
        eps = 1e-6
        basis = jnp.eye(flat.size, dtype=jnp.float64)
        numeric = jax.vmap(lambda e: (loss(flat + eps * e) - loss(flat - eps * e)) / (2 * eps))(basis)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.fixture
def fixed_batch():
    key_x, key_y = jax.random.split(jax.random.key(0))
    return {"inputs": jax.random.normal(key_x, (32, 8, 8, 1)), "labels": jax.random.randint(key_y, (32,), 0, 10)}


def _state(lr=1e-2):
    import ml_collections

    import models
    model = models.create(ml_collections.ConfigDict({"name": "cnn", "features": (8,), "hidden": 16}), 10)
    return create_state(model, optax.adam(lr), (8, 8, 1), jax.random.key_data(jax.random.key(0)))


def test_train_step_on_a_fixed_batch_lowers_the_loss(fixed_batch):
    state = _state()
    step = jax.jit(functools.partial(train_step, task=CLASSIFICATION))
    _, first = step(state, fixed_batch)
    for _ in range(20):
        state, metrics = step(state, fixed_batch)
    assert int(state.step) == 20
    assert float(metrics["loss_sum"]) < 0.5 * float(first["loss_sum"])
    assert float(metrics["count"]) == 32


def test_train_step_is_deterministic(fixed_batch):
    a, _ = jax.jit(functools.partial(train_step, task=CLASSIFICATION))(_state(), fixed_batch)
    b, _ = jax.jit(functools.partial(train_step, task=CLASSIFICATION))(_state(), fixed_batch)
    for x, y in zip(jax.tree.leaves(a.params), jax.tree.leaves(b.params)):
        np.testing.assert_array_equal(x, y)


def test_eval_step_ignores_masked_examples(fixed_batch):
    state = _state()
    full = eval_step(state, fixed_batch, CLASSIFICATION)
    half = {k: v[:16] for k, v in fixed_batch.items()}
    padded = {**fixed_batch, "mask": jnp.arange(32) < 16}
    masked, direct = eval_step(state, padded, CLASSIFICATION), eval_step(state, half, CLASSIFICATION)
    assert float(masked["count"]) == 16
    np.testing.assert_allclose(masked["loss_sum"], direct["loss_sum"], rtol=1e-6)
    np.testing.assert_allclose(masked["correct"], direct["correct"])
    assert float(full["count"]) == 32
