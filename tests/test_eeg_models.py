"""EEG networks: output shapes on every set, the folded convolution, augmentation, and learning on SCP1."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import experiments
import models
from models import eeg

# (time, channels) of each set, from tests/test_uea.py.
SHAPES = {"scp1": (896, 6), "scp2": (1152, 7), "fingers": (50, 28), "eyes": (128, 14), "blink": (510, 4)}
EEG_EXPERIMENTS = [name for name in experiments.names() if name.startswith("eeg/")]
RAW = [name for name in EEG_EXPERIMENTS if not name.endswith("_features")]


def test_every_set_has_every_model_and_the_feature_pipeline():
    for short in SHAPES:
        for model in ("shallow", "eegnet", "deep4", "gru", "spatial", "features", "spatial_mlp"):
            assert f"eeg/{short}_{model}" in EEG_EXPERIMENTS
    assert "eeg/eyes_shallow_ea" in EEG_EXPERIMENTS and "eeg/scp1_shallow_ea" not in EEG_EXPERIMENTS


@pytest.mark.parametrize("name", RAW)
def test_output_shapes_on_the_set_the_experiment_trains_on(name):
    config = experiments.get_config(name)
    shape = SHAPES[name.split("/")[1].split("_")[0]]
    model = models.create(config.model, num_classes=2)
    x = jax.ShapeDtypeStruct((3, *shape), jnp.float32)   # shapes only: nothing is computed
    variables = jax.eval_shape(lambda x: model.init({"params": jax.random.key(1)}, x, train=False), x)
    assert jax.eval_shape(lambda v, x: model.apply(v, x, train=False), variables, x).shape == (3, 2)
    logits, _ = jax.eval_shape(lambda v, x: model.apply(v, x, train=True, rngs={"dropout": jax.random.key(2)},
                                                        mutable=["batch_stats"]), variables, x)
    assert logits.shape == (3, 2)


@pytest.mark.parametrize("model", ["eeg_shallow", "eeg_eegnet", "eeg_deep4", "eeg_gru", "eeg_spatial"])
def test_outputs_are_finite_and_batch_norm_statistics_update(model):
    import ml_collections
    net = models.create(ml_collections.ConfigDict({"name": model, "downsample": 4}), num_classes=3)
    x = jax.random.normal(jax.random.key(0), (4, 256, 5))
    variables = jax.jit(lambda x: net.init({"params": jax.random.key(1)}, x, train=False))(x)
    logits, updates = jax.jit(lambda v, x: net.apply(v, x, train=True, rngs={"dropout": jax.random.key(2)},
                                                     mutable=["batch_stats"]))(variables, x)
    assert logits.shape == (4, 3) and bool(jnp.all(jnp.isfinite(logits)))
    if "batch_stats" in variables:   # every conv model normalises; the GRU does not
        before, after = jax.tree.leaves(variables["batch_stats"]), jax.tree.leaves(updates["batch_stats"])
        assert any(not np.allclose(a, b) for a, b in zip(before, after))
    else:
        assert model in ("eeg_gru", "eeg_spatial")


def test_spatial_mean_net_is_linear_so_it_keeps_the_sign_of_a_drift():
    net = eeg.SpatialMeanNet(num_classes=2, windows=5)
    x = jax.random.normal(jax.random.key(0), (3, 50, 28))
    variables = net.init(jax.random.key(1), x)
    f = lambda v: net.apply(variables, v)  # noqa: E731
    assert variables["params"]["spatial"]["kernel"].shape == (28, 28)   # spatial=0: one filter per electrode
    np.testing.assert_allclose(f(-x) - f(0 * x), -(f(x) - f(0 * x)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f(2 * x) - f(0 * x), 2 * (f(x) - f(0 * x)), rtol=1e-5, atol=1e-5)


def test_spatial_mean_net_with_a_hidden_layer_is_not_linear_and_stays_linear_without_one():
    x = jax.random.normal(jax.random.key(0), (3, 50, 28))
    net = eeg.SpatialMeanNet(num_classes=2, windows=5, hidden=16)
    variables = net.init(jax.random.key(1), x)
    assert variables["params"]["hidden"]["kernel"].shape == (5 * 28, 16)
    assert variables["params"]["Dense_0"]["kernel"].shape == (16, 2)
    f = lambda v: net.apply(variables, v)  # noqa: E731
    assert not np.allclose(f(-x) - f(0 * x), -(f(x) - f(0 * x)), rtol=1e-3, atol=1e-3)
    # The linear model's read-out keeps its name, so hidden=0 is the network it always was.
    linear = eeg.SpatialMeanNet(num_classes=2, windows=5).init(jax.random.key(1), x)
    assert set(linear["params"]) == {"spatial", "Dense_0"}


def test_models_reject_inputs_that_are_not_batch_time_channels():
    model = eeg.ShallowConvNet(num_classes=2)
    with pytest.raises(ValueError, match=r"\[batch, time, channels\]"):
        model.init(jax.random.key(0), jnp.zeros((1, 100, 6, 1)), train=False)


def _two_layer_reference(x, temporal, bias, spatial):
    """Temporal conv of every electrode separately, then a spatial sum: the textbook two-layer form."""
    kernel = temporal.shape[0]
    steps = x.shape[1] - kernel + 1
    windows = jnp.stack([x[:, i:i + kernel] for i in range(steps)], axis=1)        # [B, T', k, C]
    filtered = jnp.einsum("btkc,kf->btcf", windows, temporal) + bias               # [B, T', C, F]
    return jnp.einsum("btcf,cfg->btg", filtered, spatial)


def test_folded_spatiotemporal_conv_equals_temporal_then_spatial():
    layer = eeg.SpatioTemporalConv(filters=4, spatial=5, kernel=7)
    x = jax.random.normal(jax.random.key(0), (2, 40, 3))
    params = layer.init(jax.random.key(1), x)["params"]
    params = {**params, "temporal_bias": jax.random.normal(jax.random.key(2), (4,))}
    expected = _two_layer_reference(x, params["temporal"][:, 0], params["temporal_bias"], params["spatial"])
    np.testing.assert_allclose(layer.apply({"params": params}, x), expected, rtol=1e-4, atol=1e-4)


def test_folded_depthwise_conv_gives_each_temporal_filter_its_own_spatial_filters():
    layer = eeg.SpatioTemporalConv(filters=3, spatial=6, kernel=5, groups=3, temporal_bias=False)
    x = jax.random.normal(jax.random.key(0), (2, 30, 4))
    params = layer.init(jax.random.key(1), x)["params"]
    temporal, spatial = params["temporal"][:, 0], params["spatial"][:, 0]          # [k, 3], [C, 6]
    # Depthwise = a full spatial kernel that is zero except output g on temporal filter g // 2.
    block = np.zeros((4, 3, 6), np.float32)
    for g in range(6):
        block[:, g // 2, g] = spatial[:, g]
    expected = _two_layer_reference(x, temporal, jnp.zeros(3), jnp.asarray(block))
    np.testing.assert_allclose(layer.apply({"params": params}, x), expected, rtol=1e-4, atol=1e-4)


def test_augment_shifts_drops_whole_channels_and_is_off_in_evaluation():
    x = jnp.tile(jnp.arange(1.0, 21.0)[None, :, None], (64, 1, 3))
    shifted = eeg.augment(x, jax.random.key(0), shift=3, channel_dropout=0.0, noise=0.0)
    offsets = set()
    for row in np.asarray(shifted[:, :, 0]):
        nonzero = row[row != 0]
        np.testing.assert_array_equal(np.diff(nonzero), 1.0)       # a contiguous run of the ramp
        offsets.add(int(np.argmax(row != 0)) - int(nonzero[0]) + 1)
    assert offsets <= set(range(-3, 4)) and len(offsets) > 3
    dropped = eeg.augment(x, jax.random.key(1), shift=0, channel_dropout=0.5, noise=0.0)
    per_channel = np.asarray(dropped).std(axis=1)                # a dropped channel is all zeros
    assert set(np.unique(np.asarray(dropped)[:, 0, :])) <= {0.0, 2.0}
    assert (per_channel == 0).any() and (per_channel > 0).any()
    model = eeg.EEGNet(num_classes=2, kernel=8, pool2=2, shift=4, channel_dropout=0.3, noise=0.5)
    variables = jax.jit(lambda x: model.init({"params": jax.random.key(0)}, x, train=False))(x[:2])
    evaluate = jax.jit(lambda v, x: model.apply(v, x, train=False))
    np.testing.assert_array_equal(evaluate(variables, x[:2]), evaluate(variables, x[:2]))


@pytest.mark.parametrize("name", ["eeg/scp1_shallow", "eeg/scp1_eegnet", "eeg/scp1_deep4", "eeg/scp1_gru",
                                  "eeg/scp1_spatial", "eeg/scp1_spatial_mlp", "eeg/scp1_features"])
def test_a_short_run_learns_on_scp1(name, tmp_path):
    from train import loop, overrides
    config = experiments.get_config(name)
    steps = 100 if name.endswith("_gru") else 60
    overrides.apply(config, [("num_steps", str(steps)), ("log_every", str(steps // 2)),
                             ("checkpoint_every", str(steps)), ("eval_every", str(steps // 2))])
    summary = loop.train_and_evaluate(config, tmp_path)
    if config.select.metric:   # the recipe scores the state with the best validation accuracy
        assert summary["selected"]["step"] in (steps // 2, steps)
    train = [m for m in map(__import__("json").loads, (tmp_path / "metrics.jsonl").read_text().splitlines())
             if m["split"] == "train"]
    assert train[-1]["loss"] < train[0]["loss"]
    # Chance is 0.5 (147 / 146 test trials); every model clears it well within a few epochs.
    assert summary["eval"]["accuracy"] > 0.6, summary["eval"]
