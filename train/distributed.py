"""Joining a multi-process run (`jax.distributed`) from the command line's flags.

Several processes form one JAX cluster; on CPU their collectives go through gloo. The flags are
given explicitly (`--coordinator_address`, `--num_processes`, `--process_id`, as `python -m
train.launch` does) or detected from the cluster environment with `--distributed` (SLURM, Open MPI,
Cloud TPU).
"""

from __future__ import annotations

from typing import Callable

from absl import flags

COORDINATOR = flags.DEFINE_string("coordinator_address", None, "host:port of process 0, for training over "
                                  "several processes (jax.distributed); give --num_processes and --process_id too.")
PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes taking part in multi-process training.")
PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index, 0 .. num_processes-1.")
DETECT = flags.DEFINE_bool("distributed", False, "Join a multi-process run whose settings jax.distributed "
                           "detects from the cluster environment (SLURM, Open MPI, Cloud TPU, ...).")


def requested() -> bool:
    return bool(COORDINATOR.value or PROCESSES.value or PROCESS_ID.value is not None or DETECT.value)


def start(fail: Callable[..., None], failed_code: int) -> None:
    """Joins the JAX cluster before any computation; bad flags go to `fail` (exit 2), a failed join exits `failed_code`."""
    import jax

    if not DETECT.value and None in (COORDINATOR.value, PROCESSES.value, PROCESS_ID.value):
        fail("multi-process training needs all of --coordinator_address, --num_processes and --process_id "
             "(or --distributed to detect them from the cluster environment)")
    if not DETECT.value and not 0 <= PROCESS_ID.value < PROCESSES.value:
        fail(f"--process_id={PROCESS_ID.value} must lie in [0, {PROCESSES.value - 1}]")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        if DETECT.value:
            jax.distributed.initialize()
        else:
            jax.distributed.initialize(coordinator_address=COORDINATOR.value, num_processes=PROCESSES.value,
                                       process_id=PROCESS_ID.value, initialization_timeout=120)
    except (RuntimeError, ValueError) as error:
        fail(f"could not join the multi-process run: {str(error).splitlines()[0]}", failed_code)
