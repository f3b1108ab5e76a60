"""Data sets from your own files: npz, CSV, image folders and `.ts` pairs written here from real data, read
through the prepared copy, prepared again when a file changes, and every bad input one clear DataError."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits

import data
from conftest import ROOT
from data import examples
from data.config import complete
from data.dataset import DataError

HEADER = "# written by the test\n@problemName toy\n@univariate false\n@equalLength false\n@classLabel true up down\n@data\n"


def _load(name: str, path, **extra) -> data.Dataset:
    return data.load(complete({"name": name, "path": str(path), **extra}))


def _write(path, text: str):
    path.write_text(text)
    return path


def _savez(path, **arrays):
    np.savez(path, **arrays)
    return path


def test_npz_in_the_keras_convention_scales_uint8_images_and_keeps_the_test_split(tmp_path):
    digits = load_digits()
    images = (digits.images * 15).astype(np.uint8)             # 0..240, greyscale (N, 8, 8)
    np.savez(tmp_path / "d.npz", x_train=images[:1500], y_train=digits.target[:1500],
             x_test=images[1500:], y_test=digits.target[1500:])
    ds = _load("npz", tmp_path / "d.npz")
    assert ds.input_shape == (8, 8, 1) and ds.num_classes == 10 and ds.class_names == tuple("0123456789")
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 1350, "validation": 150, "test": 297}
    np.testing.assert_allclose(ds.splits["test"].inputs[..., 0], images[1500:] / 255.0, atol=1e-7)
    np.testing.assert_array_equal(ds.splits["test"].labels, digits.target[1500:])
    counts = np.bincount(ds.splits["validation"].labels)        # 10% of every class of train
    assert counts.min() >= 14 and counts.max() <= 16


def test_npz_directory_with_float_targets_is_regression_with_test_carved(tmp_path):
    x, y = load_diabetes(return_X_y=True)
    (tmp_path / "arrays").mkdir()
    np.savez(tmp_path / "arrays" / "train.npz", x=x, y=y)
    ds = _load("npz", tmp_path / "arrays")
    assert ds.task == "regression" and ds.num_classes == 1 and ds.class_names is None
    assert {k: len(v) for k, v in ds.splits.items()} == {"train": 319, "validation": 35, "test": 88}
    train = ds.splits["train"].labels
    assert train.shape == (319, 1) and abs(train.mean()) < 1e-5 and abs(train.std() - 1) < 1e-5
    assert 0.9 * y.std() < ds.target_scale < 1.1 * y.std()   # errors are reported in the data's units


def test_csv_from_scikit_learn_standardises_columns_and_keeps_label_names(tmp_path):
    path = examples.write_csv(tmp_path / "cancer.csv")
    ds = _load("csv", path, label_column="diagnosis")
    assert ds.input_shape == (30,) and ds.class_names == ("benign", "malignant")
    assert sum(len(s) for s in ds.splits.values()) == 569 and len(ds.splits["test"]) == 113
    train = ds.splits["train"].inputs
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    shares = [np.mean(ds.splits[s].labels) for s in ("train", "test")]   # 37% malignant in both
    assert abs(shares[0] - shares[1]) < 0.01


def test_csv_words_become_one_hot_columns_and_a_test_file_is_used_as_given(tmp_path):
    (tmp_path / "train.csv").write_text("colour,size,kind\n" + "".join(
        f"{c},{s},{k}\n" for c, s, k in [("red", 1.0, "cat"), ("blue", 2.0, "dog"), ("red", 3.0, "cat"),
                                         ("blue", 4.0, "dog")] * 5))
    (tmp_path / "test.csv").write_text("kind,size,colour\ndog,2.5,green\ncat,1.5,red\n")
    ds = _load("csv", tmp_path / "train.csv", test_path=str(tmp_path / "test.csv"), validation_fraction=0.0)
    assert ds.class_names == ("cat", "dog") and ds.input_shape == (3,)   # blue, red, size
    test = ds.splits["test"]
    np.testing.assert_array_equal(test.labels, [1, 0])
    np.testing.assert_array_equal(test.inputs[:, :2], [[0, 0], [0, 1]])  # green was never seen: all zeros
    np.testing.assert_allclose(test.inputs[:, 2], (np.array([2.5, 1.5]) - 2.5) / np.sqrt(1.25), rtol=1e-5)
    (tmp_path / "r.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i * 0.5 + 0.25}\n" for i in range(40)))
    assert _load("csv", tmp_path / "r.csv").task == "regression"


def test_image_folder_of_pngs_written_from_digits(tmp_path):
    examples.write_image_folder(tmp_path / "images", per_class=12)
    ds = _load("image_folder", tmp_path / "images")
    assert ds.input_shape == (8, 8, 1) and ds.class_names == tuple("0123456789")
    assert len(ds.splits["test"]) == 120 and len(ds.splits["train"]) + len(ds.splits["validation"]) == 120
    images, labels = examples.digits_splits()["test"]
    first = images[np.flatnonzero(labels == 0)[0]]              # the first test image of class 0
    np.testing.assert_allclose(ds.splits["test"].inputs[0], np.round(first * 255) / 255, atol=1e-6)
    colour = _load("image_folder", tmp_path / "images" / "train", image_size=(16, 12), channels=3)
    assert colour.input_shape == (16, 12, 3) and "test" in colour.splits   # class folders directly: test carved


def test_ts_pair_written_here_with_unequal_lengths(tmp_path):
    train = HEADER + "".join(f"{','.join(['1'] * n)}:{','.join(['2'] * n)}:{'up' if n % 2 else 'down'}\n"
                             for n in range(3, 23))
    (tmp_path / "toy_TRAIN.ts").write_text(train)
    (tmp_path / "toy_TEST.ts").write_text(HEADER + "5,6:7,8:up\n1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,"
                                          "22,23,24,25:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25:down\n")
    ds = _load("ts", tmp_path / "toy")
    assert ds.input_shape == (25, 2) and ds.class_names == ("down", "up")
    test = ds.splits["test"]
    np.testing.assert_array_equal(test.lengths, [2, 25])
    np.testing.assert_array_equal(test.labels, [1, 0])
    np.testing.assert_array_equal(test.inputs[0, :3], [[5, 7], [6, 8], [0, 0]])
    (tmp_path / "toy_TEST.ts").unlink()                         # no test file: test carved from train
    assert len(_load("ts", tmp_path / "toy_TRAIN.ts").splits["test"]) == 4


def test_an_edited_file_is_prepared_again_and_an_unchanged_one_is_not(tmp_path, capfd):
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(30)))
    config = {"data_dir": str(tmp_path / "cache"), "validation_fraction": 0.0}
    first = _load("csv", path, **config)
    assert "preparing data set 'csv'" in capfd.readouterr().out
    path.write_text(path.read_text())                           # rewritten, same content: the same copy
    _load("csv", path, **config)
    assert "preparing" not in capfd.readouterr().out
    path.write_text(path.read_text().replace("\n7,b\n", "\n700,b\n"))
    edited = _load("csv", path, **config)
    assert "preparing data set 'csv'" in capfd.readouterr().out
    assert not np.array_equal(first.splits["train"].inputs, edited.splits["train"].inputs)
    assert len(list((tmp_path / "cache" / "layerwise_csv").glob("split_seed_0_*"))) == 2


def _png_folder(tmp_path, bad: bytes | None = None, empty: bool = False):
    examples.write_image_folder(tmp_path / "images", per_class=2)
    if bad is not None:
        (tmp_path / "images" / "train" / "3" / "broken.png").write_bytes(bad)
    if empty:
        for png in (tmp_path / "images" / "train" / "7").glob("*.png"):
            png.unlink()
    return tmp_path / "images"


def _ts(tmp_path, header: str, body: str):
    (tmp_path / "bad_TRAIN.ts").write_text(header + body)
    return tmp_path / "bad"


BAD_INPUTS = {  # name: (data set, files the test writes -> path, extra config, the error's words)
    "file missing": ("npz", lambda t: t / "nowhere.npz", {}, r"--config.data.path=.*nowhere.npz does not exist"),
    "folder missing": ("image_folder", lambda t: t / "no_dir", {}, r"no_dir does not exist; give DIR with DIR/train"),
    "no path given": ("csv", lambda t: "", {}, r"data set 'csv' reads your files: give --config.data.path=FILE.csv"),
    "npz without the keys": ("npz", lambda t: _savez(t / "k.npz", a=np.ones(3), b=np.ones(3)), {},
                             r"k.npz has keys \['a', 'b'\], missing \['x_train', 'y_train'\]"),
    "x and y of different lengths": ("npz", lambda t: _savez(t / "n.npz", x_train=np.ones((10, 2)), y_train=np.ones(9, int)),
                                     {}, r"x_train has 10 rows but y_train has 9"),
    "label column that does not exist": ("csv", lambda t: examples.write_csv(t / "c.csv"), {"label_column": "kind"},
                                         r"label column 'kind' is not in .*c.csv; its columns: mean radius"),
    "word in a numeric column": ("csv", lambda t: _write(t / "w.csv", "a,y\n1,x\n2,y\nbig,x\n3,y\n"), {},
                                 r"w.csv, line 4, column 'a': 'big' is not a number"),
    "image that cannot be decoded": ("image_folder", lambda t: _png_folder(t, bad=b"not a png"), {},
                                     r"cannot decode image .*train/3/broken.png"),
    "class folder with no images": ("image_folder", lambda t: _png_folder(t, empty=True), {},
                                    r"class folder .*train/7 holds no images"),
    "ts header malformed": ("ts", lambda t: _ts(t, "@problemName x\nclassLabel true a b\n@data\n", "1,2:a\n"), {},
                            r"bad_TRAIN.ts\), line 2: 'classLabel true a b' is not a header line"),
    "ts line that does not parse": ("ts", lambda t: _ts(t, "@classLabel true a b\n@data\n", "1,2:a\n1,x:b\n"), {},
                                    r"bad_TRAIN.ts\), line 4: unreadable value"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_data_error_naming_the_file_and_the_fix(case, tmp_path):
    name, write, extra, words = BAD_INPUTS[case]
    with pytest.raises(DataError, match=words) as raised:
        _load(name, write(tmp_path), data_dir=str(tmp_path / "cache"), **extra)
    assert "\n" not in str(raised.value)


def test_the_command_line_turns_bad_own_data_into_one_line_and_exit_2(tmp_path):
    folder = _png_folder(tmp_path, bad=b"\x89PNG\r\n\x1a\n truncated")
    result = subprocess.run([sys.executable, "-m", "train", "--experiment=digits_cnn", f"--workdir={tmp_path / 'w'}",
                             "--config.data.name=image_folder", f"--config.data.path={folder}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: data set 'image_folder': cannot decode image")
    assert not (tmp_path / "w" / "checkpoints").exists()


def test_confusion_matrix_plots_name_the_classes(tmp_path, monkeypatch):
    from reports import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda figure, path: figures.append(figure) or path)
    plots.confusion_matrix([[5, 1], [0, 7]], tmp_path / "c.png", class_names=["benign", "malignant"])
    axis = figures[0].axes[0]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["benign", "malignant"]
