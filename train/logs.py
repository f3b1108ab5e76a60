"""Everything a run reports: metrics.jsonl, TensorBoard scalars, and progress on the terminal.

These run on the host, outside jit, only at log steps.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from tensorboardX import SummaryWriter
from tqdm import tqdm

METRICS_FILE = "metrics.jsonl"


def say(message: str) -> None:
    """One human-readable line on stderr, kept apart from library logging."""
    print(message, file=sys.stderr, flush=True)


class MetricWriter:
    """Appends one JSON object per (step, split) to metrics.jsonl and mirrors scalars to TensorBoard."""

    def __init__(self, workdir: Path, resume_step: int) -> None:
        self.path = workdir / METRICS_FILE
        self._drop_after(resume_step)
        self._file = self.path.open("a")
        self._tb = SummaryWriter(str(workdir / "tensorboard"))

    def _drop_after(self, step: int) -> None:
        """On resume, forgets records newer than the restored checkpoint: they will be written again."""
        if not self.path.exists():
            return
        kept = [line for line in self.path.read_text().splitlines()
                if line.strip() and _step_of(line) is not None and _step_of(line) <= step]
        self.path.write_text("".join(line + "\n" for line in kept))

    def write(self, step: int, split: str, metrics: dict[str, float]) -> None:
        record = {"step": step, "split": split, **metrics}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                self._tb.add_scalar(f"{split}/{key}", value, step)

    def write_run_end(self, hparams: dict[str, Any], final: dict[str, float], confusion: Any, step: int) -> None:
        """TensorBoard's hparams view (config against final metrics) and the confusion matrix as an image."""
        from train import plots

        shown = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in hparams.items()}
        self._tb.add_hparams(shown, {f"hparams/{k}": v for k, v in final.items()}, name="hparams",
                             global_step=step)
        if confusion is not None:  # classification only
            self._tb.add_image("confusion_matrix", plots.confusion_matrix_image(confusion), step, dataformats="HWC")

    def close(self) -> None:
        self._file.close()
        self._tb.close()


def _step_of(line: str) -> int | None:
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return None  # A line cut short by a kill: dropped.


class Progress:
    """A tqdm bar on a terminal; otherwise one plain line per log step (for files and CI logs)."""

    def __init__(self, total: int, initial: int, enabled_bar: bool | None = None) -> None:
        self.total = total
        self.bar_enabled = sys.stderr.isatty() if enabled_bar is None else enabled_bar
        self._bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True,
                         file=sys.stderr) if self.bar_enabled else None
        self._last_step, self._start, self._start_step = initial, time.perf_counter(), initial

    def update(self, step: int, metrics: dict[str, Any]) -> None:
        loss, rate = metrics.get("loss", float("nan")), metrics.get("examples_per_sec", 0.0)
        if self._bar is not None:
            self._bar.update(step - self._last_step)
            self._bar.set_postfix(loss=f"{loss:.4f}", ex_s=f"{rate:,.0f}", refresh=False)
        else:
            elapsed = time.perf_counter() - self._start
            done = step - self._start_step
            eta = elapsed / done * (self.total - step) if done else float("nan")
            others = "".join(f"  {key} {value:.4f}" for key, value in metrics.items()
                             if key not in ("loss", "learning_rate", "examples_per_sec"))  # accuracy, rmse, ...
            say(f"step {step}/{self.total}  loss {loss:.4f}{others}  {rate:,.0f} ex/s  eta {eta:.0f}s")
        self._last_step = step

    def write(self, message: str) -> None:
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            say(message)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
