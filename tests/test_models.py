"""Model output shapes and parameter counts, checked against hand-computed values."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

import models
from models import num_params


def _init(name: str, input_shape, **kwargs):
    model = models.create(ml_collections.ConfigDict({"name": name, **kwargs}), num_classes=10)
    variables = model.init(jax.random.key(0), jnp.zeros((2, *input_shape)), train=False)
    return model, variables


def test_linear_shape_and_parameter_count():
    model, variables = _init("linear", (8, 8, 1))
    out = model.apply(variables, jnp.ones((5, 8, 8, 1)))
    assert out.shape == (5, 10)
    assert num_params(variables["params"]) == 64 * 10 + 10


def test_cnn_shape_and_parameter_count():
    model, variables = _init("cnn", (8, 8, 1), features=(32, 64), hidden=128)
    out = model.apply(variables, jnp.ones((3, 8, 8, 1)))
    assert out.shape == (3, 10)
    conv = (3 * 3 * 1 * 32 + 32) + (3 * 3 * 32 * 64 + 64)
    dense = (4 * 4 * 64 * 128 + 128) + (128 * 10 + 10)  # one 2x2 pool: 8x8 -> 4x4
    assert num_params(variables["params"]) == conv + dense


def test_cnn_dropout_only_in_train_mode():
    model, variables = _init("cnn", (8, 8, 1), features=(4,), hidden=16, dropout=0.5)
    x = jax.random.normal(jax.random.key(1), (4, 8, 8, 1))
    eval_a, eval_b = model.apply(variables, x), model.apply(variables, x)
    np.testing.assert_array_equal(eval_a, eval_b)
    train_a = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(2)})
    train_b = model.apply(variables, x, train=True, rngs={"dropout": jax.random.key(3)})
    assert not np.allclose(train_a, train_b)


def test_unknown_model_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid models: bow, cnn, dmpnn, eeg_deep4, .*, resnet, rnn_classifier, .*vgg"):
        models.create(ml_collections.ConfigDict({"name": "transformer"}), num_classes=10)
