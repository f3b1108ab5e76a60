"""The analysis of one run: every layer's probe accuracy (trained and at initialisation, against the raw
input), the CKA between its layers, and, for recurrent layers, probe accuracy along time.

Layers are what the model marks (`models.taps`), preceded by the raw input. Each layer is probed on
one representation per view: a vector as it is; a map by its global average (`gap`) and a coarse grid
of averages (`grid`, the main one: it contains the global average linearly); the raw input flattened
(`flat`) where it has at most `MAX_FLAT_INPUT` values, which is the classic linear classifier on the
input. CKA reads the full, flattened layers of a fixed subset of the evaluation split.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from analysis import cka, probes
from analysis.activations import batched, make_forward, tap_shapes, views
from analysis.examples import Part, classification_parts, language_model_parts

MAX_FLAT_INPUT = 4096
NETWORKS = ("trained", "init")


class AnalysisError(ValueError):
    """A run or an option the analysis cannot take; the message says which and what to do."""


@dataclasses.dataclass(frozen=True)
class Options:
    train_examples: int = 10_000   # probe training examples (language models: positions)
    cka_examples: int = 1_000      # evaluation examples for CKA and the 2-D maps
    grid: int = 2                  # grid pooling: cells per spatial axis (1-D maps: grid^2 segments)
    batch_size: int = 250
    time_points: int = 12          # recurrent layers: time steps probed
    layers: tuple[str, ...] = ()   # only these layers (and the input); empty: every layer


@dataclasses.dataclass
class Analysis:
    """`report` is what layers.json holds; the arrays behind it are kept for the pictures."""

    report: dict[str, Any]
    layers: list[str]
    test_views: dict[str, dict[str, dict[str, np.ndarray]]]   # network -> layer -> view -> [N, d]
    parts: dict[str, Part]
    cka: dict[str, np.ndarray]


def variables_of(state: Any) -> dict[str, Any]:
    variables = {"params": state.params}
    if state.batch_stats:
        variables["batch_stats"] = state.batch_stats
    return variables


def main_view(available: dict[str, Any]) -> str:
    """The representation a layer's headline probe reads."""
    for view in ("vector", "flat", "grid"):
        if view in available:
            return view
    return next(iter(available))


def _time_points(length: int, count: int) -> np.ndarray:
    return np.unique(np.linspace(0, length - 1, min(count, length)).round().astype(np.int32))


def _split_arrays(run: Any, part: Part, uses_lengths: bool) -> dict[str, np.ndarray]:
    split = run.dataset.splits[part.split]
    arrays = {"inputs": split.inputs[part.rows]}
    if uses_lengths:
        arrays["lengths"] = split.lengths[part.rows]
    if part.positions is not None:
        arrays["positions"] = part.positions
    return arrays


class _Network:
    """Jitted readers of one model's layers (shared by the trained and the initial variables)."""

    def __init__(self, run: Any, options: Options) -> None:
        self.language_model = run.dataset.task == "language_model"
        self.uses_lengths = run.dataset.splits["train"].lengths is not None and run.task.lengths
        self.forward = make_forward(run.model, self.uses_lengths)
        self.grid = options.grid
        self.time_steps = np.zeros(0, np.int32)   # set by `layer_shapes` where the model has states along time
        self._time_points = options.time_points
        self.probe_views = jax.jit(self._probe_views)
        self.full = jax.jit(self._full)

    def _run(self, variables, batch):
        return self.forward(variables, batch["inputs"], batch.get("lengths"))

    def _probe_views(self, variables, batch):
        outputs, layers, steps = self._run(variables, batch)
        if self.language_model:
            at = batch["positions"][..., None]
            out = {f"{name}|vector": jnp.take_along_axis(s.astype(jnp.float32), at, 1) for name, s in steps.items()}
            out["|outputs"] = jnp.take_along_axis(outputs, at, 1)
            return out
        out = {f"{name}|{view}": v for name, a in layers.items() for view, v in views(a, self.grid).items()}
        if steps:
            length = jnp.full(outputs.shape[:1], self.time_steps.max() + 1 if self.time_steps.size else 1) \
                if batch.get("lengths") is None else batch["lengths"]
            index = jnp.minimum(jnp.asarray(self.time_steps)[None, :], length[:, None] - 1)[..., None]
            out.update({f"{name}|steps": jnp.take_along_axis(s.astype(jnp.float32), index, 1)
                        for name, s in steps.items()})
        out["|outputs"] = outputs
        return out

    def _full(self, variables, batch):
        outputs, layers, steps = self._run(variables, batch)
        if self.language_model:
            at = batch["positions"][..., None]
            return {name: jnp.take_along_axis(s.astype(jnp.float32), at, 1) for name, s in steps.items()}
        return {name: a.astype(jnp.float32).reshape(a.shape[0], -1) for name, a in layers.items()}

    def layer_shapes(self, run: Any, variables: Any) -> dict[str, tuple[int, ...]]:
        """Every tapped layer's shape per example (per position for language models), in call order."""
        split = run.dataset.splits["train"]
        layers, steps = tap_shapes(self.forward, variables, split.inputs, split.lengths if self.uses_lengths else None)
        if steps and not self.language_model:
            self.time_steps = _time_points(split.inputs.shape[1], self._time_points)
        return steps if self.language_model else layers


def _input_views(run: Any, part: Part, cells: int, time_steps: np.ndarray) -> dict[str, np.ndarray]:
    """The raw input as a layer: one-hot characters (language models), else flattened where small, and pooled."""
    inputs = run.dataset.splits[part.split].inputs[part.rows]
    if part.positions is not None:
        tokens = np.take_along_axis(inputs, part.positions, 1).reshape(-1)
        return {"vector": np.eye(run.dataset.num_classes, dtype=np.float32)[tokens]}
    if not np.issubdtype(inputs.dtype, np.floating):
        return {}
    out = {}
    if inputs[0].size <= MAX_FLAT_INPUT:
        out["flat"] = inputs.reshape(len(inputs), -1).astype(np.float32)
    if inputs.ndim >= 3:
        out.update({view: np.asarray(v) for view, v in views(jnp.asarray(inputs), cells).items()})
        if inputs.ndim == 3 and time_steps.size:  # sequences: everything read up to each probed step
            out["steps"] = [inputs[:, :t + 1].reshape(len(inputs), -1) for t in time_steps]
    return out


def raw_input_full(run: Any, part: Part) -> np.ndarray | None:
    """The raw input of a part as CKA reads it: one-hot characters, or every value flattened; None for token ids."""
    if part.positions is not None:
        return _input_views(run, part, 1, np.zeros(0, np.int32))["vector"]
    inputs = run.dataset.splits[part.split].inputs[part.rows]
    return inputs.reshape(len(inputs), -1).astype(np.float32) if np.issubdtype(inputs.dtype, np.floating) else None


def _regroup(flat: dict[str, np.ndarray], language_model: bool) -> dict[str, dict[str, np.ndarray]]:
    """{"layer|view": [rows, (P,) d]} -> {layer: {view: [examples, d]}}."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for key, value in flat.items():
        name, view = key.split("|")
        if language_model:
            value = value.reshape(-1, value.shape[-1])
        out.setdefault(name, {})[view] = value
    return out


def probe_features(run: Any, network: _Network, nets: dict[str, Any], parts: dict[str, Part], chosen: Sequence[str],
                   options: Options) -> tuple[dict[str, Any], np.ndarray]:
    """({network: {part: {layer: {view: [examples, d]}}}} for the train, validation and test parts, with the raw
    input as the layer 'input' of both networks; the trained network's outputs on the test part)."""
    features: dict[str, dict[str, dict[str, dict[str, np.ndarray]]]] = {net: {} for net in nets}
    outputs = None
    for part_name in ("train", "validation", "test"):
        part = parts[part_name]
        arrays = _split_arrays(run, part, network.uses_lengths)
        for net in nets:
            flat = batched(network.probe_views, nets[net], arrays, options.batch_size)
            if net == "trained" and part_name == "test":
                outputs = flat["|outputs"]
            features[net][part_name] = {k: v for k, v in _regroup(
                {k: v for k, v in flat.items() if not k.startswith("|")}, network.language_model).items()
                if k in chosen}
        raw = _input_views(run, part, options.grid, network.time_steps)
        if raw:
            for net in nets:
                features[net][part_name] = {"input": raw, **features[net][part_name]}
    return features, outputs


def _probe_layers(features: dict[str, Any], parts: dict[str, Part], layers: Sequence[str],
                  shapes: dict[str, tuple[int, ...]], dataset: Any, language_model: bool) -> list[dict[str, Any]]:
    """One entry per layer: its shape and the probe results of every target, view and network (the input is the
    same for both networks), with the headline view's accuracies on top."""
    targets = list(parts["train"].targets)
    num_classes = {"class": dataset.num_classes, "next_character": dataset.num_classes, "inside_word": 2}
    input_shape = (dataset.num_classes,) if language_model else dataset.input_shape  # characters: one-hot
    entries = []
    for name in layers:
        entry: dict[str, Any] = {"name": name, "shape": list(shapes.get(name, input_shape)), "probes": {}}
        probed = [v for v in features["trained"]["train"][name] if v not in ("max", "steps")]
        for target in targets:
            for view in probed:
                for net in (("trained",) if name == "input" else NETWORKS):
                    data = [(features[net][p][name][view], parts[p].targets[target])
                            for p in ("train", "validation", "test")]
                    result = probes.fit(*data, num_classes[target])
                    entry["probes"].setdefault(target, {}).setdefault(view, {})[net] = result.as_dict()
        entry["view"] = main_view({v: 0 for v in probed})
        headline = entry["probes"][targets[0]][entry["view"]]
        entry["probe_train_accuracy"] = headline["trained"]["train_accuracy"]
        entry["probe_test_accuracy"] = headline["trained"]["test_accuracy"]
        entry["init_test_accuracy"] = headline.get("init", headline["trained"])["test_accuracy"]
        entries.append(entry)
    return entries


def _cka_matrices(run: Any, network: _Network, nets: dict[str, Any], part: Part, layers: Sequence[str],
                  options: Options) -> dict[str, np.ndarray]:
    """Linear CKA between the full, flattened layers of `part`: trained x trained, init x init, trained x init."""
    arrays = _split_arrays(run, part, network.uses_lengths)
    raw = raw_input_full(run, part)
    grams: dict[str, list[jax.Array]] = {}
    for net in NETWORKS:
        full = batched(network.full, nets[net], arrays, options.batch_size)
        grams[net] = [cka.centred_gram(jnp.asarray((raw if name == "input" else full[name]).reshape(len(part), -1)))
                      for name in layers]
        del full
    return {"trained": cka.matrix(grams["trained"]), "init": cka.matrix(grams["init"]),
            "trained_vs_init": cka.matrix(grams["trained"], grams["init"])}


def analyse(run: Any, options: Options = Options(), say=lambda message: None) -> Analysis:
    """Probes, CKA and time curves for `run` (a `layerwise.Restored`)."""
    dataset = run.dataset
    if dataset.task not in ("classification", "language_model"):
        raise AnalysisError(f"run {run.workdir} is a {dataset.task} run; layer probes need classes "
                            "(classification or language-model runs)")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    network = _Network(run, options)
    nets = {"trained": variables_of(run.state), "init": variables_of(run.initial_state())}
    shapes = network.layer_shapes(run, nets["trained"])
    unknown = [name for name in options.layers if name not in shapes and name != "input"]
    if unknown:
        raise AnalysisError(f"unknown layer {unknown[0]!r}; layers of this run: input, {', '.join(shapes)}")
    chosen = [name for name in shapes if not options.layers or name in options.layers]
    say(f"analysing {run.config.experiment} at step {run.step}: input, {', '.join(chosen)}")
    make_parts = language_model_parts if network.language_model else classification_parts
    parts = make_parts(dataset, options.train_examples, options.cka_examples)

    # Activations: pooled views of every layer for the probe parts, both networks.
    features, outputs = probe_features(run, network, nets, parts, chosen, options)
    layers = [name for name in ("input", *chosen) if name in features["trained"]["test"]]
    timings["activations"] = time.perf_counter() - clock
    say(f"activations of {len(layers)} layers, 2 networks: {timings['activations']:.1f}s")

    clock = time.perf_counter()
    entries = _probe_layers(features, parts, layers, shapes, dataset, network.language_model)
    timings["probes"] = time.perf_counter() - clock
    say(f"probes: {timings['probes']:.1f}s")

    clock = time.perf_counter()
    matrices = _cka_matrices(run, network, nets, parts["cka"], layers, options)
    for i, entry in enumerate(entries):
        entry["cka"] = {"trained": matrices["trained"][i].round(4).tolist(),
                        "init": matrices["init"][i].round(4).tolist(),
                        "trained_vs_init": round(float(matrices["trained_vs_init"][i, i]), 4)}
    timings["cka"] = time.perf_counter() - clock
    say(f"CKA on {len(parts['cka'])} examples: {timings['cka']:.1f}s")

    targets = list(parts["train"].targets)
    report: dict[str, Any] = {
        "workdir": str(run.workdir), "experiment": run.config.experiment, "step": int(run.step),
        "seed": int(run.config.seed), "data": dataset.name, "task": dataset.task, "targets": targets,
        "examples": {k: {"split": p.split, "count": len(p)} for k, p in parts.items()},
        "options": dataclasses.asdict(options),
        "layers": entries,
    }
    if "logits" in features["trained"]["test"]:
        logits = features["trained"]["test"]["logits"]["vector"]
        report["logits_max_abs_difference"] = float(np.max(np.abs(
            logits - outputs.reshape(logits.shape)))) if outputs is not None else None
    report["model_test_accuracy"] = float(np.mean(
        np.argmax(outputs.reshape(-1, outputs.shape[-1]), -1) == parts["test"].targets[targets[0]]))

    clock = time.perf_counter()
    curves = _time_curves(features, parts, network, dataset.num_classes)
    if curves:
        report["time"] = curves
        timings["time"] = time.perf_counter() - clock
        say(f"probes along time: {timings['time']:.1f}s")
    report["seconds"] = timings
    test_views = {net: {name: {v: a for v, a in features[net]["test"][name].items() if v != "steps"}
                        for name in layers} for net in NETWORKS}
    return Analysis(report, layers, test_views, parts, matrices)


def _time_curves(features, parts, network: _Network, num_classes: int) -> dict[str, Any]:
    """Per recurrent layer: probe test accuracy on the states at each probed step, trained and at init, and
    on the raw input read up to that step."""
    if network.language_model or not network.time_steps.size:
        return {}
    labels = {p: parts[p].targets["class"] for p in ("train", "validation", "test")}
    curves = {}
    names = [n for n, v in features["trained"]["train"].items() if "steps" in v]
    for name in names:
        curve = {"steps": network.time_steps.tolist()}
        sources = [("trained", "trained", name), ("init", "init", name)]
        if name == "input":
            sources = [("raw input", "trained", "input")]
        for label, net, layer in sources:
            accs = []
            for k in range(len(network.time_steps)):
                def at(part, k=k):
                    value = features[net][part][layer]["steps"]
                    return value[k] if isinstance(value, list) else value[:, k]
                accs.append(probes.fit((at("train"), labels["train"]), (at("validation"), labels["validation"]),
                                       (at("test"), labels["test"]), num_classes).test_accuracy)
            curve[label] = accs
        curves[name] = curve
    return curves
