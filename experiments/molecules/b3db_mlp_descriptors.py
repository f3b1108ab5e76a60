"""B3DB BBB+/BBB-: MLP on RDKit's 2-D descriptors (standardised with training statistics)."""

from experiments.molecules._common import config


def get_config():
    return config("b3db", "descriptors", {"name": "mlp", "depth": 2, "width": 256, "dropout": 0.2},
                  num_steps=500)   # chosen on scaffold validation ROC AUC
