"""Stage 2 of a run: compile the train call once, then call it until `num_steps`, with the periodic hooks.

The loop itself is a few lines: feed the call, count steps, let each hook (`train.hooks`) act at its
steps. Whatever ends training (the last step, a signal, a non-finite loss, an error) the input feed,
the progress bar and the checkpointer are closed.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import jax

from train import hooks
from train.call import make_train_call, zero_totals
from train.feed import make_feed
from train.logs import Progress, Silent
from train.parallel import is_primary
from train.setup import Run

# Calls the host may queue ahead of XLA:CPU's devices: past 32 per device a launch blocks a pool thread that an
# earlier call's all-reduce needs, and 8 simulated devices deadlock (README, "Simulated devices").
QUEUE_BOUND = 8


def compile_call(run: Run, feed: Any) -> tuple[Callable, float]:
    """The train call compiled ahead of time for this run's shapes and shardings, and the seconds it took."""
    config = run.config
    start = time.perf_counter()
    call = make_train_call(config.batch_size, config.steps_per_call, run.task, config.augment.crop_padding,
                           config.augment.flip, feed.feed, run.parallel)
    compiled = call.lower(run.state, run.parallel.replicate(zero_totals(run.task)),
                          *feed.example_args(run.start_step), run.augment_key).compile()
    return compiled, time.perf_counter() - start


def make_hooks(run: Run, bar: Any, caught: dict[str, int]) -> tuple[hooks.Profile, list[Callable]]:
    """The periodic actions after each call, in the order they act: profile, log, validate, checkpoint."""
    config = run.config
    profile = hooks.Profile(config.profile_steps if is_primary() else 0, run.start_step, config.steps_per_call,
                            run.workdir / "profile")
    return profile, [profile, hooks.LogMetrics(run, bar), hooks.Validate(run), hooks.Checkpoint(run, caught)]


def fit(run: Run, progress: str = "terminal") -> hooks.LoopState:
    """Trains from `run.start_step` to `num_steps` (or an early stop); saves the final state and returns it with
    the timings the summary reports.

    `progress` is the bar's style (`train.logs.Progress`).
    """
    config = run.config
    feed = make_feed(config, run.dataset, run.task, run.start_step, run.parallel)
    bar = Progress(config.num_steps, run.start_step, progress) if is_primary() else Silent()
    try:
        call, compile_seconds = compile_call(run, feed)
        now = time.perf_counter()
        loop = hooks.LoopState(run.state, run.parallel.replicate(zero_totals(run.task)), run.start_step, now,
                               run.start_step, stop=bool(run.selection and run.selection.stop))
        cpu = jax.default_backend() == "cpu"  # accelerators keep their full run-ahead
        with hooks.signals() as caught:
            profile, periodic = make_hooks(run, bar, caught)
            while loop.step < config.num_steps and not loop.stop:
                profile.before(loop.step)
                loop.state, loop.totals = call(loop.state, loop.totals, *feed.args(loop.step), run.augment_key)
                loop.step += config.steps_per_call
                if cpu and (loop.step - run.start_step) // config.steps_per_call % QUEUE_BOUND == 0:
                    jax.block_until_ready(loop.totals)
                if loop.first_step_seconds is None:  # data, init, restore, compile: what the cache shortens
                    jax.block_until_ready(loop.state)
                    loop.first_step_seconds = time.perf_counter() - run.entered
                for hook in periodic:
                    hook(loop)
        jax.block_until_ready(loop.state)
        loop.train_seconds, loop.compile_seconds = time.perf_counter() - now, compile_seconds
        run.checkpointer.save(loop.step, loop.state)
        run.checkpointer.wait()
    finally:
        feed.close()
        bar.close()
        run.checkpointer.close()
        if run.selection:  # a best state being written is finished, whatever stopped training
            run.selection.checkpointer.wait()
    return loop
