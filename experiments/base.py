"""Defaults shared by every experiment; an experiment file updates what makes it itself.

This is the whole schema of a run's config: every key a run reads is here, with its default and
a comment. An experiment may change values and add model keyword arguments under `model`; it may
not add other keys or replace a group (the registry checks), so `--config.KEY=VALUE` means the
same thing for every experiment and a misspelt key is an error.
"""

import ml_collections

from data import config as data_config


def get_config() -> ml_collections.ConfigDict:
    """Every key a run reads, with its default; `--config.KEY=VALUE` may change any of them."""
    config = ml_collections.ConfigDict()
    config.experiment = ""
    config.seed = 0

    config.model = ml_collections.ConfigDict({"name": "linear"})  # + the model's keyword arguments
    config.dtype = "float32"      # compute dtype: float32 | bfloat16 (parameters stay float32)
    config.kernels = "auto"       # CPU kernels: auto (onednn where built) | xla | onednn (kernels/)
    config.data = data_config.defaults()  # which data set and how it is split and fed: data/config.py
    config.augment = ml_collections.ConfigDict({
        "crop_padding": 0,        # random crop after zero-padding by this many pixels; 0 = off
        "flip": False,            # random left-right flip
    })

    config.optimizer = ml_collections.ConfigDict({
        "name": "adam",           # sgd | adam | adamw
        "learning_rate": 1e-3,    # peak rate of the schedule
        "momentum": 0.9,          # sgd only
        "nesterov": False,        # sgd only
        "weight_decay": 0.0,      # decoupled (adamw) or L2 added to the gradient (sgd, adam)
        "grad_clip_norm": 0.0,    # 0 disables global-norm clipping
    })
    config.schedule = ml_collections.ConfigDict({
        "name": "constant",       # constant | cosine | warmup_cosine | onecycle
        "warmup_steps": 0,
    })

    config.mesh = ml_collections.ConfigDict({
        "data": -1,               # devices on the data-parallel axis; -1 = every device of every process
    })

    config.num_steps = 1000
    config.batch_size = 128
    config.eval_batch_size = 512
    config.steps_per_call = 1     # >1 fuses several train steps into one compiled call (lax.scan)

    config.select = ml_collections.ConfigDict({
        "metric": "",             # "" = evaluate the last state; validation.accuracy, validation.loss, ... = the best one
        "patience": 0,            # with select.metric: stop after this many evaluations without improvement; 0 = never
    })

    config.log_every = 50         # train metrics are pulled from the device only at these steps
    config.eval_every = 0         # validation eval interval in steps; 0 = only at the end
    config.checkpoint_every = 200
    config.profile_steps = 0      # >0: a JAX profiler trace of this many train calls, in WORKDIR/profile
    config.keep_checkpoints = 3
    return config
