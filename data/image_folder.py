"""Images sorted into class folders: `--config.data.name=image_folder --config.data.path=DIR`.

`DIR/train/<class>/*.png|jpg|jpeg|bmp|gif` (or `DIR/<class>/...` directly), optionally `DIR/test/<class>/`
and `DIR/validation/<class>/`: the convention of Keras' `image_dataset_from_directory` and torchvision's
`ImageFolder`. Classes are the training folder's subfolders in sorted order, their names kept
(`class_names`); images are found at any depth below a class folder and decoded with Pillow.
`data.channels` 1 gives grey, 3 RGB, 0 grey when every image is grey; `data.image_size=(H, W)` resizes
every image (bilinear), (0, 0) keeps sizes, which must then agree. Images come out float32 NHWC in
[0, 1]. Missing test or validation folders are carved from train (stratified, `data.test_fraction`,
`data.validation_fraction` default 0.1), seeded by `data.split_seed`.
"""

from __future__ import annotations

from pathlib import Path

import ml_collections
import numpy as np

from data.dataset import DataError, Dataset, Split
from data.splits import carve
from data.user_files import path_of

NAME = "image_folder"
VERSION = "1"  # bump when the loader's output changes
SOURCE = "your images: --config.data.path=DIR with DIR/train/<class>/*.png|jpg [DIR/test/<class>/...]"
VALIDATION_FRACTION = 0.1
EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}
_EXPECT = "DIR with DIR/train/<class>/*.png (or .jpg, ...) and optionally DIR/test/<class>/"


def _split_dirs(root: Path) -> dict[str, Path]:
    train = root / "train" if (root / "train").is_dir() else root
    dirs = {"train": train}
    dirs.update({split: root / split for split in ("validation", "test") if train != root and (root / split).is_dir()})
    return dirs


def _classes(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images(class_dir: Path) -> list[Path]:
    found = sorted(p for p in class_dir.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())
    if not found:
        raise DataError(f"data set {NAME!r}: class folder {class_dir} holds no images ({', '.join(EXTENSIONS)}); "
                        "add images or remove the folder")
    return found


def listing(config: ml_collections.ConfigDict) -> tuple[list[str], dict[str, list[tuple[Path, int]]]]:
    """Class names, and (image, class) pairs per split present; empty class folders are DataErrors."""
    root = path_of(NAME, config, _EXPECT)
    dirs = _split_dirs(root)
    names = [d.name for d in _classes(dirs["train"])]
    if not names:
        raise DataError(f"data set {NAME!r}: {dirs['train']} has no class folders; expected {_EXPECT}")
    out = {}
    for split, folder in dirs.items():
        unknown = sorted({d.name for d in _classes(folder)} - set(names))
        if unknown:
            raise DataError(f"data set {NAME!r}: {folder} has class folders {unknown} that train lacks; "
                            f"train's classes: {', '.join(names)}")
        out[split] = [(image, k) for k, name in enumerate(names) if (folder / name).is_dir()
                      for image in _images(folder / name)]
    return names, out


def files(config: ml_collections.ConfigDict) -> list[Path]:
    return [image for pairs in listing(config)[1].values() for image, _ in pairs]


def _open(path: Path, load: bool = True):
    """The image, decoded (or only its header read when not `load`); failure is a DataError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        if load:
            image.load()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as error:
        raise DataError(f"data set {NAME!r}: cannot decode image {path} ({error}); replace or remove it") from None
    return image


def _size(config: ml_collections.ConfigDict) -> tuple[int, int] | None:
    size = tuple(config.image_size)
    if size == (0, 0):
        return None
    if len(size) != 2 or min(size) < 1:
        raise DataError(f"data set {NAME!r}: image_size must be (height, width) of positive sizes, or (0, 0) to "
                        f"keep every image's size; got {size}")
    return int(size[0]), int(size[1])


def decode(paths: list[Path], config: ml_collections.ConfigDict) -> np.ndarray:
    """Every image as float32 [N, H, W, C] in [0, 1] (see the module docstring for channels and size)."""
    from PIL import Image

    if config.channels not in (0, 1, 3):
        raise DataError(f"data set {NAME!r}: channels must be 1 (grey), 3 (RGB) or 0 (from the images), "
                        f"got {config.channels}")
    if config.channels:
        channels = config.channels
    else:
        modes = set()
        for path in paths:
            with _open(path, load=False) as image:
                modes.add(image.mode)
        channels = 1 if modes <= _GREY_MODES else 3
    size = _size(config)
    out = None
    for i, path in enumerate(paths):
        with _open(path) as opened:
            image = opened.convert("L" if channels == 1 else "RGB")
        if size is not None:
            image = image.resize((size[1], size[0]), Image.BILINEAR)
        array = np.asarray(image, np.float32).reshape(image.height, image.width, channels) / 255.0
        if out is None:
            out = np.empty((len(paths), *array.shape), np.float32)
        elif array.shape != out.shape[1:]:
            raise DataError(f"data set {NAME!r}: {path} is {image.height}x{image.width}, {paths[0]} is "
                            f"{out.shape[1]}x{out.shape[2]}; set --config.data.image_size='(H, W)' to resize every image")
        out[i] = array
    return out


def load(config: ml_collections.ConfigDict) -> Dataset:
    names, listed = listing(config)
    paths = [path for pairs in listed.values() for path, _ in pairs]
    pixels = decode(paths, config)
    start, arrays = 0, {}
    for split, pairs in listed.items():
        arrays[split] = (pixels[start: start + len(pairs)], np.asarray([k for _, k in pairs], np.int32))
        start += len(pairs)
    images, labels = arrays["train"]
    rows = carve(labels, config, NAME, test="test" not in arrays, own_validation=VALIDATION_FRACTION,
                 validation="validation" not in arrays)
    splits = {split: Split(images[picked], labels[picked]) for split, picked in rows.items()}
    splits.update({split: Split(*pair) for split, pair in arrays.items() if split != "train"})
    splits = {split: splits[split] for split in ("train", "validation", "test") if split in splits}
    return Dataset(name=NAME, splits=splits, num_classes=len(names), class_names=tuple(names))
