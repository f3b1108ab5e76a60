"""`python -m data --list` shows every local data set; `python -m data --prepare=NAME` prepares one.

--list prints each fixed data set with its source, splits and sizes, and whether its TFDS copy is
prepared in the cache directory; then the sources of your own files (npz, csv, image_folder, ts) and
the UEA problems found in the installed packages, one line per package. --prepare works for local and catalog names (catalog ones need
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
    """(name, split sizes, prepared, source) for every fixed data set, then one line per file source and family."""
    from data import prepared, registry, uea, uea_features
    from data.dataset import DataError

    out = []
    for loader in registry.fixed():
        try:
            key = prepared.content_key(_config(loader.name), loader)
        except DataError as error:  # the package that carries it is missing
            out.append((loader.name, "", f"not installed: {error}", loader.source))
            continue
        sizes = loader.splits
        state = "no"
        if prepared.is_prepared(loader.name, _config(loader.name), key):
            built = prepared.builder(loader.name, _config(loader.name), loader, prepare=False, key=key)
            sizes = {split: info.num_examples for split, info in built.info.splits.items()}
            state = f"yes ({built.data_path})"
        splits = " / ".join(f"{split} {count}" for split, count in sizes.items()) or "?"
        out.append((loader.name, splits, state, loader.source))
    for loader in registry.file_sources():
        out.append((loader.name, "your files", "on first use", loader.source))
    found = uea.problems()
    for package in uea.PACKAGES:
        names = sorted(name for name, problem in found.items() if problem.package == package)
        out.append(("uea/<Problem>", f"{len(names)} problems", "on first use",
                    f"{package}: {', '.join(names) or 'not installed: ' + uea.install_command(package)}"))
    eeg = uea_features.eeg_problems()
    out.append(("uea_features/<Problem>", f"{len(eeg)} problems", "on first use",
                f"the uea problems with a sampling rate (EEG): {', '.join(eeg)}"))
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
        for name, splits, state, source in rows():
            print(f"{name:24s} {splits:42s} prepared: {state}\n{'':24s} source: {source}")
        return 0
    raise app.UsageError("give --list or --prepare=NAME")


if __name__ == "__main__":
    app.run(main)
