"""B3DB logBB regression: MLP on Morgan (ECFP4, 2048-bit) fingerprints."""

from experiments.molecules._common import config


def get_config():
    return config("b3db_logbb", "morgan", {"name": "mlp", "depth": 2, "width": 512, "dropout": 0.3},
                  num_steps=300, batch_size=32)   # chosen on scaffold validation RMSE
