"""The digits loader's split, the data checks, and device-resident batching."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

import data
from data import resident
from data.dataset import DataError, Dataset, Split


def _digits(split_seed=0):
    return data.load(ml_collections.ConfigDict({"name": "digits", "split_seed": split_seed}))


def test_digits_splits_are_disjoint_stratified_and_complete():
    ds = _digits()
    sizes = {name: len(split) for name, split in ds.splits.items()}
    assert sizes == {"train": 1295, "validation": 143, "test": 359}
    assert sum(sizes.values()) == 1797
    assert ds.input_shape == (8, 8, 1) and ds.num_classes == 10
    train = ds.splits["train"]
    assert train.inputs.dtype == np.float32 and train.labels.dtype == np.int32
    assert 0.0 <= train.inputs.min() and train.inputs.max() <= 1.0
    # Every image appears in exactly one split.
    rows = np.concatenate([s.inputs.reshape(len(s), -1) for s in ds.splits.values()])
    from sklearn.datasets import load_digits
    assert sorted(map(bytes, rows)) == sorted(map(bytes, (load_digits().images / 16).astype(np.float32).reshape(1797, -1)))
    # Stratified: each class is 20% +- one image of the test split.
    counts = np.bincount(ds.splits["test"].labels, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37


def test_digits_split_depends_only_on_split_seed():
    a, b, c = _digits(0), _digits(0), _digits(1)
    np.testing.assert_array_equal(a.splits["test"].inputs, b.splits["test"].inputs)
    assert not np.array_equal(a.splits["test"].inputs, c.splits["test"].inputs)


def _dataset(labels, num_classes=3):
    inputs = np.zeros((len(labels), 2), np.float32)
    split = Split(inputs, np.asarray(labels, np.int32))
    return Dataset("toy", {"train": split, "test": split}, num_classes)


def test_labels_out_of_range_are_rejected_with_the_data_set_name():
    with pytest.raises(DataError, match=r"data set 'toy'.*labels span \[0, 3\].*3 classes"):
        _dataset([0, 1, 3]).validate()
    _dataset([0, 1, 2]).validate()


def test_unknown_data_set_lists_valid_names():
    with pytest.raises(DataError, match="valid data sets: b3db, b3db_logbb, digits, fashion_mnist"):
        data.load(ml_collections.ConfigDict({"name": "imagenet"}))


def test_batch_size_larger_than_the_split_is_rejected():
    with pytest.raises(DataError, match="batch_size 5000"):
        resident.check_batch_size(_digits().size("train"), 5000, "digits")


def test_resident_batches_are_a_permutation_per_epoch_and_a_pure_function_of_the_step():
    n, batch = 50, 8
    arrays = {"inputs": jnp.arange(n, dtype=jnp.float32)[:, None], "labels": jnp.arange(n)}

    def get(step: int) -> np.ndarray:
        epoch = step // (n // batch)
        orders = resident.epoch_orders(np.uint32(0), np.int32(epoch), n)
        return np.asarray(jax.jit(resident.batch_at, static_argnums=4)(arrays, orders, np.int32(epoch),
                                                                         np.int32(step), batch)["labels"])

    epoch = np.concatenate([get(s) for s in range(n // batch)])
    assert len(set(epoch.tolist())) == len(epoch) == 48  # no repeats; remainder of 2 dropped
    next_epoch = np.concatenate([get(s) for s in range(6, 12)])
    assert not np.array_equal(epoch, next_epoch)  # reshuffled every epoch
    np.testing.assert_array_equal(get(7), get(7))  # resumable: depends on the step only


def test_eval_batches_pad_and_mask():
    split = Split(np.arange(10, dtype=np.float32)[:, None], np.arange(10, dtype=np.int32))
    batches = resident.eval_batches(split, 4)
    assert batches["inputs"].shape == (3, 4, 1)
    assert int(batches["mask"].sum()) == 10
    np.testing.assert_array_equal(np.asarray(batches["labels"]).reshape(-1)[:10], np.arange(10))
