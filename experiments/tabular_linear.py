"""Softmax (logistic) regression for a table of your own: the linear baseline tabular_mlp is measured against."""

from experiments import base


def get_config():
    config = base.get_config()
    config.data.name = "csv"          # needs --config.data.path=FILE.csv; npz vectors work too
    config.model.name = "linear"
    config.optimizer.learning_rate = 1e-2
    config.schedule.name = "cosine"
    config.num_steps = 1000
    config.batch_size = 32
    config.eval_every = 200
    config.checkpoint_every = 500
    return config
