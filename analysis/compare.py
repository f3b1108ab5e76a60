"""Layer-to-layer linear CKA between two runs on the same data set (two seeds, or a shallow and a deep network).

Both runs read the same fixed subset of the evaluation split (`analysis.examples`), so row i of one
run's layer and row i of the other's are the same example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from analysis import cka, pictures
from analysis.layers import AnalysisError, Options, _Network, _split_arrays, raw_input_full, variables_of
from analysis.activations import batched
from analysis.examples import classification_parts, language_model_parts


def layer_grams(run: Any, options: Options) -> tuple[list[str], list[Any]]:
    """(layer names with the input first, centred Grams of the trained layers on the CKA examples)."""
    network = _Network(run, options)
    variables = variables_of(run.state)
    network.layer_shapes(run, variables)
    make_parts = language_model_parts if network.language_model else classification_parts
    part = make_parts(run.dataset, options.train_examples, options.cka_examples)["cka"]
    full = batched(network.full, variables, _split_arrays(run, part, network.uses_lengths), options.batch_size)
    raw = raw_input_full(run, part)
    names, grams = [], []
    if raw is not None:
        names.append("input")
        grams.append(cka.centred_gram(jnp.asarray(raw)))
    for name, value in full.items():
        names.append(name)
        grams.append(cka.centred_gram(jnp.asarray(value.reshape(len(part), -1))))
    return names, grams


def compare(first: Any, second: Any, options: Options) -> dict[str, Any]:
    """{'rows': layers of `first`, 'columns': layers of `second`, 'cka': [rows][columns]}."""
    for key in ("name", "split_seed"):
        a, b = first.config.data.get(key), second.config.data.get(key)
        if a != b:
            raise AnalysisError(f"runs {first.workdir} and {second.workdir} differ in data.{key} ({a!r} against "
                                f"{b!r}); CKA compares two runs on the same examples")
    rows, grams_a = layer_grams(first, options)
    columns, grams_b = layer_grams(second, options)
    return {"first": str(first.workdir), "second": str(second.workdir), "rows": rows, "columns": columns,
            "examples": options.cka_examples, "cka": cka.matrix(grams_a, grams_b).round(4).tolist()}


def label(workdir: Path) -> str:
    """A file-name-safe label for a run directory: its last two path components."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", "_".join(Path(workdir).resolve().parts[-2:]))


def draw(result: dict[str, Any], path: Path) -> Path:
    matrix = np.asarray(result["cka"])
    return pictures.cka_heatmaps(result["columns"], {"cross": matrix}, path,
                                 panels=(("cross", f"rows: {label(Path(result['first']))}\ncolumns: "
                                                   f"{label(Path(result['second']))}"),),
                                 rows=result["rows"])
