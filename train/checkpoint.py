"""Checkpoints through orbax: atomic step directories, the newest few kept, damaged ones skipped.

orbax writes each step into a temporary directory and renames it when complete, so a process
killed mid-write leaves the previous checkpoints untouched. Restoring walks back from the newest
step and skips (with a warning) any checkpoint that cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import jax
import orbax.checkpoint as ocp


class CheckpointError(RuntimeError):
    """No checkpoint in the directory could be restored; the message names the directory."""


class Checkpointer:
    def __init__(self, directory: Path, keep: int, warn: Callable[[str], None], create: bool = True) -> None:
        self.directory = directory.absolute()
        self._warn = warn
        self._manager = ocp.CheckpointManager(
            self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=create))

    def steps(self) -> list[int]:
        return sorted(self._manager.all_steps())

    def latest_step(self) -> int | None:
        return self._manager.latest_step()

    def drop_after(self, step: int) -> None:
        """Deletes checkpoints newer than `step` (a resumed run will write them again)."""
        for newer in [s for s in self.steps() if s > step]:
            self._manager.delete(newer)

    def save(self, step: int, state: Any) -> None:
        """Starts writing `state` at `step`; returns once device buffers are copied (they may be donated next)."""
        if step in self._manager.all_steps():
            return
        try:
            self._manager.save(step, args=ocp.args.StandardSave(state))
        except OSError as error:
            raise self._write_error(step, error) from error

    def restore(self, target: Any, only: int | None = None) -> tuple[Any, int]:
        """The newest readable checkpoint (or the one at step `only`) shaped like `target`, and its step;
        `(target, 0)` if there is none."""
        steps = self.steps() if only is None else [only]
        for step in reversed(steps):
            abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, target)
            try:
                return self._manager.restore(step, args=ocp.args.StandardRestore(abstract)), step
            except Exception as error:  # noqa: BLE001 - any unreadable checkpoint is skipped the same way.
                self._warn(f"checkpoint at step {step} in {self.directory} is unreadable "
                           f"({type(error).__name__}: {str(error).splitlines()[0][:200]}); trying an older one")
        if steps:
            raise CheckpointError(f"no readable checkpoint in {self.directory} (tried steps {steps}); "
                                  "delete the directory to start over")
        return target, 0

    def wait(self) -> None:
        """Blocks until every started save is on disk."""
        try:
            self._manager.wait_until_finished()
        except OSError as error:
            raise self._write_error(None, error) from error

    def _write_error(self, step: int | None, error: OSError) -> "CheckpointError":
        """A failed write (full disk, lost permissions) leaves the older checkpoints as they were."""
        kept = [s for s in self._manager.all_steps() if s != step]
        last = f"the last good checkpoint (step {max(kept)}) is kept" if kept else "no earlier checkpoint exists"
        at = f" at step {step}" if step is not None else ""
        return CheckpointError(f"could not write the checkpoint{at} in {self.directory}: "
                               f"{error.strerror or error}; {last}; free space and run the same command to resume")

    def close(self) -> None:
        self._manager.close()
