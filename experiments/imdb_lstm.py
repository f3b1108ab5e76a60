"""Bidirectional LSTM on the TFDS catalog's imdb_reviews (runs where that data set is prepared)."""

from experiments import rotten_tomatoes_lstm


def get_config():
    config = rotten_tomatoes_lstm.get_config()
    # The catalog converter (data/rotten_tomatoes.py, `catalog_converter`) gives the same layout as
    # rotten_tomatoes: [N, max_tokens] word ids (0 padding, 1 out of vocabulary) from a tokenizer
    # fitted on the training split, `lengths` [N], labels 0 negative / 1 positive.
    config.data.name = "imdb_reviews"
    config.data.max_tokens = 256
    config.num_steps = 3000
    return config
