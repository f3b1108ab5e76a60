"""Where training batches come from: the train split on the device (gathered inside jit) or a grain stream.

One protocol for both: the loop calls `feed.args(step)` before each compiled call and passes what it
returns on; `example_args` gives the shapes to compile against; `feed.feed` names the call's
signature ('resident' or 'host', `train.call`). `make_feed` picks the path from `data.pipeline`
('auto' keeps the train split on the device when it fits `data.resident_max_mb`, else streams it
from the data set's own random-access source without reading it whole). Both paths give the same
batches for the same seed, in the order the task visits examples (`Task.visiting_order`).
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import ml_collections
import numpy as np

from data import order, resident, source, stream
from data.dataset import DataError, Dataset
from train.parallel import DataParallel


class ResidentFeed:
    """The whole train split on the device; the epoch's visiting order is made once per epoch."""

    feed = "resident"

    def __init__(self, dataset: Dataset, orders: Callable[[int], Any], batch_size: int,
                 parallel: DataParallel | None = None) -> None:
        self.parallel = parallel or DataParallel(1)
        self.data = self.parallel.replicate(resident.to_device(dataset.splits["train"]))
        self.num_examples, self.batch_size, self._orders_for = dataset.size("train"), batch_size, orders
        self._epoch: int | None = None
        self._orders: jax.Array | None = None

    def args(self, step: int) -> tuple[Any, ...]:
        epoch = step // order.steps_per_epoch(self.num_examples, self.batch_size)
        if epoch != self._epoch:
            self._orders = self.parallel.replicate(self._orders_for(epoch))
            self._epoch = epoch
        return self.data, self._orders, np.int32(self._epoch)

    def example_args(self, step: int) -> tuple[Any, ...]:
        return self.args(step)

    def close(self) -> None:
        pass


class StreamFeed:
    """Batches read on the host by grain (threads, or `workers` processes) and copied to the device."""

    feed = "host"

    def __init__(self, split: source.ArraySource | source.RecordSource, seed: int, batch_size: int,
                 steps_per_call: int, start_step: int, num_steps: int, workers: int, prefetch: int,
                 parallel: DataParallel | None = None) -> None:
        self.source, self.batch_size, self.steps_per_call = split, batch_size, steps_per_call
        self.parallel = parallel or DataParallel(1)
        self._batches = stream.train_batches(split, seed, batch_size, steps_per_call, start_step, num_steps,
                                             workers, prefetch, rows=self.parallel.local_rows(batch_size))

    def args(self, step: int) -> tuple[Any, ...]:
        return (self.parallel.shard_stacked(next(self._batches), self.batch_size),)

    def example_args(self, step: int) -> tuple[Any, ...]:
        return ({name: jax.ShapeDtypeStruct((self.steps_per_call, self.batch_size, *shape), dtype,
                                            sharding=self.parallel.stacked_batch)
                 for name, (shape, dtype) in self.source.fields.items()},)

    def close(self) -> None:
        self._batches = None


def choose_pipeline(data_config: ml_collections.ConfigDict, dataset: Dataset, task: Any) -> str:
    """'resident' or 'grain'. A task that carries state across steps reads its text in stream order from
    the device; streaming cannot keep that order, so it is refused."""
    if data_config.pipeline == "grain" and task.carries_state:
        raise DataError(f"data set {dataset.name!r} is a {dataset.task} task whose state is carried across steps; "
                        "it is read in stream order from the device: use --config.data.pipeline=resident (or auto)")
    if data_config.pipeline == "auto":
        fits = source.nbytes(dataset.source("train")) <= data_config.resident_max_mb * 2**20
        return "resident" if fits or task.carries_state else "grain"
    return data_config.pipeline


def make_feed(config: ml_collections.ConfigDict, dataset: Dataset, task: Any, start_step: int,
              parallel: DataParallel | None = None) -> ResidentFeed | StreamFeed:
    if choose_pipeline(config.data, dataset, task) == "resident":
        orders = task.visiting_order(config.seed, dataset.size("train"))
        return ResidentFeed(dataset, orders, config.batch_size, parallel)
    return StreamFeed(dataset.source("train"), config.seed, config.batch_size, config.steps_per_call, start_step,
                      config.num_steps, config.data.workers, config.data.prefetch, parallel)
