"""What can stop a run, as exception types the command line maps to exit codes (2, 1, 0/130)."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config that cannot run (or a workdir it cannot use); the message names the key or path and the fix."""


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or inf; the last good checkpoint is kept."""


class Interrupted(Exception):
    """SIGTERM or SIGINT arrived; a checkpoint was saved at `step`."""

    def __init__(self, signum: int, step: int) -> None:
        super().__init__(signum, step)
        self.signum, self.step = signum, step
