"""Everything a run reports: metrics.jsonl, TensorBoard scalars, and progress on the terminal.

These run on the host, outside jit, only at log steps.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tensorboardX import SummaryWriter
from tqdm import tqdm
from tqdm.auto import tqdm as tqdm_auto

METRICS_FILE = "metrics.jsonl"


def say(message: str) -> None:
    """One human-readable line on stderr, kept apart from library logging."""
    print(message, file=sys.stderr, flush=True)


class Silent:
    """Stands in for the metric writer and progress bar on processes other than 0."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class MetricWriter:
    """Appends one JSON object per (step, split) to metrics.jsonl and mirrors scalars to TensorBoard."""

    def __init__(self, workdir: Path, resume_step: int) -> None:
        self.path = workdir / METRICS_FILE
        self._drop_after(resume_step)
        self._file = self.path.open("a")
        self._tb = SummaryWriter(str(workdir / "tensorboard"))

    def _drop_after(self, step: int) -> None:
        """On resume, forgets records newer than the restored checkpoint: they will be written again.
        Replaced atomically, so another process reading the file (`records`) sees it whole."""
        if not self.path.exists():
            return
        kept = [line for line in self.path.read_text().splitlines() if (r := _parse(line)) and r["step"] <= step]
        self.path.with_suffix(".tmp").write_text("".join(line + "\n" for line in kept))
        os.replace(self.path.with_suffix(".tmp"), self.path)

    def write(self, step: int, split: str, metrics: dict[str, float]) -> None:
        record = {"step": step, "split": split, **metrics}
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        for key, value in metrics.items():
            if isinstance(value, (int, float)) and math.isfinite(value):
                self._tb.add_scalar(f"{split}/{key}", value, step)

    def write_run_end(self, hparams: dict[str, Any], final: dict[str, float], confusion: Any, step: int) -> None:
        """TensorBoard's hparams view (config against final metrics) and the confusion matrix as an image."""
        shown = {k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in hparams.items()}
        self._tb.add_hparams(shown, {f"hparams/{k}": v for k, v in final.items()}, name="hparams",
                             global_step=step)
        if confusion is not None:  # classification only
            self._tb.add_image("confusion_matrix", confusion_heatmap(confusion), step, dataformats="HWC")
            self._tb.add_text("confusion_matrix", confusion_text(confusion), step)

    def close(self) -> None:
        self._file.close()
        self._tb.close()


def records(workdir: Path, split: str, up_to: int) -> list[dict[str, Any]]:
    """The metrics.jsonl records of `split` at steps <= `up_to`, in order (a resumed run's past)."""
    path = workdir / METRICS_FILE
    lines = path.read_text().splitlines() if path.exists() else []
    return [record for record in map(_parse, lines)  # the final evaluation of a selected state is not one of them
            if record and record.get("split") == split and record["step"] <= up_to and "selected_step" not in record]


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
        return record if isinstance(record.get("step"), int) else None
    except (ValueError, AttributeError):
        return None  # A line cut short by a kill: dropped.


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"


class Progress:
    """A progress bar where someone watches, otherwise one plain line per log step (files, CI logs).

    style 'terminal': a tqdm bar when stderr is a terminal; 'auto': also a notebook widget in Jupyter
    (`tqdm.auto`); 'plain': always lines.
    """

    def __init__(self, total: int, initial: int, style: str = "terminal") -> None:
        self.total = total
        notebook = style == "auto" and _in_notebook()
        bar = tqdm_auto if notebook else tqdm
        self._bar = bar(total=total, initial=initial, unit="step", dynamic_ncols=True, file=sys.stderr) \
            if style != "plain" and (notebook or sys.stderr.isatty()) else None
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

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def confusion_heatmap(matrix: Any, cell: int = 16) -> np.ndarray:
    """counts[true, predicted] as a white-to-blue HxWx3 uint8 image, `cell` pixels a class (rows: true class)."""
    counts = np.asarray(matrix, np.float64)
    shade = (counts / max(counts.max(), 1.0))[..., None]
    image = (255 * (1 - shade * np.array([0.9, 0.6, 0.2]))).astype(np.uint8)
    return image.repeat(cell, 0).repeat(cell, 1)


def confusion_text(matrix: Any) -> str:
    """The counts as a markdown table (TensorBoard's text tab renders it)."""
    counts = np.asarray(matrix)
    lines = ["| true \\ predicted | " + " | ".join(map(str, range(counts.shape[1]))) + " |",
             "|" + " --- |" * (counts.shape[1] + 1)]
    return "\n".join(lines + [f"| {i} | " + " | ".join(map(str, row)) + " |" for i, row in enumerate(counts)])
