"""Character LSTM on the TFDS catalog's tiny_shakespeare (runs where that data set is prepared)."""

from experiments import shakespeare_lstm


def get_config():
    config = shakespeare_lstm.get_config()
    # The catalog converter (data/shakespeare.py, `catalog_converter`) gives the same layout as
    # shakespeare_chars: [N, seq_len] character ids, labels shifted by one, the same vocabulary.
    config.data.name = "tiny_shakespeare"
    config.num_steps = 2000
    return config
