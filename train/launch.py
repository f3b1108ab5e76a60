"""Multi-process runs on JAX's own engine: joining one (`jax.distributed`), and starting one on this machine.

`python -m train` joins a cluster when given `--coordinator_address`, `--num_processes` and
`--process_id` (or `--distributed`, which detects them from SLURM, Open MPI or Cloud TPU); on CPU the
collectives go through gloo. `python -m train.launch --num_processes=2 -- <train flags>` starts N such
processes on this machine around a coordinator on a free loopback port and waits for them; a signal
sent to it is passed on to every process (SIGTERM still means checkpoint-and-exit-0), and its exit
code is the first non-zero one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Callable, Sequence

from absl import app, flags

COORDINATOR = flags.DEFINE_string("coordinator_address", None, "host:port of process 0, for training over "
                                  "several processes (jax.distributed); give --num_processes and --process_id too.")
PROCESSES = flags.DEFINE_integer("num_processes", None, "Processes taking part in multi-process training "
                                 "(python -m train.launch: processes to start, default 2).")
PROCESS_ID = flags.DEFINE_integer("process_id", None, "This process's index, 0 .. num_processes-1.")
DETECT = flags.DEFINE_bool("distributed", False, "Join a multi-process run whose settings jax.distributed "
                           "detects from the cluster environment (SLURM, Open MPI, Cloud TPU, ...).")
DEVICES_PER_PROCESS = flags.DEFINE_integer("devices_per_process", 1, "python -m train.launch: CPU devices per "
                                           "process (--xla_force_host_platform_device_count).")


def start(fail: Callable[..., None], failed_code: int) -> None:
    """Joins the JAX cluster, if the flags ask for one, before any computation; bad flags go to `fail` (exit 2),
    a failed join exits `failed_code`."""
    import jax

    if not (COORDINATOR.value or PROCESSES.value or PROCESS_ID.value is not None or DETECT.value):
        return
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


def launch(train_args: Sequence[str], num_processes: int, devices_per_process: int = 1) -> int:
    """Starts `python -m train` N times around a coordinator on a free loopback port; the first non-zero exit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")
    if devices_per_process > 1:
        env["XLA_FLAGS"] = (f"{env.get('XLA_FLAGS', '')} "
                            f"--xla_force_host_platform_device_count={devices_per_process}").strip()
    processes = [subprocess.Popen([sys.executable, "-m", "train", *train_args, f"--coordinator_address=127.0.0.1:{port}",
                                   f"--num_processes={num_processes}", f"--process_id={i}"], env=env)
                 for i in range(num_processes)]

    def forward(signum: int, frame: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    codes = [process.wait() for process in processes]
    return next((code for code in codes if code), 0)


def main(argv: Sequence[str]) -> None:
    processes = 2 if PROCESSES.value is None else PROCESSES.value
    if processes < 1:
        raise app.UsageError("--num_processes must be >= 1")
    sys.exit(launch(argv[1:], processes, DEVICES_PER_PROCESS.value))


if __name__ == "__main__":
    app.run(main)
