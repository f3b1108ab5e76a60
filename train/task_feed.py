"""Training batches for tasks that carry state across steps: the same rows, visited as parallel streams.

A language model's rows are consecutive segments of one text. Shuffling them would break the
recurrent state carried from step to step, so every epoch visits them in `tasks.stream_order`
instead: batch row b continues, at step s+1, the text it read at step s. The rows stay on the
device and batches are gathered inside the compiled call, exactly as in the shuffled resident feed
(`train.feed.ResidentFeed`), whose call signature this feed shares.
"""

from __future__ import annotations

from typing import Any

import ml_collections
import numpy as np

from data import order, resident
from data.dataset import DataError, Dataset
from train import tasks
from train.parallel import DataParallel


class StreamOrderFeed:
    """The train split on the device, read in stream order every epoch."""

    feed = "resident"

    def __init__(self, dataset: Dataset, batch_size: int, parallel: DataParallel | None = None) -> None:
        train = dataset.splits["train"]
        parallel = parallel or DataParallel(1)
        self.data = parallel.replicate(resident.to_device(train))
        self.num_examples, self.batch_size = len(train), batch_size
        stream = tasks.stream_order(self.num_examples, batch_size)
        self._orders = parallel.replicate(np.stack([stream, stream]))  # the same order in this epoch and the next

    def args(self, step: int) -> tuple[Any, ...]:
        return self.data, self._orders, np.int32(step // order.steps_per_epoch(self.num_examples, self.batch_size))

    def example_args(self, step: int) -> tuple[Any, ...]:
        return self.args(step)

    def close(self) -> None:
        pass


def make_feed(config: ml_collections.ConfigDict, dataset: Dataset, start_step: int,
              parallel: DataParallel | None = None) -> StreamOrderFeed:
    """Stream-ordered batches; a streamed (grain) pipeline cannot keep the order, so it is refused."""
    del start_step  # the batch for a step is a pure function of the step
    if config.data.get("pipeline", "auto") == "grain":
        raise DataError(f"data set {dataset.name!r} is a {dataset.task} task whose state is carried across steps; "
                        "it is read in stream order from the device: use --config.data.pipeline=resident (or auto)")
    return StreamOrderFeed(dataset, config.batch_size, parallel)
