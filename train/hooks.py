"""The side effects of training as small periodic actions (clu's `periodic_actions` idea).

The fit loop calls every hook after each compiled call with the current `LoopState`; each hook decides
whether its step has come (log, evaluate, checkpoint, profile) and does its work on the host. Only
these read from the device, so between their steps nothing is copied to the host.
"""

from __future__ import annotations

import contextlib
import dataclasses
import signal
import time
from pathlib import Path
from typing import Any, Iterator

import jax

from train import optim
from train.call import NEVER, Totals, zero_totals
from train.errors import Interrupted, NonFiniteLossError
from train.logs import say
from train.parallel import to_host


@dataclasses.dataclass
class LoopState:
    """What changes while training (state, device totals, step, timing window) and what it leaves behind."""

    state: Any
    totals: Totals
    step: int
    window_start: float
    window_step: int
    first_step_seconds: float | None = None
    validation: dict[str, float] | None = None  # this step's validation metrics, if it evaluated
    stop: bool = False                          # selection ran out of patience
    train_seconds: float = 0.0                  # set when training ends
    compile_seconds: float = 0.0


@contextlib.contextmanager
def signals() -> Iterator[dict[str, int]]:
    """Turns SIGTERM/SIGINT into `caught["signum"]`, which the loop checks between compiled calls."""
    caught: dict[str, int] = {}
    previous = {signum: signal.signal(signum, lambda number, frame: caught.setdefault("signum", number))
                for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield caught
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def check_finite(totals: Totals, checkpointer: Any) -> None:
    """Stops the run at the first non-finite loss, naming its step and the checkpoint that stays."""
    bad = int(totals["first_nonfinite_step"])
    if bad != NEVER:
        last = checkpointer.latest_step()
        kept = f"last good checkpoint: step {last} in {checkpointer.directory}" if last is not None \
            else "no checkpoint was saved"
        raise NonFiniteLossError(f"loss became non-finite at step {bad + 1}; stopped ({kept}); "
                                 "lower --config.optimizer.learning_rate or set --config.optimizer.grad_clip_norm")


class LogMetrics:
    """Every `log_every` steps and at the end: the window's train metrics to metrics.jsonl, TensorBoard and the bar."""

    def __init__(self, run: Any, bar: Any) -> None:
        self.run, self.bar, self.learning_rate = run, bar, optim.schedule(run.config)

    def __call__(self, p: LoopState) -> None:
        run = self.run
        if p.step % run.config.log_every and p.step != run.config.num_steps:
            return
        host = to_host(p.totals)
        check_finite(host, run.checkpointer)
        now = time.perf_counter()
        metrics = {**run.task.summarize(host), "learning_rate": float(self.learning_rate(p.step - 1)),
                   "examples_per_sec": (p.step - p.window_step) * run.config.batch_size / (now - p.window_start)}
        run.writer.write(p.step, "train", metrics)
        self.bar.update(p.step, metrics)
        p.totals = run.parallel.replicate(zero_totals(run.task))
        p.window_start, p.window_step = time.perf_counter(), p.step


class Validate:
    """Every `eval_every` steps: the validation split's metrics; at the last step only when selecting a model
    (the end evaluates every split anyway), which then sees every evaluation (`train.select`)."""

    def __init__(self, run: Any) -> None:
        self.run, self.batches = run, run.eval_data.get("validation")

    def __call__(self, p: LoopState) -> None:
        config, selection, p.validation = self.run.config, self.run.selection, None
        last = p.step >= config.num_steps
        due = (config.eval_every and p.step % config.eval_every == 0 and not last) or (selection and last)
        if due and self.batches is not None:
            p.validation = self.run.task.evaluate(p.state, self.batches)
            self.run.writer.write(p.step, "validation", p.validation)
            if selection:
                selection.observe(p.step, p.validation, p.state)
                p.stop = selection.stop
            p.window_start = time.perf_counter()  # evaluation time is not training time


class Checkpoint:
    """Every `checkpoint_every` steps, at the end, and on a signal: save; after a signal, stop with `Interrupted`."""

    def __init__(self, run: Any, caught: dict[str, int]) -> None:
        self.every, self.last, self.checkpointer = run.config.checkpoint_every, run.config.num_steps, run.checkpointer
        self.caught = caught

    def __call__(self, p: LoopState) -> None:
        if self.caught or p.step % self.every == 0 or p.step == self.last:
            check_finite(to_host(p.totals), self.checkpointer)
            self.checkpointer.save(p.step, p.state)
        if self.caught:
            self.checkpointer.wait()
            raise Interrupted(self.caught["signum"], p.step)


class Profile:
    """A JAX profiler trace of `calls` compiled calls after the first (compiling) one, into WORKDIR/profile."""

    def __init__(self, calls: int, first_step: int, steps_per_call: int, directory: Path) -> None:
        self.start = first_step + steps_per_call  # the step reached after the first call
        self.stop = first_step + steps_per_call * (1 + calls)
        self.calls, self.directory = calls, directory

    def before(self, step: int) -> None:
        if self.calls and step == self.start:
            jax.profiler.start_trace(str(self.directory))

    def __call__(self, p: LoopState) -> None:
        if self.calls and p.step == self.stop:
            jax.block_until_ready(p.state)
            jax.profiler.stop_trace()
            say(f"profile of {self.calls} calls written to {self.directory} "
                "(open with TensorBoard's profile plugin or Perfetto)")
