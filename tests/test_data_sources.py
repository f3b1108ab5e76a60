"""Real examples from each local source: counts, shapes, dtypes, label ranges; bad files give clear errors."""

import gzip
import shutil
import subprocess
import sys

import numpy as np
import pytest

import data
from data import fashion_mnist, mnist5k, prepared, registry
from data.config import complete
from data.dataset import DataError
from data.idx import read_idx


def _config(name, **extra):
    return complete({"name": name, **extra})


def test_fashion_mnist_source_has_60000_train_and_10000_test_images():
    source = fashion_mnist.read_source()
    assert source["train"][0].shape == (60000, 28, 28) and source["test"][0].shape == (10000, 28, 28)
    for images, labels in source.values():
        assert images.dtype == np.uint8 and labels.dtype == np.int32
        assert labels.min() == 0 and labels.max() == 9
    assert np.bincount(source["test"][1]).tolist() == [1000] * 10


def test_mnist5k_source_has_500_real_digits_of_each_class():
    images, labels = mnist5k.read_source()
    assert images.shape == (5000, 28, 28) and np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images.mean() > 20  # real strokes, not blank


@pytest.mark.parametrize("name", ["digits", "mnist5k", "fashion_mnist"])
def test_prepared_copy_equals_the_loader_and_documented_sizes(name):
    loader = registry.resolve(name)
    loaded = loader.load(_config(name))
    read_back = data.load(_config(name))  # through the TFDS array_record copy
    assert {k: len(v) for k, v in read_back.splits.items()} == loader.splits
    assert read_back.class_names == loaded.class_names and len(read_back.class_names) == 10
    for split, expected in loaded.splits.items():
        got = read_back.splits[split]
        np.testing.assert_array_equal(got.inputs, expected.inputs)
        np.testing.assert_array_equal(got.labels, expected.labels)
        assert got.inputs.dtype == np.float32 and got.labels.dtype == np.int32
        assert 0.0 <= got.inputs.min() and got.inputs.max() <= 1.0
        assert got.labels.min() >= 0 and got.labels.max() < read_back.num_classes
    assert prepared.is_prepared(name, _config(name), prepared.content_key(_config(name), loader))


def test_a_different_split_seed_is_prepared_separately(tmp_path):
    a = data.load(_config("digits", data_dir=str(tmp_path)))
    b = data.load(_config("digits", data_dir=str(tmp_path), split_seed=1))
    assert not np.array_equal(a.splits["test"].labels, b.splits["test"].labels)
    assert len(list((tmp_path / "layerwise_digits").glob("split_seed_*"))) == 2


def _fashion_copy(tmp_path):
    for path in fashion_mnist.DEFAULT_DIR.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_truncated_idx_file_is_named_in_the_error(tmp_path):
    directory = _fashion_copy(tmp_path)
    path = directory / "t10k-labels-idx1-ubyte.gz"
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(DataError, match=r"fashion_mnist.*t10k-labels-idx1-ubyte.gz has 9998 bytes.*truncated"):
        fashion_mnist.load(_config("fashion_mnist", path=str(directory)))


def test_corrupt_gzip_and_bad_magic_are_reported(tmp_path):
    bad = tmp_path / "x-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError, match="corrupt or truncated"):
        read_idx(bad, "fashion_mnist")
    plain = tmp_path / "y-ubyte"
    plain.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(plain, "fashion_mnist")


def test_missing_source_directory_says_how_to_install(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        data.load(_config("fashion_mnist", path=str(tmp_path / "nowhere"), data_dir=str(tmp_path)))


def test_unwritable_cache_directory_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DataError, match="cannot write the prepared copy"):
        data.load(_config("digits", data_dir=str(blocker / "sub")))


def test_damaged_prepared_copy_is_reported_with_the_fix(tmp_path):
    data.load(_config("digits", data_dir=str(tmp_path)))
    for record_file in tmp_path.rglob("*test.array_record*"):
        record_file.write_bytes(record_file.read_bytes()[:100])
    with pytest.raises(DataError, match="unreadable.*delete that directory"):
        data.load(_config("digits", data_dir=str(tmp_path)))


def test_list_command_shows_every_local_data_set(tmp_path):
    out = subprocess.run([sys.executable, "-m", "data", "--list", f"--data_dir={tmp_path}"], capture_output=True,
                         text=True, check=True).stdout
    for name in ("digits", "mnist5k", "fashion_mnist", "shakespeare_chars", "rotten_tomatoes", "sunspots", "b3db",
                 "b3db_logbb", "npz", "csv", "image_folder", "ts", "uea/<Problem>", "uea_features/<Problem>"):
        assert name in out
    assert "train 55000 / validation 5000 / test 10000" in out and "prepared: no" in out
    assert "GunPoint" in out and "SelfRegulationSCP1" in out  # found in the installed packages
