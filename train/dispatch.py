"""A bound on how many compiled calls the host queues ahead of the devices.

JAX dispatches asynchronously: a loop of jitted calls returns at once and the device works through
the queue. XLA:CPU admits at most 32 queued computations per device; the 33rd launch waits for a
slot, and with several devices it waits on a thread of the CPU client's pool. That pool has
max(cores, devices) threads, so with 8 simulated devices on 2 cores it holds exactly the 8 that
one multi-device call needs: a waiting launch takes a thread an earlier call's device program
needs to reach its all-reduce, and the process deadlocks ("Expected 8 threads to join the
rendezvous, but only 7 of them arrived", then abort). Keeping fewer calls queued than that limit
means no launch ever waits. Waiting for the devices every few calls costs one dispatch gap per
`limit` calls: nothing measurable on one device. The bound waits only on CPU, where the hazard is;
accelerators keep their full run-ahead.
"""

from __future__ import annotations

from typing import TypeVar

import jax

XLA_CPU_MAX_QUEUED = 32  # xla::CpuClientOptions::max_inflight_computations_per_device; jax does not expose it
MAX_QUEUED_CALLS = 8     # well below it, so evaluation calls queued behind training calls also fit

T = TypeVar("T")


class DispatchBound:
    """Counts dispatched calls and waits for the devices once `limit` of them are queued."""

    def __init__(self, limit: int = MAX_QUEUED_CALLS, platform: str | None = None) -> None:
        if not 0 < limit < XLA_CPU_MAX_QUEUED:
            raise ValueError(f"limit must lie in [1, {XLA_CPU_MAX_QUEUED - 1}], got {limit}")
        self.limit, self.queued = limit, 0
        self.active = (platform or jax.default_backend()) == "cpu"

    def __call__(self, outputs: T, calls: int = 1) -> T:
        """`outputs` of the newest call(s); `calls` is how many compiled calls produced them."""
        self.queued += calls
        if self.active and self.queued >= self.limit:
            jax.block_until_ready(outputs)
            self.queued = 0
        return outputs
