"""Softmax (logistic) regression for a table of your own: the linear baseline tabular_mlp is measured against."""

import ml_collections

from experiments import tabular_mlp


def get_config():
    config = tabular_mlp.get_config()   # the same data, schedule and budget; only the model differs
    config.model = ml_collections.ConfigDict({"name": "linear"})
    config.optimizer.learning_rate = 1e-2
    config.optimizer.weight_decay = 0.0
    return config
