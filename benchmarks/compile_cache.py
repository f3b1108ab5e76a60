"""Time to first step of a run with an empty compilation cache, then of the same run again.

    python -m benchmarks.compile_cache --experiment=digits_cnn --out=benchmarks/compile_cache.md

Each run is a fresh process (`python -m train`) with its own empty workdir; both share one new
cache directory. `first_step_seconds` (summary.json) counts data loading, initialisation and
compilation up to the end of the first train step; the process wall time adds imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from absl import app, flags

EXPERIMENT = flags.DEFINE_multi_string("experiment", ["digits_cnn"], "Experiments to measure.")
OUT = flags.DEFINE_string("out", "", "Write the markdown table here.")


def run_twice(experiment: str) -> list[tuple[float, float, float]]:
    """(first_step_seconds, compile_seconds, process wall seconds) of a cold and a warm run."""
    cache = tempfile.mkdtemp(prefix="layerwise-cache-")
    out = []
    for attempt in range(2):
        workdir = tempfile.mkdtemp(prefix=f"layerwise-{attempt}-")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "train", f"--experiment={experiment}", f"--workdir={workdir}",
                        "--config.num_steps=20", "--config.log_every=10", "--config.eval_every=0",
                        "--config.checkpoint_every=20", "--config.steps_per_call=1"],
                       check=True, capture_output=True, env={**__import__("os").environ,
                                                              "LAYERWISE_COMPILATION_CACHE": cache})
        wall = time.perf_counter() - start
        summary = json.loads((Path(workdir) / "summary.json").read_text())
        out.append((summary["first_step_seconds"], summary["compile_seconds"], wall))
    return out


def main(argv: list[str]) -> None:
    lines = ["# Compilation cache: time to first step, cold and warm", "",
             f"Command: `python -m benchmarks.compile_cache {' '.join(sys.argv[1:])}` (2-core CPU; each run "
             "20 steps in a fresh process; the second run reuses the first's cache).", "",
             "| experiment | first step, cold | first step, warm | ratio | compile cold / warm | process wall cold / warm |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    for experiment in EXPERIMENT.value:
        (cold, cold_compile, cold_wall), (warm, warm_compile, warm_wall) = run_twice(experiment)
        lines.append(f"| {experiment} | {cold:.2f} s | {warm:.2f} s | {cold / warm:.1f}x | "
                     f"{cold_compile:.2f} / {warm_compile:.2f} s | {cold_wall:.1f} / {warm_wall:.1f} s |")
    text = "\n".join(lines) + "\n"
    print(text)
    if OUT.value:
        Path(OUT.value).write_text(text)


if __name__ == "__main__":
    app.run(main)
