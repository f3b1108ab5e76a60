"""B3DB logBB regression: MLP on RDKit's 2-D descriptors (standardised with training statistics)."""

from experiments.molecules._common import config


def get_config():
    return config("b3db_logbb", "descriptors", {"name": "mlp", "depth": 2, "width": 256, "dropout": 0.2},
                  num_steps=1000, batch_size=32)   # chosen on scaffold validation RMSE
