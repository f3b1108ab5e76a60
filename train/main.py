"""Command line: `python -m train --experiment=NAME --workdir=DIR [--config.KEY=VALUE ...]`.

Bad input (unknown experiment, unknown config key, ill-typed value, unusable data) ends the
process with one line on stderr and exit code 2, before any training. A NaN loss exits 1;
SIGTERM exits 0 after a checkpoint (a scheduler may restart the same command); Ctrl-C exits 130.
"""

from __future__ import annotations

import logging as std_logging
import sys
from pathlib import Path
from typing import Sequence

from absl import app, flags, logging

from train import runtime

runtime.configure_cpu()  # Before JAX starts its backend.

import experiments  # noqa: E402
from train import overrides  # noqa: E402

flags.DEFINE_string("experiment", None, "Experiment name; `--list` shows them all.")
flags.DEFINE_string("workdir", None, "Directory for config, metrics, checkpoints and summary; "
                    "an existing run there is resumed.")
flags.DEFINE_bool("list", False, "Print every experiment with a one-line description, then exit.")
flags.DEFINE_bool("compilation_cache", True, "Keep compiled programs on disk for the next run.")
flags.DEFINE_string("from_config", None, "A run's config.json: re-run exactly that config "
                    "(its experiment and every value); --config.* still apply on top.")
flags.DEFINE_string("sweep", None, "Grid to run, e.g. 'optimizer.learning_rate=1e-3,3e-3;model.hidden=64,128'; "
                    "--workdir is then the sweep directory, one run directory per combination and seed.")
flags.DEFINE_integer("seeds", 1, "Seeds per sweep combination (config.seed, config.seed+1, ...).")
flags.DEFINE_string("coordinator_address", None, "host:port of process 0, for training over several processes "
                    "(jax.distributed); give --num_processes and --process_id too.")
flags.DEFINE_integer("num_processes", None, "Processes taking part in multi-process training.")
flags.DEFINE_integer("process_id", None, "This process's index, 0 .. num_processes-1.")
flags.DEFINE_bool("distributed", False, "Join a multi-process run whose settings jax.distributed detects from "
                  "the cluster environment (SLURM, Open MPI, Cloud TPU, ...).")
FLAGS = flags.FLAGS

EXIT_USAGE, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def fail(message: str, code: int = EXIT_USAGE) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def parse_flags(argv: Sequence[str]) -> list[str]:
    """absl parsing with `--config.*` taken aside; any parse error becomes one line and exit 2."""
    try:
        rest, FLAGS.config_overrides = overrides.split_argv(argv)
        return FLAGS(rest)
    except flags.UnrecognizedFlagError as error:
        fail(f"{str(error).splitlines()[0]}; flags: --experiment, --workdir, --list, --config.KEY=VALUE "
             "(all of them: --helpfull)")
    except (flags.Error, overrides.OverrideError) as error:
        fail(str(error).splitlines()[0])


flags.DEFINE_multi_string("config_overrides", [], "(set from --config.KEY=VALUE arguments)")


def _read_recorded(path: str) -> dict:
    """The `config` of a run's config.json, with a one-line error for a missing or damaged file."""
    import json
    try:
        recorded = json.loads(Path(path).read_text())["config"]
        recorded["experiment"]  # noqa: B018 - must be present
        return recorded
    except FileNotFoundError:
        fail(f"--from_config={path}: no such file")
    except (ValueError, KeyError, TypeError) as error:
        fail(f"--from_config={path} is not a layerwise config.json ({type(error).__name__}: {error})")


def start_distributed() -> None:
    """Joins the JAX cluster before any computation; on CPU the collectives go through gloo."""
    import jax

    explicit = (FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    if not FLAGS.distributed and None in explicit:
        fail("multi-process training needs all of --coordinator_address, --num_processes and --process_id "
             "(or --distributed to detect them from the cluster environment)")
    if not FLAGS.distributed and not 0 <= FLAGS.process_id < FLAGS.num_processes:
        fail(f"--process_id={FLAGS.process_id} must lie in [0, {FLAGS.num_processes - 1}]")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        if FLAGS.distributed:
            jax.distributed.initialize()
        else:
            jax.distributed.initialize(coordinator_address=FLAGS.coordinator_address,
                                       num_processes=FLAGS.num_processes, process_id=FLAGS.process_id,
                                       initialization_timeout=120)
    except (RuntimeError, ValueError) as error:
        fail(f"could not join the multi-process run: {str(error).splitlines()[0]}", EXIT_FAILED)


def list_experiments() -> None:
    descriptions = experiments.describe()
    width = max(map(len, descriptions))
    for name, line in descriptions.items():
        print(f"{name:<{width}}  {line}")


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        fail(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.list:
        list_experiments()
        return
    recorded = None
    if FLAGS.from_config:
        recorded = _read_recorded(FLAGS.from_config)
        if FLAGS.experiment and FLAGS.experiment != recorded["experiment"]:
            fail(f"--experiment={FLAGS.experiment} contradicts --from_config, which records "
                 f"experiment {recorded['experiment']!r}; drop one of them")
        FLAGS.experiment = recorded["experiment"]
    if not FLAGS.experiment:
        fail(f"--experiment is required; valid experiments: {', '.join(experiments.names())}")
    if not FLAGS.workdir:
        fail("--workdir is required: the directory for this run's logs and checkpoints")
    if "verbosity" not in FLAGS or not FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)  # Library chatter off; our own lines go to stderr.
    std_logging.getLogger("absl").setLevel(std_logging.WARNING)

    try:
        config = experiments.get_config(FLAGS.experiment)
        if recorded is not None:
            overrides.apply_recorded(config, recorded)
        overrides.apply(config, FLAGS.config_overrides)
        if FLAGS.sweep or FLAGS.seeds > 1:
            from train import sweep
            sweep.runs(config, FLAGS.sweep or "", FLAGS.seeds)  # every value checked before any run
    except (experiments.UnknownExperimentError, overrides.OverrideError) as error:
        fail(str(error))

    import jax  # imported late so --list and flag errors stay fast.
    import data
    from train import loop
    from train.checkpoint import CheckpointError
    from train.logs import say

    if FLAGS.compilation_cache:
        runtime.enable_compilation_cache()
    if FLAGS.coordinator_address or FLAGS.num_processes or FLAGS.process_id is not None or FLAGS.distributed:
        start_distributed()
    try:
        if FLAGS.sweep or FLAGS.seeds > 1:
            from train import report, sweep
            directories = sweep.run_sweep(config, FLAGS.sweep or "", FLAGS.seeds, Path(FLAGS.workdir),
                                          loop.train_and_evaluate, say)
            print(report.write_report(directories, Path(FLAGS.workdir)))
            return
        summary = loop.train_and_evaluate(config, FLAGS.workdir)
    except (loop.ConfigError, data.DataError, ValueError) as error:
        fail(str(error))
    except loop.NonFiniteLossError as error:
        fail(str(error), EXIT_FAILED)
    except CheckpointError as error:
        fail(str(error), EXIT_FAILED)
    except loop.Interrupted as stop:
        say(f"stopped by signal {stop.signum} at step {stop.step}; checkpoint saved; "
            "run the same command to resume")
        sys.exit(EXIT_INTERRUPTED if stop.signum == 2 else 0)
    if jax.process_index() != 0:
        return  # process 0 reports for the whole run
    evaluation = summary["eval"]
    keys = sorted(evaluation, key=lambda key: (key != "accuracy", key != "loss", key))  # accuracy, loss, rmse, ...
    shown = "  ".join(f"{key} {evaluation[key]:.4f}" for key in keys)
    say(f"{config.experiment}: {summary['eval_split']} {shown}  ({summary['steps']} steps, "
        f"{summary['train_seconds']:.1f}s training, {summary['compile_seconds']:.1f}s compile)")


def run() -> None:
    app.run(main, flags_parser=parse_flags)
