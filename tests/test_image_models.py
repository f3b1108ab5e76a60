"""The image model zoo: shapes, parameter counts, batch norm's two modes, bf16, and short runs that learn."""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

import experiments
import models
from train import loop, overrides
from models import num_params
from train.step import create_state, train_step
from train.tasks import CLASSIFICATION


def _init(name, input_shape, dtype="float32", **kwargs):
    model = models.create(ml_collections.ConfigDict({"name": name, **kwargs}), 10, dtype)
    return model, model.init(jax.random.key(0), jnp.zeros((2, *input_shape)), train=False)


def test_mlp_shape_and_parameter_count():
    model, variables = _init("mlp", (8, 8, 1), depth=2, width=256)
    assert model.apply(variables, jnp.ones((3, 8, 8, 1))).shape == (3, 10)
    assert num_params(variables["params"]) == (64 * 256 + 256) + (256 * 256 + 256) + (256 * 10 + 10)


def test_lenet5_shape_and_parameter_count():
    model, variables = _init("lenet", (28, 28, 1))
    assert model.apply(variables, jnp.ones((3, 28, 28, 1))).shape == (3, 10)
    # conv 5x5x1x6, conv 5x5x6x16 (28 -> pool 14 -> valid 10 -> pool 5), dense 400-120-84-10
    expected = (25 * 6 + 6) + (25 * 6 * 16 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert num_params(variables["params"]) == expected == 61706


def test_vgg_shape_and_parameter_count():
    model, variables = _init("vgg", (28, 28, 1), features=(8, 16), convs_per_stage=1, hidden=32)
    assert model.apply(variables, jnp.ones((3, 28, 28, 1))).shape == (3, 10)
    conv = (9 * 8) + 2 * 8 + (9 * 8 * 16) + 2 * 16  # no conv bias under batch norm; scale and bias per channel
    assert num_params(variables["params"]) == conv + (7 * 7 * 16 * 32 + 32) + (32 * 10 + 10)


def test_resnet20_shape_and_parameter_count():
    model, variables = _init("resnet", (28, 28, 1), blocks_per_stage=3)
    assert model.apply(variables, jnp.ones((2, 28, 28, 1))).shape == (2, 10)
    conv = lambda k, cin, cout: k * k * cin * cout + 2 * cout  # conv without bias + batch norm  # noqa: E731
    blocks = 0
    for stage, channels in enumerate((16, 32, 64)):
        for block in range(3):
            cin = channels // 2 if stage and block == 0 else channels
            blocks += conv(3, cin, channels) + conv(3, channels, channels)
            if stage and block == 0:
                blocks += conv(1, cin, channels)
    expected = conv(3, 1, 16) + blocks + 64 * 10 + 10
    assert num_params(variables["params"]) == expected
    assert 0.26e6 < expected < 0.28e6  # ResNet-20's ~0.27M


def test_batch_norm_uses_batch_statistics_in_train_and_running_averages_in_eval():
    model, variables = _init("resnet", (8, 8, 1), blocks_per_stage=1)
    x = jax.random.normal(jax.random.key(1), (16, 8, 8, 1)) * 3 + 2
    _, updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    before, after = jax.tree.leaves(variables["batch_stats"]), jax.tree.leaves(updates["batch_stats"])
    assert any(not np.allclose(a, b) for a, b in zip(before, after))  # train mode moves the averages
    out, unchanged = model.apply(variables, x, train=False, mutable=["batch_stats"])
    for a, b in zip(before, jax.tree.leaves(unchanged["batch_stats"])):
        np.testing.assert_array_equal(a, b)  # eval mode leaves them
    # eval output depends on the example only, train output on the whole batch
    single = model.apply(variables, x[:1], train=False)
    np.testing.assert_allclose(single, out[:1], rtol=1e-5, atol=1e-5)
    train_single, _ = model.apply(variables, x[:1], train=True, mutable=["batch_stats"])
    train_all, _ = model.apply(variables, x, train=True, mutable=["batch_stats"])
    assert not np.allclose(train_single, train_all[:1], atol=1e-3)


def test_bfloat16_compute_keeps_float32_parameters_and_trains():
    model, _ = _init("resnet", (8, 8, 1), dtype="bfloat16", blocks_per_stage=1)
    state = create_state(model, optax.adam(1e-2), (8, 8, 1), jax.random.key_data(jax.random.key(0)))
    assert all(p.dtype == jnp.float32 for p in jax.tree.leaves(state.params))
    logits = model.apply({"params": state.params, "batch_stats": state.batch_stats}, jnp.ones((2, 8, 8, 1)))
    assert logits.dtype == jnp.bfloat16
    batch = {"inputs": jax.random.normal(jax.random.key(1), (32, 8, 8, 1)),
             "labels": jnp.arange(32) % 10}
    step = jax.jit(functools.partial(train_step, task=CLASSIFICATION))
    losses = []
    for _ in range(30):
        state, metrics = step(state, batch)
        losses.append(float(metrics["loss_sum"] / metrics["count"]))
    assert np.isfinite(losses).all() and losses[-1] < 0.5 * losses[0]


def test_model_without_a_dtype_setting_rejects_bfloat16():
    with pytest.raises(ValueError, match="no dtype setting"):
        models.create(ml_collections.ConfigDict({"name": "linear"}), 10, "bfloat16")


SHORT = {"num_steps": 60, "log_every": 20, "checkpoint_every": 60, "eval_every": 0, "batch_size": 64,
         "eval_batch_size": 1000}
IMAGE_EXPERIMENTS = {  # experiment: (extra overrides, test accuracy it must beat; chance is 0.1)
    "digits_mlp": ({}, 0.6),
    "mnist5k_linear": ({}, 0.6),
    "mnist5k_mlp": ({}, 0.6),
    "mnist5k_cnn": ({}, 0.6),
    "fashion_mnist_linear": ({}, 0.5),
    "fashion_mnist_mlp": ({}, 0.5),
    "fashion_mnist_cnn": ({}, 0.5),
    "fashion_mnist_resnet": ({"model.blocks_per_stage": 1, "schedule.warmup_steps": 10}, 0.3),
}


@pytest.mark.parametrize("name", sorted(IMAGE_EXPERIMENTS))
def test_short_run_of_each_image_experiment_learns(name, tmp_path):
    extra, floor = IMAGE_EXPERIMENTS[name]
    config = experiments.get_config(name)
    overrides.apply(config, [(k, str(v)) for k, v in {**SHORT, **extra}.items()])
    summary = loop.train_and_evaluate(config, tmp_path)
    assert summary["eval"]["accuracy"] > floor, summary["eval"]


@pytest.mark.parametrize("padding,shape", [("VALID", (3, 8, 6, 4)), ("VALID", (2, 7, 5, 3)), ("SAME", (2, 7, 5, 3))])
def test_reshape_max_pool_equals_flax_max_pool_in_value_and_gradient_ties_included(padding, shape):
    from models.pooling import max_pool_2x2
    x = jnp.round(jax.random.normal(jax.random.key(0), shape))  # few values: many windows hold tied maxima
    reference = lambda v: nn.max_pool(v, (2, 2), (2, 2), padding=padding)  # noqa: E731
    np.testing.assert_array_equal(max_pool_2x2(x, padding), reference(x))
    weights = jax.random.normal(jax.random.key(1), reference(x).shape)
    grad = jax.grad(lambda v: jnp.sum(max_pool_2x2(v, padding) * weights))(x)
    np.testing.assert_array_equal(grad, jax.grad(lambda v: jnp.sum(reference(v) * weights))(x))


@pytest.mark.parametrize("shift", [0.0, 3.0])
def test_fast_batch_norm_matches_flax_batch_norm(shift):
    from models.batch_norm import BatchNorm
    x = jax.random.normal(jax.random.key(0), (6, 5, 5, 4)) * 2.0 + shift
    ours, theirs = BatchNorm(momentum=0.9), nn.BatchNorm(use_running_average=False, momentum=0.9)
    variables = theirs.init(jax.random.key(1), x)
    assert jax.tree.structure(ours.init(jax.random.key(1), x)) == jax.tree.structure(variables)
    params = {"scale": jnp.linspace(0.5, 2.0, 4), "bias": jnp.linspace(-1.0, 1.0, 4)}
    stats = {"mean": jnp.full(4, 0.3), "var": jnp.full(4, 1.7)}
    weights = jax.random.normal(jax.random.key(2), x.shape)

    def loss(module, params, x):
        out, updates = module.apply({"params": params, "batch_stats": stats}, x, mutable=["batch_stats"])
        return jnp.sum(out * weights), (out, updates["batch_stats"])

    (value, (out, new_stats)), grads = jax.value_and_grad(loss, (1, 2), has_aux=True)(ours, params, x)
    (value_ref, (out_ref, new_ref)), grads_ref = jax.value_and_grad(loss, (1, 2), has_aux=True)(theirs, params, x)
    np.testing.assert_allclose(out, out_ref, atol=2e-5)
    for a, b in zip(jax.tree.leaves((grads, new_stats)), jax.tree.leaves((grads_ref, new_ref))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert not np.allclose(new_stats["mean"], stats["mean"])  # running averages moved
    evaluated = ours.clone(use_running_average=True).apply({"params": params, "batch_stats": stats}, x)
    expected = theirs.clone(use_running_average=True).apply({"params": params, "batch_stats": stats}, x)
    np.testing.assert_allclose(evaluated, expected, atol=2e-5)
