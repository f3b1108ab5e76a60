"""Command line: `python -m train --experiment=NAME --workdir=DIR [--config.KEY=VALUE ...]`.

Bad input (unknown experiment, unknown config key, ill-typed value, unusable data or workdir) ends
the process with one line on stderr and exit code 2, before any training. A NaN loss exits 1;
SIGTERM exits 0 after a checkpoint (a scheduler may restart the same command); Ctrl-C exits 130.
"""

from __future__ import annotations

import logging as std_logging
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

from absl import flags, logging

import experiments
from train import launch, overrides, runtime, workdir
from train.errors import ConfigError

EXPERIMENT = flags.DEFINE_string("experiment", None, "Experiment name; `--list` shows them all.")
WORKDIR = flags.DEFINE_string("workdir", None, "Run directory (config, metrics, checkpoints, summary); a run there resumes.")
LIST = flags.DEFINE_bool("list", False, "Print every experiment with a one-line description, then exit.")
CACHE = flags.DEFINE_bool("compilation_cache", True, "Keep compiled programs on disk for the next run.")
FROM_CONFIG = flags.DEFINE_string("from_config", None, "A run's config.json to re-run exactly; --config.* apply on top.")
SWEEP = flags.DEFINE_string("sweep", None, "Grid to run, e.g. 'optimizer.learning_rate=1e-3,3e-3;model.hidden=64,128'.")
SEEDS = flags.DEFINE_integer("seeds", 1, "Seeds per sweep combination (config.seed, config.seed+1, ...).")
OVERRIDES = flags.DEFINE_multi_string("config_overrides", [], "(set from --config.KEY=VALUE arguments)")
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


def resolve_config() -> Any:
    """The experiment's config with --from_config and --config.* applied; every value checked before any run."""
    try:
        recorded = workdir.recorded_config(Path(FROM_CONFIG.value)) if FROM_CONFIG.value else None
    except ConfigError as error:
        fail(f"--from_config: {error}")
    if FROM_CONFIG.value and recorded is None:
        fail(f"--from_config={FROM_CONFIG.value}: no such file")
    if recorded is not None:
        if EXPERIMENT.value and EXPERIMENT.value != recorded["experiment"]:
            fail(f"--experiment={EXPERIMENT.value} contradicts --from_config, which records "
                 f"experiment {recorded['experiment']!r}; drop one of them")
        FLAGS.experiment = recorded["experiment"]
    if not EXPERIMENT.value:
        fail(f"--experiment is required; valid experiments: {', '.join(experiments.names())}")
    if not WORKDIR.value:
        fail("--workdir is required: the directory for this run's logs and checkpoints")
    try:
        config = experiments.get_config(EXPERIMENT.value)
        if recorded is not None:
            overrides.apply_recorded(config, recorded)
        overrides.apply(config, OVERRIDES.value)
        if SWEEP.value or SEEDS.value > 1:
            from train import sweep
            sweep.runs(config, SWEEP.value or "", SEEDS.value)
    except (experiments.UnknownExperimentError, overrides.OverrideError) as error:
        fail(str(error))
    return config


def train(config: Any) -> dict[str, Any] | None:
    """Runs the config (or the sweep); every way a run can stop becomes its line and exit code."""
    import data
    from train import loop, sweep
    from train.checkpoint import CheckpointError
    from train.logs import say

    try:
        if SWEEP.value or SEEDS.value > 1:
            sweep.run_sweep(config, SWEEP.value or "", SEEDS.value, Path(WORKDIR.value), loop.train_and_evaluate, say)
            sys.exit(subprocess.call([sys.executable, "-m", "reports.report", WORKDIR.value]))  # table and plots
        return loop.train_and_evaluate(config, WORKDIR.value)
    except (loop.ConfigError, data.DataError, ValueError) as error:
        fail(str(error))
    except (loop.NonFiniteLossError, CheckpointError) as error:
        fail(str(error), EXIT_FAILED)
    except loop.Interrupted as stop:
        say(f"stopped by signal {stop.signum} at step {stop.step}; checkpoint saved; run the same command to resume")
        sys.exit(EXIT_INTERRUPTED if stop.signum == 2 else 0)


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        fail(f"unexpected arguments: {' '.join(argv[1:])}")
    if LIST.value:
        print(experiments.listing())
        return
    config = resolve_config()
    if "verbosity" not in FLAGS or not FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)  # Library chatter off; our own lines go to stderr.
    std_logging.getLogger("absl").setLevel(std_logging.WARNING)
    runtime.configure_cpu()  # process settings, before JAX starts its backend
    import jax  # imported late so --list and flag errors stay fast.

    if CACHE.value:
        runtime.enable_compilation_cache()
    launch.start(fail, EXIT_FAILED)
    summary = train(config)
    if jax.process_index() == 0:  # process 0 reports for the whole run
        from train.logs import say
        evaluation = summary["eval"]
        keys = sorted(evaluation, key=lambda key: (key != "accuracy", key != "loss", key))  # accuracy, loss, rmse
        shown = "  ".join(f"{key} {evaluation[key]:.4f}" for key in keys)
        say(f"{config.experiment}: {summary['eval_split']} {shown}  ({summary['steps']} steps, "
            f"{summary['train_seconds']:.1f}s training, {summary['compile_seconds']:.1f}s compile)")

