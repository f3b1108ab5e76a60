"""`python -m data --list` shows every local data set; `python -m data --prepare=NAME` prepares one.

--list prints each local data set with its source, splits and sizes, and whether its TFDS copy is
prepared in the cache directory. --prepare works for local and catalog names (catalog ones need
TensorFlow and the network, e.g. `python -m data --prepare=mnist --data_dir=DIR` on a connected machine).
"""

from __future__ import annotations

import sys

from absl import app, flags, logging

FLAGS = flags.DEFINE_bool("list", False, "List the local data sets.")
PREPARE = flags.DEFINE_string("prepare", None, "Prepare this data set into the cache directory.")
DATA_DIR = flags.DEFINE_string("data_dir", "", "Cache directory (default $LAYERWISE_DATA_DIR or "
                               "~/.cache/layerwise/tensorflow_datasets).")
SPLIT_SEED = flags.DEFINE_integer("split_seed", 0, "Split seed of the copy to prepare or look up.")


def _config(name: str):
    from data import config

    return config.complete({"name": name, "data_dir": DATA_DIR.value, "split_seed": SPLIT_SEED.value})


def rows() -> list[tuple[str, str, str, str]]:
    """(name, source, split sizes, prepared) for every local data set."""
    import data
    from data import prepared

    out = []
    for name, loader in sorted(data.LOADERS.items()):
        module = sys.modules[loader.__module__]
        if prepared.is_prepared(name, _config(name)):
            built = prepared.builder(name, _config(name), loader, prepare=False)
            sizes = {split: info.num_examples for split, info in built.info.splits.items()}
            state = f"yes ({built.data_path})"
        else:
            sizes, state = getattr(module, "SPLITS", {}), "no"
        splits = " / ".join(f"{split} {count}" for split, count in sizes.items()) or "?"
        out.append((name, getattr(module, "SOURCE", module.__doc__.splitlines()[0]), splits, state))
    return out


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    logging.set_verbosity(logging.WARNING)  # tensorflow_datasets logs every file it opens at INFO
    import data

    if PREPARE.value:
        try:
            dataset = data.load(_config(PREPARE.value))
        except data.DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{PREPARE.value}: " + ", ".join(f"{k} {len(v)}" for k, v in dataset.splits.items()))
        return 0
    if FLAGS.value:
        for name, source, splits, state in rows():
            print(f"{name:28s} {splits:40s} prepared: {state}\n{'':28s} source: {source}")
        return 0
    raise app.UsageError("give --list or --prepare=NAME")


if __name__ == "__main__":
    app.run(main)
