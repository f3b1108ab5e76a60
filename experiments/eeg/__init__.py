"""EEG: deep networks on raw UEA EEG signals against the classic pipelines, as one family of configs.

`eeg/<set>_<model>` is `get_config("<set>_<model>")`: five UEA EEG sets (`scp1`, `scp2`, `fingers`,
`eyes`, `blink`) times five raw-signal networks and the generic feature pipeline (`features`), plus
the recipes chosen on validation (`RECIPES`: `<set>_spatial_mlp` on every set, `eyes_shallow_ea`),
which keep the state with the best validation accuracy (`select.metric`). The settings that depend on
the recording (sampling rate, trial length, training-set size) live here, once per set, so every
model on a set sees the same data, split and step budget. Beside this file: the study's table runner
(`python -m experiments.eeg.table`), the field's classic pipelines (`classic.py`), the filter figure
(`filters.py`) and the validation curves of rows below chance (`curves.py`).
"""

from __future__ import annotations

import dataclasses

import ml_collections

from experiments import base

# Short name -> UEA set, and what the models need to know about its recordings.
SETS: dict[str, dict] = {
    "scp1": {"problem": "SelfRegulationSCP1", "fs": 256, "batch_size": 32, "num_steps": 600},
    "scp2": {"problem": "SelfRegulationSCP2", "fs": 256, "batch_size": 32, "num_steps": 600},
    "fingers": {"problem": "FingerMovements", "fs": 100, "batch_size": 32, "num_steps": 600},
    "eyes": {"problem": "EyesOpenShut", "fs": 128, "batch_size": 16, "num_steps": 300},
    "blink": {"problem": "Blink", "fs": 255, "batch_size": 32, "num_steps": 600},
}

# Model settings that scale with the sampling rate or trial length, per set. Sets recorded at
# ~256 Hz are average-pooled by 4 inside the network (to ~64 Hz: everything below ~30 Hz is kept),
# which makes them 4x cheaper; kernels are then counted in samples of the pooled signal.
MODELS: dict[str, dict[str, dict]] = {
    "shallow": {
        "scp1": {"downsample": 4, "kernel": 13, "pool": 20, "pool_stride": 4},
        "scp2": {"downsample": 4, "kernel": 13, "pool": 20, "pool_stride": 4},
        "fingers": {"kernel": 10, "pool": 20, "pool_stride": 5},
        "eyes": {"kernel": 13, "pool": 35, "pool_stride": 7},
        "blink": {"downsample": 4, "kernel": 13, "pool": 20, "pool_stride": 4},
    },
    "eegnet": {
        "scp1": {"downsample": 4, "kernel": 32, "pool1": 4, "pool2": 8, "shift": 16, "noise": 0.1},
        "scp2": {"downsample": 4, "kernel": 32, "pool1": 4, "pool2": 8},
        "fingers": {"kernel": 25, "pool1": 2, "pool2": 4, "separable_kernel": 8},
        "eyes": {"kernel": 64, "pool1": 4, "pool2": 4},
        "blink": {"downsample": 4, "kernel": 32, "pool1": 4, "pool2": 8},
    },
    "deep4": {
        "scp1": {"downsample": 4, "kernel": 10, "pool": 3},
        "scp2": {"downsample": 4, "kernel": 10, "pool": 3},
        "fingers": {"kernel": 5, "pool": 2},
        "eyes": {"kernel": 5, "pool": 2},
        "blink": {"downsample": 4, "kernel": 10, "pool": 3},
    },
    "spatial": {
        "scp1": {"windows": 7},      # 3.5 s trials: half-second means
        "scp2": {"windows": 9},      # 4.5 s
        "fingers": {"windows": 5},   # 0.5 s before the key press: 100 ms means
        "eyes": {"windows": 4},
        "blink": {"windows": 4},
    },
    "gru": {
        "scp1": {"downsample": 16},
        "scp2": {"downsample": 16},
        "fingers": {"downsample": 1},
        "eyes": {"downsample": 2},
        "blink": {"downsample": 16},
    },
}

# Training that differs from the raw networks' default (AdamW, lr 1e-3, weight decay 1e-2, the set's
# steps): the linear SpatialMeanNet needs a larger step and no weight decay to fit (chosen on
# FingerMovements' validation split: 0.71-0.75 over 5 seeds, against 0.46-0.60 with the defaults).
TRAINING: dict[str, dict] = {
    "spatial": {"learning_rate": 1e-2, "weight_decay": 0.0, "num_steps": 3000},
}

# Recipes chosen on each set's validation split (experiments/EEG.md, "How the recipes were chosen"): a
# registered model with its options, the trial preprocessing (data/eeg_preprocess.py) and training. They
# train for a fixed budget, evaluate validation every `eval_every` steps and keep the best state there.
RECIPES: dict[str, dict] = {
    # SpatialMeanNet plus one hidden layer of 16 ELU units: learned spatial filters, window means, a
    # non-linear classifier on them.
    "spatial_mlp": {
        "model": "spatial", "options": {"hidden": 16, "hidden_dropout": 0.5},
        "training": {"learning_rate": 3e-3, "weight_decay": 0.0, "num_steps": 3000, "eval_every": 100},
        "sets": {"scp1": {}, "scp2": {}, "eyes": {}, "blink": {},
                 "fingers": {"data": {"reference": "average", "align": "euclidean"}}},
    },
    # ShallowConvNet on Euclidean-aligned trials, trained longer: EyesOpenShut's best on validation.
    "shallow_ea": {
        "model": "shallow", "options": {},
        "training": {"learning_rate": 1e-3, "weight_decay": 1e-2, "num_steps": 1000, "eval_every": 25},
        "sets": {"eyes": {"data": {"align": "euclidean"}}},
    },
}
SELECT_METRIC = "validation.accuracy"

# The classic pipeline's filter band (Hz) and epochs per trial, per set. SCP sets keep the slow
# potentials (no high-pass): the class is the sign of a drift lasting seconds.
FEATURES: dict[str, dict] = {
    "scp1": {"low": 0.0, "high": 40.0, "windows": 4},
    "scp2": {"low": 0.0, "high": 40.0, "windows": 4},
    "fingers": {"low": 0.0, "high": 45.0, "windows": 1},
    "eyes": {"low": 0.0, "high": 45.0, "windows": 1},
    "blink": {"low": 0.0, "high": 45.0, "windows": 4},
}


MODEL_TEXT = {
    "shallow": "ShallowConvNet (temporal + spatial conv, square, mean-pool, log) on the raw signal",
    "eegnet": "EEGNet (temporal conv, depthwise spatial conv, separable conv) on the raw signal",
    "deep4": "Deep4 ConvNet (four conv-pool blocks) on the raw signal",
    "gru": "GRU over the average-pooled multichannel sequence on the raw signal",
    "spatial": "learned spatial filters, time-segment means and a linear read-out on the raw signal",
    "features": "softmax regression on hand-crafted time and band-power features (the classic pipeline)",
}
RECIPE_TEXT = {
    "spatial_mlp": "learned spatial filters, time-segment means, 16 ELU hidden units; best step on validation",
    "shallow_ea": "ShallowConvNet on Euclidean-aligned trials, 1000 steps; best step on validation",
}
VARIANTS = (tuple(f"{short}_{model}" for short in SETS for model in MODEL_TEXT)
            + tuple(f"{short}_{recipe}" for recipe in RECIPES for short in SETS if short in RECIPES[recipe]["sets"]))


def _split(variant: str) -> tuple[str, str]:
    short, _, model = variant.partition("_")
    if variant not in VARIANTS:
        raise ValueError(f"unknown EEG variant {variant!r}; valid: {', '.join(VARIANTS)}")
    return short, model


def describe(variant: str) -> str:
    short, model = _split(variant)
    return f"{SETS[short]['problem']}: {MODEL_TEXT.get(model) or RECIPE_TEXT[model]}."


def get_config(variant: str) -> ml_collections.ConfigDict:
    short, model = _split(variant)
    if model in RECIPES:
        return recipe_config(short, model)
    return features_config(short) if model == "features" else raw_config(short, model)


def _eval_every(num_steps: int) -> int:
    """About 24 validation evaluations per run: the curve the table plots for rows below chance."""
    return max(25, num_steps // 24)


def _base(short: str) -> ml_collections.ConfigDict:
    settings = SETS[short]
    config = base.get_config()
    config.batch_size = settings["batch_size"]
    config.num_steps = settings["num_steps"]
    config.log_every = 50
    config.eval_every = _eval_every(settings["num_steps"])
    config.checkpoint_every = settings["num_steps"]
    config.keep_checkpoints = 1
    config.eval_batch_size = 512
    config.schedule.name = "cosine"
    config.data.update({"name": f"uea/{settings['problem']}", "validation_fraction": 0.2})
    return config


def model_defaults(name: str) -> dict:
    """Every field of the registered model with its default, so `--config.model.KEY` can set any of them
    (augmentation included: `shift`, `channel_dropout`, `noise`, off by default)."""
    import models
    fields = dataclasses.fields(models.REGISTRY[name])
    return {f.name: f.default for f in fields
            if f.name not in ("parent", "name", "num_classes") and f.default is not dataclasses.MISSING}


def raw_config(short: str, model: str, **overrides) -> ml_collections.ConfigDict:
    """A deep network on the standardised raw signal of set `short` (`scp1`, `fingers`, ...)."""
    config = _base(short)
    config.data.standardize = True
    config.model.update({"name": f"eeg_{model}", **model_defaults(f"eeg_{model}"), **MODELS[model][short],
                         **overrides})
    config.optimizer.name = "adamw"
    training = TRAINING.get(model, {})
    config.optimizer.learning_rate = training.get("learning_rate", 1e-3)
    config.optimizer.weight_decay = training.get("weight_decay", 1e-2)
    if "num_steps" in training:
        config.num_steps = config.checkpoint_every = training["num_steps"]
        config.eval_every = _eval_every(training["num_steps"])
    return config


def recipe_config(short: str, recipe: str) -> ml_collections.ConfigDict:
    """`RECIPES[recipe]` on set `short`: `raw_config` plus its trial preprocessing, training and model selection."""
    settings = RECIPES[recipe]
    config = raw_config(short, settings["model"], **settings["options"])
    config.data.update(settings["sets"][short].get("data", {}))
    training = settings["training"]
    config.optimizer.learning_rate = training["learning_rate"]
    config.optimizer.weight_decay = training["weight_decay"]
    config.num_steps = config.checkpoint_every = training["num_steps"]
    config.eval_every = training["eval_every"]
    config.select.metric = SELECT_METRIC
    return config


def features_config(short: str) -> ml_collections.ConfigDict:
    """Softmax regression (optax, AdamW) on the hand-crafted feature vector of set `short`."""
    config = _base(short)
    features = FEATURES[short]
    config.data.update({"name": f"uea_features/{SETS[short]['problem']}", "band_low_hz": features["low"],
                        "band_high_hz": features["high"], "epochs_per_trial": features["windows"]})
    config.optimizer.name = "adamw"
    config.optimizer.learning_rate = 1e-2
    config.optimizer.weight_decay = 1e-1
    config.num_steps = config.checkpoint_every = 1000
    config.eval_every = _eval_every(config.num_steps)
    return config
