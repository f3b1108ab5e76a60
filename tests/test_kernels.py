"""The oneDNN kernels (kernels/) against XLA's: values, gradients, whole training runs, and the
fallback to XLA where the library cannot be built.

Where LAYERWISE_REQUIRE_KERNELS=1 (CI sets it) a library that did not build fails these tests
instead of skipping them.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

import kernels
from conftest import ROOT, tiny_overrides

REQUIRED = os.environ.get("LAYERWISE_REQUIRE_KERNELS") == "1"
needs_library = pytest.mark.skipif(not REQUIRED and not kernels.available(),
                                   reason=f"kernel library not built here: {kernels.unavailable_reason()}")


def test_library_is_built_where_it_is_required():
    if REQUIRED:
        assert kernels.available(), kernels.unavailable_reason()
    assert kernels.resolve("xla") == "xla"
    assert kernels.resolve("auto") == ("onednn" if kernels.available() else "xla")


def test_unknown_choice_is_one_clear_error():
    with pytest.raises(ValueError, match="kernels must be one of auto, xla, onednn, got 'fast'"):
        kernels.resolve("fast")


CASES = [  # batch, height, width, in, out, kernel, strides, padding
    (4, 9, 9, 3, 5, (3, 3), (1, 1), "SAME"),
    (4, 9, 9, 3, 5, (3, 3), (2, 2), "SAME"),
    (3, 8, 7, 4, 6, (3, 3), (2, 2), "VALID"),
    (1, 5, 5, 2, 3, (3, 3), (1, 1), "VALID"),
    (2, 7, 7, 4, 8, (1, 1), (2, 2), "SAME"),
    (2, 6, 9, 3, 4, (2, 3), (1, 2), ((1, 0), (2, 1))),
]


@needs_library
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}x{c[1]}x{c[2]}x{c[3]}-{c[5]}s{c[6]}-{c[7]}")
def test_convolution_values_and_gradients_match_lax(case):
    from kernels.conv import conv_general_dilated

    batch, height, width, features_in, features_out, window, strides, padding = case
    keys = jax.random.split(jax.random.key(0), 3)
    x = jax.random.normal(keys[0], (batch, height, width, features_in))
    kernel = jax.random.normal(keys[1], (*window, features_in, features_out))
    numbers = ("NHWC", "HWIO", "NHWC")

    def loss(conv, x, kernel):
        y = conv(x, kernel, strides, padding, dimension_numbers=numbers)
        return jnp.sum(jnp.sin(y)), y

    (_, want), want_grads = jax.value_and_grad(lambda *a: loss(lax.conv_general_dilated, *a), (0, 1), has_aux=True)(
        x, kernel)
    (_, got), got_grads = jax.jit(jax.value_and_grad(lambda *a: loss(conv_general_dilated, *a), (0, 1),
                                                     has_aux=True))(x, kernel)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    for g, w in zip(got_grads, want_grads):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-4)


@needs_library
@pytest.mark.parametrize("case", CASES[1:4], ids=lambda c: f"{c[0]}x{c[1]}x{c[2]}x{c[3]}-{c[5]}s{c[6]}-{c[7]}")
def test_bfloat16_convolution_and_gradients_round_the_float32_result(case):
    """bfloat16 in, bfloat16 out, float32 accumulation: within bfloat16 rounding of the float32 result
    computed from the same bfloat16 inputs (a bfloat16 has 8 significant bits: 2^-8 = 0.4%)."""
    from kernels.conv import conv_general_dilated

    batch, height, width, features_in, features_out, window, strides, padding = case
    keys = jax.random.split(jax.random.key(0), 3)
    x, kernel = (jax.random.normal(k, shape).astype(jnp.bfloat16) for k, shape in
                 ((keys[0], (batch, height, width, features_in)), (keys[1], (*window, features_in, features_out))))
    numbers = ("NHWC", "HWIO", "NHWC")

    def outputs_and_grads(conv, x, kernel):
        y, pullback = jax.vjp(lambda a, b: conv(a, b, strides, padding, dimension_numbers=numbers), x, kernel)
        return (y, *pullback(jax.random.normal(keys[2], y.shape).astype(jnp.bfloat16).astype(y.dtype)))

    got = jax.jit(functools.partial(outputs_and_grads, conv_general_dilated))(x, kernel)
    assert "layerwise_conv" in jax.jit(functools.partial(outputs_and_grads, conv_general_dilated)).lower(
        x, kernel).as_text()
    want = outputs_and_grads(lax.conv_general_dilated, x.astype(jnp.float32), kernel.astype(jnp.float32))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == jnp.bfloat16 and g.shape == w.shape
        np.testing.assert_allclose(g.astype(jnp.float32), w, rtol=1e-2, atol=1e-2 * float(jnp.max(jnp.abs(w))))


@needs_library
def test_uncovered_problems_go_to_lax_unchanged():
    from kernels.conv import conv_general_dilated

    x = jnp.ones((2, 6, 6, 4), jnp.float16)
    kernel = jnp.ones((3, 3, 4, 2), jnp.float16)
    args = ((1, 1), "SAME")
    numbers = ("NHWC", "HWIO", "NHWC")
    got = jax.jit(lambda a, b: conv_general_dilated(a, b, *args, dimension_numbers=numbers))(x, kernel)
    assert "layerwise_conv" not in jax.jit(lambda a, b: conv_general_dilated(a, b, *args, dimension_numbers=numbers)
                                           ).lower(x, kernel).as_text()
    np.testing.assert_array_equal(got, lax.conv_general_dilated(x, kernel, *args, dimension_numbers=numbers))
    dilated = jax.jit(lambda a, b: conv_general_dilated(a, b, *args, rhs_dilation=(2, 2), dimension_numbers=numbers))
    assert "layerwise_conv" not in dilated.lower(x.astype(jnp.float32), kernel.astype(jnp.float32)).as_text()


@needs_library
@pytest.mark.parametrize("name,kwargs", [("cnn", {"features": (4, 8), "hidden": 16}),
                                         ("resnet", {"blocks_per_stage": 1})])
def test_models_give_the_xla_result_and_gradient(name, kwargs):
    import ml_collections

    import models

    config = ml_collections.ConfigDict({"name": name, **kwargs})
    xla, onednn = (models.create(config, 10, kernels=choice) for choice in ("xla", "onednn"))
    x = jax.random.uniform(jax.random.key(0), (3, 12, 12, 1))
    variables = xla.init(jax.random.key(1), x)

    def loss(model, params):
        logits, _ = model.apply({**variables, "params": params}, x, train=True, mutable=["batch_stats"])
        return jnp.sum(logits ** 2)

    want, want_grad = jax.value_and_grad(lambda p: loss(xla, p))(variables["params"])
    got, got_grad = jax.jit(jax.value_and_grad(lambda p: loss(onednn, p)))(variables["params"])
    np.testing.assert_allclose(got, want, rtol=1e-4)
    for g, w in zip(jax.tree.leaves(got_grad), jax.tree.leaves(want_grad)):
        np.testing.assert_allclose(g, w, rtol=1e-3, atol=1e-4)


@needs_library
def test_a_bfloat16_model_calls_the_kernels_and_gives_the_xla_result_to_bfloat16_rounding():
    import ml_collections

    import models

    config = ml_collections.ConfigDict({"name": "cnn", "features": (4, 8), "hidden": 16})
    xla, onednn = (models.create(config, 10, "bfloat16", kernels=choice) for choice in ("xla", "onednn"))
    x = jax.random.uniform(jax.random.key(0), (3, 12, 12, 1))
    params = xla.init(jax.random.key(1), x)["params"]

    def loss(model, params):
        return jnp.sum(model.apply({"params": params}, x).astype(jnp.float32) ** 2)

    text = jax.jit(jax.grad(lambda p: loss(onednn, p))).lower(params).as_text()
    assert text.count("layerwise_conv") == 5  # 2 forward, 2 kernel gradients, 1 input gradient
    want, want_grad = jax.value_and_grad(lambda p: loss(xla, p))(params)
    got, got_grad = jax.jit(jax.value_and_grad(lambda p: loss(onednn, p)))(params)
    np.testing.assert_allclose(got, want, rtol=2e-2)
    for g, w in zip(jax.tree.leaves(got_grad), jax.tree.leaves(want_grad), strict=True):
        assert g.dtype == w.dtype == jnp.float32  # parameters stay float32
        assert float(jnp.linalg.norm(g - w)) <= 3e-2 * float(jnp.linalg.norm(w))


@needs_library
@pytest.mark.parametrize("batch,steps", [(3, 5), (1, 1)])
def test_lstm_values_and_gradients_match_the_flax_cell(batch, steps):
    import flax.linen as nn

    from kernels.lstm import lstm
    from models.lstm import LSTMWeights

    features, hidden = 4, 6
    keys = jax.random.split(jax.random.key(0), 5)
    params = nn.LSTMCell(hidden).init(keys[0], (jnp.zeros((1, hidden)),) * 2, jnp.zeros((1, features)))["params"]
    x = jax.random.normal(keys[1], (batch, steps, features))
    carry = (jax.random.normal(keys[2], (batch, hidden)), jax.random.normal(keys[3], (batch, hidden)))
    probe = jax.random.normal(keys[4], (batch, steps, hidden))

    def flax_lstm(params, x, carry):
        final, outputs = nn.RNN(nn.LSTMCell(hidden), return_carry=True).apply(
            {"params": {"cell": params}}, x, initial_carry=carry)
        return outputs, final

    def onednn_lstm(params, x, carry):
        return lstm(x, *LSTMWeights(hidden).apply({"params": params}, features), carry)

    def loss(fn, params, x, carry):
        outputs, (c, h) = fn(params, x, carry)
        return jnp.sum(outputs * probe) + jnp.sum(jnp.sin(c)) + jnp.sum(h * h), outputs

    (_, want), want_grads = jax.value_and_grad(lambda *a: loss(flax_lstm, *a), (0, 1, 2), has_aux=True)(
        params, x, carry)
    (_, got), got_grads = jax.jit(jax.value_and_grad(lambda *a: loss(onednn_lstm, *a), (0, 1, 2), has_aux=True))(
        params, x, carry)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for g, w in zip(jax.tree.leaves(got_grads), jax.tree.leaves(want_grads), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@needs_library
@pytest.mark.parametrize("batch,steps", [(3, 5), (1, 1)])
def test_gru_values_and_gradients_match_the_flax_cell(batch, steps):
    """oneDNN's GRU and the pure-JAX scan other platforms lower to, both from nn.GRUCell's own parameters."""
    import flax.linen as nn

    from kernels.gru import gru
    from models.gru import GRUWeights, gru_sequence

    features, hidden = 4, 6
    keys = jax.random.split(jax.random.key(0), 4)
    params = nn.GRUCell(hidden).init(keys[0], jnp.zeros((1, hidden)), jnp.zeros((1, features)))["params"]
    x = jax.random.normal(keys[1], (batch, steps, features))
    h0 = jax.random.normal(keys[2], (batch, hidden))
    probe = jax.random.normal(keys[3], (batch, steps, hidden))

    def flax_gru(params, x, h0):
        final, outputs = nn.RNN(nn.GRUCell(hidden), return_carry=True).apply(
            {"params": {"cell": params}}, x, initial_carry=h0)
        return outputs, final

    def weights(params):
        return GRUWeights(hidden).apply({"params": params}, features)

    def loss(fn, params, x, h0):
        outputs, h = fn(params, x, h0)
        return jnp.sum(outputs * probe) + jnp.sum(jnp.sin(h)), outputs

    (_, want), want_grads = jax.value_and_grad(lambda *a: loss(flax_gru, *a), (0, 1, 2), has_aux=True)(params, x, h0)
    for fn in (lambda p, x, h0: gru(x, *weights(p), h0), lambda p, x, h0: gru_sequence(x, h0, *weights(p))):
        (_, got), got_grads = jax.jit(jax.value_and_grad(lambda *a, fn=fn: loss(fn, *a), (0, 1, 2), has_aux=True))(
            params, x, h0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        for g, w in zip(jax.tree.leaves(got_grads), jax.tree.leaves(want_grads), strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@needs_library
def test_gru_classifier_gives_the_xla_result_and_gradient_from_the_same_parameters():
    from models.rnn import RNNClassifier

    xla, onednn = (RNNClassifier(num_classes=3, cell="gru", hidden=8, num_layers=2, kernels=choice)
                   for choice in ("xla", "onednn"))
    x = jax.random.normal(jax.random.key(0), (5, 9, 4))
    params = xla.init(jax.random.key(1), x)["params"]
    assert jax.tree.structure(onednn.init(jax.random.key(1), x)["params"]) == jax.tree.structure(params)
    assert "layerwise_gru_backward" in jax.jit(jax.grad(lambda p: jnp.sum(onednn.apply({"params": p}, x)))).lower(
        params).as_text()

    def loss(model, params):
        return jnp.sum(jnp.sin(model.apply({"params": params}, x)))

    want, want_grad = jax.value_and_grad(lambda p: loss(xla, p))(params)
    got, got_grad = jax.jit(jax.value_and_grad(lambda p: loss(onednn, p)))(params)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for g, w in zip(jax.tree.leaves(got_grad), jax.tree.leaves(want_grad), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@needs_library
def test_language_model_gives_the_xla_result_and_gradient():
    from models.rnn import RNNLanguageModel

    xla, onednn = (RNNLanguageModel(num_classes=13, hidden=8, embed_dim=5, num_layers=2, kernels=choice)
                   for choice in ("xla", "onednn"))
    tokens = jax.random.randint(jax.random.key(0), (3, 7), 0, 13)
    params = xla.init(jax.random.key(1), tokens)["params"]
    carry = xla.initial_carry(3)

    def loss(model, params):
        logits, state = model.apply({"params": params}, tokens, carry=carry, mutable=["carry"])
        return jnp.sum(logits ** 2) + sum(jnp.sum(s) for s in jax.tree.leaves(state))

    want, want_grad = jax.value_and_grad(lambda p: loss(xla, p))(params)
    got, got_grad = jax.jit(jax.value_and_grad(lambda p: loss(onednn, p)))(params)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for g, w in zip(jax.tree.leaves(got_grad), jax.tree.leaves(want_grad), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@needs_library
@pytest.mark.parametrize("platform", ["cuda", "tpu"])
def test_other_platforms_lower_to_xla_convolutions_and_loops(platform):
    import ml_collections

    import models

    for config, inputs, carries, op in (
            ({"name": "cnn", "features": (4,), "hidden": 8}, jnp.zeros((2, 6, 6, 1)), False, "stablehlo.convolution"),
            ({"name": "rnn_lm", "hidden": 8, "embed_dim": 4}, jnp.zeros((2, 5), jnp.int32), True, "stablehlo.while"),
            ({"name": "rnn_classifier", "cell": "gru", "hidden": 8}, jnp.zeros((2, 5, 3)), False, "stablehlo.while")):
        model = models.create(ml_collections.ConfigDict(config), 10, kernels="onednn")
        params = model.init(jax.random.key(0), inputs)["params"]
        extra = {"carry": model.initial_carry(2), "mutable": ["carry"]} if carries else {}

        def loss(p, model=model, inputs=inputs, extra=extra, carries=carries):
            outputs = model.apply({"params": p}, inputs, **extra)
            return jnp.sum((outputs[0] if carries else outputs) ** 2)

        text = jax.export.export(jax.jit(jax.grad(loss)), platforms=[platform])(params).mlir_module()
        assert "custom_call @layerwise_" not in text and op in text  # (source paths may say layerwise)


_EIGHT_DEVICES_SCRIPT = """
import jax, jax.numpy as jnp, ml_collections, numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import models
mesh = Mesh(np.array(jax.devices()), ("data",))
model = models.create(ml_collections.ConfigDict({"name": "cnn", "features": (4, 8), "hidden": 16}), 10,
                      kernels="onednn")
x = jax.random.uniform(jax.random.key(0), (16, 8, 8, 1))
params = model.init(jax.random.key(1), x)["params"]
grad = jax.jit(jax.grad(lambda p, x: jnp.sum(model.apply({"params": p}, x) ** 2)))
one = grad(params, x)
sharded = jax.device_put(x, NamedSharding(mesh, P("data")))
eight = grad(jax.device_put(params, NamedSharding(mesh, P())), sharded)
hlo = grad.lower(params, sharded).compile().as_text()

def difference(a, b):
    return max(float(jnp.max(jnp.abs(x - y))) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))

recurrent = []  # LSTM and GRU language models: the fused call runs on the gathered batch, same gradient
for cell in ("lstm", "gru"):
    lm = models.create(ml_collections.ConfigDict({"name": "rnn_lm", "cell": cell, "hidden": 8, "embed_dim": 4}),
                       11, kernels="onednn")
    tokens = jax.random.randint(jax.random.key(2), (16, 5), 0, 11)
    lm_params = lm.init(jax.random.key(3), tokens)["params"]
    lm_grad = jax.jit(jax.grad(lambda p, t, lm=lm: jnp.sum(lm.apply({"params": p}, t, carry=lm.initial_carry(16),
                                                                       mutable=["carry"])[0] ** 2)))
    lm_eight = lm_grad(jax.device_put(lm_params, NamedSharding(mesh, P())),
                       jax.device_put(tokens, NamedSharding(mesh, P("data"))))
    assert f"layerwise_{cell}_backward" in lm_grad.lower(lm_params, tokens).as_text()
    recurrent.append(difference(lm_grad(lm_params, tokens), lm_eight))
print(len(jax.devices()), "all-gather" in hlo, hlo.count("layerwise_conv"), difference(one, eight), max(recurrent))
"""


@needs_library
def test_eight_devices_give_the_one_device_gradient_each_convolving_its_own_examples_and_recurrent_layers_too():
    result = subprocess.run([sys.executable, "-c", _EIGHT_DEVICES_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"})
    assert result.returncode == 0, result.stderr[-2000:]
    devices, gathers, calls, difference, recurrent_difference = result.stdout.split()
    assert (devices, gathers) == ("8", "False")  # no device gathers the batch: each takes its 2 examples
    assert int(calls) == 5  # 2 forward, 2 kernel gradients, 1 input gradient (the image needs none)
    assert float(difference) < 1e-4
    assert float(recurrent_difference) < 1e-4


def _train(workdir: Path, env: dict | None = None, **extra) -> subprocess.CompletedProcess:
    values = tiny_overrides(**{"num_steps": 100, "schedule.name": "constant", **extra})
    command = [sys.executable, "-m", "train", "--experiment=digits_cnn", f"--workdir={workdir}",
               *(f"--config.{k}={v}" for k, v in values.items())]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def _params(workdir: Path) -> list[np.ndarray]:
    from layerwise import read_checkpoint as read

    return [np.asarray(x) for x in jax.tree.leaves(read(workdir / "checkpoints")[1]["params"])]


@needs_library
def test_training_is_bit_reproducible_and_within_1e4_of_xla_after_100_steps(tmp_path):
    for run, choice in (("a", "onednn"), ("b", "onednn"), ("xla", "xla")):
        result = _train(tmp_path / run, kernels=choice)
        assert result.returncode == 0, result.stderr[-2000:]
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["config"]["kernels"] == "onednn" and config["kernel_library"].endswith(".so")
    for a, b, x in zip(_params(tmp_path / "a"), _params(tmp_path / "b"), _params(tmp_path / "xla"), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, x, rtol=1e-4, atol=1e-4)


def test_without_a_compiler_training_runs_on_xla_and_says_so_once(tmp_path):
    no_compiler = {"CXX": "/bin/false", "LAYERWISE_KERNEL_CACHE": str(tmp_path / "cache")}
    result = _train(tmp_path / "run", no_compiler, num_steps=20)
    assert result.returncode == 0, result.stderr[-2000:]
    told = [line for line in result.stderr.splitlines() if "oneDNN kernels unavailable" in line]
    assert told == ["layerwise: oneDNN kernels unavailable (compiler failed: no output); using XLA's kernels"]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["kernel_library"].startswith("unavailable")
    asked = _train(tmp_path / "asked", no_compiler, num_steps=20, kernels="onednn")
    assert asked.returncode == 2
    assert asked.stderr.strip().splitlines()[-1].startswith(
        "error: kernels=onednn but the oneDNN kernel library is unavailable: compiler failed")


def test_a_run_that_never_asks_for_the_kernels_records_them_as_not_used_without_building(tmp_path):
    cache = tmp_path / "cache"
    result = _train(tmp_path / "run", {"LAYERWISE_KERNEL_CACHE": str(cache)}, num_steps=10, kernels="xla")
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "run" / "config.json").read_text())["kernel_library"] == "not used"
    assert not list(cache.glob("*.so"))  # nothing was built
