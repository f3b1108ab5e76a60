"""Optimisers and learning-rate schedules from optax, chosen by name in the config."""

from __future__ import annotations

import ml_collections
import optax


def schedule(config: ml_collections.ConfigDict) -> optax.Schedule:
    """The learning rate as a pure function of the step (also evaluated on the host for logs)."""
    peak, total = config.optimizer.learning_rate, config.num_steps
    name, warmup = config.schedule.name, config.schedule.warmup_steps
    if name == "constant":
        return optax.constant_schedule(peak)
    if name == "cosine":
        return optax.cosine_decay_schedule(peak, decay_steps=max(total, 1))
    if name == "warmup_cosine":
        return optax.warmup_cosine_decay_schedule(0.0, peak, warmup_steps=warmup,
                                                  decay_steps=max(total, warmup + 1))
    if name == "onecycle":  # linear-cosine warm-up to the peak over 30% of training, then annealing
        return optax.cosine_onecycle_schedule(max(total, 1), peak)
    raise ValueError(f"unknown schedule {name!r}; valid schedules: constant, cosine, warmup_cosine, onecycle")


def optimizer(config: ml_collections.ConfigDict) -> optax.GradientTransformation:
    """Gradient clipping (optional), then the named optimiser driven by `schedule(config)`."""
    opt, lr = config.optimizer, schedule(config)
    if opt.name == "sgd":
        core = optax.sgd(lr, momentum=opt.momentum or None, nesterov=opt.nesterov)
    elif opt.name == "adam":
        core = optax.adam(lr)
    elif opt.name == "adamw":
        core = optax.adamw(lr, weight_decay=opt.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {opt.name!r}; valid optimizers: sgd, adam, adamw")
    chain = []
    if opt.grad_clip_norm:
        chain.append(optax.clip_by_global_norm(opt.grad_clip_norm))
    if opt.weight_decay and opt.name != "adamw":
        chain.append(optax.add_decayed_weights(opt.weight_decay))
    return optax.chain(*chain, core)
