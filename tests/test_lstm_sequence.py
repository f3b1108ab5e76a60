"""The sequence-level LSTM (models/lstm.py) against flax's cell: parameters, values and gradients."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from models.lstm import LSTMWeights, gather_rows, lstm_sequence
from models.rnn import RNNLanguageModel


def _flax_lstm(params, x, carry):
    """nn.RNN(nn.LSTMCell) over batch-major x: (outputs [B, T, H], final carry)."""
    hidden = carry[0].shape[-1]
    rnn = nn.RNN(nn.LSTMCell(hidden), return_carry=True)
    final, outputs = rnn.apply({"params": {"cell": params}}, x, initial_carry=carry)
    return outputs, final


def _cell_params(in_features, hidden, key):
    return nn.LSTMCell(hidden).init(key, (jnp.zeros((1, hidden)),) * 2, jnp.zeros((1, in_features)))["params"]


def _sequence_lstm(params, x, carry):
    w_ih, w_hh, bias = LSTMWeights(carry[0].shape[-1]).apply({"params": params}, x.shape[-1])
    outputs, final = lstm_sequence(jnp.einsum("btd,dk->tbk", x, w_ih) + bias, w_hh, carry)
    return outputs.swapaxes(0, 1), final


@pytest.mark.parametrize("batch,steps", [(3, 7), (1, 1)])
def test_values_and_gradients_match_the_flax_cell(batch, steps):
    hidden, features = 5, 4
    keys = jax.random.split(jax.random.key(0), 5)
    params = _cell_params(features, hidden, keys[0])
    x = jax.random.normal(keys[1], (batch, steps, features))
    carry = (jax.random.normal(keys[2], (batch, hidden)), jax.random.normal(keys[3], (batch, hidden)))
    probe = jax.random.normal(keys[4], (batch, steps, hidden))

    def loss(fn, params, x, carry):
        outputs, (c, h) = fn(params, x, carry)
        return jnp.sum(outputs * probe) + jnp.sum(jnp.sin(c)) + jnp.sum(h * h)

    for fn in (_flax_lstm, _sequence_lstm):
        assert fn(params, x, carry)[0].shape == (batch, steps, hidden)
    np.testing.assert_allclose(_sequence_lstm(params, x, carry)[0], _flax_lstm(params, x, carry)[0],
                               rtol=1e-5, atol=1e-6)
    want = jax.grad(lambda *a: loss(_flax_lstm, *a), argnums=(0, 1, 2))(params, x, carry)
    got = jax.grad(lambda *a: loss(_sequence_lstm, *a), argnums=(0, 1, 2))(params, x, carry)
    for w, g in zip(jax.tree.leaves(want), jax.tree.leaves(got)):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_gradient_matches_finite_differences_in_float64():
    with jax.enable_x64():
        keys = jax.random.split(jax.random.key(1), 3)
        zx = jax.random.normal(keys[0], (4, 2, 12), jnp.float64)
        w_hh = 0.5 * jax.random.normal(keys[1], (3, 12), jnp.float64)
        carry = tuple(jax.random.normal(k, (2, 3), jnp.float64) for k in jax.random.split(keys[2]))

        def loss(zx, w_hh, carry):
            outputs, (c, h) = lstm_sequence(zx, w_hh, carry)
            return jnp.sum(outputs ** 2) + jnp.sum(c * h)

        check_grads(loss, (zx, w_hh, carry), order=1, modes=["rev"], eps=1e-6)


def test_gather_rows_gradient_is_the_scatter_add_of_take():
    table = jax.random.normal(jax.random.key(0), (6, 3))
    ids = jnp.array([[0, 5, 5], [2, 0, 0]])
    probe = jax.random.normal(jax.random.key(1), (2, 3, 3))
    np.testing.assert_array_equal(gather_rows(table, ids), jnp.take(table, ids, axis=0))
    want = jax.grad(lambda t: jnp.sum(jnp.take(t, ids, axis=0) * probe))(table)
    got = jax.grad(lambda t: jnp.sum(gather_rows(t, ids) * probe))(table)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_language_model_keeps_the_cell_parameter_names():
    model = RNNLanguageModel(num_classes=11, hidden=6, embed_dim=4, num_layers=2)
    params = model.init(jax.random.key(0), jnp.zeros((2, 5), jnp.int32))["params"]
    cell = _cell_params(4, 6, jax.random.key(0))
    stack = params["RecurrentStack_0"]
    assert set(stack) == {"LSTMCell_0", "LSTMCell_1"}
    assert jax.tree.map(jnp.shape, stack["LSTMCell_0"]) == jax.tree.map(jnp.shape, cell)
    assert "Embed_0" in params and params["Embed_0"]["embedding"].shape == (11, 4)
