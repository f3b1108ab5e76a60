"""layerwise's train loop against the usual per-step flax loop and the same model in PyTorch.

    python -m benchmarks --experiment=digits_cnn --experiment=fashion_mnist_cnn \
        --experiment=shakespeare_lstm --experiment=fashion_mnist_resnet --windows=3 --out=benchmarks/RESULTS.md

For each experiment and path, one fresh process trains the experiment's model, data, batch size and
optimiser (constant learning rate, no augmentation, so every path does the same work) and reports
examples/s (median of timed windows after a warm-up window), compile or warm-up time, the process's
peak resident memory and the model's parameter count:

1. `layerwise`: `train.loop.train_and_evaluate` itself (device-resident data, donated state,
   metrics on device; examples/s per log window from metrics.jsonl), with the default kernels
   (oneDNN's on CPU where the kernel library is built); `layerwise_xla`: the same with
   `kernels=xla`, XLA's own kernels (the state before the kernel library).
2. `flax per-step`: the loop of flax's examples: numpy batches sliced on the host from a per-epoch
   permutation, copied to the device, one jitted `train_step` call per step, no donation.
3. `torch eager` and `torch.compile`: the mirror in `benchmarks/torch_models.py`, same optimiser
   (Adam or SGD, constant learning rate, gradient clipping where configured), same batch size, data
   held in torch tensors; a language model carries its detached state from step to step.
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
from collections.abc import Sequence
from pathlib import Path

from absl import app, flags


def define_flags() -> None:
    """Flags exist only when this is the program (`python -m benchmarks[.compare]`), so tests can import
    the paths without colliding with `python -m train`'s flags."""
    global EXPERIMENTS, SETTINGS, PATHS, WINDOWS, WINDOW_STEPS, OUT, ONE, ROUNDS
    EXPERIMENTS = flags.DEFINE_multi_string("experiment", ["digits_cnn"], "Experiments to compare.")
    SETTINGS = flags.DEFINE_multi_string("set", [], "KEY=VALUE config settings for every experiment and path, as "
                                         "--config.KEY=VALUE sets them for `python -m train` (e.g. model.cell=gru).")
    PATHS = flags.DEFINE_list("paths", ["layerwise", "layerwise_xla", "flax_per_step", "torch_eager",
                                        "torch_compile"],
                              "Paths to run.")
    WINDOWS = flags.DEFINE_integer("windows", 5, "Timed windows after one warm-up window.")
    WINDOW_STEPS = flags.DEFINE_integer("window_steps", 0, "Train steps per window (0: each experiment's "
                                        "default in DEFAULT_WINDOW_STEPS, about 5-15 s on a 2-core CPU).")
    ROUNDS = flags.DEFINE_integer("rounds", 1, "Fresh processes per path, taken in turn (path A, B, ..., then A, "
                                  "B, ... again): one process's speed varies by about 10% on a shared 2-core "
                                  "machine, so the table gives the median over rounds and their range.")
    OUT = flags.DEFINE_string("out", "", "Write the markdown report here.")
    ONE = flags.DEFINE_string("one", "", "(internal) run one path 'experiment:path' and print JSON.")


TORCH_PATHS = ("torch_eager", "torch_compile")
INSTALL_TORCH = "pip install -e '.[bench]'"
EXIT_USAGE = 2


def torch_missing(paths: list[str]) -> str | None:
    """Why the chosen paths cannot run (PyTorch absent or broken), as one line; None when they can."""
    needs = [path for path in paths if path in TORCH_PATHS]
    if not needs:
        return None
    try:
        import torch  # noqa: F401
    except ImportError as error:
        reason = "is not installed" if getattr(error, "name", None) == "torch" else f"cannot be imported ({error})"
        return (f"PyTorch {reason}, and --paths includes {', '.join(needs)}; install it with `{INSTALL_TORCH}` "
                "(torch 2.13.0, CPU build), or leave those paths out: --paths=layerwise,flax_per_step")
    return None


DEFAULT_WINDOW_STEPS = {"fashion_mnist_resnet": 20, "shakespeare_lstm": 40}  # others: 100


def window_steps(experiment: str, requested: int = 0) -> int:
    return requested or DEFAULT_WINDOW_STEPS.get(experiment, 100)


def _config(experiment: str, settings: Sequence[str] = ()):
    import experiments
    from train import overrides

    config = experiments.get_config(experiment)
    malformed = [setting for setting in settings if "=" not in setting]
    if malformed:
        raise overrides.OverrideError(f"--set takes KEY=VALUE, got {malformed[0]!r}")
    overrides.apply(config, [tuple(setting.split("=", 1)) for setting in settings])
    config.unlock()
    config.schedule.name = "constant"  # the same constant rate in every framework
    config.augment.crop_padding, config.augment.flip = 0, False  # the other paths do not augment: same work
    config.eval_every = 0
    return config


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_layerwise(config, windows: int, window_steps: int) -> dict:
    from train import loop, runtime

    runtime.enable_compilation_cache()
    config.num_steps = window_steps * (windows + 1)
    config.log_every = window_steps
    config.checkpoint_every = config.num_steps  # only the final save, after the last timed window: no path saves
    with tempfile.TemporaryDirectory(prefix="bench-layerwise-") as workdir:
        summary = loop.train_and_evaluate(config, workdir)
        lines = (Path(workdir) / "metrics.jsonl").read_text().splitlines()
    rates = [json.loads(line)["examples_per_sec"] for line in lines if json.loads(line)["split"] == "train"][1:]
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": summary["compile_seconds"],
            "parameters": summary["num_params"]}


def _batches(num_examples: int, batch: int, language_model: bool, shuffle):
    """Index batches of the usual loops: a fresh permutation per epoch, or, for a language model, the
    stream order that lets each batch row continue the previous step's (`data.order.stream_order`)."""
    from data import order as data_order

    per_epoch = num_examples // batch
    while True:
        order = data_order.stream_order(num_examples, batch) if language_model else shuffle(num_examples)
        for position in range(per_epoch):
            yield order[position * batch:(position + 1) * batch]


def run_flax_per_step(config, windows: int, window_steps: int) -> dict:
    import functools

    import jax
    import numpy as np

    import data as data_lib
    import models
    from train import optim, tasks
    from train.step import create_state, train_step

    dataset = data_lib.load(config.data)
    train = dataset.splits["train"]
    model = models.create(config.model, dataset.num_classes, kernels=config.kernels)
    state = create_state(model, optim.optimizer(config), dataset.input_shape,
                         jax.random.key_data(jax.random.key(0)), train.inputs.dtype)
    batch = config.batch_size
    task = tasks.create(dataset.task, model, steps_per_epoch=len(train) // batch, batch_size=batch)
    if task.carries_state:
        state = state.replace(carry=model.initial_carry(batch))
    step_fn = jax.jit(functools.partial(train_step, task=task))
    parameters = sum(leaf.size for leaf in jax.tree.leaves(state.params))
    rng = np.random.default_rng(0)
    indices = _batches(len(train), batch, task.carries_state, rng.permutation)

    def next_batch():
        idx = next(indices)
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
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": setup, "parameters": parameters}


def run_torch(config, windows: int, window_steps: int, compiled: bool) -> dict:
    import torch

    import data as data_lib
    from benchmarks.torch_models import mirror

    dataset = data_lib.load(config.data)
    train = dataset.splits["train"]
    language_model = dataset.task == "language_model"
    inputs = torch.from_numpy(train.inputs)
    if language_model:
        inputs = inputs.long()
    else:
        inputs = inputs.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    labels = torch.from_numpy(train.labels).long()
    torch.manual_seed(0)
    model = mirror(config.model.to_dict(), dataset.input_shape, dataset.num_classes)
    opt = config.optimizer
    if opt.name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=opt.learning_rate, momentum=opt.momentum,
                                    nesterov=opt.nesterov, weight_decay=opt.weight_decay)
    elif opt.name == "adamw":
        optimizer = torch.optim.AdamW(model.parameters(), lr=opt.learning_rate, weight_decay=opt.weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=opt.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    clip = opt.grad_clip_norm

    def step(x, y, state=None):
        optimizer.zero_grad(set_to_none=True)
        if language_model:  # truncated BPTT: the carried state enters detached
            logits, state = model(x, state)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        else:
            loss = loss_fn(model(x), y)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if language_model:
            return loss.detach(), tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        return loss.detach(), None

    if compiled:
        step = torch.compile(step)
    model.train()
    generator = torch.Generator().manual_seed(0)
    indices = _batches(len(train), config.batch_size, language_model,
                       lambda n: torch.randperm(n, generator=generator).numpy())
    state = None

    def run_steps(count):
        nonlocal state
        for _ in range(count):
            idx = torch.from_numpy(next(indices))
            _, state = step(inputs[idx], labels[idx], state)

    start = time.perf_counter()
    run_steps(3)
    setup = time.perf_counter() - start
    rates = []
    for window in range(windows + 1):
        start = time.perf_counter()
        run_steps(window_steps)
        if window:
            rates.append(window_steps * config.batch_size / (time.perf_counter() - start))
    return {"examples_per_sec": statistics.median(rates), "setup_seconds": setup,
            "parameters": sum(p.numel() for p in model.parameters())}


def run_one(spec: str, windows: int, window_steps: int) -> dict:
    experiment, path = spec.split(":")
    if path.startswith("torch"):
        os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
    else:
        from train import runtime

        runtime.configure_cpu()
    config = _config(experiment, SETTINGS.value)
    if path in ("layerwise", "layerwise_xla"):
        config.kernels = "xla" if path == "layerwise_xla" else config.kernels
        result = run_layerwise(config, windows, window_steps)
    elif path == "flax_per_step":
        result = run_flax_per_step(config, windows, window_steps)
    elif path in ("torch_eager", "torch_compile"):
        result = run_torch(config, windows, window_steps, compiled=path == "torch_compile")
    else:
        raise app.UsageError(f"unknown path {path!r}")
    return {**result, "peak_mb": _peak_mb()}


def _run_process(experiment: str, path: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.compare", f"--one={experiment}:{path}",
                           f"--windows={WINDOWS.value}",
                           f"--window_steps={window_steps(experiment, WINDOW_STEPS.value)}",
                           *(f"--set={setting}" for setting in SETTINGS.value)],
                          capture_output=True, text=True)
    if proc.returncode:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:160]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _over_rounds(results: list[dict]) -> dict:
    """One path's rounds as one row: the median round by examples/s (with every round's rate), or the first error."""
    done = sorted((r for r in results if "error" not in r), key=lambda r: r["examples_per_sec"])
    if not done:
        return results[0]
    return {**done[(len(done) - 1) // 2], "rounds": [r["examples_per_sec"] for r in results if "error" not in r]}


def _rate(result: dict) -> str:
    rounds = result.get("rounds", [])
    spread = f" ({min(rounds):,.0f}-{max(rounds):,.0f})" if len(rounds) > 1 else ""
    return f"{result['examples_per_sec']:,.0f}{spread}"


def main(argv: list[str]) -> None:
    problem = torch_missing(PATHS.value if not ONE.value else [ONE.value.split(":")[-1]])
    if problem:
        print(f"error: {problem}", file=sys.stderr, flush=True)
        sys.exit(EXIT_USAGE)
    if ONE.value:
        print(json.dumps(run_one(ONE.value, WINDOWS.value, window_steps(ONE.value.split(":")[0], WINDOW_STEPS.value))))
        return
    import jax

    from train import overrides

    try:  # a bad --set fails here, once, not in every child process
        for experiment in EXPERIMENTS.value:
            _config(experiment, SETTINGS.value)
    except overrides.OverrideError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(EXIT_USAGE)
    torch_version = "not used"
    if set(PATHS.value) & set(TORCH_PATHS):
        import torch

        torch_version = torch.__version__
    load_at_start = os.getloadavg()[0]
    rows = []
    for experiment in EXPERIMENTS.value:
        runs: dict[str, list[dict]] = {path: [] for path in PATHS.value}
        for _ in range(ROUNDS.value):
            for path in PATHS.value:
                runs[path].append(_run_process(experiment, path))
                print(experiment, path, runs[path][-1], flush=True)
        rows.append((experiment, {path: _over_rounds(results) for path, results in runs.items()}))

    lines = ["# Benchmarks: layerwise against the per-step flax loop and PyTorch", "",
             f"Command: `python -m benchmarks.compare {' '.join(sys.argv[1:])}`", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, Linux; jax {jax.__version__}, "
             f"torch {torch_version}. Each path runs in its own process; examples/s is the median of "
             f"{WINDOWS.value} timed windows after a warm-up window (steps per window in each heading)"
             + (f"; each path ran in {ROUNDS.value} processes, the paths taken in turn, and the table gives the "
                "round with the median rate (the slower middle one for an even count), the range over rounds in parentheses" if ROUNDS.value > 1 else "")
             + ". No path saves checkpoints inside the timed windows. Constant learning "
             "rate everywhere (the experiments' schedules do not change the cost of a step) and no augmentation "
             "(only layerwise has it built in).", "",
             f"Load average (1 min) on the machine: {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
             f"end ({os.cpu_count()} cores; other jobs shared them).", ""]
    for experiment, results in rows:
        base = results.get("layerwise", {}).get("examples_per_sec")
        config = _config(experiment, SETTINGS.value)
        settings = "".join(f", {setting}" for setting in SETTINGS.value)
        lines += [f"## {experiment}{settings} (batch {config.batch_size}, "
                  f"{window_steps(experiment, WINDOW_STEPS.value)} steps per window)", "", "| path | examples/s | layerwise / this | compile or warm-up | peak RSS | parameters |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for path, result in results.items():
            if "error" in result:
                lines.append(f"| {path} | failed: {result['error']} | | | | |")
                continue
            ratio = f"{base / result['examples_per_sec']:.2f}x" if base else ""
            lines.append(f"| {path} | {_rate(result)} | {ratio} | {result['setup_seconds']:.1f} s "
                         f"| {result['peak_mb']:,.0f} MB | {result.get('parameters', 0):,} |")
        lines.append("")
    if OUT.value:  # hand-written analysis kept across regenerations
        notes = Path(OUT.value).with_name(Path(OUT.value).stem.lower() + "_notes.md")
        if notes.exists():
            lines += [notes.read_text().strip(), ""]
    text = "\n".join(lines)
    print(text)
    if OUT.value:
        Path(OUT.value).write_text(text)


if __name__ == "__main__":
    define_flags()
    app.run(main)
