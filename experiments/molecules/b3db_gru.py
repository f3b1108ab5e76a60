"""B3DB BBB+/BBB-: bidirectional GRU over atom-level SMILES tokens."""

from experiments.molecules._common import VOCAB_SIZE, config


def get_config():
    return config("b3db", "tokens", {"name": "rnn_classifier", "cell": "gru", "vocab_size": VOCAB_SIZE,
                                     "embed_dim": 32, "hidden": 64, "num_layers": 1, "bidirectional": True,
                                     "dropout": 0.1, "embed_dropout": 0.0, "pooling": "max"},
                  num_steps=1500, randomized_smiles=4)   # chosen on scaffold validation ROC AUC (MOLECULES.md)
