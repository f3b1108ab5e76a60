"""Local multi-process runs: `python -m train.launch --num_processes=2 -- <train flags>`.

Starts N copies of `python -m train <train flags>` on this machine, joined into one JAX cluster through
a coordinator on a free loopback port, and waits for them. A signal sent to the launcher is passed on
to every process (so SIGTERM still means checkpoint-and-exit-0); the exit code is the first non-zero one.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from typing import Sequence

from absl import app, flags

NUM_PROCESSES = flags.DEFINE_integer("num_processes", 2, "Processes to start.")
DEVICES_PER_PROCESS = flags.DEFINE_integer("devices_per_process", 1, "CPU devices per process "
                                           "(--xla_force_host_platform_device_count).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def commands(train_args: Sequence[str], num_processes: int, port: int) -> list[list[str]]:
    return [[sys.executable, "-m", "train", *train_args, f"--coordinator_address=127.0.0.1:{port}",
             f"--num_processes={num_processes}", f"--process_id={i}"] for i in range(num_processes)]


def launch(train_args: Sequence[str], num_processes: int, devices_per_process: int = 1) -> int:
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")
    if devices_per_process > 1:
        env["XLA_FLAGS"] = (f"{env.get('XLA_FLAGS', '')} "
                            f"--xla_force_host_platform_device_count={devices_per_process}").strip()
    processes = [subprocess.Popen(command, env=env) for command in commands(train_args, num_processes, free_port())]

    def forward(signum: int, frame: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    codes = [process.wait() for process in processes]
    return next((code for code in codes if code), 0)


def main(argv: Sequence[str]) -> None:
    if NUM_PROCESSES.value < 1:
        raise app.UsageError("--num_processes must be >= 1")
    sys.exit(launch(argv[1:], NUM_PROCESSES.value, DEVICES_PER_PROCESS.value))


if __name__ == "__main__":
    app.run(main)
