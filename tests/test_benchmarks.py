"""The benchmark's JAX paths run and train the model the experiment names (PyTorch is not a test dependency)."""

from benchmarks import compare


def test_per_step_flax_loop_and_layerwise_time_the_same_model():
    per_step = compare.run_flax_per_step(compare._config("digits_cnn"), windows=1, window_steps=3)
    layerwise = compare.run_layerwise(compare._config("digits_cnn"), windows=1, window_steps=3)
    assert per_step["parameters"] == layerwise["parameters"] == 151_306  # digits_cnn's CNN
    assert per_step["examples_per_sec"] > 0 and layerwise["examples_per_sec"] > 0


def test_per_step_flax_loop_carries_a_language_models_state():
    config = compare._config("shakespeare_lstm")
    config.model.hidden, config.model.embed_dim, config.batch_size = 16, 8, 4
    result = compare.run_flax_per_step(config, windows=1, window_steps=2)
    assert result["parameters"] == 8 * 96 + 4 * (8 * 16 + 16 * 16 + 16) + 16 * 96 + 96
    assert result["examples_per_sec"] > 0


def test_window_steps_default_per_experiment_and_yield_to_the_flag():
    assert compare.window_steps("fashion_mnist_resnet") < compare.window_steps("digits_cnn") == 100
    assert compare.window_steps("fashion_mnist_resnet", requested=7) == 7
