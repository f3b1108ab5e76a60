"""Tasks beyond classification: the language model's carried state and stream order, streamed
evaluation, and regression metrics."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from data import order, resident
from data.dataset import Split
from models.rnn import RNNLanguageModel
from train import tasks
from train.step import create_state, eval_streams, train_step


def test_stream_order_makes_each_batch_row_continue_its_own_text():
    visits = order.stream_order(num_examples=11, batch_size=3)
    assert sorted(visits.tolist()) == list(range(11))
    steps = 11 // 3
    batches = visits[: steps * 3].reshape(steps, 3)
    for step in range(1, steps):
        np.testing.assert_array_equal(batches[step], batches[step - 1] + 1)  # row b reads the next segment
    np.testing.assert_array_equal(batches[0], [0, 3, 6])


def _lm_state(batch_size, vocab=7, hidden=6):
    model = RNNLanguageModel(num_classes=vocab, hidden=hidden, embed_dim=4)
    state = create_state(model, optax.sgd(0.1), (5,), jax.random.key(0), jnp.int32)
    return model, state.replace(carry=model.initial_carry(batch_size))


def test_language_model_step_carries_the_final_state_and_resets_at_each_epoch():
    model, state = _lm_state(batch_size=2)
    task = tasks.LanguageModel(steps_per_epoch=2)
    tokens = jax.random.randint(jax.random.key(1), (2, 11), 0, 7)
    first = {"inputs": tokens[:, :5], "labels": tokens[:, 1:6]}
    params_before = state.params
    state, metrics = train_step(state, first, task)
    _, expected = model.apply({"params": params_before}, first["inputs"], carry=model.initial_carry(2),
                              mutable=["carry"])
    for got, want in zip(jax.tree.leaves(state.carry), jax.tree.leaves(expected["carry"]["final"]), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert float(metrics["count"]) == 10  # every token of the segment counts
    # Step 1 continues from that state; step 2 starts a new epoch: the streams restart from zeros.
    np.testing.assert_allclose(jax.tree.leaves(task.model_kwargs(state, first)["carry"])[0],
                               jax.tree.leaves(state.carry)[0])
    restarted = task.model_kwargs(state.replace(step=2), first)["carry"]
    assert all(np.all(np.asarray(leaf) == 0) for leaf in jax.tree.leaves(restarted))
    assert math.isclose(task.summarize({"loss_sum": 2.0, "correct": 1.0, "count": 2.0})["bits_per_token"],
                        1.0 / math.log(2.0))


def test_streamed_evaluation_equals_reading_each_stream_in_one_pass():
    model, state = _lm_state(batch_size=4)
    task = tasks.LanguageModel(steps_per_epoch=1)
    text = np.asarray(jax.random.randint(jax.random.key(2), (10 * 5 + 1,), 0, 7), np.int32)
    split = Split(text[:-1].reshape(10, 5), text[1:].reshape(10, 5))  # 10 consecutive segments of 5
    batches = resident.eval_batches(split, batch_size=4)  # padded to 12 rows
    sums = jax.device_get(eval_streams(state, batches, task, num_streams=3))
    # 3 streams of ceil(10/3) = 4 segments: rows 0-3, 4-7, 8-9 (+2 padding rows), each read as one sequence.
    total, count = 0.0, 0
    for rows in (range(0, 4), range(4, 8), range(8, 10)):
        inputs = split.inputs[list(rows)].reshape(1, -1)
        labels = split.labels[list(rows)].reshape(1, -1)
        logits = model.apply({"params": state.params}, inputs, carry=model.initial_carry(1))
        total += float(tasks.cross_entropy(logits, labels).sum())
        count += labels.size
    assert float(sums["count"]) == count == 50
    np.testing.assert_allclose(float(sums["loss_sum"]), total, rtol=1e-5)


def test_regression_reports_mse_and_rmse_in_data_units():
    task = tasks.create("regression", target_scale=10.0)
    outputs = jnp.array([[1.0], [2.0], [4.0]])
    batch = {"labels": jnp.array([[1.0], [1.0], [2.0]])}
    losses = task.losses(outputs, batch)
    np.testing.assert_allclose(losses, [0.0, 1.0, 4.0])
    sums = task.sums(losses, outputs, batch, mask=jnp.array([True, True, False]))
    summary = task.summarize(jax.device_get(sums))
    assert math.isclose(summary["loss"], 0.5) and math.isclose(summary["rmse"], math.sqrt(0.5) * 10.0)
    assert task.sum_keys == ("loss_sum", "count")


def test_unknown_task_is_named():
    import pytest
    with pytest.raises(ValueError, match="unknown task 'ranking'; valid tasks: classification"):
        tasks.create("ranking")
