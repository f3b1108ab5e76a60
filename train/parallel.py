"""Data parallelism on JAX's own engine: a `Mesh` over every device, batches sharded on its `data` axis.

Parameters, optimiser state and device-resident data are replicated; each batch is split over the
`data` axis, and XLA's SPMD partitioner inserts the gradient all-reduce. The same code runs on one
device, on several devices of one process (`--xla_force_host_platform_device_count=8` on a CPU), and
across processes started with `jax.distributed` (each process then feeds only its rows of a batch).
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from train.errors import ConfigError

DATA_AXIS = "data"


class DataParallel:
    """A 1-D mesh of `num_devices` devices (-1: all of them, across every process)."""

    def __init__(self, num_devices: int = -1) -> None:
        devices = jax.devices()
        count = len(devices) if num_devices in (-1, 0) else num_devices
        if not 0 < count <= len(devices):
            raise ConfigError(f"mesh.data={num_devices} but {len(devices)} devices are present; use -1 for all")
        if jax.process_count() > 1 and count != len(devices):
            raise ConfigError(f"with {jax.process_count()} processes the mesh must span every device: mesh.data=-1")
        self.mesh = Mesh(np.asarray(devices[:count]), (DATA_AXIS,))
        self.size = count
        self.replicated = NamedSharding(self.mesh, P())
        self.batch = NamedSharding(self.mesh, P(DATA_AXIS))
        self.stacked_batch = NamedSharding(self.mesh, P(None, DATA_AXIS))  # [steps_per_call, batch, ...]

    def check_batch_size(self, batch_size: int, name: str = "batch_size") -> None:
        if batch_size % self.size:
            raise ConfigError(f"{name}={batch_size} does not divide evenly over the {self.size} devices of the "
                            f"data axis; use a multiple of {self.size}")

    def replicate(self, tree: Any) -> Any:
        """Every leaf as one global array held whole on every device of the mesh."""
        if jax.process_count() == 1:
            return jax.device_put(tree, self.replicated)

        def put(leaf: Any) -> jax.Array:
            value = np.asarray(leaf)
            return jax.make_array_from_callback(value.shape, self.replicated, lambda index: value[index])

        return jax.tree.map(put, tree)

    def local_rows(self, batch_size: int) -> slice:
        """This process's rows of a global batch (each process reads only those)."""
        per_process = batch_size // jax.process_count()
        start = jax.process_index() * per_process
        return slice(start, start + per_process)

    def shard_stacked(self, local: dict[str, np.ndarray], batch_size: int) -> dict[str, jax.Array]:
        """A host batch `[k, rows of this process, ...]` as one global array sharded on the data axis."""
        if jax.process_count() == 1:
            return jax.device_put(local, self.stacked_batch)
        return {name: jax.make_array_from_process_local_data(
                    self.stacked_batch, value, (value.shape[0], batch_size, *value.shape[2:]))
                for name, value in local.items()}

    def constrain_batch(self, batch: dict[str, jax.Array]) -> dict[str, jax.Array]:
        """Inside jit: split a batch gathered from replicated data over the data axis."""
        return jax.lax.with_sharding_constraint(batch, self.batch)


def to_host(tree: Any) -> Any:
    """Replicated (possibly multi-process) arrays as numpy, from this process's own copy."""
    return jax.tree.map(lambda x: np.asarray(x.addressable_data(0)) if isinstance(x, jax.Array) else x, tree)


def is_primary() -> bool:
    """Only process 0 writes logs, summaries and progress; every process takes part in checkpoints."""
    return jax.process_index() == 0
