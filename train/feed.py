"""Where training batches come from: device-resident data (gathered inside jit) or a grain stream.

`make_feed` picks the path from `config.data.pipeline` ('auto' keeps the train split on the device when
it fits `config.data.resident_max_mb`, else streams it). Both give the train call the same batches for
the same seed; the loop only calls `feed.args(step)` before each compiled call.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

import data as data_lib
from data import order, prepared, resident, stream
from data.dataset import Dataset
from train.parallel import DataParallel


class ResidentFeed:
    """The whole train split on the device; the epoch order is recomputed on the device once per epoch."""

    feed = "resident"

    def __init__(self, dataset: Dataset, seed: int, batch_size: int, parallel: DataParallel | None = None) -> None:
        self.parallel = parallel or DataParallel(1)
        self.data = self.parallel.replicate(resident.to_device(dataset.splits["train"]))
        self.num_examples = len(dataset.splits["train"])
        self.seed, self.batch_size = np.uint32(seed), batch_size
        self._epoch: int | None = None
        self._orders: jax.Array | None = None

    def args(self, step: int) -> tuple[Any, ...]:
        epoch = step // order.steps_per_epoch(self.num_examples, self.batch_size)
        if epoch != self._epoch:
            self._orders = self.parallel.replicate(resident.epoch_orders(self.seed, np.int32(epoch), self.num_examples))
            self._epoch = epoch
        return self.data, self._orders, np.int32(self._epoch)

    def example_args(self, step: int) -> tuple[Any, ...]:
        return self.args(step)

    def close(self) -> None:
        pass


class StreamFeed:
    """Batches read on the host by grain (threads, or `workers` processes) and copied to the device."""

    feed = "host"

    def __init__(self, source: stream.ArraySource | stream.RecordSource, seed: int, batch_size: int,
                 steps_per_call: int, start_step: int, num_steps: int, workers: int, prefetch: int,
                 parallel: DataParallel | None = None) -> None:
        self.source, self.batch_size, self.steps_per_call = source, batch_size, steps_per_call
        self.parallel = parallel or DataParallel(1)
        self._batches = stream.train_batches(source, seed, batch_size, steps_per_call, start_step, num_steps,
                                             workers, prefetch, rows=self.parallel.local_rows(batch_size))

    def args(self, step: int) -> tuple[Any, ...]:
        return (self.parallel.shard_stacked(next(self._batches), self.batch_size),)

    def example_args(self, step: int) -> tuple[Any, ...]:
        sample = self.source.gather(np.arange(1))
        return ({name: jax.ShapeDtypeStruct((self.steps_per_call, self.batch_size, *a.shape[1:]), a.dtype,
                                            sharding=self.parallel.stacked_batch)
                 for name, a in sample.items()},)

    def close(self) -> None:
        self._batches = None


def choose_pipeline(data_config: ml_collections.ConfigDict, dataset: Dataset) -> str:
    pipeline = data_config.get("pipeline", "auto")
    if pipeline == "auto":
        fits = resident.nbytes(dataset.splits["train"]) <= data_config.get("resident_max_mb", 1024) * 2**20
        return "resident" if fits else "grain"
    return pipeline


def make_feed(config: ml_collections.ConfigDict, dataset: Dataset, start_step: int,
              parallel: DataParallel | None = None) -> ResidentFeed | StreamFeed:
    pipeline = choose_pipeline(config.data, dataset)
    if pipeline == "resident":
        return ResidentFeed(dataset, config.seed, config.batch_size, parallel)
    if config.data.name in data_lib.LOADERS:  # stream from the prepared array_record files
        built = prepared.builder(config.data.name, config.data, data_lib.LOADERS[config.data.name])
        source: Any = stream.RecordSource(prepared.sources(built)["train"], prepared.dtypes(built))
    else:
        source = stream.ArraySource(dataset.splits["train"])
    return StreamFeed(source, config.seed, config.batch_size, config.steps_per_call, start_step,
                      config.num_steps, config.data.get("workers", 0), config.data.get("prefetch", 4), parallel)
