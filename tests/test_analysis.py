"""The analysis's pieces: CKA identities and a hand-computed value, probes on known answers, layer capture."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

import models
from analysis import cka, eeg, probes
from analysis.activations import batched, flatten_taps, grid, make_forward, tap_shapes, views


def _features(rng, n=60, d=12):
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d))


def test_cka_of_a_representation_with_itself_is_one():
    x = _features(np.random.default_rng(0))
    assert cka.cka(x, x) == pytest.approx(1.0, abs=1e-5)


def test_cka_is_invariant_to_orthogonal_transforms_and_isotropic_scaling():
    rng = np.random.default_rng(1)
    x, y = _features(rng), _features(rng, d=7)
    q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    reference = cka.cka(x, y)
    assert 0.05 < reference < 0.95
    assert cka.cka(x @ q, y) == pytest.approx(reference, abs=1e-5)
    assert cka.cka(3.7 * x, y) == pytest.approx(reference, abs=1e-5)
    assert cka.cka(x + 5.0, 0.01 * y) == pytest.approx(reference, abs=1e-5)  # centring removes any offset
    assert cka.cka(x @ np.diag(np.arange(1, 13.0)), y) != pytest.approx(reference, abs=1e-3)  # not any linear map


def test_cka_of_a_known_pair_matches_the_hand_computed_value():
    # One feature each: CKA is the squared correlation. x - mean = (-1.5, -.5, .5, 1.5), y - mean =
    # (-1.5, .5, -.5, 1.5): x.y = 4, |x|^2 = |y|^2 = 5, so r = 0.8 and CKA = 0.64.
    assert cka.cka(np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([[1.0], [3.0], [2.0], [4.0]])) == \
        pytest.approx(0.64, abs=1e-6)
    # Two features against their first one: |Y^T X|^2 / (|X^T X| |Y^T Y|) with centred X = [[1,0],[-1,0],[0,1],
    # [0,-1]] (X^T X = 2I, |.| = 2*sqrt(2)) and Y its first column (Y^T Y = 2, Y^T X = (2, 0)): 4 / (2 sqrt(2) 2).
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    assert cka.cka(x, x[:, :1]) == pytest.approx(1 / np.sqrt(2), abs=1e-6)


def test_cka_matrix_is_symmetric_with_a_unit_diagonal():
    rng = np.random.default_rng(2)
    grams = [cka.centred_gram(jnp.asarray(_features(rng, d=d))) for d in (3, 8, 20)]
    matrix = cka.matrix(grams)
    np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-5)
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-6)


def test_probe_on_linearly_separable_features_scores_one():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 5, 800)
    x = rng.normal(size=(5, 20))[labels] * 4.0 + 0.3 * rng.normal(size=(800, 20))   # 5 well-separated blobs
    result = probes.fit((x[:400], labels[:400]), (x[400:500], labels[400:500]), (x[500:], labels[500:]), 5)
    assert result.train_accuracy == 1.0 and result.test_accuracy >= 0.99


def test_probe_on_random_labels_scores_chance():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1600, 30))
    labels = rng.integers(0, 4, 1600)
    result = probes.fit((x[:800], labels[:800]), (x[800:1000], labels[800:1000]), (x[1000:], labels[1000:]), 4)
    assert abs(result.test_accuracy - 0.25) < 0.06


def test_grid_pooling_averages_nearly_equal_regions():
    x = np.arange(2 * 5 * 4 * 3, dtype=np.float32).reshape(2, 5, 4, 3)
    pooled = np.asarray(grid(jnp.asarray(x), 2)).reshape(2, 2, 2, 3)
    np.testing.assert_allclose(pooled[:, 0, 1], x[:, :2, 2:].mean((1, 2)))   # rows 0-1 (of 5), columns 2-3
    np.testing.assert_allclose(pooled[:, 1, 0], x[:, 2:, :2].mean((1, 2)))   # rows 2-4
    signal = np.arange(2 * 9 * 2, dtype=np.float32).reshape(2, 9, 2)
    np.testing.assert_allclose(np.asarray(grid(jnp.asarray(signal), 2))[:, :2], signal[:, :2].mean(1))
    assert set(views(jnp.asarray(x), 2)) == {"gap", "grid", "max"}


def _model(name, num_classes, **kwargs):
    return models.create(ml_collections.ConfigDict({"name": name, **kwargs}), num_classes)


CNN = (_model("cnn", 10, features=(4, 8), hidden=16), (8, 8, 1))
# The CNN's captured logits are checked on a trained run, a GRU's with sequence lengths, in tests/test_analysis_cli.py.
CASES = {
    "resnet": (_model("resnet", 10, blocks_per_stage=1), (8, 8, 1), np.float32, ["stem", "block1", "block2", "block3"]),
    "mlp": (_model("mlp", 10, depth=3, width=16), (8, 8, 1), np.float32, ["dense1", "dense2", "dense3"]),
    "eegnet": (_model("eeg_eegnet", 2, filters=4, depth=2, separable=4, kernel=8, separable_kernel=4, pool1=2,
                      pool2=2), (32, 3), np.float32, ["spatial", "separable"]),
    "eeg_spatial": (_model("eeg_spatial", 2, windows=3, hidden=6), (30, 3), np.float32, ["filtered", "windows", "dense1"]),
    "eeg_gru": (_model("eeg_gru", 2, hidden=8), (30, 3), np.float32, ["projection", "gru_state"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_captured_logits_equal_the_models_own_output(case):
    model, shape, dtype, hidden = CASES[case]
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(23, *shape)).astype(dtype)
    variables = jax.jit(model.init)(jax.random.key(0), jnp.zeros((1, *shape), dtype))
    lengths = "lengths" in model.__call__.__code__.co_varnames
    arrays = {"inputs": inputs, **({"lengths": rng.integers(1, shape[0] + 1, 23).astype(np.int32)} if lengths else {})}
    forward = make_forward(model, lengths)

    def outputs_and_layers(v, batch):
        out, layers, _ = forward(v, batch["inputs"], batch.get("lengths"))
        return {"out": out, **layers}

    fn = jax.jit(outputs_and_layers)
    captured = batched(fn, variables, arrays, batch_size=10)          # 3 batches, the last one padded
    extra = {"lengths": arrays["lengths"]} if lengths else {}
    expected = np.asarray(jax.jit(functools.partial(model.apply, train=False))(variables, inputs, **extra))
    layers, _ = tap_shapes(forward, variables, inputs, arrays.get("lengths"))
    assert list(layers) == [*hidden, "logits"]                          # every layer, in call order
    assert set(captured) == {"out", *layers}
    np.testing.assert_allclose(captured["logits"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(captured["out"], expected, rtol=1e-5, atol=1e-5)


def test_taps_leave_training_untouched():
    model, shape = CNN
    variables = jax.jit(model.init)(jax.random.key(0), jnp.zeros((1, *shape)))
    assert set(variables) == {"params"}                               # init records no taps
    x = jnp.ones((2, *shape))
    plain = jax.jit(lambda v: model.apply(v, x))(variables)            # nothing mutable: a plain array comes back
    tapped, taps = jax.jit(lambda v: model.apply(v, x, mutable=["layers"]))(variables)
    np.testing.assert_array_equal(plain, tapped)
    assert set(taps["layers"]) == {"conv1", "conv2", "dense1", "logits"}


def test_flatten_taps_names_by_last_component_unless_ambiguous():
    tree = {"a": (1,), "Block_0": {"x": (2,), "a": (3,)}, "y": (4,)}
    assert flatten_taps(tree) == {"a": 1, "x": 2, "Block_0/a": 3, "y": 4}


def test_eeg_filter_banks_are_found_by_role_and_their_responses_are_right():
    model = _model("eeg_shallow", 2, filters=5, kernel=9, pool=4, pool_stride=2)
    params = jax.jit(model.init)(jax.random.key(0), jnp.zeros((1, 40, 3)))["params"]
    (path, temporal, spatial), = list(eeg.filter_banks(params))
    assert path == "conv" and temporal.shape == (9, 5) and spatial.shape == (3, 5)
    fs = 64.0
    delta = np.zeros((9, 1))
    delta[4] = 1.0
    _, flat = eeg.frequency_responses(delta, fs)
    np.testing.assert_allclose(flat, 1.0, atol=1e-12)                          # an impulse passes everything
    freqs, response = eeg.frequency_responses(np.full((8, 1), 1 / 8), fs)
    assert response[0, 0] == pytest.approx(1.0)                               # a moving average's DC gain
    assert response[0, np.argmin(np.abs(freqs - fs / 8))] == pytest.approx(0.0, abs=1e-9)   # and its first null
    _, profile = eeg.energy_share(np.random.default_rng(0).normal(size=(9, 4)), fs)
    assert profile.mean() == pytest.approx(1.0)


def _fake_report(workdir, trained, init):
    def entry(name, t, i):
        return {"name": name, "shape": [4], "view": "vector",
                "probes": {"class": {"vector": {"trained": {"test_accuracy": t}, "init": {"test_accuracy": i}}}}}
    layers = [entry("input", 0.5, 0.5)] + [entry(f"dense{k + 1}", t, i) for k, (t, i) in enumerate(zip(trained, init))]
    return {"workdir": str(workdir), "targets": ["class"], "layers": layers, "seconds": {"probes": 1.0},
            "step": 10, "model_test_accuracy": 0.9}


def test_results_page_states_whether_probe_accuracy_rises_with_depth(tmp_path):
    from analysis import page
    spec = page.Spec("toy", "digits_mlp", 2)
    rising = [_fake_report(tmp_path, [0.6, 0.7, 0.8], [0.6, 0.6, 0.6]), _fake_report(tmp_path, [0.6, 0.72, 0.82],
                                                                                         [0.6, 0.6, 0.6])]
    text = page.section(spec, rising, [], tmp_path / "images", tmp_path)
    assert "rises monotonically with depth (to within 0.002): **yes**" in text
    assert "2 seeds, checkpoint at step 10, the model's own test accuracy on the probes' test examples 0.900 ± 0.000" in text
    assert "| dense2 | 4 | vector | 0.710 ± 0.014 | 0.600 ± 0.000 | - |" in text
    falling = [_fake_report(tmp_path, [0.8, 0.7, 0.75], [0.6, 0.5, 0.4])] * 2
    text = page.section(spec, falling, [], tmp_path / "images", tmp_path)
    assert "**no (largest fall 0.100, dense1 → dense2)**" in text
    assert (tmp_path / "images" / "toy_probes.png").read_bytes()[:4] == b"\x89PNG"
    path = tmp_path / "LAYERS.md"
    path.write_text(f"intro\n{page.BEGIN}\nold\n{page.END}\noutro\n")
    page.rewrite(path, "new")
    assert path.read_text() == f"intro\n{page.BEGIN}\nnew\n{page.END}\noutro\n"


def test_language_model_taps_every_step_of_its_fused_lstm():
    model = _model("rnn_lm", 11, hidden=8, embed_dim=4)
    tokens = jnp.asarray(np.random.default_rng(6).integers(0, 11, (3, 9)), jnp.int32)
    variables = jax.jit(model.init)(jax.random.key(0), tokens)
    plain = jax.jit(lambda v: model.apply(v, tokens))(variables)
    _, layers, steps = jax.jit(make_forward(model, False))(variables, tokens, None)
    assert {k: v.shape for k, v in steps.items()} == {"embed": (3, 9, 4), "rnn1": (3, 9, 8), "logits": (3, 9, 11)}
    np.testing.assert_allclose(steps["logits"], plain, rtol=1e-5, atol=1e-5)
    assert set(layers) == {"rnn1"}                                     # the state after the whole sequence
