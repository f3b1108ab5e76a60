"""B3DB BBB+/BBB-: 1-D convolutional network over atom-level SMILES tokens."""

from experiments.molecules._common import VOCAB_SIZE, config


def get_config():
    return config("b3db", "tokens", {"name": "token_cnn", "vocab_size": VOCAB_SIZE, "embed_dim": 32,
                                     "features": (64, 64, 64), "kernel": 5, "hidden": 64, "dropout": 0.1},
                  num_steps=1500, randomized_smiles=4)   # chosen on scaffold validation ROC AUC (MOLECULES.md)
