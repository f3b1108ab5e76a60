"""Streaming input with grain: batches are read from a random-access source on the host, in threads
or worker processes, while the device trains.

The batch for a step is the same pure function of (seed, step) as on the device-resident path
(`data.order`), so both paths give the same batches, and a stream restarted at step k yields exactly
what an uninterrupted one yields from k: grain's `MapDataset` is indexed by call number, so resuming
needs no iterator state.
"""

from __future__ import annotations

from typing import Any, Iterator

import grain
from absl import flags
import numpy as np

from data import order
from data.source import ArraySource, Batch, RecordSource


class CallBatches:
    """Maps a call number to the stacked batches of its `steps_per_call` steps: [k, batch, ...]."""

    def __init__(self, source: ArraySource | RecordSource, seed: int, batch_size: int, steps_per_call: int,
                 rows: slice = slice(None)) -> None:
        self.source, self.seed, self.batch_size, self.steps_per_call = source, seed, batch_size, steps_per_call
        self.rows = rows  # this process's rows of each global batch (all of them with one process)
        self._orders: dict[int, np.ndarray] = {}

    def _order(self, epoch: int) -> np.ndarray:
        if epoch not in self._orders:
            if len(self._orders) > 2:
                self._orders.pop(min(self._orders))
            self._orders[epoch] = order.epoch_permutation(np, self.seed, epoch, len(self.source))
        return self._orders[epoch]

    def indices(self, step: int) -> np.ndarray:
        epoch, within = divmod(step, order.steps_per_epoch(len(self.source), self.batch_size))
        return self._order(epoch)[within * self.batch_size:(within + 1) * self.batch_size]

    def __call__(self, call: int) -> Batch:
        first = call * self.steps_per_call
        steps = [self.source.gather(self.indices(first + i)[self.rows]) for i in range(self.steps_per_call)]
        return {name: np.stack([s[name] for s in steps]) for name in steps[0]}


def train_batches(source: ArraySource | RecordSource, seed: int, batch_size: int, steps_per_call: int,
                  start_step: int, num_steps: int, workers: int = 0, prefetch: int = 4,
                  rows: slice = slice(None)) -> Iterator[Batch]:
    """Batches for steps [start_step, num_steps), stacked per call; `workers` > 0 reads in processes.

    `rows` selects this process's share of every global batch when several processes train together.
    """
    if not flags.FLAGS.is_parsed():  # grain reads its absl flags; a library caller may not have parsed any
        flags.FLAGS.mark_as_parsed()
    dataset = grain.MapDataset.range(start_step // steps_per_call, num_steps // steps_per_call)
    dataset = dataset.map(CallBatches(source, seed, batch_size, steps_per_call, rows))
    stream = dataset.to_iter_dataset(grain.ReadOptions(num_threads=max(1, prefetch // 2),
                                                       prefetch_buffer_size=prefetch))
    if workers > 0:
        stream = stream.mp_prefetch(grain.MultiprocessingOptions(num_workers=workers))
    return iter(stream)
