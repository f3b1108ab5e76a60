"""layerwise's train loop against the usual per-step flax loop and the same model in PyTorch.

    python -m benchmarks.compare --experiment=digits_cnn --experiment=fashion_mnist_cnn \
        --out=benchmarks/RESULTS.md

For each experiment and path, one fresh process trains the experiment's model, data, batch size and
optimiser and reports examples/s (median of timed windows after a warm-up window), compile or
warm-up time, and the process's peak resident memory:

1. `layerwise`: `train.loop.train_and_evaluate` itself (device-resident data, donated state,
   metrics on device; examples/s per log window from metrics.jsonl).
2. `flax per-step`: the loop of flax's examples: numpy batches sliced on the host from a per-epoch
   permutation, copied to the device, one jitted `train_step` call per step, no donation.
3. `torch eager` and `torch.compile`: the mirror in `benchmarks/torch_models.py`, same optimiser
   (Adam or SGD, constant learning rate), same batch size, data held in torch tensors.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from absl import app, flags

EXPERIMENTS = flags.DEFINE_multi_string("experiment", ["digits_cnn"], "Experiments to compare.")
PATHS = flags.DEFINE_list("paths", ["layerwise", "flax_per_step", "torch_eager", "torch_compile"], "Paths to run.")
WINDOWS = flags.DEFINE_integer("windows", 5, "Timed windows after one warm-up window.")
WINDOW_STEPS = flags.DEFINE_integer("window_steps", 100, "Train steps per window.")
OUT = flags.DEFINE_string("out", "", "Write the markdown report here.")
ONE = flags.DEFINE_string("one", "", "(internal) run one path 'experiment:path' and print JSON.")


def _config(experiment: str):
    import experiments

    config = experiments.get_config(experiment)
    config.unlock()
    config.schedule.name = "constant"  # the same constant rate in every framework
    config.eval_every = 0
    return config


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_layerwise(config, windows: int, window_steps: int) -> dict:
    from train import loop, runtime

    runtime.enable_compilation_cache()
    config.num_steps = window_steps * (windows + 1)
    config.log_every = config.checkpoint_every = window_steps
    workdir = tempfile.mkdtemp(prefix="bench-layerwise-")
    summary = loop.train_and_evaluate(config, workdir)
    rates = [json.loads(line)["examples_per_sec"] for line in (Path(workdir) / "metrics.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == "train"][1:]
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": summary["compile_seconds"]}


def run_flax_per_step(config, windows: int, window_steps: int) -> dict:
    import jax
    import numpy as np

    import data as data_lib
    import models
    from train import optim
    from train.step import create_state, train_step

    dataset = data_lib.load(config.data)
    train = dataset.splits["train"]
    state = create_state(models.create(config.model, dataset.num_classes), optim.optimizer(config),
                         dataset.input_shape, jax.random.key_data(jax.random.key(0)))
    step_fn = jax.jit(train_step)
    rng = np.random.default_rng(0)
    batch, per_epoch = config.batch_size, len(train) // config.batch_size
    order, position = rng.permutation(len(train)), 0

    def next_batch():
        nonlocal order, position
        if position == per_epoch:
            order, position = rng.permutation(len(train)), 0
        idx = order[position * batch:(position + 1) * batch]
        position += 1
        return {"inputs": train.inputs[idx], "labels": train.labels[idx]}

    start = time.perf_counter()
    state, metrics = step_fn(state, next_batch())
    jax.block_until_ready(state)
    setup = time.perf_counter() - start
    rates = []
    for window in range(windows + 1):
        start, losses = time.perf_counter(), []
        for _ in range(window_steps):
            state, metrics = step_fn(state, next_batch())
            losses.append(metrics["loss_sum"])
        jax.block_until_ready(losses)
        if window:
            rates.append(window_steps * batch / (time.perf_counter() - start))
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": setup}


def run_torch(config, windows: int, window_steps: int, compiled: bool) -> dict:
    import torch

    import data as data_lib
    from benchmarks.torch_models import mirror

    dataset = data_lib.load(config.data)
    train = dataset.splits["train"]
    inputs = torch.from_numpy(train.inputs).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    labels = torch.from_numpy(train.labels).long()
    torch.manual_seed(0)
    model = mirror(config.model.to_dict(), dataset.input_shape, dataset.num_classes)
    opt = config.optimizer
    if opt.name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=opt.learning_rate, momentum=opt.momentum,
                                    nesterov=opt.nesterov)
    elif opt.name == "adamw":
        optimizer = torch.optim.AdamW(model.parameters(), lr=opt.learning_rate, weight_decay=opt.weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=opt.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.detach()

    if compiled:
        step = torch.compile(step)
    model.train()
    batch, per_epoch = config.batch_size, len(train) // config.batch_size
    generator = torch.Generator().manual_seed(0)
    order, position = torch.randperm(len(train), generator=generator), 0

    def next_batch():
        nonlocal order, position
        if position == per_epoch:
            order, position = torch.randperm(len(train), generator=generator), 0
        idx = order[position * batch:(position + 1) * batch]
        position += 1
        return inputs[idx], labels[idx]

    start = time.perf_counter()
    for _ in range(3):
        step(*next_batch())
    setup = time.perf_counter() - start
    rates = []
    for window in range(windows + 1):
        start = time.perf_counter()
        for _ in range(window_steps):
            step(*next_batch())
        if window:
            rates.append(window_steps * batch / (time.perf_counter() - start))
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": setup}


def run_one(spec: str, windows: int, window_steps: int) -> dict:
    experiment, path = spec.split(":")
    if path.startswith("torch"):
        os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
    else:
        from train import runtime

        runtime.configure_cpu()
    config = _config(experiment)
    if path == "layerwise":
        result = run_layerwise(config, windows, window_steps)
    elif path == "flax_per_step":
        result = run_flax_per_step(config, windows, window_steps)
    elif path in ("torch_eager", "torch_compile"):
        result = run_torch(config, windows, window_steps, compiled=path == "torch_compile")
    else:
        raise app.UsageError(f"unknown path {path!r}")
    return {**result, "peak_mb": _peak_mb()}


def main(argv: list[str]) -> None:
    if ONE.value:
        print(json.dumps(run_one(ONE.value, WINDOWS.value, WINDOW_STEPS.value)))
        return
    import jax
    import torch

    rows = []
    for experiment in EXPERIMENTS.value:
        results = {}
        for path in PATHS.value:
            proc = subprocess.run([sys.executable, "-m", "benchmarks.compare", f"--one={experiment}:{path}",
                                   f"--windows={WINDOWS.value}", f"--window_steps={WINDOW_STEPS.value}"],
                                  capture_output=True, text=True)
            if proc.returncode:
                results[path] = {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:160]}
            else:
                results[path] = json.loads(proc.stdout.strip().splitlines()[-1])
            print(experiment, path, results[path], flush=True)
        rows.append((experiment, results))

    lines = ["# Benchmarks: layerwise against the per-step flax loop and PyTorch", "",
             f"Command: `python -m benchmarks.compare {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Linux; jax {jax.__version__}, "
             f"torch {torch.__version__}. Each path runs in its own process; examples/s is the median of "
             f"{WINDOWS.value} windows of {WINDOW_STEPS.value} steps after a warm-up window. Constant learning "
             "rate everywhere (the experiments' schedules do not change the cost of a step).", ""]
    for experiment, results in rows:
        base = results.get("layerwise", {}).get("examples_per_sec")
        lines += [f"## {experiment}", "", "| path | examples/s | layerwise / this | compile or warm-up | peak RSS |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for path, result in results.items():
            if "error" in result:
                lines.append(f"| {path} | failed: {result['error']} | | | |")
                continue
            ratio = f"{base / result['examples_per_sec']:.2f}x" if base else ""
            lines.append(f"| {path} | {result['examples_per_sec']:,.0f} | {ratio} | {result['setup_seconds']:.1f} s "
                         f"| {result['peak_mb']:,.0f} MB |")
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if OUT.value:
        Path(OUT.value).write_text(text)


if __name__ == "__main__":
    app.run(main)
