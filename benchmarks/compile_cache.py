"""Time to first step of a run with an empty compilation cache, then of the same run again.

    python -m benchmarks.compile_cache --experiment=digits_cnn --experiment=fashion_mnist_cnn \
        --experiment=shakespeare_lstm --out=benchmarks/compile_cache.md

Each run is a fresh process (`python -m train`, 20 steps) with its own empty workdir.
`first_step_seconds` (summary.json) counts data loading, initialisation and compilation up to the
end of the first train step; the process wall time adds Python and library imports, which no cache
shortens. One unmeasured run per experiment comes first, with a throwaway cache, so that the data
set is prepared and the files are in the page cache: the cold and the warm run then differ only in
the compilation cache. Each of `--repeats` pairs uses a new empty cache; the table gives medians.
Loading the prepared data set is part of every start and no cache shortens it, so it is also timed
apart (the same `data.load` and the read of the whole train split, in a fresh process) and the ratio is
given without it. A prepared data set keeps each split it has read whole as `.npy` files beside its
records (`data.source.RecordSplits`), so a second start no longer decodes every record.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from absl import app, flags

EXPERIMENT = flags.DEFINE_multi_string("experiment", ["digits_cnn"], "Experiments to measure.")
REPEATS = flags.DEFINE_integer("repeats", 3, "Cold/warm pairs per experiment, each with a new empty cache.")
OUT = flags.DEFINE_string("out", "", "Write the markdown table here.")

Run = tuple[float, float, float]  # first_step_seconds, compile_seconds, process wall seconds

_TIME_DATA_LOAD = """
import sys, time
from train import runtime
runtime.configure_cpu()
import data, experiments
config = experiments.get_config(sys.argv[1])
start = time.perf_counter()
data.load(config.data).splits["train"]  # the whole train split, as the device-resident feed reads it
print(time.perf_counter() - start)
"""


def run_once(experiment: str, cache: str) -> Run:
    with tempfile.TemporaryDirectory(prefix="layerwise-cache-run-") as workdir:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "train", f"--experiment={experiment}", f"--workdir={workdir}",
                        "--config.num_steps=20", "--config.log_every=10", "--config.eval_every=0",
                        "--config.checkpoint_every=20", "--config.steps_per_call=1"],
                       check=True, capture_output=True, env={**os.environ, "LAYERWISE_COMPILATION_CACHE": cache})
        wall = time.perf_counter() - start
        summary = json.loads((Path(workdir) / "summary.json").read_text())
    return summary["first_step_seconds"], summary["compile_seconds"], wall


def data_load_seconds(experiment: str) -> float:
    """What `train_and_evaluate` spends loading this experiment's data set and its train split, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _TIME_DATA_LOAD, experiment], check=True, capture_output=True,
                         text=True, cwd=Path(__file__).resolve().parents[1])
    return float(out.stdout.split()[-1])


def cold_and_warm(experiment: str, repeats: int) -> tuple[list[Run], list[Run], list[float]]:
    with tempfile.TemporaryDirectory(prefix="layerwise-cache-warmup-") as cache:
        run_once(experiment, cache)  # prepares data; not measured
    cold, warm, data = [], [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="layerwise-cache-") as cache:
            cold.append(run_once(experiment, cache))
            warm.append(run_once(experiment, cache))
        data.append(data_load_seconds(experiment))
    return cold, warm, data


def _median(runs: list[Run], index: int) -> float:
    return statistics.median(run[index] for run in runs)


def main(argv: list[str]) -> None:
    load = os.getloadavg()[0]
    rows = []
    for experiment in EXPERIMENT.value:
        cold, warm, data = cold_and_warm(experiment, REPEATS.value)
        ratios = sorted(c[0] / w[0] for c, w in zip(cold, warm))
        first_cold, first_warm, loading = _median(cold, 0), _median(warm, 0), statistics.median(data)
        rows.append(f"| {experiment} | {first_cold:.2f} s | {first_warm:.2f} s | "
                    f"{first_cold / first_warm:.1f}x ({ratios[0]:.1f}-{ratios[-1]:.1f}x) | {loading:.2f} s | "
                    f"{(first_cold - loading) / (first_warm - loading):.1f}x | "
                    f"{_median(cold, 1):.2f} / {_median(warm, 1):.2f} s | "
                    f"{_median(cold, 2):.1f} / {_median(warm, 2):.1f} s |")
        print(rows[-1], flush=True)
    lines = ["# Compilation cache: time to first step, cold and warm", "",
             f"Command: `python -m benchmarks.compile_cache {' '.join(sys.argv[1:])}`", "",
             f"{os.cpu_count()}-core CPU, load average {load:.1f} at the start. Each run is 20 steps in a fresh "
             "process; after one unmeasured run that prepares the data, each of "
             f"{REPEATS.value} pairs is a run with a new empty cache (cold) and the same run again (warm). "
             "Medians; the ratio's range over the pairs in parentheses. *First step* is `first_step_seconds` "
             "(data loading, initialisation, compilation and the first step); *data loading* is the same "
             "`data.load` and train-split read timed apart in a fresh process, and the next column is the ratio with it taken out of "
             "both; *compile* is the train call's lowering and compilation alone; *process wall* adds the imports.",
             "", "| experiment | first step, cold | first step, warm | ratio (range) | data loading "
             "| ratio without it | compile cold / warm | process wall cold / warm |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |", *rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if OUT.value:
        Path(OUT.value).write_text(text)


if __name__ == "__main__":
    app.run(main)
