"""Recurrent models: shapes with masks, padding invariance, the LSTM/GRU step against hand-written
formulas, gradients through the scan, state handed across segments, and the bag-of-words baseline."""

import flax.linen as nn
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from models import REGISTRY
from models.bow import BagOfWords
from models.rnn import RNNClassifier, RNNLanguageModel, RNNRegressor


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_lstm_cell_matches_a_hand_written_step():
    cell = nn.LSTMCell(features=5)
    x = np.asarray(jax.random.normal(jax.random.key(0), (3, 4)))
    c0, h0 = (np.asarray(jax.random.normal(jax.random.key(k), (3, 5))) for k in (1, 2))
    params = cell.init(jax.random.key(3), (c0, h0), x)["params"]
    (c1, h1), out = cell.apply({"params": params}, (c0, h0), x)

    def gate(name):  # W_i x + W_h h + b, with the input part bias-free as in flax
        return x @ np.asarray(params[f"i{name}"]["kernel"]) + h0 @ np.asarray(params[f"h{name}"]["kernel"]) \
            + np.asarray(params[f"h{name}"]["bias"])

    i, f, g, o = _sigmoid(gate("i")), _sigmoid(gate("f")), np.tanh(gate("g")), _sigmoid(gate("o"))
    c_ref = f * c0 + i * g
    h_ref = o * np.tanh(c_ref)
    np.testing.assert_allclose(c1, c_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1, h_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out, h1)


def test_gru_cell_matches_a_hand_written_step():
    cell = nn.GRUCell(features=5)
    x = np.asarray(jax.random.normal(jax.random.key(0), (3, 4)))
    h0 = np.asarray(jax.random.normal(jax.random.key(1), (3, 5)))
    p = jax.tree.map(np.asarray, cell.init(jax.random.key(2), h0, x)["params"])
    h1, _ = cell.apply({"params": p}, h0, x)
    r = _sigmoid(x @ p["ir"]["kernel"] + p["ir"]["bias"] + h0 @ p["hr"]["kernel"])
    z = _sigmoid(x @ p["iz"]["kernel"] + p["iz"]["bias"] + h0 @ p["hz"]["kernel"])
    n = np.tanh(x @ p["in"]["kernel"] + p["in"]["bias"] + r * (h0 @ p["hn"]["kernel"] + p["hn"]["bias"]))
    np.testing.assert_allclose(h1, (1 - z) * n + z * h0, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell,bidirectional,pooling", [
    ("rnn", False, "last"), ("lstm", True, "last"), ("gru", True, "max"), ("lstm", False, "mean")])
def test_classifier_shapes_and_padding_does_not_change_the_result(cell, bidirectional, pooling):
    model = RNNClassifier(num_classes=3, cell=cell, hidden=8, num_layers=2, bidirectional=bidirectional,
                          vocab_size=20, embed_dim=6, pooling=pooling)
    lengths = jnp.array([5, 2, 7, 1])
    tokens = jax.random.randint(jax.random.key(0), (4, 7), 2, 20)
    real = jnp.arange(7)[None] < lengths[:, None]
    padded_zero = jnp.where(real, tokens, 0)
    padded_junk = jnp.where(real, tokens, 19)  # other padding values ...
    longer = jnp.pad(padded_zero, ((0, 0), (0, 5)))  # ... and more of it
    params = model.init(jax.random.key(1), padded_zero, lengths=lengths)
    out = model.apply(params, padded_zero, lengths=lengths)
    assert out.shape == (4, 3)
    np.testing.assert_allclose(model.apply(params, padded_junk, lengths=lengths), out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.apply(params, longer, lengths=lengths), out, rtol=1e-5, atol=1e-6)
    # A sequence alone gives the same answer as in the batch (no leakage across rows).
    alone = model.apply(params, padded_zero[1:2, :2], lengths=lengths[1:2])
    np.testing.assert_allclose(alone, out[1:2], rtol=1e-5, atol=1e-6)


def test_float_steps_and_images_read_row_by_row():
    model = RNNClassifier(num_classes=10, cell="gru", hidden=16)
    images = jax.random.uniform(jax.random.key(0), (5, 8, 8, 1))
    params = model.init(jax.random.key(1), images)
    out = model.apply(params, images)
    assert out.shape == (5, 10)
    np.testing.assert_allclose(model.apply(params, images[..., 0]), out, rtol=1e-6)  # [B, 8 steps, 8 pixels]


def test_regressor_shape_and_masking():
    model = RNNRegressor(num_classes=1, hidden=8)
    x = jax.random.normal(jax.random.key(0), (3, 6, 2))
    params = model.init(jax.random.key(1), x)
    assert model.apply(params, x).shape == (3, 1)
    lengths = jnp.array([6, 3, 4])
    changed = x.at[1, 3:].set(100.0)
    np.testing.assert_allclose(model.apply(params, changed, lengths=lengths), model.apply(params, x, lengths=lengths),
                               rtol=1e-6)


def test_gradient_flows_through_the_scan_to_the_first_step():
    model = RNNRegressor(num_classes=1, cell="lstm", hidden=8)
    x = jax.random.normal(jax.random.key(0), (2, 30, 1))
    params = model.init(jax.random.key(1), x)
    grad_x = jax.grad(lambda inputs: model.apply(params, inputs).sum())(x)
    assert np.all(np.abs(np.asarray(grad_x[:, 0])) > 0)  # the output at step 30 depends on step 1
    grads = jax.grad(lambda p: model.apply(p, x).sum())(params)
    for path, leaf in jax.tree_util.tree_leaves_with_path(grads):
        assert np.any(np.asarray(leaf) != 0), jax.tree_util.keystr(path)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_gradient_through_the_scan_matches_finite_differences(cell):
    with jax.enable_x64(True):
        model = RNNRegressor(num_classes=1, cell=cell, hidden=3)
        x = jax.random.normal(jax.random.key(0), (2, 5, 2), jnp.float64)
        params = jax.tree.map(lambda p: p.astype(jnp.float64), model.init(jax.random.key(1), x)["params"])
        flat, unravel = jax.flatten_util.ravel_pytree(params)

        def loss(vector):
            return jnp.sum(model.apply({"params": unravel(vector)}, x) ** 2)

        eps = 1e-6
        basis = jnp.eye(flat.size, dtype=jnp.float64)
        numeric = jax.vmap(lambda e: (loss(flat + eps * e) - loss(flat - eps * e)) / (2 * eps))(basis)
        np.testing.assert_allclose(jax.grad(loss)(flat), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_language_model_state_handed_across_segments_equals_one_long_sequence(cell):
    model = RNNLanguageModel(num_classes=11, cell=cell, hidden=8, num_layers=2, embed_dim=4)
    tokens = jax.random.randint(jax.random.key(0), (3, 12), 0, 11)
    params = model.init(jax.random.key(1), tokens)["params"]
    whole = model.apply({"params": params}, tokens, carry=model.initial_carry(3))
    first, state = model.apply({"params": params}, tokens[:, :5], carry=model.initial_carry(3), mutable=["carry"])
    second, _ = model.apply({"params": params}, tokens[:, 5:], carry=state["carry"]["final"], mutable=["carry"])
    assert whole.shape == (3, 12, 11)
    np.testing.assert_allclose(jnp.concatenate([first, second], 1), whole, rtol=1e-5, atol=1e-5)
    # Without the handed-over state the second segment is predicted differently.
    cold = model.apply({"params": params}, tokens[:, 5:], carry=model.initial_carry(3))
    assert not np.allclose(cold, second, atol=1e-4)


def test_bag_of_words_is_logistic_regression_on_word_counts():
    model = BagOfWords(num_classes=2, vocab_size=6)
    tokens = jnp.array([[2, 3, 2, 0, 0], [5, 5, 5, 1, 4]])
    lengths = jnp.array([3, 5])
    params = model.init(jax.random.key(0), tokens, lengths=lengths)
    weights = jax.random.normal(jax.random.key(1), (6, 2))
    params = {"params": {"Embed_0": {"embedding": weights}, "bias": jnp.array([0.5, -0.5])}}
    counts = np.array([[0, 0, 2, 1, 0, 0], [0, 1, 0, 0, 1, 3]], np.float32)
    np.testing.assert_allclose(model.apply(params, tokens, lengths=lengths), counts @ weights + np.array([0.5, -0.5]), rtol=1e-5)
    binary = BagOfWords(num_classes=2, vocab_size=6, binary=True)
    np.testing.assert_allclose(binary.apply(params, tokens, lengths=lengths),
                               (counts > 0) @ weights + np.array([0.5, -0.5]), rtol=1e-5)


def test_sequence_models_are_registered():
    assert {"rnn_classifier", "rnn_lm", "rnn_regressor", "bow"} <= set(REGISTRY)
