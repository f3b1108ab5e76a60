"""Examples/s of both input paths next to the train step's consumption rate.

    python -m benchmarks.input_pipeline --experiment=fashion_mnist_cnn --out=benchmarks/input_pipeline.md

The device-resident path must never be the bottleneck: its rate (gathering a shuffled batch on the
device) should be far above the rate at which the train step consumes examples. The grain path reads
from the prepared array_record files on the host, in threads or worker processes.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import jax
import numpy as np
from absl import app, flags

import data as data_lib
import experiments
from benchmarks.timing import rate
from data import resident, stream
from train import optim, overrides, runtime, tasks
from train.call import make_train_call, zero_totals
from train.feed import ResidentFeed
from train.step import create_state, run_keys
import models

EXPERIMENT = flags.DEFINE_string("experiment", "fashion_mnist_cnn", "Experiment whose data and model to measure.")
STEPS = flags.DEFINE_integer("steps", 50, "Steps per timed window.")
WINDOWS = flags.DEFINE_integer("windows", 5, "Timed windows (the median is reported).")
OUT = flags.DEFINE_string("out", "", "Write the markdown table here (default: print only).")


def measure(config, steps: int, windows: int) -> list[tuple[str, float]]:
    dataset = data_lib.load(config.data)
    batch = config.batch_size
    rows = []

    model = models.create(config.model, dataset.num_classes)
    task = tasks.create(dataset.task, model)
    feed = ResidentFeed(dataset, task.visiting_order(config.seed, dataset.size("train")), batch)
    gather = jax.jit(lambda d, o, e, s: resident.batch_at(d, o, e, s, batch))
    position = {"step": 0}

    def resident_window() -> int:
        out = None
        for _ in range(steps):
            out = gather(*feed.args(position["step"]), np.int32(position["step"]))
            position["step"] += 1
        jax.block_until_ready(out)
        return steps * batch

    rows.append(("device-resident gather (inside jit)", rate(resident_window, windows)))

    source = dataset.source("train")  # the prepared array_record files, read record by record
    for workers in (0, 2):
        batches = stream.train_batches(source, config.seed, batch, 1, 0, 10**9, workers=workers, prefetch=8)

        def stream_window() -> int:
            out = None
            for _ in range(steps):
                out = jax.device_put(next(batches))
            jax.block_until_ready(out)
            return steps * batch

        label = "grain from array_record, " + (f"{workers} worker processes" if workers else "threads")
        rows.append((label, rate(stream_window, windows)))

    init_key, augment_key = run_keys(config.seed)
    state = create_state(model, optim.optimizer(config), dataset.input_shape, init_key)
    call = make_train_call(batch, 1, task, config.augment.crop_padding, config.augment.flip, "resident")
    carry = {"state": state, "totals": zero_totals(task)}

    def train_window() -> int:
        for _ in range(steps):
            step = int(position["step"])
            carry["state"], carry["totals"] = call(carry["state"], carry["totals"], *feed.args(step), augment_key)
            position["step"] += 1
        jax.block_until_ready(carry["state"])
        return steps * batch

    rows.append((f"train step consumption ({config.experiment}, batch {batch})", rate(train_window, windows)))
    return rows


_OVERRIDES: list[tuple[str, str]] = []


def parse_flags(argv: list[str]) -> list[str]:
    rest, pairs = overrides.split_argv(argv)
    _OVERRIDES.extend(pairs)
    return flags.FLAGS(rest)


def main(argv: list[str]) -> None:
    config = experiments.get_config(EXPERIMENT.value)
    overrides.apply(config, _OVERRIDES)
    rows = measure(config, STEPS.value, WINDOWS.value)
    env = runtime.environment()
    lines = [f"# Input pipeline throughput: {config.experiment} ({config.data.name})", "",
             f"Command: `python -m benchmarks.input_pipeline {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.processor() or platform.machine()}, {env.get('cpu_count', '?')} CPU cores, "
             f"device {jax.devices()[0].device_kind}; jax {jax.__version__}. Median of {WINDOWS.value} windows of "
             f"{STEPS.value} batches after one warm-up window.", "",
             "| path | examples/s |", "| --- | ---: |"]
    lines += [f"| {name} | {value:,.0f} |" for name, value in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if OUT.value:
        Path(OUT.value).write_text(text)


if __name__ == "__main__":
    runtime.configure_cpu()
    app.run(main, flags_parser=parse_flags)
