"""Both input paths give the same batches for the same seed, and resume at any step without state."""

import jax
import ml_collections
import numpy as np
import pytest
import tensorflow_datasets as tfds

import data
from data import catalog, source as sources, stream
from train import loop, tasks
from layerwise import read_checkpoint as read
from train.feed import ResidentFeed

BATCH, SEED = 64, 7


def _digits_config():
    return ml_collections.ConfigDict({"name": "digits", "split_seed": 0, "path": "", "data_dir": ""})


@pytest.fixture(scope="module")
def digits():
    return data.load(_digits_config())


def _record_source():
    return data.load(_digits_config()).source("train")  # the prepared array_record files


def _resident_batches(dataset, steps, seed=SEED):
    feed = ResidentFeed(dataset, tasks.CLASSIFICATION.visiting_order(seed, dataset.size("train")), BATCH)
    call = jax.jit(lambda d, o, e, s: data.resident.batch_at(d, o, e, s, BATCH))
    return [jax.device_get(call(*feed.args(s), np.int32(s))) for s in steps]


def _stream_batches(source, start, stop, steps_per_call=1, workers=0, seed=SEED):
    calls = stream.train_batches(source, seed, BATCH, steps_per_call, start, stop, workers=workers)
    return [{k: v[i] for k, v in call.items()} for call in calls for i in range(steps_per_call)]


def test_resident_and_grain_paths_give_identical_batches_across_epochs(digits):
    steps = range(0, 45)  # 20 steps per epoch: crosses two epoch boundaries
    resident = _resident_batches(digits, steps)
    streamed = _stream_batches(_record_source(), 0, 45)
    for a, b in zip(resident, streamed, strict=True):
        np.testing.assert_array_equal(a["inputs"], b["inputs"])
        np.testing.assert_array_equal(a["labels"], b["labels"])
    assert not np.array_equal(resident[0]["labels"], resident[20]["labels"])  # reshuffled each epoch


def test_same_seed_same_sequence_other_seed_other_sequence(digits):
    source = sources.ArraySource(digits.splits["train"])
    a, b = _stream_batches(source, 0, 10), _stream_batches(source, 0, 10)
    c = _stream_batches(source, 0, 10, seed=SEED + 1)
    assert all(np.array_equal(x["labels"], y["labels"]) for x, y in zip(a, b))
    assert not all(np.array_equal(x["labels"], y["labels"]) for x, y in zip(a, c))


@pytest.mark.parametrize("steps_per_call,workers", [(1, 0), (3, 0), (3, 1)])
def test_stream_restored_at_step_k_continues_exactly(steps_per_call, workers):
    source = _record_source()
    uninterrupted = _stream_batches(source, 0, 48, steps_per_call)
    resumed = _stream_batches(source, 27, 48, steps_per_call, workers=workers)
    assert len(resumed) == 21
    for a, b in zip(uninterrupted[27:], resumed, strict=True):
        np.testing.assert_array_equal(a["inputs"], b["inputs"])


def test_resident_feed_restored_at_step_k_continues_exactly(digits):
    uninterrupted = _resident_batches(digits, range(0, 48))
    resumed = _resident_batches(digits, range(27, 48))  # a fresh feed, as after a restart
    for a, b in zip(uninterrupted[27:], resumed, strict=True):
        np.testing.assert_array_equal(a["labels"], b["labels"])


def _params(workdir):
    return read(workdir / "checkpoints")[1]["params"]


def test_training_on_either_path_gives_the_same_parameters(tiny_config, tmp_path):
    loop.train_and_evaluate(tiny_config, tmp_path / "resident")
    tiny_config.data.pipeline = "grain"
    loop.train_and_evaluate(tiny_config, tmp_path / "grain")
    for x, y in zip(jax.tree.leaves(_params(tmp_path / "resident")), jax.tree.leaves(_params(tmp_path / "grain"))):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6)


def test_auto_streams_when_the_split_exceeds_the_device_budget(tiny_config, digits):
    from train.feed import choose_pipeline

    assert choose_pipeline(tiny_config.data, digits, tasks.CLASSIFICATION) == "resident"
    tiny_config.data.resident_max_mb = 0
    assert choose_pipeline(tiny_config.data, digits, tasks.CLASSIFICATION) == "grain"


def test_the_grain_path_never_reads_the_training_split_whole(tiny_config, tmp_path, monkeypatch):
    read = []
    original = sources.RecordSplits.__getitem__
    monkeypatch.setattr(sources.RecordSplits, "__getitem__", lambda self, name: read.append(name) or original(self, name))
    tiny_config.data.pipeline = "grain"
    summary = loop.train_and_evaluate(tiny_config, tmp_path)
    assert summary["steps"] == 60 and "train" not in read and {"validation", "test"} <= set(read)


@pytest.mark.parametrize("name,shape", [("mnist", (28, 28, 1)), ("cifar10", (32, 32, 3))])
def test_mocked_catalog_images_flow_through_the_experiment_code(name, shape, tiny_config, tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "preparation_blocker", lambda: None)  # the mock stands in for the download
    tiny_config.data.name = name
    tiny_config.num_steps, tiny_config.log_every, tiny_config.checkpoint_every = 20, 10, 20
    with tfds.testing.mock_data(num_examples=96):
        dataset = data.load(tiny_config.data)
        summary = loop.train_and_evaluate(tiny_config, tmp_path)
    assert dataset.input_shape == shape and dataset.num_classes == 10
    assert set(dataset.splits) == {"train", "validation", "test"}
    assert summary["steps"] == 20 and np.isfinite(summary["eval"]["loss"])


def test_catalog_set_that_cannot_be_prepared_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "preparation_blocker", lambda: "the download server is unreachable")
    config = ml_collections.ConfigDict({"name": "mnist", "split_seed": 0, "data_dir": str(tmp_path)})
    with pytest.raises(data.DataError, match=r"catalog data set 'mnist' is not prepared.*python -m data --prepare=mnist"):
        data.load(config)


def test_a_split_read_whole_is_kept_as_arrays_and_a_damaged_array_file_is_read_again(tmp_path, monkeypatch):
    config = _digits_config()
    config.data_dir = str(tmp_path)
    first = data.load(config).splits["train"]
    files = sorted(tmp_path.rglob("arrays/train/*.npy"))
    assert [f.name for f in files] == ["inputs.npy", "labels.npy"]
    records = []
    original = sources.read_all
    monkeypatch.setattr(sources, "read_all", lambda source: records.append(1) or original(source))
    again = data.load(config).splits["train"]
    assert records == [] and again.inputs.dtype == first.inputs.dtype
    np.testing.assert_array_equal(again.inputs, first.inputs)
    np.testing.assert_array_equal(again.labels, first.labels)
    files[0].write_bytes(files[0].read_bytes()[:200])  # truncated: fall back to the records, then rewrite
    repaired = data.load(config).splits["train"]
    assert records == [1]
    np.testing.assert_array_equal(repaired.inputs, first.inputs)
    assert np.load(files[0]).shape == first.inputs.shape
